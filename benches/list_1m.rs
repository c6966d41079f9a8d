//! Ticket management and the supporter tabs on a real 1,000,000-ticket database, the size
//! the performance budget is set for (docs/performance.md, "Budget": tab and management
//! pages p99 ≤ 10 ms).
//!
//! The database is too big to build here, so the bench opens one made by
//! `supportbox demo-data` (see bench/README.md). Opening may migrate the file and the
//! store writes to it, so pass a COPY:
//!
//! ```text
//! cp bench/data/t10-n1000000/pristine/supportbox.redb /tmp/list1m.redb
//! SUPPORTBOX_BENCH_DB=/tmp/list1m.redb CARGO_PROFILE_BENCH_LTO=false \
//!     cargo bench --bench list_1m -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Without `SUPPORTBOX_BENCH_DB` the bench does nothing. Every figure is one page of 50
//! for the first tenant, on one thread: the CPU one request costs, without rendering.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use supportbox::domain::ids::TenantId;
use supportbox::domain::ticket::Status;
use supportbox::domain::ticket::list::{SortKey, TabOrder};
use supportbox::store::tickets::{self as store_tickets, Cursor, ListQuery};
use supportbox::store::{Store, StoreError, tenants};

const PAGE: usize = 50;
/// The "later page" is reached by following `next` this many times from the first.
const LATER: usize = 3;

const STATUSES: [(Status, &str); 5] = [
    (Status::New, "new"),
    (Status::Open, "open"),
    (Status::Waiting, "waiting"),
    (Status::Resolved, "resolved"),
    (Status::Closed, "closed"),
];

const SORTS: [(SortKey, &str); 6] = [
    (SortKey::Number, "number"),
    (SortKey::Created, "created"),
    (SortKey::Updated, "updated"),
    (SortKey::Customer, "customer"),
    (SortKey::Status, "status"),
    (SortKey::Priority, "priority"),
];

const TABS: [(TabOrder, &str); 3] = [
    (TabOrder::Hot, "hot"),
    (TabOrder::Priority, "priority"),
    (TabOrder::Newest, "newest"),
];

fn query(status: Status, sort: SortKey, descending: bool, cursor: Option<Cursor>) -> ListQuery {
    ListQuery {
        statuses: vec![status],
        sort,
        descending,
        cursor,
        limit: PAGE,
        ..ListQuery::default()
    }
}

/// The cursor of the [`LATER`]th page, if the listing has that many.
fn later_cursor(
    store: &Store,
    tenant: TenantId,
    status: Status,
    sort: SortKey,
    descending: bool,
) -> Result<Option<Cursor>, StoreError> {
    let mut cursor = None;
    for _ in 0..LATER {
        let q = query(status, sort, descending, cursor);
        cursor = store
            .read_blocking(|r| store_tickets::list_tickets(r, tenant, &q))?
            .next;
        if cursor.is_none() {
            break;
        }
    }
    Ok(cursor)
}

fn bench(c: &mut Criterion) {
    let Some(path) = std::env::var_os("SUPPORTBOX_BENCH_DB").map(PathBuf::from) else {
        eprintln!(
            "list_1m bench skipped: set SUPPORTBOX_BENCH_DB to a COPY of a 1M-ticket \
             supportbox.redb (see the module docs)"
        );
        return;
    };
    let store = match Store::open(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("list_1m bench: cannot open {}: {e}", path.display());
            return;
        }
    };
    let tenant = match store.read_blocking(tenants::list_tenants) {
        Ok(list) => match list.first() {
            Some(t) => t.id,
            None => {
                eprintln!("list_1m bench: the database has no tenant");
                return;
            }
        },
        Err(e) => {
            eprintln!("list_1m bench: cannot list tenants: {e}");
            return;
        }
    };

    let mut g = c.benchmark_group("list_1m");
    for (status, status_name) in STATUSES {
        for (sort, sort_name) in SORTS {
            for descending in [false, true] {
                let dir = if descending { "desc" } else { "asc" };
                let first = query(status, sort, descending, None);
                g.bench_function(format!("{status_name}/{sort_name}/{dir}/first"), |b| {
                    b.iter(|| {
                        store.read_blocking(|r| {
                            store_tickets::list_tickets(r, tenant, black_box(&first))
                                .map(|p| p.tickets.len())
                        })
                    })
                });
                let cursor = match later_cursor(&store, tenant, status, sort, descending) {
                    Ok(Some(c)) => c,
                    Ok(None) => continue,
                    Err(e) => {
                        eprintln!("list_1m bench: cannot page {status_name}/{sort_name}: {e}");
                        continue;
                    }
                };
                let later = query(status, sort, descending, Some(cursor));
                g.bench_function(
                    format!("{status_name}/{sort_name}/{dir}/page{LATER}"),
                    |b| {
                        b.iter(|| {
                            store.read_blocking(|r| {
                                store_tickets::list_tickets(r, tenant, black_box(&later))
                                    .map(|p| p.tickets.len())
                            })
                        })
                    },
                );
            }
        }
    }
    for (status, status_name) in &STATUSES[..3] {
        for (order, order_name) in TABS {
            g.bench_function(format!("tab/{status_name}/{order_name}"), |b| {
                b.iter(|| {
                    store.read_blocking(|r| {
                        store_tickets::tab_page(r, tenant, *status, order, None, PAGE)
                            .map(|p| p.tickets.len())
                    })
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
