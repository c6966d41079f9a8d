//! Running N closed-loop clients for a fixed time, with a warm-up that is not recorded.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::client::{Client, Reply};
use crate::stats::ClientStats;

/// When a step runs and when its measurements count.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub measure_from: Instant,
    pub until: Instant,
}

impl Window {
    pub fn new(warmup: Duration, duration: Duration) -> Window {
        let now = Instant::now();
        Window {
            measure_from: now + warmup,
            until: now + warmup + duration,
        }
    }

    pub fn running(&self) -> bool {
        Instant::now() < self.until
    }

    pub fn measured(&self) -> Duration {
        self.until - self.measure_from
    }
}

/// Records the outcome of one request started at `started`: a success when the status is
/// `expect`, otherwise an error of kind `http NNN` or the transport failure. Requests
/// started during the warm-up are not recorded. Returns the reply on success.
pub fn tally(
    stats: &mut ClientStats,
    w: &Window,
    started: Instant,
    op: &str,
    result: Result<Reply, String>,
    expect: StatusCode,
) -> Option<Reply> {
    let counts = started >= w.measure_from;
    match result {
        Ok(reply) if reply.status == expect => {
            if counts {
                stats.op(op).record_ok(reply.latency);
            }
            Some(reply)
        }
        Ok(reply) => {
            if counts {
                stats
                    .op(op)
                    .record_err(format!("http {}", reply.status.as_u16()));
            }
            None
        }
        Err(kind) => {
            if counts {
                stats.op(op).record_err(kind);
            }
            None
        }
    }
}

/// Runs one task per client and merges what they recorded.
pub async fn run_all<F, Fut>(clients: Vec<Client>, f: F) -> ClientStats
where
    F: Fn(usize, Client) -> Fut,
    Fut: Future<Output = ClientStats> + Send + 'static,
{
    let handles: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, c)| tokio::spawn(f(i, c)))
        .collect();
    let mut total = ClientStats::default();
    for h in handles {
        if let Ok(s) = h.await {
            total.merge(&s);
        }
    }
    total
}

/// A small deterministic generator (xorshift64*), one per client.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A lower-case word that appears in no demo text (for findability probes).
    pub fn word(&mut self, len: usize) -> String {
        let mut s = String::from("zq");
        for _ in 0..len {
            s.push((b'a' + self.below(26) as u8) as char);
        }
        s
    }
}
