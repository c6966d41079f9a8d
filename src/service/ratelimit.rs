//! Sliding-window limits for sign-in, setup and invitation endpoints. Counting is per
//! client address and per (account, address) pair: an attacker who exhausts an account's
//! allowance from their address does not lock out its owner signing in from elsewhere.
//! On top, an account-wide ceiling ([`ACCOUNT_WIDE_FACTOR`] times the pair allowance)
//! stops guessing spread over many addresses; reaching it takes a botnet, and then a
//! pause for the owner is the lesser harm.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    hits: Mutex<HashMap<String, Vec<Timestamp>>>,
}

/// Bounds memory under a flood of distinct keys.
const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    pub fn new() -> RateLimiter {
        RateLimiter::default()
    }

    /// How long until `key` may try again, or `None` when it is within `limit` now.
    pub fn blocked_for(&self, key: &str, limit: Limit, now: Timestamp) -> Option<Duration> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let list = hits.get_mut(key)?;
        prune(list, limit.window, now);
        if list.len() < limit.max as usize {
            return None;
        }
        let oldest = list.first().copied()?;
        let free_at = oldest.checked_add(limit.window).ok()?;
        let wait = now.duration_until(free_at).unsigned_abs();
        Some(wait.max(Duration::from_secs(1)))
    }

    /// Counts one attempt (or failure) for `key`.
    pub fn record(&self, key: &str, limit: Limit, now: Timestamp) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() >= MAX_KEYS && !hits.contains_key(key) {
            hits.retain(|_, v| {
                prune(v, limit.window, now);
                !v.is_empty()
            });
        }
        let list = hits.entry(key.to_owned()).or_default();
        prune(list, limit.window, now);
        list.push(now);
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub fn clear(&self, key: &str) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        hits.remove(key);
    }
}

fn prune(list: &mut Vec<Timestamp>, window: Duration, now: Timestamp) {
    let Ok(window) = jiff::SignedDuration::try_from(window) else {
        return;
    };
    list.retain(|t| now.duration_since(*t) < window);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_and_frees_after_the_window() {
        let limiter = RateLimiter::new();
        let limit = Limit {
            max: 3,
            window: Duration::from_secs(60),
        };
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.blocked_for("a", limit, t0), None);
            limiter.record("a", limit, t0);
        }
        let wait = limiter.blocked_for("a", limit, t0).unwrap();
        assert_eq!(wait, Duration::from_secs(60));
        assert_eq!(limiter.blocked_for("b", limit, t0), None);
        let later = t0.checked_add(jiff::SignedDuration::from_secs(61)).unwrap();
        assert_eq!(limiter.blocked_for("a", limit, later), None);
        limiter.record("a", limit, t0);
        limiter.clear("a");
        assert_eq!(limiter.blocked_for("a", limit, t0), None);
    }
}

/// The limits applied to sign-in, setup and invitation endpoints (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// All attempts from one client address.
    pub per_address: Limit,
    /// Failed attempts for one account from one address.
    pub per_account: Limit,
}

/// How many addresses' worth of failures one account may collect in a window.
pub const ACCOUNT_WIDE_FACTOR: u32 = 20;

impl LoginLimits {
    /// Failed attempts for one account from all addresses together.
    pub fn account_wide(&self) -> Limit {
        Limit {
            max: self.per_account.max.saturating_mul(ACCOUNT_WIDE_FACTOR),
            window: self.per_account.window,
        }
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_address: Limit {
                max: 30,
                window: Duration::from_secs(5 * 60),
            },
            per_account: Limit {
                max: 5,
                window: Duration::from_secs(15 * 60),
            },
        }
    }
}
