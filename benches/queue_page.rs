//! Rendering a working tab (`supportbox::views::tickets::queue`) with a full page of 50
//! rows, as `/t/{slug}/queue/{tab}` does after reading them.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use supportbox::clock::Clock;
use supportbox::domain::catalog::Priority;
use supportbox::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use supportbox::domain::lang::Lang;
use supportbox::domain::read::{RowPage, TabCounts, TicketRow};
use supportbox::domain::role::Role;
use supportbox::domain::ticket::{Status, Tab, Ticket};
use supportbox::i18n::I18n;
use supportbox::views::{PageCtx, TenantNav, UserNav};
use supportbox::web::AssetCatalog;

fn ctx(lang: Lang) -> Option<PageCtx> {
    Some(PageCtx {
        lang,
        i18n: Arc::new(I18n::load().ok()?),
        assets: Arc::new(AssetCatalog::load()),
        csrf_token: "0123456789abcdef0123456789abcdef".to_owned(),
        current_path: "/t/demo-1/queue/customer-waiting".to_owned(),
        version: "bench",
        ca_available: true,
        request_id: "bench-1".to_owned(),
        user: Some(UserNav {
            name: "Anna Müller".to_owned(),
            email: "support1@demo-1.example".to_owned(),
            operator: false,
            tenant: Some(TenantNav {
                slug: "demo-1".to_owned(),
                name: "Demo IT 1".to_owned(),
                role: Role::Supporter,
            }),
            tenants: vec![("demo-1".to_owned(), "Demo IT 1".to_owned())],
        }),
        storage_alert: None,
    })
}

fn rows(now: Timestamp) -> RowPage {
    let tenant = TenantId(1);
    let rows = (0..50u64)
        .map(|i| {
            let at = now
                .checked_sub(SignedDuration::from_mins(37 * i as i64))
                .unwrap_or(now);
            TicketRow {
                ticket: Ticket {
                    tenant,
                    number: 990_000 + i,
                    subject: format!("Drucker HP LaserJet M404 druckt nur leere Seiten #{i}"),
                    body: String::new(),
                    customer: AccountId(10 + i % 40),
                    created_by: AccountId(10 + i % 40),
                    assignee: Some(AccountId(2)),
                    priority: Some(PriorityId(2)),
                    topic: Some(TopicId(1)),
                    status: Status::Open,
                    created_at: at,
                    updated_at: at,
                    waiting_since: at,
                    solution: None,
                    deleted: None,
                    message_count: 3,
                    attachment_count: 0,
                },
                customer_name: "Anna Müller".to_owned(),
                assignee_name: Some("Ben Fischer".to_owned()),
                priority: Some(Priority {
                    tenant,
                    id: PriorityId(2),
                    name: "Hoch / High".to_owned(),
                    colour: "#c4320a".to_owned(),
                    rank: 2,
                    response_target_minutes: Some(240),
                }),
                topic_name: Some("Hardware".to_owned()),
            }
        })
        .collect();
    RowPage {
        rows,
        next: Some("cursor".to_owned()),
        truncated: false,
    }
}

fn bench(c: &mut Criterion) {
    let now = supportbox::clock::SystemClock.now();
    let page = rows(now);
    let counts = TabCounts {
        new: 2_000,
        customer_waiting: 3_000,
        support_waiting: 3_000,
        resolved: 70_000,
        closed: 920_000,
        trash: 12,
    };
    let mut g = c.benchmark_group("queue page");
    for lang in [Lang::De, Lang::En] {
        let Some(ctx) = ctx(lang) else {
            eprintln!("queue page bench: the translations did not load");
            return;
        };
        g.bench_function(format!("50 rows, customer-waiting, {lang:?}"), |b| {
            b.iter(|| {
                supportbox::views::tickets::queue(
                    &ctx,
                    now,
                    Tab::CustomerWaiting,
                    "hot",
                    black_box(&counts),
                    black_box(&page),
                )
                .into_string()
                .len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
