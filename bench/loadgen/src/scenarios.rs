//! The scenarios of bench/README.md. Each step runs closed-loop clients for the configured
//! time (after an unrecorded warm-up) while the server's memory is sampled.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{Client, Role, q};
use crate::drive::{Rng, Window, run_all, tally};
use crate::procfs::{MemPeak, Sampler, cpu_delta, thread_ticks};
use crate::stats::{ClientStats, OpSummary, SampleSummary, print_table, sample_summary};
use crate::world::{Pools, SEARCH_TERMS, World, list_numbers, new_ticket, reply_body};

#[derive(Debug, Serialize)]
pub struct Step {
    pub name: String,
    pub clients: usize,
    pub ops: Vec<OpSummary>,
    pub memory: Option<MemPeak>,
    /// CPU seconds per thread name while the step ran (warm-up included): the server's,
    /// then the load generator's own.
    pub server_cpu: Vec<(String, f64)>,
    pub loadgen_cpu: Vec<(String, f64)>,
    /// Wall-clock seconds the CPU figures cover.
    pub wall_seconds: f64,
}

#[derive(Debug, Serialize, Default)]
pub struct ScenarioResult {
    pub steps: Vec<Step>,
    pub extra: Value,
}

const TABS: &[(&str, &str)] = &[
    ("tab: new", "new"),
    ("tab: customer-waiting", "customer-waiting"),
    ("tab: support-waiting", "support-waiting"),
];

/// Ticket management, filtered by status and sorted by one column each.
const MANAGE: &[&str] = &[
    "status=open&sort=updated&dir=desc",
    "status=waiting&sort=priority&dir=asc",
    "status=closed&sort=customer&dir=asc",
    "status=new&sort=created&dir=desc",
    "status=resolved&sort=number&dir=desc",
];

/// Runs `clients` through one step and prints its table.
async fn step<F, Fut>(world: &World, name: &str, clients: Vec<Client>, f: F) -> Step
where
    F: Fn(usize, Client, Window) -> Fut,
    Fut: std::future::Future<Output = ClientStats> + Send + 'static,
{
    let n = clients.len();
    let cpu = CpuWatch::start(world.pid);
    let w = Window::new(world.warmup, world.duration);
    let sampler = Sampler::start(world.pid);
    let stats = run_all(clients, |i, c| f(i, c, w)).await;
    let memory = sampler.finish();
    let (server_cpu, loadgen_cpu, wall_seconds) = cpu.finish();
    let ops: Vec<OpSummary> = stats
        .ops
        .iter()
        .map(|(op, s)| s.summary(op, n, w.measured()))
        .collect();
    let title = match memory {
        Some(m) => format!(
            "{name} — server RSS max {:.0} MiB, RssAnon max {:.0} MiB",
            m.max_vm_rss_kib as f64 / 1024.0,
            m.max_rss_anon_kib as f64 / 1024.0
        ),
        None => name.to_owned(),
    };
    print_table(&title, &ops);
    print_cpu(&server_cpu, &loadgen_cpu, wall_seconds);
    Step {
        name: name.to_owned(),
        clients: n,
        ops,
        memory,
        server_cpu,
        loadgen_cpu,
        wall_seconds,
    }
}

/// CPU use of the server's and the load generator's threads over a step.
pub struct CpuWatch {
    pid: Option<u32>,
    started: Instant,
    server: std::collections::BTreeMap<String, u64>,
    own: std::collections::BTreeMap<String, u64>,
}

impl CpuWatch {
    pub fn start(pid: Option<u32>) -> CpuWatch {
        CpuWatch {
            pid,
            started: Instant::now(),
            server: pid.map(thread_ticks).unwrap_or_default(),
            own: thread_ticks(std::process::id()),
        }
    }

