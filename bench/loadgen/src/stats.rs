//! Latency histograms per operation, error counts, and the printed table.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// What one client recorded for one operation; merged across clients at the end.
pub struct OpStats {
    hist: Histogram<u64>,
    pub ok: u64,
    /// Failure kind (`http 500`, `transport`, `skipped: pool empty` …) → count.
    pub errors: BTreeMap<String, u64>,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            // Microseconds from 1 µs to 120 s, three significant digits.
            hist: Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds"),
            ok: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl OpStats {
    pub fn record_ok(&mut self, latency: Duration) {
        self.ok += 1;
        let us = (latency.as_micros() as u64).clamp(1, 120_000_000);
        let _ = self.hist.record(us);
    }

    pub fn record_err(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &OpStats) {
        let _ = self.hist.add(&other.hist);
        self.ok += other.ok;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }

    pub fn summary(&self, name: &str, clients: usize, elapsed: Duration) -> OpSummary {
        let ms = |q: f64| self.hist.value_at_quantile(q) as f64 / 1000.0;
        let secs = elapsed.as_secs_f64().max(1e-9);
        OpSummary {
            op: name.to_owned(),
            clients,
            ok: self.ok,
            errors: self.errors.values().sum(),
            error_kinds: self.errors.clone(),
            seconds: secs,
            per_second: self.ok as f64 / secs,
            p50_ms: ms(0.50),
            p90_ms: ms(0.90),
            p99_ms: ms(0.99),
            max_ms: self.hist.max() as f64 / 1000.0,
            mean_ms: self.hist.mean() / 1000.0,
        }
    }
}

/// Per-operation result as printed and written to JSON.
#[derive(Debug, Clone, Serialize)]
pub struct OpSummary {
    pub op: String,
    pub clients: usize,
    pub ok: u64,
    pub errors: u64,
    pub error_kinds: BTreeMap<String, u64>,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// Per-operation stats of one client, keyed by operation name.
#[derive(Default)]
pub struct ClientStats {
    pub ops: BTreeMap<String, OpStats>,
}

impl ClientStats {
    pub fn op(&mut self, name: &str) -> &mut OpStats {
        self.ops.entry(name.to_owned()).or_default()
    }

    pub fn merge(&mut self, other: &ClientStats) {
        for (k, v) in &other.ops {
            self.op(k).merge(v);
        }
    }
}

pub fn print_table(title: &str, rows: &[OpSummary]) {
    println!();
    println!("== {title}");
    println!(
        "{:<40} {:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>7}",
        "operation", "clients", "ok", "ops/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"
    );
    for r in rows {
        println!(
            "{:<40} {:>7} {:>9} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>7}",
            r.op, r.clients, r.ok, r.per_second, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.errors
        );
        for (kind, n) in &r.error_kinds {
            println!("{:<40}   error {kind}: {n}", "");
        }
    }
}

/// Quantiles of a list of samples in milliseconds (for findability and cold start).
#[derive(Debug, Clone, Serialize)]
pub struct SampleSummary {
    pub samples: usize,
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

pub fn sample_summary(samples: &[f64]) -> SampleSummary {
    let mut s: Vec<f64> = samples.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| -> f64 {
        if s.is_empty() {
            return 0.0;
        }
        let idx = ((s.len() as f64 - 1.0) * p).round() as usize;
        s[idx.min(s.len() - 1)]
    };
    SampleSummary {
        samples: s.len(),
        min_ms: s.first().copied().unwrap_or(0.0),
        p50_ms: q(0.5),
        p90_ms: q(0.9),
        p99_ms: q(0.99),
        max_ms: s.last().copied().unwrap_or(0.0),
        mean_ms: if s.is_empty() {
            0.0
        } else {
            s.iter().sum::<f64>() / s.len() as f64
        },
    }
}
