//! Tabs, ticket management, the customer view and the trash, checked against a model that
//! filters and sorts every ticket in memory, with every plan forced in turn.

use crate::domain::ticket::list::{SortKey, TabOrder};
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;

use super::super::list::testing::{list_with_limits, plan_for};
use super::*;

/// What the model knows about a ticket: the ticket and the keys it was written with.
#[derive(Debug, Clone)]
pub(super) struct Model {
    pub(super) ticket: Ticket,
    pub(super) rank: u32,
    pub(super) name: String,
}

pub(super) struct Data {
    pub(super) env: Env,
    pub(super) models: Vec<Model>,
}

/// A small deterministic pseudo-random source (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const NAMES: [&str; 5] = ["Zoe", "adam", "Bert", "clara", "Émile"];
const RANKS: [u32; 4] = [0, 20, 10, 10];

/// 70 tickets in tenant 1 (8 of them trashed) and 25 in tenant 2, sharing customers and
/// account ids so that only the tenant tells them apart. One transaction, so it is quick.
pub(super) fn build() -> Data {
    let env = env();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut drafts = Vec::new();
    for (tenant, n) in [(env.t1, 70), (env.t2, 25)] {
        for _ in 0..n {
            let mut t = draft(tenant, 1 + rng.below(5));
            t.status = Status::ALL[pick(&mut rng, 5)];
            t.assignee = [None, Some(AccountId(10)), Some(AccountId(11))][pick(&mut rng, 3)];
            t.priority = match rng.below(4) {
                0 => None,
                p => Some(PriorityId(p)),
            };
            t.topic = [None, Some(TopicId(1)), Some(TopicId(2))][pick(&mut rng, 3)];
            // Few distinct times, so ties on the sort value are common.
            let created = i64::try_from(rng.below(30) * 100).unwrap();
            t.created_at = at(created);
            t.updated_at = at(created + i64::try_from(rng.below(3) * 1000).unwrap());
            t.waiting_since = at(i64::try_from(rng.below(10)).unwrap());
            let rank = t
                .priority
                .map_or(u32::MAX, |p| RANKS[usize::try_from(p.0).unwrap()]);
            let name = NAMES[usize::try_from(t.customer.0 - 1).unwrap()].to_owned();
            drafts.push(Model {
                ticket: t,
                rank,
                name,
            });
        }
    }
    let t1 = env.t1;
    let models = env.w(move |w| {
        let mut models = Vec::new();
        for m in &drafts {
            let k = keys(m.rank, &m.name);
            let mut ticket = create_ticket(w, &m.ticket, &k)?;
            if ticket.tenant == t1 && ticket.number % 9 == 4 {
                let before = ticket.clone();
                ticket.deleted = Some((at(5000), AccountId(1)));
                put_ticket(w, &before, &ticket, &k)?;
            }
            models.push(Model {
                ticket,
                ..m.clone()
            });
        }
        Ok(models)
    });
    env.assert_consistent();
    Data { env, models }
}

