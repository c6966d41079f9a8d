//! Cold start: spawn the server on a prepared data directory and time until `/healthz`
//! answers 200 over HTTPS; then stop it with SIGTERM and time the shutdown too.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::Serialize;

use crate::client::{Client, Person, Role, Target};
use crate::procfs::{Mem, read_mem};
use crate::stats::{SampleSummary, sample_summary};

#[derive(Debug, Serialize)]
pub struct ColdStartRun {
    pub healthz_ms: f64,
    pub shutdown_ms: f64,
    /// Memory one second after /healthz first answered (at rest, nothing requested yet).
    pub rest_memory: Option<Mem>,
}

#[derive(Debug, Serialize)]
pub struct ColdStart {
    pub runs: Vec<ColdStartRun>,
    pub healthz: SampleSummary,
    pub dropped_page_cache: bool,
}

fn drop_page_cache() -> bool {
    // Machine-wide; only when asked for (it slows everyone else's builds for a while).
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

pub async fn run(
    bin: &Path,
    data_dir: &Path,
    port: u16,
    runs: usize,
    drop_caches: bool,
    log: &Path,
) -> Result<ColdStart, String> {
    let ca_path: PathBuf = data_dir.join("tls/ca.pem");
    let mut out = Vec::new();
    let mut dropped = false;
    for i in 0..runs {
        if drop_caches {
            dropped = drop_page_cache();
        }
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let started = Instant::now();
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args([
                "--https-addr",
                &format!("127.0.0.1:{port}"),
                "--http-addr",
                "off",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let pid = child.id();
        let mut client: Option<Client> = None;
        let healthz = loop {
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                return Err("the server did not answer /healthz within 120 s".to_owned());
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the server exited during start: {status}"));
            }
            // The CA exists only once the server has generated it (first start).
            if client.is_none() {
                if let Ok(ca_pem) = std::fs::read(&ca_path) {
                    let target = Target {
                        base: format!("https://127.0.0.1:{port}"),
                        ca_pem,
                        password: String::new(),
                        cache: std::sync::Arc::new(crate::client::Credentials::load(Path::new(
                            "/dev/null",
                        ))),
                    };
                    client = Client::anonymous(&target, Person::nth(0, 1, Role::Customer)).ok();
                }
            }
            if let Some(c) = &client {
                if let Ok(r) = c.get_plain("/healthz").await {
                    if r.status == StatusCode::OK {
                        break started.elapsed();
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rest_memory = read_mem(pid);
        let stop = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let run = ColdStartRun {
            healthz_ms: healthz.as_secs_f64() * 1e3,
            shutdown_ms: stop.elapsed().as_secs_f64() * 1e3,
            rest_memory,
        };
        println!(
            "cold start {}: /healthz after {:.0} ms, RssAnon at rest {:.1} MiB, shutdown {:.0} ms",
            i + 1,
            run.healthz_ms,
            run.rest_memory
                .map(|m| m.rss_anon_kib as f64 / 1024.0)
                .unwrap_or(0.0),
            run.shutdown_ms
        );
        out.push(run);
    }
    let samples: Vec<f64> = out.iter().map(|r| r.healthz_ms).collect();
    Ok(ColdStart {
        healthz: sample_summary(&samples),
        runs: out,
        dropped_page_cache: dropped,
    })
}
