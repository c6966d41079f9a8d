//! Load generator for Supportbox: drives a running server over HTTPS through the JSON API
//! and the HTML pages with concurrent clients, each with its own session or token, and
//! reports throughput, latency quantiles, errors, the server's memory and the data
//! directory's size. See bench/README.md.

mod client;
mod coldstart;
mod drive;
mod procfs;
mod scenarios;
mod stats;
mod world;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use client::{Credentials, Target};
use procfs::{dir_size, read_mem};
use world::World;

#[derive(Parser)]
#[command(about = "Supportbox load generator (see bench/README.md)")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// The server's data directory (for tls/ca.pem and its size).
    #[arg(long)]
    data_dir: PathBuf,
    /// Where result JSON files go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// File name prefix of the results (default: the current UTC time).
    #[arg(long)]
    stamp: Option<String>,
    /// Free text stored with the results (data size, commit, machine notes).
    #[arg(long, default_value = "")]
    note: String,
    /// Tickets in the data directory (recorded with the results).
    #[arg(long, default_value_t = 0)]
    tickets: u64,
    /// Demo tenants (slugs demo-1 … demo-N).
    #[arg(long, default_value_t = 10)]
    tenants: usize,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run scenarios against a running server.
    Run {
        #[command(flatten)]
        common: Common,
        /// Base URL of the running server.
        #[arg(long, default_value = "https://127.0.0.1:28443")]
        base: String,
        /// The demo password printed by `supportbox demo-data`.
        #[arg(long)]
        password: String,
        /// The server's process id, for /proc/<pid>/status.
        #[arg(long)]
        pid: Option<u32>,
        /// Token cache (tokens live in the data directory, so keep it beside it).
        #[arg(long)]
        cache: PathBuf,
        /// Comma-separated: create, reads, writes, mixed, findable.
        #[arg(long, default_value = "create,reads,writes,mixed,findable")]
        scenarios: String,
        /// Seconds each step is measured.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Seconds each step runs before measuring starts.
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        #[arg(long, default_value = "1,8,32,128")]
        create_clients: String,
        #[arg(long, default_value = "1,8")]
        read_clients: String,
        /// Only the read operations whose name contains one of these (comma-separated),
        /// e.g. `search` or `ticket page,tab`.
        #[arg(long, default_value = "")]
        read_ops: String,
        #[arg(long, default_value_t = 8)]
        write_clients: usize,
        #[arg(long, default_value_t = 32)]
        mixed_clients: usize,
        #[arg(long, default_value_t = 30)]
        findable_samples: usize,
        #[arg(long, default_value_t = 32)]
        findable_load: usize,
    },
    /// Start the server on the data directory several times; time until /healthz answers.
    Coldstart {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        bin: PathBuf,
        #[arg(long, default_value_t = 28444)]
        port: u16,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Drop the page cache before each start (machine-wide, needs root).
        #[arg(long)]
        drop_caches: bool,
        #[arg(long, default_value = "/tmp/supportbox-coldstart.log")]
        log: PathBuf,
    },
}

fn counts(s: &str) -> Vec<usize> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

fn stamp(common: &Common) -> String {
    common.stamp.clone().unwrap_or_else(|| {
        jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string()
    })
}

fn machine() -> Value {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    json!({ "cpus": cpus, "mem_total_mib": mem_kib / 1024, "loadavg_at_start": load.trim() })
}

