//! A rough latency check of the ticket listings at the size of one benchmark tenant
//! (100,000 tickets). Ignored by default; run optimised:
//! `cargo test --release --lib store::tickets::tests::perf -- --ignored --nocapture`.

use crate::domain::ticket::list::{SortKey, TabOrder};
use std::time::{Duration, Instant};

use super::*;

const TICKETS: u64 = 100_000;
const BATCH: u64 = 256;

fn spread(i: u64, n: u64) -> u64 {
    // A multiplicative hash: values look random but the data set is the same every run.
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) % n
}

/// Returns the wall time and the time spent inside the write commands (the rest is commit).
fn fill(env: &Env) -> (Duration, Duration) {
    let t1 = env.t1;
    let started = Instant::now();
    let inside = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    for first in (0..TICKETS).step_by(usize::try_from(BATCH).unwrap()) {
        let inside = std::sync::Arc::clone(&inside);
        env.w(move |w| {
            let command = Instant::now();
            for i in first..(first + BATCH).min(TICKETS) {
                let mut t = draft(t1, 1 + spread(i, 2000));
                t.status = match spread(i + 7, 100) {
                    0..5 => Status::New,
                    5..10 => Status::Open,
                    10..15 => Status::Waiting,
                    15..30 => Status::Resolved,
                    _ => Status::Closed,
                };
                t.body = "Der Drucker im zweiten Stock druckt nur noch leere Seiten. ".repeat(8);
                t.assignee = Some(AccountId(3000 + spread(i + 1, 20)));
                t.priority = Some(PriorityId(1 + spread(i + 2, 4)));
                t.topic = Some(TopicId(1 + spread(i + 3, 10)));
                let created = i64::try_from(i * 900).unwrap();
                t.created_at = at(created);
                t.updated_at = at(created + i64::try_from(spread(i + 4, 86_400)).unwrap());
                t.waiting_since = t.updated_at;
                let rank = u32::try_from(t.priority.map_or(0, |p| p.0) * 10).unwrap();
                let name = format!("Kunde {}", t.customer.0);
                create_ticket(w, &t, &keys(rank, &name))?;
            }
            let spent = u64::try_from(command.elapsed().as_nanos()).unwrap();
            inside.fetch_add(spent, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        });
    }
    let inside = inside.load(std::sync::atomic::Ordering::Relaxed);
    (started.elapsed(), Duration::from_nanos(inside))
}

fn measure(label: &str, runs: usize, mut f: impl FnMut() -> usize) {
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let start = Instant::now();
        rows = f();
        times.push(start.elapsed());
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "{label:<48} rows {rows:>3}  p50 {:>9.3?}  p99 {:>9.3?}",
        p(0.5),
        p(0.99)
    );
}

#[test]
#[ignore = "slow; run optimised with --ignored --nocapture"]
fn perf_listings_at_benchmark_size() {
    let env = env();
    let (took, inside) = fill(&env);
    println!(
        "created {TICKETS} tickets in {took:?} ({:.0}/s in batches of {BATCH}); {inside:?} in commands",
        TICKETS as f64 / took.as_secs_f64()
    );
    let t1 = env.t1;
    let shared = &env;
    let list = |q: ListQuery| move || shared.r(|r| list_tickets(r, t1, &q)).tickets.len();
    measure("tab counts", 500, || {
        usize::try_from(env.r(|r| tab_counts(r, t1))[0]).unwrap()
    });
    for order in [TabOrder::Hot, TabOrder::Priority, TabOrder::Newest] {
        measure(&format!("tab open {order:?}, first page"), 500, || {
            env.r(|r| tab_page(r, t1, Status::Open, order, None, 50))
                .tickets
                .len()
        });
    }
    let mut cursor = None;
    for _ in 0..20 {
        cursor = env
            .r(|r| tab_page(r, t1, Status::Waiting, TabOrder::Hot, cursor.as_ref(), 50))
            .next;
    }
    measure("tab waiting Hot, page 21", 500, || {
        env.r(|r| tab_page(r, t1, Status::Waiting, TabOrder::Hot, cursor.as_ref(), 50))
            .tickets
            .len()
    });
    let base = || ListQuery {
        limit: 50,
        ..ListQuery::default()
    };
    let queries = [
        (
            "all, number desc",
            ListQuery {
                descending: true,
                ..base()
            },
        ),
        (
            "all, customer name",
            ListQuery {
                sort: SortKey::Customer,
                ..base()
            },
        ),
        (
            "all, updated desc",
            ListQuery {
                sort: SortKey::Updated,
                descending: true,
                ..base()
            },
        ),
        (
            "open, created desc",
            ListQuery {
                statuses: vec![Status::Open],
                sort: SortKey::Created,
                descending: true,
                ..base()
            },
        ),
        (
            "closed+resolved, priority",
            ListQuery {
                statuses: vec![Status::Closed, Status::Resolved],
                sort: SortKey::Priority,
                ..base()
            },
        ),
        (
            "customer, updated desc",
            ListQuery {
                customer: Some(AccountId(17)),
                sort: SortKey::Updated,
                descending: true,
                ..base()
            },
        ),
        (
            "customer, number desc",
            ListQuery {
                customer: Some(AccountId(17)),
                descending: true,
                ..base()
            },
        ),
        (
            "assignee+closed, priority",
            ListQuery {
                assignee: Some(Some(AccountId(3003))),
                statuses: vec![Status::Closed],
                sort: SortKey::Priority,
                ..base()
            },
        ),
        (
            "topic+priority, created",
            ListQuery {
                topic: Some(TopicId(2)),
                priority: Some(PriorityId(1)),
                sort: SortKey::Created,
                ..base()
            },
        ),
        (
            "new+topic, status",
            ListQuery {
                statuses: vec![Status::New],
                topic: Some(TopicId(3)),
                sort: SortKey::Status,
                ..base()
            },
        ),
        (
            "created range, created",
            ListQuery {
                created_from: Some(at(9_000_000)),
                created_to: Some(at(12_000_000)),
                sort: SortKey::Created,
                ..base()
            },
        ),
        (
            "created range, updated (walk)",
            ListQuery {
                created_from: Some(at(9_000_000)),
                created_to: Some(at(12_000_000)),
                sort: SortKey::Updated,
                ..base()
            },
        ),
        (
            "1000 search hits, updated",
            ListQuery {
                numbers: Some((1..=1000).map(|n| n * 97).collect()),
                sort: SortKey::Updated,
                ..base()
            },
        ),
        (
            "unassigned (none), number",
            ListQuery {
                assignee: Some(None),
                ..base()
            },
        ),
        (
            "customer 5 + topic 9 + waiting, customer",
            ListQuery {
                customer: Some(AccountId(5)),
                topic: Some(TopicId(9)),
                statuses: vec![Status::Waiting],
                sort: SortKey::Customer,
                ..base()
            },
        ),
    ];
    let queries = queries.into_iter().chain([(
        "4 filters, nothing matches: walks to the limit",
        ListQuery {
            statuses: vec![Status::Open],
            priority: Some(PriorityId(1)),
            assignee: Some(Some(AccountId(3003))),
            topic: Some(TopicId(2)),
            sort: SortKey::Updated,
            ..base()
        },
    )]);
    for (label, q) in queries {
        measure(label, 200, list(q));
    }
    let number = TICKETS / 2;
    measure("ticket page: get + messages + history", 1000, || {
        env.r(|r| {
            let t = get_ticket(r, t1, number)?;
            let m = list_messages(r, t1, number)?;
            let h = list_history(r, t1, number)?;
            Ok(usize::from(t.is_some()) + m.len() + h.len())
        })
    });
}