    pub fn finish(self) -> (Vec<(String, f64)>, Vec<(String, f64)>, f64) {
        let server = self
            .pid
            .map(|p| cpu_delta(&self.server, &thread_ticks(p)))
            .unwrap_or_default();
        let own = cpu_delta(&self.own, &thread_ticks(std::process::id()));
        (server, own, self.started.elapsed().as_secs_f64())
    }
}

fn print_cpu(server: &[(String, f64)], own: &[(String, f64)], wall: f64) {
    let total = |v: &[(String, f64)]| v.iter().map(|x| x.1).sum::<f64>();
    let top: Vec<String> = server
        .iter()
        .take(5)
        .map(|(k, s)| format!("{k} {:.0}%", 100.0 * s / wall))
        .collect();
    println!(
        "cpu: server {:.0}% ({}), load generator {:.0}% of one core",
        100.0 * total(server) / wall,
        top.join(", "),
        100.0 * total(own) / wall
    );
}

/// Durable ticket creation through the JSON API by customers, one step per client count.
pub async fn create(world: &World, counts: &[usize]) -> Result<ScenarioResult, String> {
    let mut result = ScenarioResult::default();
    for &n in counts {
        let clients = world.clients(n, Role::Customer, false, true).await?;
        let name = format!("create ({n} clients)");
        let s = step(world, &name, clients, |i, c, w| async move {
            let mut st = ClientStats::default();
            let mut rng = Rng::new(1000 + i as u64);
            let path = format!("/api/v1/t/{}/tickets", c.person.slug);
            while w.running() {
                let body = new_ticket(&mut rng, "");
                let t = Instant::now();
                let r = c.api_post(&path, &body).await;
                tally(&mut st, &w, t, "create ticket", r, StatusCode::OK);
            }
            st
        })
        .await;
        result.steps.push(s);
    }
    Ok(result)
}

/// A page or API path for read operation `op` of a supporter in `slug`.
fn read_path(world: &World, op: &str, slug: &str, rng: &mut Rng) -> String {
    let max = world.tenant(slug).map(|t| t.max_number).unwrap_or(1).max(1);
    match op {
        "ticket page" => format!("/t/{slug}/tickets/{}", 1 + rng.below(max)),
        "ticket (API)" => format!("/api/v1/t/{slug}/tickets/{}", 1 + rng.below(max)),
        "ticket management" => format!("/t/{slug}/tickets?{}", rng.pick(MANAGE)),
        "search page" => format!("/t/{slug}/search?q={}", q(*rng.pick(SEARCH_TERMS))),
        "search (API)" => format!("/api/v1/t/{slug}/search?q={}", q(*rng.pick(SEARCH_TERMS))),
        "my requests" => format!("/t/{slug}/my"),
        tab => {
            let code = TABS
                .iter()
                .find(|(name, _)| *name == tab)
                .map(|(_, c)| *c)
                .unwrap_or("new");
            format!("/t/{slug}/queue/{code}")
        }
    }
}

async fn read_once(
    c: &Client,
    world: &World,
    op: &str,
    rng: &mut Rng,
) -> Result<crate::client::Reply, String> {
    let path = read_path(world, op, &c.person.slug, rng);
    if path.starts_with("/api/") {
        c.api_get(&path).await
    } else {
        c.page(&path).await
    }
}