fn write_result(common: &Common, stamp: &str, scenario: &str, body: Value) -> Result<(), String> {
    std::fs::create_dir_all(&common.out).map_err(|e| e.to_string())?;
    let path = common.out.join(format!("{stamp}-{scenario}.json"));
    let doc = json!({
        "scenario": scenario,
        "stamp": stamp,
        "tickets": common.tickets,
        "tenants": common.tenants,
        "note": common.note,
        "machine": machine(),
        "result": body,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = real_main().await {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

async fn real_main() -> Result<(), String> {
    match Cli::parse().command {
        Cmd::Coldstart {
            common,
            bin,
            port,
            runs,
            drop_caches,
            log,
        } => {
            let stamp = stamp(&common);
            let size = dir_size(&common.data_dir);
            let r = coldstart::run(&bin, &common.data_dir, port, runs, drop_caches, &log).await?;
            println!(
                "cold start: p50 {:.0} ms, max {:.0} ms over {} runs (data dir {:.1} MiB)",
                r.healthz.p50_ms,
                r.healthz.max_ms,
                r.healthz.samples,
                size.disk_bytes as f64 / 1048576.0
            );
            write_result(
                &common,
                &stamp,
                "coldstart",
                json!({ "coldstart": r, "data_dir": size }),
            )
        }
        Cmd::Run {
            common,
            base,
            password,
            pid,
            cache,
            scenarios,
            duration,
            warmup,
            create_clients,
            read_clients,
            read_ops,
            write_clients,
            mixed_clients,
            findable_samples,
            findable_load,
        } => {
            let stamp = stamp(&common);
            let ca_pem = std::fs::read(common.data_dir.join("tls/ca.pem"))
                .map_err(|e| format!("CA certificate: {e}"))?;
            let target = Target {
                base,
                ca_pem,
                password,
                cache: Arc::new(Credentials::load(&cache)),
            };
            let rest_before = pid.and_then(read_mem);
            let size_before = dir_size(&common.data_dir);
            println!(
                "data dir {:.1} MiB on disk; server RSS {:.1} MiB, RssAnon {:.1} MiB at rest",
                size_before.disk_bytes as f64 / 1048576.0,
                rest_before
                    .map(|m| m.vm_rss_kib as f64 / 1024.0)
                    .unwrap_or(0.0),
                rest_before
                    .map(|m| m.rss_anon_kib as f64 / 1024.0)
                    .unwrap_or(0.0),
            );
            let world: &'static World = Box::leak(Box::new(
                World::discover(
                    target,
                    common.tenants,
                    Duration::from_secs(warmup),
                    Duration::from_secs(duration),
                    pid,
                )
                .await?,
            ));
            if scenarios == "prepare" {
                // Mint every token a later run needs (kept in the cache file).
                let customers = counts(&create_clients)
                    .into_iter()
                    .chain([findable_load + 1, mixed_clients / 2])
                    .max()
                    .unwrap_or(1);
                let supporters = counts(&read_clients)
                    .into_iter()
                    .chain([write_clients, mixed_clients.div_ceil(2), common.tenants])
                    .max()
                    .unwrap_or(1);
                world
                    .clients(customers, client::Role::Customer, false, true)
                    .await?;
                world
                    .clients(supporters, client::Role::Supporter, false, true)
                    .await?;
                println!("tokens ready for {customers} customers and {supporters} supporters");
                return Ok(());
            }
            let mut under_load = serde_json::Map::new();
            for name in scenarios
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let r = match name {
                    "create" => scenarios::create(world, &counts(&create_clients)).await?,
                    "reads" => {
                        let only: Vec<String> = read_ops
                            .split(',')
                            .map(|x| x.trim().to_owned())
                            .filter(|x| !x.is_empty())
                            .collect();
                        scenarios::reads(world, &counts(&read_clients), &only).await?
                    }
                    "writes" => scenarios::writes(world, write_clients).await?,
                    "mixed" => scenarios::mixed(world, mixed_clients).await?,
                    "findable" => {
                        scenarios::findable(world, findable_samples, findable_load).await?
                    }
                    other => return Err(format!("unknown scenario {other}")),
                };
                for s in &r.steps {
                    under_load.insert(s.name.clone(), json!(s.memory));
                }
                write_result(&common, &stamp, name, json!(r))?;
            }
            // Memory once the load has stopped and the server has had a moment.
            tokio::time::sleep(Duration::from_secs(3)).await;
            let rest_after = pid.and_then(read_mem);
            let size_after = dir_size(&common.data_dir);
            let peak_anon = under_load
                .values()
                .filter_map(|m| m["max_rss_anon_kib"].as_u64())
                .max()
                .unwrap_or(0);
            println!();
            println!(
                "memory: RssAnon at rest {:.1} MiB before, {:.1} MiB after; max under load {:.1} MiB; VmHWM {:.1} MiB",
                rest_before
                    .map(|m| m.rss_anon_kib as f64 / 1024.0)
                    .unwrap_or(0.0),
                rest_after
                    .map(|m| m.rss_anon_kib as f64 / 1024.0)
                    .unwrap_or(0.0),
                peak_anon as f64 / 1024.0,
                rest_after
                    .map(|m| m.vm_hwm_kib as f64 / 1024.0)
                    .unwrap_or(0.0),
            );
            println!(
                "data dir: {:.1} MiB before, {:.1} MiB after",
                size_before.disk_bytes as f64 / 1048576.0,
                size_after.disk_bytes as f64 / 1048576.0
            );
            write_result(
                &common,
                &stamp,
                "memory",
                json!({
                    "rest_before": rest_before,
                    "rest_after": rest_after,
                    "max_rss_anon_kib_under_load": peak_anon,
                    "per_step": under_load,
                    "data_dir_before": size_before,
                    "data_dir_after": size_after,
                }),
            )
        }
    }
}
