//! Record decoding on real redb tables: a point read of a ticket (lookup + postcard
//! decode + conversion to the domain type), the same lookup without decoding (so the
//! difference is the decoding), a thread of messages, and one page of a working tab.
//!
//! The record types are private to `store`, so decoding is measured through the public
//! read functions.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use redb::ReadableTable;
use supportbox::clock::Clock;
use supportbox::domain::ids::{AccountId, TenantId};
use supportbox::domain::ticket::list::TabOrder;
use supportbox::domain::ticket::{Message, Status, Ticket, Visibility};
use supportbox::service::admin::create_tenant_in;
use supportbox::store::access::Tx;
use supportbox::store::keys::Key;
use supportbox::store::tables::TICKETS;
use supportbox::store::tickets::{
    self as store_tickets, TicketIndexKeys, add_message, create_ticket,
};
use supportbox::store::{Store, StoreError};

const TICKETS_IN_DB: u64 = 20_000;

fn ticket(tenant: TenantId, i: u64, now: Timestamp) -> Ticket {
    Ticket {
        tenant,
        number: 0,
        subject: format!("Drucker HP LaserJet M404 druckt nur leere Seiten ({i})"),
        body: "Seit heute Morgen funktioniert **der Drucker** nicht mehr. Ich habe bereits neu \
               gestartet, ohne Erfolg.\n\nKönnen Sie bitte helfen?"
            .to_owned(),
        customer: AccountId(10 + i % 40),
        created_by: AccountId(10 + i % 40),
        assignee: None,
        priority: None,
        topic: None,
        status: Status::New,
        created_at: now,
        updated_at: now,
        waiting_since: now,
        solution: None,
        deleted: None,
        message_count: 3,
        attachment_count: 0,
    }
}

fn message(tenant: TenantId, number: u64, author: u64, now: Timestamp) -> Message {
    Message {
        tenant,
        ticket: number,
        seq: 0,
        author: AccountId(author),
        visibility: Visibility::Public,
        body: "Danke für Ihre Meldung. Können Sie uns sagen, seit wann genau der Fehler \
               auftritt?"
            .to_owned(),
        attachments: Vec::new(),
        created_at: now,
    }
}

fn fill(path: &Path) -> Result<(Store, TenantId), StoreError> {
    let store = Store::open(path)?;
    let now = supportbox::clock::SystemClock.now();
    let tenant =
        store.write_blocking(move |w| Ok(create_tenant_in(w, "bench", "Bench", 50, now)?.id))?;
    let keys = TicketIndexKeys {
        priority_rank: u32::MAX,
        customer_name: "müller anna".to_owned(),
    };
    for start in (0..TICKETS_IN_DB).step_by(2_000) {
        let keys = keys.clone();
        store.write_blocking(move |w| {
            for i in start..start + 2_000 {
                let t = create_ticket(w, &ticket(tenant, i, now), &keys)?;
                for author in [10 + i % 40, 2, 10 + i % 40] {
                    add_message(w, &message(tenant, t.number, author, now))?;
                }
            }
            Ok(())
        })?;
    }
    Ok((store, tenant))
}

fn bench(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("records bench: no temporary directory");
        return;
    };
    let (store, tenant) = match fill(&dir.path().join("supportbox.redb")) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("records bench: cannot fill the store: {e}");
            return;
        }
    };
    let mut g = c.benchmark_group("records");
    let mut n = 0u64;
    let mut next = move || {
        n = (n * 7919 + 1) % TICKETS_IN_DB + 1;
        n
    };
    g.bench_function("ticket lookup only (redb get)", |b| {
        b.iter(|| {
            store.read_blocking(|r| {
                let table = r.table(TICKETS)?;
                let key = Key::tenant(tenant.0).u64(next());
                Ok(table.get(key.as_bytes())?.map(|v| v.value().len()))
            })
        })
    });
    g.bench_function("ticket lookup + decode (get_ticket)", |b| {
        b.iter(|| store.read_blocking(|r| store_tickets::get_ticket(r, tenant, black_box(next()))))
    });
    g.bench_function("thread of 3 messages (list_messages)", |b| {
        b.iter(|| {
            store.read_blocking(|r| store_tickets::list_messages(r, tenant, black_box(next())))
        })
    });
    g.bench_function("tab page of 50 (tab_page, status new, hot)", |b| {
        b.iter(|| {
            store.read_blocking(|r| {
                store_tickets::tab_page(r, tenant, Status::New, TabOrder::Hot, None, 50)
                    .map(|p| p.tickets.len())
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