/// Each read operation on its own, at each client count.
pub async fn reads(
    world: &'static World,
    counts: &[usize],
    only: &[String],
) -> Result<ScenarioResult, String> {
    let mut result = ScenarioResult::default();
    let max_n = counts.iter().copied().max().unwrap_or(1);
    let supporters = world.clients(max_n, Role::Supporter, true, true).await?;
    let customers = world.clients(max_n, Role::Customer, true, false).await?;
    let mut ops: Vec<&'static str> = vec!["ticket page"];
    ops.extend(TABS.iter().map(|(n, _)| *n));
    ops.extend([
        "ticket management",
        "search page",
        "search (API)",
        "my requests",
        "ticket (API)",
    ]);
    if !only.is_empty() {
        ops.retain(|op| only.iter().any(|o| op.contains(o.as_str())));
    }
    for &n in counts {
        for op in &ops {
            let pool = if *op == "my requests" {
                &customers
            } else {
                &supporters
            };
            let clients: Vec<Client> = pool.iter().take(n).cloned().collect();
            let name = format!("{op} ({n} clients)");
            let op: &'static str = op;
            let s = step(world, &name, clients, move |i, c, w| async move {
                let mut st = ClientStats::default();
                let mut rng = Rng::new(2000 + i as u64);
                while w.running() {
                    if op == "ticket management" {
                        // Each filter and sort pair separately as well: they differ a lot.
                        let query = *rng.pick(MANAGE);
                        let path = format!("/t/{}/tickets?{query}", c.person.slug);
                        let t = Instant::now();
                        let r = c.page(&path).await;
                        if let Some(reply) = tally(&mut st, &w, t, op, r, StatusCode::OK) {
                            if t >= w.measure_from {
                                st.op(&format!("ticket management: {query}"))
                                    .record_ok(reply.latency);
                            }
                        }
                        continue;
                    }
                    let t = Instant::now();
                    let r = read_once(&c, world, op, &mut rng).await;
                    tally(&mut st, &w, t, op, r, StatusCode::OK);
                }
                st
            })
            .await;
            result.steps.push(s);
        }
    }
    Ok(result)
}

/// Replies (supporters to open and waiting tickets) and accepts (of new tickets).
pub async fn writes(world: &'static World, n: usize) -> Result<ScenarioResult, String> {
    let mut result = ScenarioResult::default();
    let supporters = world
        .clients(n.max(world.tenants.len()), Role::Supporter, false, true)
        .await?;
    let replyable = Pools::gather(world, &supporters, &["open", "waiting"], 2_000).await?;
    let fresh = Pools::gather(world, &supporters, &["new"], 5_000).await?;
    result.extra = json!({
        "reply_pool": replyable.total(),
        "accept_pool_before": fresh.total(),
    });
    let clients: Vec<Client> = supporters.iter().take(n).cloned().collect();
    let pool = replyable.clone();
    let s = step(
        world,
        &format!("reply ({n} clients)"),
        clients.clone(),
        move |i, c, w| {
            let pool = pool.clone();
            async move {
                let mut st = ClientStats::default();
                let mut rng = Rng::new(3000 + i as u64);
                while w.running() {
                    let Some(number) = pool.pick(&c.person.slug, &mut rng) else {
                        st.op("reply").record_err("no open ticket");
                        break;
                    };
                    let path = format!("/api/v1/t/{}/tickets/{number}/reply", c.person.slug);
                    let t = Instant::now();
                    let r = c.api_post(&path, &reply_body(&mut rng)).await;
                    tally(&mut st, &w, t, "reply", r, StatusCode::OK);
                }
                st
            }
        },
    )
    .await;
    result.steps.push(s);
    let pool = fresh.clone();
    let s = step(
        world,
        &format!("accept ({n} clients)"),
        clients,
        move |i, c, w| {
            let pool = pool.clone();
            async move {
                let mut st = ClientStats::default();
                let mut rng = Rng::new(4000 + i as u64);
                let priorities = world
                    .tenant(&c.person.slug)
                    .map(|t| t.priorities.clone())
                    .unwrap_or_default();
                while w.running() {
                    let Some(number) = pool.take(&c.person.slug) else {
                        st.op("accept").record_err("no new ticket left");
                        break;
                    };
                    let priority = if priorities.is_empty() {
                        1
                    } else {
                        *rng.pick(&priorities)
                    };
                    let path = format!("/api/v1/t/{}/tickets/{number}/accept", c.person.slug);
                    let t = Instant::now();
                    let r = c.api_post(&path, &json!({ "priority_id": priority })).await;
                    tally(&mut st, &w, t, "accept", r, StatusCode::OK);
                }
                st
            }
        },
    )
    .await;
    result.steps.push(s);
    result.extra["accept_pool_after"] = json!(fresh.total());
    Ok(result)
}

