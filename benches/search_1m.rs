//! Full-text search on a real, large index, through `SearchIndex::search` (the search page
//! and API) and `search_numbers` (the free-text part of ticket management), as a supporter
//! of one tenant and as one customer of it.
//!
//! Needs an existing index: `SUPPORTBOX_BENCH_INDEX=/tmp/idx1m cargo bench --bench search_1m`.
//! Point it at a *copy* (`cp -r bench/data/t10-n1000000/pristine/index /tmp/idx1m`): the
//! bench opens the index with its writer, as the server does, and must never touch the
//! pristine data. Without the variable the bench only says so, so `cargo bench` stays
//! usable without the 1M-ticket data set.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use supportbox::domain::ids::{AccountId, TenantId};
use supportbox::search::schema::{Payload, SCHEMA_VERSION, VERSION_FILE};
use supportbox::search::{OpenState, Scope, SearchIndex, SearchQuery};
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, ReloadPolicy, Term};

/// Common words of the demo data in both languages, a two-word query, a typo, a word that
/// matches nothing, and the load generator's search terms (`bench/loadgen/src/world.rs`).
const QUERIES: &[&str] = &[
    "drucker",
    "vpn",
    "passwort",
    "printer",
    "laptop",
    "monitor",
    "drucker langsam",
    "druker",
    "netzwerk",
    "zzzyxq",
    "Lenovo",
    "Passwort abgelaufen",
    "Fehlermeldung",
    "slow update",
    "network",
    "Outlook",
    "licence",
    "Dockingstation",
    "0x80070005",
    "restart",
    "Monitor flackert",
    "Teams",
];

/// The page size the search page and API ask for.
const PAGE: usize = 50;
/// What ticket management asks for (`SEARCH_LIMIT` in the service).
const NUMBERS: usize = 1_000;

/// The first tenant of the index and a customer with tickets in it, read from the term
/// dictionaries (the customer field is indexed but not stored).
fn pick_scope(dir: &Path) -> Option<(TenantId, AccountId)> {
    let index = Index::open_in_dir(dir).ok()?;
    let schema = index.schema();
    let tenant_field = schema.get_field("tenant").ok()?;
    let customer_field = schema.get_field("customer").ok()?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .ok()?;
    let searcher = reader.searcher();
    let segment = searcher
        .segment_readers()
        .iter()
        .max_by_key(|s| s.max_doc())?;
    let first_u64 = |key: &[u8]| Some(u64::from_be_bytes(key.try_into().ok()?));
    let tenant_terms = segment.inverted_index(tenant_field).ok()?;
    let mut tenants = tenant_terms.terms().stream().ok()?;
    let tenant = if tenants.advance() {
        first_u64(tenants.key())?
    } else {
        return None;
    };
    let term = |field, value| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_u64(field, value),
            IndexRecordOption::Basic,
        ))
    };
    let customer_terms = segment.inverted_index(customer_field).ok()?;
    let mut customers = customer_terms.terms().stream().ok()?;
    while customers.advance() {
        let customer = first_u64(customers.key())?;
        let both = BooleanQuery::new(vec![
            (Occur::Must, term(tenant_field, tenant)),
            (Occur::Must, term(customer_field, customer)),
        ]);
        if searcher.search(&both, &Count).ok()? > 0 {
            return Some((TenantId(tenant), AccountId(customer)));
        }
    }
    None
}

fn bench(c: &mut Criterion) {
    let Ok(dir) = std::env::var("SUPPORTBOX_BENCH_INDEX") else {
        eprintln!("search_1m: set SUPPORTBOX_BENCH_INDEX to a copy of an index directory");
        return;
    };
    let dir = Path::new(&dir);
    // `SearchIndex::open` clears an index of another version; refuse instead, so a wrong
    // path or an old copy is never wiped.
    let stamp = std::fs::read_to_string(dir.join(VERSION_FILE)).unwrap_or_default();
    if stamp.trim() != SCHEMA_VERSION.to_string() {
        eprintln!(
            "search_1m: {} is not an index of schema version {SCHEMA_VERSION}",
            dir.display()
        );
        return;
    }
    let Some((tenant, customer)) = pick_scope(dir) else {
        eprintln!("search_1m: no tenant with a customer in {}", dir.display());
        return;
    };
    // The index is opened for the generation it records: the bench reads the index, not
    // the database beside it.
    let recorded = Index::open_in_dir(dir)
        .ok()
        .and_then(|i| i.load_metas().ok())
        .and_then(|m| m.payload)
        .and_then(|p| Payload::decode(&p));
    let Some(Payload::Complete { generation, .. }) = recorded else {
        eprintln!("search_1m: {} holds no completed index", dir.display());
        return;
    };
    let index = match SearchIndex::open(dir, generation) {
        Ok((index, OpenState::Ready { .. })) => index,
        Ok((_, state)) => {
            eprintln!("search_1m: the index is not usable: {state:?}");
            return;
        }
        Err(e) => {
            eprintln!("search_1m: {e}");
            return;
        }
    };
    eprintln!(
        "search_1m: {} documents; tenant {}, customer {}",
        index.doc_count(),
        tenant.0,
        customer.0
    );
    let query = |scope, text: &str, limit| SearchQuery {
        tenant,
        scope,
        text: text.to_owned(),
        limit,
    };
    for (who, scope) in [
        ("staff", Scope::Staff),
        ("customer", Scope::Customer(customer)),
    ] {
        for text in QUERIES {
            let q = query(scope, text, PAGE);
            match index.search(&q) {
                Ok(r) => eprintln!(
                    "search_1m: {who} {text:?}: {} hits, {} tickets",
                    r.hits.len(),
                    r.total_tickets
                ),
                Err(e) => {
                    eprintln!("search_1m: {who} {text:?}: {e}");
                    return;
                }
            }
        }
    }

    let mut g = c.benchmark_group("search 1M");
    for (who, scope) in [
        ("staff", Scope::Staff),
        ("customer", Scope::Customer(customer)),
    ] {
        for text in QUERIES {
            let q = query(scope, text, PAGE);
            g.bench_function(format!("{who} {text}"), |b| {
                b.iter(|| index.search(black_box(&q)).map(|r| r.hits.len()))
            });
        }
    }
    for text in ["drucker", "passwort"] {
        let q = query(Scope::Staff, text, NUMBERS);
        g.bench_function(format!("numbers staff {text}"), |b| {
            b.iter(|| index.search_numbers(black_box(&q)).map(|n| n.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
