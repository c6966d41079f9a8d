//! Time comes from an injected clock so tests can move it; nothing else reads the wall clock.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

/// Source of the current time for every part of Supportbox.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // The one reading of the wall clock; everything else asks a `Clock`.
        #[allow(clippy::disallowed_methods)]
        Timestamp::now()
    }
}

/// A clock that only moves when a test tells it to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, to: Timestamp) {
        // A poisoned lock only means another test thread panicked; the timestamp is still valid.
        let mut guard = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *guard = to;
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut guard = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *guard = guard.saturating_add(by).unwrap_or(*guard);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Timestamp::from_second(1_700_000_000).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(jiff::SignedDuration::from_secs(60));
        assert_eq!(clock.now().as_second(), 1_700_000_060);
    }
}