/// 80 % reads, 20 % writes: even clients are customers, odd ones supporters.
pub async fn mixed(world: &'static World, n: usize) -> Result<ScenarioResult, String> {
    let mut result = ScenarioResult::default();
    let n_sup = n.div_ceil(2).max(world.tenants.len());
    let supporters = world.clients(n_sup, Role::Supporter, true, true).await?;
    let customers = world.clients(n / 2, Role::Customer, true, true).await?;
    let replyable = Pools::gather(world, &supporters, &["open", "waiting"], 2_000).await?;
    let fresh = Pools::gather(world, &supporters, &["new"], 5_000).await?;
    // Each customer's own tickets, for their ticket page and replies.
    let mut own = Vec::new();
    for c in &customers {
        let nums = list_numbers(c, &c.person.slug, "sort=updated&dir=desc", 100).await?;
        own.push(nums.into_iter().map(|x| x.0).collect::<Vec<u64>>());
    }
    let mut clients = Vec::new();
    let mut owned = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            clients.push(customers[i / 2].clone());
            owned.push(own[i / 2].clone());
        } else {
            clients.push(supporters[i / 2].clone());
            owned.push(Vec::new());
        }
    }
    let owned = std::sync::Arc::new(owned);
    let s = step(
        world,
        &format!("mixed 80/20 ({n} clients)"),
        clients,
        move |i, c, w| {
            let replyable = replyable.clone();
            let fresh = fresh.clone();
            let owned = owned.clone();
            async move {
                let mut st = ClientStats::default();
                let mut rng = Rng::new(5000 + i as u64);
                let slug = c.person.slug.clone();
                let mut mine = owned[i].clone();
                while w.running() {
                    let roll = rng.below(100);
                    let t = Instant::now();
                    if c.person.role == Role::Customer {
                        match roll {
                            0..=39 => {
                                let r = c.page(&format!("/t/{slug}/my")).await;
                                tally(&mut st, &w, t, "my requests", r, StatusCode::OK);
                            }
                            40..=69 if !mine.is_empty() => {
                                let n = *rng.pick(&mine);
                                let r = c.page(&format!("/t/{slug}/tickets/{n}")).await;
                                tally(&mut st, &w, t, "ticket page (customer)", r, StatusCode::OK);
                            }
                            40..=79 => {
                                let path =
                                    format!("/t/{slug}/search?q={}", q(*rng.pick(SEARCH_TERMS)));
                                let r = c.page(&path).await;
                                tally(&mut st, &w, t, "search page (customer)", r, StatusCode::OK);
                            }
                            80..=94 => {
                                let path = format!("/api/v1/t/{slug}/tickets");
                                let r = c.api_post(&path, &new_ticket(&mut rng, "")).await;
                                if let Some(reply) =
                                    tally(&mut st, &w, t, "create ticket", r, StatusCode::OK)
                                {
                                    if let Ok(v) = serde_json::from_slice::<Value>(&reply.body) {
                                        if let Some(n) = v["ticket"]["number"].as_u64() {
                                            mine.push(n);
                                        }
                                    }
                                }
                            }
                            _ => {
                                let Some(&n) = mine.last() else { continue };
                                let path = format!("/api/v1/t/{slug}/tickets/{n}/reply");
                                let r = c.api_post(&path, &reply_body(&mut rng)).await;
                                // A closed ticket refuses replies (409/422): counted as an error.
                                tally(&mut st, &w, t, "customer reply", r, StatusCode::OK);
                            }
                        }
                    } else {
                        match roll {
                            0..=29 => {
                                let r = read_once(&c, world, "ticket page", &mut rng).await;
                                tally(&mut st, &w, t, "ticket page", r, StatusCode::OK);
                            }
                            30..=49 => {
                                let (op, _) = *rng.pick(TABS);
                                let r = read_once(&c, world, op, &mut rng).await;
                                tally(&mut st, &w, t, op, r, StatusCode::OK);
                            }
                            50..=64 => {
                                let r = read_once(&c, world, "ticket management", &mut rng).await;
                                tally(&mut st, &w, t, "ticket management", r, StatusCode::OK);
                            }
                            65..=79 => {
                                let r = read_once(&c, world, "search page", &mut rng).await;
                                tally(&mut st, &w, t, "search page", r, StatusCode::OK);
                            }
                            80..=91 => {
                                let Some(n) = replyable.pick(&slug, &mut rng) else {
                                    continue;
                                };
                                let path = format!("/api/v1/t/{slug}/tickets/{n}/reply");
                                let r = c.api_post(&path, &reply_body(&mut rng)).await;
                                tally(&mut st, &w, t, "reply", r, StatusCode::OK);
                            }
                            _ => {
                                let Some(n) = fresh.take(&slug) else { continue };
                                let prio = world
                                    .tenant(&slug)
                                    .and_then(|x| x.priorities.first().copied())
                                    .unwrap_or(1);
                                let path = format!("/api/v1/t/{slug}/tickets/{n}/accept");
                                let r = c.api_post(&path, &json!({ "priority_id": prio })).await;
                                tally(&mut st, &w, t, "accept", r, StatusCode::OK);
                            }
                        }
                    }
                }
                st
            }
        },
    )
    .await;
    let total_ok: u64 = s.ops.iter().map(|o| o.ok).sum();
    let total_err: u64 = s.ops.iter().map(|o| o.errors).sum();
    let writes: u64 = s
        .ops
        .iter()
        .filter(|o| {
            matches!(
                o.op.as_str(),
                "create ticket" | "customer reply" | "reply" | "accept"
            )
        })
        .map(|o| o.ok)
        .sum();
    let secs = world.duration.as_secs_f64();
    println!(
        "mixed total: {:.1} ops/s ({} ok, {} errors, {:.1} % writes)",
        total_ok as f64 / secs,
        total_ok,
        total_err,
        100.0 * writes as f64 / total_ok.max(1) as f64
    );
    result.extra = json!({
        "total_per_second": total_ok as f64 / secs,
        "total_ok": total_ok,
        "total_errors": total_err,
        "write_share": writes as f64 / total_ok.max(1) as f64,
    });
    result.steps.push(s);
    Ok(result)
}