fn pick(rng: &mut Rng, n: u64) -> usize {
    usize::try_from(rng.below(n)).unwrap()
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// What `q` must list, in order, computed from the model alone.
pub(super) fn reference(models: &[Model], tenant: TenantId, q: &ListQuery) -> Vec<u64> {
    let mut hits: Vec<&Model> = models
        .iter()
        .filter(|m| {
            let t = &m.ticket;
            t.tenant == tenant
                && t.deleted.is_none()
                && (q.statuses.is_empty() || q.statuses.contains(&t.status))
                && q.number.is_none_or(|n| t.number == n)
                && q.numbers.as_ref().is_none_or(|ns| ns.contains(&t.number))
                && q.customer.is_none_or(|c| t.customer == c)
                && q.assignee.is_none_or(|a| t.assignee == a)
                && q.priority.is_none_or(|p| t.priority == Some(p))
                && q.topic.is_none_or(|x| t.topic == Some(x))
                && q.created_from.is_none_or(|f| t.created_at >= f)
                && q.created_to.is_none_or(|e| t.created_at < e)
        })
        .collect();
    hits.sort_by(|a, b| {
        let key = |m: &Model| -> (i64, String, u64) {
            let t = &m.ticket;
            match q.sort {
                SortKey::Number => (0, String::new(), t.number),
                SortKey::Created => (micros(t.created_at), String::new(), t.number),
                SortKey::Updated => (micros(t.updated_at), String::new(), t.number),
                SortKey::Customer => (0, m.name.to_lowercase(), t.number),
                SortKey::Status => (i64::from(t.status.as_u8()), String::new(), t.number),
                SortKey::Priority => (i64::from(m.rank), String::new(), t.number),
            }
        };
        key(a).cmp(&key(b))
    });
    if q.descending {
        hits.reverse();
    }
    hits.iter().map(|m| m.ticket.number).collect()
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Limits {
    Default,
    /// `in_memory = 0`: always walk an index.
    Walk,
    /// A huge `in_memory`: every filtered query is sorted in memory.
    InMemory,
    /// A tiny scan limit: pages stop early and must continue via `next`.
    TinyScan,
}

fn list(env: &Env, tenant: TenantId, q: &ListQuery, limits: Limits) -> ListPage {
    let (scan, in_memory) = match limits {
        Limits::Default => (SCAN_LIMIT, IN_MEMORY_LIMIT),
        Limits::Walk => (SCAN_LIMIT, 0),
        Limits::InMemory => (SCAN_LIMIT, 100_000),
        Limits::TinyScan => (3, 0),
    };
    env.r(|r| list_with_limits(r, tenant, q, scan, in_memory))
}

/// Follows `next` from the first page to the end; returns every number in page order.
pub(super) fn forward(env: &Env, tenant: TenantId, q: &ListQuery, limits: Limits) -> Vec<u64> {
    let mut q = q.clone();
    q.cursor = None;
    let mut out = Vec::new();
    for round in 0..10_000 {
        let page = list(env, tenant, &q, limits);
        assert!(page.tickets.len() <= q.limit.max(1), "{q:?}");
        assert_eq!(
            page.prev.is_some(),
            round > 0,
            "prev on page {round} of {q:?}"
        );
        if !matches!(limits, Limits::TinyScan) {
            assert!(!page.scanned_limit_hit);
        }
        out.extend(page.tickets.iter().map(|t| t.number));
        match page.next {
            Some(next) => q.cursor = Some(next),
            None => return out,
        }
    }
    panic!("pagination does not end: {q:?}");
}

/// Goes to the last page, then follows `prev` back to the first; checks that every page is
/// an in-order run of `expected` and that the way back ends on the full first page.
pub(super) fn backward(env: &Env, tenant: TenantId, q: &ListQuery, expected: &[u64]) {
    let mut q = q.clone();
    q.cursor = None;
    let mut last = list(env, tenant, &q, Limits::Default);
    while let Some(next) = last.next.clone() {
        q.cursor = Some(next);
        last = list(env, tenant, &q, Limits::Default);
    }
    let mut seen = BTreeSet::new();
    let mut page = last;
    for _ in 0..10_000 {
        let numbers: Vec<u64> = page.tickets.iter().map(|t| t.number).collect();
        if let Some(first) = numbers.first() {
            let at = expected.iter().position(|n| n == first).unwrap();
            assert_eq!(
                &expected[at..at + numbers.len()],
                numbers.as_slice(),
                "{q:?}"
            );
        }
        seen.extend(numbers.iter().copied());
        match page.prev {
            Some(prev) => {
                assert!(prev.is_before());
                q.cursor = Some(prev);
                page = list(env, tenant, &q, Limits::Default);
            }
            None => {
                let limit = q.limit.max(1).min(expected.len());
                assert_eq!(numbers, expected[..limit], "first page of {q:?}");
                assert_eq!(seen.len(), expected.len(), "{q:?}");
                return;
            }
        }
    }
    panic!("backward pagination does not end: {q:?}");
}

fn queries() -> Vec<(&'static str, ListQuery)> {
    let q = ListQuery::default;
    vec![
        ("everything", q()),
        (
            "open",
            ListQuery {
                statuses: vec![Status::Open],
                ..q()
            },
        ),
        (
            "new or closed",
            ListQuery {
                statuses: vec![Status::Closed, Status::New, Status::Closed],
                ..q()
            },
        ),
        (
            "customer",
            ListQuery {
                customer: Some(AccountId(2)),
                ..q()
            },
        ),
        (
            "customer, open or waiting",
            ListQuery {
                customer: Some(AccountId(2)),
                statuses: vec![Status::Open, Status::Waiting],
                ..q()
            },
        ),
        (
            "unassigned",
            ListQuery {
                assignee: Some(None),
                ..q()
            },
        ),
        (
            "assigned to 11",
            ListQuery {
                assignee: Some(Some(AccountId(11))),
                ..q()
            },
        ),
        (
            "priority 2",
            ListQuery {
                priority: Some(PriorityId(2)),
                ..q()
            },
        ),
        (
            "topic and assignee",
            ListQuery {
                topic: Some(TopicId(1)),
                assignee: Some(Some(AccountId(10))),
                ..q()
            },
        ),
        (
            "customer, priority and topic",
            ListQuery {
                customer: Some(AccountId(3)),
                priority: Some(PriorityId(1)),
                topic: Some(TopicId(2)),
                ..q()
            },
        ),
        (
            "created range",
            ListQuery {
                created_from: Some(at(800)),
                created_to: Some(at(2000)),
                ..q()
            },
        ),
        (
            "created from",
            ListQuery {
                created_from: Some(at(1500)),
                ..q()
            },
        ),
        (
            "created to",
            ListQuery {
                created_to: Some(at(300)),
                ..q()
            },
        ),
        (
            "empty created range",
            ListQuery {
                created_from: Some(at(900)),
                created_to: Some(at(900)),
                ..q()
            },
        ),
        (
            "search hits",
            ListQuery {
                numbers: Some(vec![40, 3, 13, 5, 7, 3, 22, 31, 50, 68, 69, 999]),
                ..q()
            },
        ),
        (
            "search hits, open",
            ListQuery {
                numbers: Some(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
                statuses: vec![Status::Open],
                ..q()
            },
        ),
        (
            "number",
            ListQuery {
                number: Some(7),
                ..q()
            },
        ),
        (
            "trashed number",
            ListQuery {
                number: Some(13),
                ..q()
            },
        ),
        (
            "number, wrong status",
            ListQuery {
                number: Some(7),
                statuses: vec![Status::Closed],
                ..q()
            },
        ),
        (
            "nobody's",
            ListQuery {
                customer: Some(AccountId(99)),
                ..q()
            },
        ),
    ]
}

pub(super) const SORTS: [SortKey; 6] = [
    SortKey::Number,
    SortKey::Created,
    SortKey::Updated,
    SortKey::Customer,
    SortKey::Status,
    SortKey::Priority,
];

#[test]
fn every_query_sort_direction_and_plan_matches_the_model() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    let mut checked = 0;
    for (what, base) in queries() {
        for sort in SORTS {
            for descending in [false, true] {
                let mut q = ListQuery {
                    sort,
                    descending,
                    ..base.clone()
                };
                let expected = reference(&data.models, t1, &q);
                for limit in [3, 50] {
                    q.limit = limit;
                    for limits in [
                        Limits::Default,
                        Limits::Walk,
                        Limits::InMemory,
                        Limits::TinyScan,
                    ] {
                        if matches!(limits, Limits::TinyScan) && q.numbers.is_some() {
                            continue; // the scan limit also caps how many hits are read
                        }
                        let got = forward(env, t1, &q, limits);
                        assert_eq!(
                            got, expected,
                            "{what} {sort:?} desc={descending} limit={limit} {limits:?}"
                        );
                        checked += 1;
                    }
                    if limit == 3 && q.number.is_none() {
                        backward(env, t1, &q, &expected);
                    }
                }
            }
        }
    }
    assert!(checked > 1000);
}

#[test]
fn listing_works_inside_a_write_transaction() {
    let data = &build();
    let t1 = data.env.t1;
    for (what, base) in queries() {
        for sort in SORTS {
            let q = ListQuery {
                sort,
                limit: 500,
                ..base.clone()
            };
            let expected = reference(&data.models, t1, &q);
            for (scan, in_memory) in [(SCAN_LIMIT, 0), (SCAN_LIMIT, 100_000)] {
                let q2 = q.clone();
                // The command fails on purpose so the shared data stays as it is.
                let got = data.env.store.write_blocking(move |w| {
                    let page = list_with_limits(w, t1, &q2, scan, in_memory)?;
                    Err::<(), _>(StoreError::Conflict(format!(
                        "{:?}",
                        page.tickets.iter().map(|t| t.number).collect::<Vec<_>>()
                    )))
                });
                match got {
                    Err(StoreError::Conflict(s)) => {
                        assert_eq!(s, format!("{expected:?}"), "{what} {sort:?}")
                    }
                    other => panic!("{what} {sort:?}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn a_tiny_scan_limit_says_so_and_continues() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    let q = ListQuery {
        customer: Some(AccountId(3)),
        priority: Some(PriorityId(1)),
        topic: Some(TopicId(2)),
        sort: SortKey::Created,
        limit: 2,
        ..ListQuery::default()
    };
    let first = list(env, t1, &q, Limits::TinyScan);
    assert!(first.scanned_limit_hit);
    assert!(
        first.next.is_some(),
        "the walk goes on from where it stopped"
    );
    assert_eq!(
        forward(env, t1, &q, Limits::TinyScan),
        reference(&data.models, t1, &q)
    );
    let full = list(env, t1, &q, Limits::Default);
    assert!(!full.scanned_limit_hit);
    let many: Vec<u64> = (1..=100).collect();
    let truncated = env.r(|r| {
        list_with_limits(
            r,
            t1,
            &ListQuery {
                numbers: Some(many),
                limit: 500,
                ..ListQuery::default()
            },
            10,
            0,
        )
    });
    assert!(
        truncated.scanned_limit_hit,
        "hits beyond the limit are said to be cut"
    );
    assert!(truncated.tickets.iter().all(|t| t.number <= 10));
}

#[test]
fn tabs_list_each_status_in_each_order_exactly_once() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    for status in Status::ALL {
        let live: Vec<&Model> = data
            .models
            .iter()
            .filter(|m| {
                m.ticket.tenant == t1 && m.ticket.deleted.is_none() && m.ticket.status == status
            })
            .collect();
        for order in [TabOrder::Hot, TabOrder::Priority, TabOrder::Newest] {
            let mut expected = live.clone();
            expected.sort_by_key(|m| {
                let t = &m.ticket;
                match order {
                    TabOrder::Hot => (0, micros(t.waiting_since), t.number),
                    TabOrder::Priority => (m.rank, micros(t.waiting_since), t.number),
                    TabOrder::Newest => (0, 0, u64::MAX - t.number),
                }
            });
            let expected: Vec<u64> = expected.iter().map(|m| m.ticket.number).collect();
            let counts = env.r(|r| tab_counts(r, t1));
            assert_eq!(counts[usize::from(status.as_u8())], expected.len() as u64);
            for limit in [1, 4, 500] {
                let mut got = Vec::new();
                let mut cursor = None;
                let mut pages = Vec::new();
                loop {
                    let page = env.r(|r| tab_page(r, t1, status, order, cursor.as_ref(), limit));
                    got.extend(page.tickets.iter().map(|t| t.number));
                    pages.push(page.clone());
                    match page.next {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                assert_eq!(got, expected, "{status:?} {order:?} limit {limit}");
                // Back from the last page: the pages seen on the way, in reverse.
                let mut back = Vec::new();
                let mut page = pages.last().cloned().unwrap();
                while let Some(prev) = page.prev.clone() {
                    page = env.r(|r| tab_page(r, t1, status, order, Some(&prev), limit));
                    back.push(page.tickets.iter().map(|t| t.number).collect::<Vec<_>>());
                }
                let forward: Vec<Vec<u64>> = pages
                    .iter()
                    .rev()
                    .skip(1)
                    .map(|p| p.tickets.iter().map(|t| t.number).collect())
                    .collect();
                assert_eq!(back, forward, "{status:?} {order:?} limit {limit}");
            }
        }
    }
    // A cursor of another tab, order or tenant starts over.
    let first = env.r(|r| tab_page(r, t1, Status::Open, TabOrder::Hot, None, 2));
    let cursor = first.next.clone().unwrap();
    for (status, order) in [
        (Status::Waiting, TabOrder::Hot),
        (Status::Open, TabOrder::Priority),
    ] {
        let page = env.r(|r| tab_page(r, t1, status, order, Some(&cursor), 2));
        assert_eq!(page, env.r(|r| tab_page(r, t1, status, order, None, 2)));
    }
    let other = env.r(|r| {
        tab_page(
            r,
            data.env.t2,
            Status::Open,
            TabOrder::Hot,
            Some(&cursor),
            2,
        )
    });
    assert_eq!(
        other,
        env.r(|r| tab_page(r, data.env.t2, Status::Open, TabOrder::Hot, None, 2))
    );
}

#[test]
fn the_trash_and_the_customer_view_list_their_tickets() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    let mut trashed: Vec<u64> = data
        .models
        .iter()
        .filter(|m| m.ticket.tenant == t1 && m.ticket.deleted.is_some())
        .map(|m| m.ticket.number)
        .collect();
    trashed.reverse();
    let mut got = Vec::new();
    let mut cursor = None;
    loop {
        let page = env.r(|r| trash_page(r, t1, cursor.as_ref(), 3));
        assert!(page.tickets.iter().all(|t| t.deleted.is_some()));
        got.extend(page.tickets.iter().map(|t| t.number));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(got, trashed);
    assert_eq!(env.r(|r| trash_count(r, t1)), trashed.len() as u64);

    let statuses = [Status::Open, Status::Waiting];
    let q = ListQuery {
        customer: Some(AccountId(2)),
        statuses: statuses.to_vec(),
        sort: SortKey::Number,
        descending: true,
        ..ListQuery::default()
    };
    let expected = reference(&data.models, t1, &q);
    let mut got = Vec::new();
    let mut cursor = None;
    loop {
        let page = env.r(|r| customer_tickets(r, t1, AccountId(2), &statuses, cursor.as_ref(), 2));
        got.extend(page.tickets.iter().map(|t| t.number));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(got, expected);
    assert!(!expected.is_empty());
}

#[test]
fn tenant_two_never_appears_in_tenant_one() {
    let data = &build();
    let (env, t1, t2) = (&data.env, data.env.t1, data.env.t2);
    let ours: BTreeSet<u64> = data
        .models
        .iter()
        .filter(|m| m.ticket.tenant == t2)
        .map(|m| m.ticket.number)
        .collect();
    for (_, base) in queries() {
        for sort in SORTS {
            let q = ListQuery {
                sort,
                limit: 500,
                ..base.clone()
            };
            for limits in [Limits::Default, Limits::Walk, Limits::InMemory] {
                let page = list(env, t2, &q, limits);
                assert!(
                    page.tickets
                        .iter()
                        .all(|t| t.tenant == t2 && ours.contains(&t.number))
                );
                assert_eq!(
                    page.tickets.iter().map(|t| t.number).collect::<Vec<_>>(),
                    reference(&data.models, t2, &q)
                );
                let page = list(env, t1, &q, limits);
                assert!(page.tickets.iter().all(|t| t.tenant == t1));
            }
        }
    }
    for status in Status::ALL {
        let page = env.r(|r| tab_page(r, t2, status, TabOrder::Hot, None, 500));
        assert!(page.tickets.iter().all(|t| t.tenant == t2));
    }
    assert!(env.r(|r| trash_page(r, t2, None, 500)).tickets.is_empty());
    let counted: u64 = env.r(|r| tab_counts(r, t2)).iter().sum();
    assert_eq!(counted, 25);
    // A cursor from tenant 1 is not a way into tenant 2: it starts tenant 2 over.
    let q = ListQuery {
        limit: 2,
        ..ListQuery::default()
    };
    let cursor = list(env, t1, &q, Limits::Default).next.unwrap();
    let resumed = list(
        env,
        t2,
        &ListQuery {
            cursor: Some(cursor),
            ..q.clone()
        },
        Limits::Default,
    );
    assert_eq!(resumed, list(env, t2, &q, Limits::Default));
}

#[test]
fn cursors_round_trip_and_garbage_is_refused() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    for sort in SORTS {
        let q = ListQuery {
            sort,
            descending: true,
            limit: 2,
            ..ListQuery::default()
        };
        let page = list(env, t1, &q, Limits::Default);
        let next = page.next.unwrap();
        let text = next.to_string();
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
        assert_eq!(Cursor::decode(&text), Ok(next.clone()));
        assert_eq!(text.parse::<Cursor>(), Ok(next.clone()));
        // Another sort or direction starts over instead of resuming somewhere odd.
        let other = if sort == SortKey::Number {
            SortKey::Created
        } else {
            SortKey::Number
        };
        for q2 in [
            ListQuery {
                sort: other,
                ..q.clone()
            },
            ListQuery {
                descending: false,
                ..q.clone()
            },
        ] {
            let with = list(
                env,
                t1,
                &ListQuery {
                    cursor: Some(next.clone()),
                    ..q2.clone()
                },
                Limits::Default,
            );
            assert_eq!(with, list(env, t1, &q2, Limits::Default));
        }
    }
    // The customer sort keeps names out of cursors.
    let q = ListQuery {
        sort: SortKey::Customer,
        limit: 2,
        ..ListQuery::default()
    };
    let cursor = list(env, t1, &q, Limits::Default).next.unwrap().to_string();
    assert_eq!(cursor.len(), 2 * (3 + 16), "{cursor}");

    let valid = Cursor::decode(&cursor).unwrap().to_string();
    let hex_of = |bytes: &[u8]| hex::encode(bytes);
    let mut status_key = vec![1u8, 5, 0];
    status_key.extend_from_slice(&Key::tenant(1).u64(9).u64(1).into_bytes());
    let mut rank_key = vec![1u8, 6, 0];
    rank_key.extend_from_slice(
        &Key::tenant(1)
            .u64(u64::from(u32::MAX) + 1)
            .u64(1)
            .into_bytes(),
    );
    let garbage = [
        String::new(),
        "zz".into(),
        "abc".into(),
        "é".into(),
        "0".repeat(1000),
        format!("02{}", &valid[2..]),
        format!("0163{}", &valid[4..]),
        format!("010404{}", &valid[6..]),
        valid[..valid.len() - 2].to_owned(),
        format!("{valid}00"),
        hex_of(&status_key),
        hex_of(&rank_key),
        hex_of(&[1, 1, 0]),
        " ".repeat(10),
    ];
    for g in garbage {
        assert!(Cursor::decode(&g).is_err(), "{g:?} was accepted");
    }
    assert_eq!(Cursor::decode("zz"), Err(CursorError::NotHex));
    assert_eq!(Cursor::decode(&"00".repeat(100)), Err(CursorError::TooLong));
    assert_eq!(Cursor::decode(""), Err(CursorError::Malformed));
}

#[test]
fn plans_follow_the_documented_rules() {
    let p = |sort, sets: &[(&str, usize)]| plan_for(sort, sets, 100);
    assert_eq!(p(SortKey::Number, &[]), "Walk");
    assert_eq!(
        p(SortKey::Number, &[("filter", 500), ("filter", 101)]),
        "ByNumber(Filter(1))"
    );
    assert_eq!(
        p(SortKey::Number, &[("filter", 500), ("status", 7)]),
        "ByNumber(Statuses)"
    );
    assert_eq!(
        p(SortKey::Number, &[("filter", 500), ("statuses", 7)]),
        "InMemory(Statuses)"
    );
    assert_eq!(
        p(SortKey::Number, &[("filter", 500), ("statuses", 700)]),
        "ByNumber(Filter(0))"
    );
    assert_eq!(p(SortKey::Number, &[("statuses", 700)]), "Walk");
    assert_eq!(
        p(SortKey::Number, &[("filter", 50), ("created", 7)]),
        "InMemory(Created)"
    );
    assert_eq!(
        p(SortKey::Number, &[("filter", 500), ("created", 101)]),
        "ByNumber(Filter(0))"
    );
    assert_eq!(
        p(SortKey::Created, &[("filter", 101), ("filter", 50)]),
        "InMemory(Filter(1))"
    );
    assert_eq!(
        p(SortKey::Created, &[("filter", 101), ("status", 80)]),
        "InMemory(Statuses)"
    );
    assert_eq!(
        p(SortKey::Updated, &[("filter", 101), ("created", 100)]),
        "InMemory(Created)"
    );
    assert_eq!(
        p(SortKey::Created, &[("filter", 101), ("status", 800)]),
        "Walk"
    );
    assert_eq!(p(SortKey::Status, &[("statuses", 800)]), "Walk");
}

#[test]
fn decoding_any_string_never_panics() {
    let data = build();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(512));
    let strategy = (".{0,120}", prop::collection::vec(any::<u8>(), 0..60));
    runner
        .run(&strategy, |(s, bytes)| {
            let _ = Cursor::decode(&s);
            if let Ok(c) = Cursor::decode(&hex::encode(&bytes)) {
                prop_assert_eq!(Cursor::decode(&c.to_string()), Ok(c.clone()));
                // Whatever it names, it only ever lists the caller's own tickets.
                let t2 = data.env.t2;
                let page = data
                    .env
                    .r(|r| tab_page(r, t2, Status::Open, TabOrder::Priority, Some(&c), 5));
                prop_assert!(page.tickets.iter().all(|t| t.tenant == t2));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_queries_match_the_model() {
    let data = build();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(256));
    let strategy = (
        prop::collection::vec(prop::sample::select(Status::ALL.to_vec()), 0..3),
        prop::option::of(1u64..6),
        prop::option::of(prop::option::of(10u64..12)),
        prop::option::of(1u64..4),
        prop::option::of(1u64..3),
        prop::option::of(0i64..3000),
        prop::option::of(0i64..3000),
        prop::sample::select(SORTS.to_vec()),
        any::<bool>(),
        1usize..9,
        0usize..4,
    );
    runner
        .run(
            &strategy,
            |(
                statuses,
                customer,
                assignee,
                priority,
                topic,
                from,
                span,
                sort,
                descending,
                limit,
                limits,
            )| {
                let q = ListQuery {
                    statuses,
                    customer: customer.map(AccountId),
                    assignee: assignee.map(|a| a.map(AccountId)),
                    priority: priority.map(PriorityId),
                    topic: topic.map(TopicId),
                    created_from: from.map(at),
                    created_to: span.map(|s| at(from.unwrap_or(0) + s)),
                    sort,
                    descending,
                    limit,
                    ..ListQuery::default()
                };
                let limits = [
                    Limits::Default,
                    Limits::Walk,
                    Limits::InMemory,
                    Limits::TinyScan,
                ][limits];
                prop_assert_eq!(
                    forward(&data.env, data.env.t1, &q, limits),
                    reference(&data.models, data.env.t1, &q)
                );
                Ok(())
            },
        )
        .unwrap();
}