/// One probe: create a ticket with a unique word, then search for it every `poll` until
/// it is found. Returns (creation latency, time from the acknowledged creation until the
/// search API finds it), both in ms.
async fn probe(c: &Client, rng: &mut Rng, poll: Duration) -> Result<(f64, f64), String> {
    let word = rng.word(10);
    let slug = c.person.slug.clone();
    let t0 = Instant::now();
    let r = c
        .api_post(
            &format!("/api/v1/t/{slug}/tickets"),
            &new_ticket(rng, &word),
        )
        .await?;
    if r.status != StatusCode::OK {
        return Err(format!("create: HTTP {}", r.status));
    }
    let created = t0.elapsed();
    let acked = Instant::now();
    let v: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
    let number = v["ticket"]["number"].as_u64().ok_or("no ticket number")?;
    let path = format!("/api/v1/t/{slug}/search?q={word}");
    loop {
        let r = c.api_get(&path).await?;
        if r.status == StatusCode::OK {
            let v: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
            let found = v["hits"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x["number"].as_u64() == Some(number)));
            if found {
                return Ok((
                    created.as_secs_f64() * 1e3,
                    acked.elapsed().as_secs_f64() * 1e3,
                ));
            }
        }
        if acked.elapsed() > Duration::from_secs(30) {
            return Err("not findable within 30 s".to_owned());
        }
        tokio::time::sleep(poll).await;
    }
}

#[derive(Debug, Serialize)]
struct Findable {
    phase: String,
    background_clients: usize,
    delay: SampleSummary,
    create_latency: SampleSummary,
    failures: Vec<String>,
    background: Option<Vec<OpSummary>>,
}

/// Time until a new ticket is findable through the search API: idle, then while
/// `load_clients` customers create tickets as fast as they can.
pub async fn findable(
    world: &'static World,
    samples: usize,
    load_clients: usize,
) -> Result<ScenarioResult, String> {
    let mut result = ScenarioResult::default();
    let prober = world
        .clients(1, Role::Customer, false, true)
        .await?
        .remove(0);
    let poll = Duration::from_millis(10);
    let mut phases = Vec::new();
    for (phase, load) in [("idle", 0usize), ("under creation load", load_clients)] {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let started = Instant::now();
        let mut background = Vec::new();
        if load > 0 {
            // Creators are customers other than the prober (client 0).
            let all = world.clients(load + 1, Role::Customer, false, true).await?;
            for (i, c) in all.into_iter().skip(1).enumerate() {
                let stop = stop.clone();
                background.push(tokio::spawn(async move {
                    let mut st = ClientStats::default();
                    let mut rng = Rng::new(6000 + i as u64);
                    let w = Window::new(Duration::ZERO, Duration::from_secs(3600));
                    let path = format!("/api/v1/t/{}/tickets", c.person.slug);
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let t = Instant::now();
                        let r = c.api_post(&path, &new_ticket(&mut rng, "")).await;
                        tally(
                            &mut st,
                            &w,
                            t,
                            "create ticket (background)",
                            r,
                            StatusCode::OK,
                        );
                    }
                    st
                }));
            }
            // Let the load reach its steady state first.
            tokio::time::sleep(world.warmup.max(Duration::from_secs(1))).await;
        }
        let sampler = crate::procfs::Sampler::start(world.pid);
        let cpu = CpuWatch::start(world.pid);
        let mut delays = Vec::new();
        let mut creates = Vec::new();
        let mut failures = Vec::new();
        let mut rng = Rng::new(7000 + load as u64);
        let probe_started = Instant::now();
        for _ in 0..samples {
            match probe(&prober, &mut rng, poll).await {
                Ok((c, d)) => {
                    creates.push(c);
                    delays.push(d);
                }
                Err(e) => failures.push(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let probe_secs = probe_started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut bg = ClientStats::default();
        for h in background {
            if let Ok(s) = h.await {
                bg.merge(&s);
            }
        }
        let memory = sampler.finish();
        let _ = started;
        let bg_ops: Vec<OpSummary> = bg
            .ops
            .iter()
            .map(|(op, s)| s.summary(op, load, probe_secs))
            .collect();
        let d = sample_summary(&delays);
        println!();
        println!(
            "== findable ({phase}, {load} background creators): {} probes, delay p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms, {} failed",
            d.samples,
            d.p50_ms,
            d.p90_ms,
            d.max_ms,
            failures.len()
        );
        if !bg_ops.is_empty() {
            print_table("background load during the probes", &bg_ops);
        }
        let (server_cpu, loadgen_cpu, wall_seconds) = cpu.finish();
        print_cpu(&server_cpu, &loadgen_cpu, wall_seconds);
        result.steps.push(Step {
            name: format!("findable ({phase})"),
            clients: load,
            ops: bg_ops.clone(),
            memory,
            server_cpu,
            loadgen_cpu,
            wall_seconds,
        });
        phases.push(Findable {
            phase: phase.to_owned(),
            background_clients: load,
            delay: d,
            create_latency: sample_summary(&creates),
            failures,
            background: (!bg_ops.is_empty()).then_some(bg_ops),
        });
    }
    result.extra = json!({ "poll_interval_ms": poll.as_millis() as u64, "phases": phases });
    Ok(result)
}
