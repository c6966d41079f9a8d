//! The status-first sort indexes: several statuses merged into one order, cursors that
//! cross status boundaries, trash moves, and the migration that builds them from a file of
//! the previous schema.

use crate::domain::ticket::list::SortKey;
use redb::TableHandle;

use super::list::{Data, Limits, backward, build, forward, reference};
use super::*;
use crate::store::migrate;
use crate::store::tables::{self, retired};

const STATUS_FIRST: [SortKey; 4] = [
    SortKey::Created,
    SortKey::Updated,
    SortKey::Customer,
    SortKey::Priority,
];

/// Status filters of one, several and every status, alone and with the other filters.
fn filters() -> Vec<ListQuery> {
    let q = ListQuery::default;
    vec![
        q(),
        ListQuery {
            statuses: vec![Status::Waiting],
            ..q()
        },
        ListQuery {
            statuses: vec![Status::Closed, Status::Open],
            ..q()
        },
        ListQuery {
            statuses: Status::ALL.to_vec(),
            ..q()
        },
        ListQuery {
            statuses: vec![Status::New, Status::Open, Status::Waiting, Status::Resolved],
            assignee: Some(None),
            ..q()
        },
        ListQuery {
            statuses: vec![Status::Open, Status::Waiting],
            created_from: Some(at(500)),
            created_to: Some(at(2200)),
            ..q()
        },
        ListQuery {
            statuses: vec![Status::Resolved, Status::New],
            priority: Some(PriorityId(3)),
            topic: Some(TopicId(1)),
            ..q()
        },
        ListQuery {
            created_to: Some(at(1200)),
            customer: Some(AccountId(4)),
            ..q()
        },
    ]
}

#[test]
fn several_statuses_merge_into_one_order_in_both_directions() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    for base in filters() {
        for sort in STATUS_FIRST {
            for descending in [false, true] {
                let q = ListQuery {
                    sort,
                    descending,
                    limit: 4,
                    ..base.clone()
                };
                let expected = reference(&data.models, t1, &q);
                for limits in [Limits::Default, Limits::Walk, Limits::TinyScan] {
                    assert_eq!(forward(env, t1, &q, limits), expected, "{q:?} {limits:?}");
                }
                backward(env, t1, &q, &expected);
            }
        }
    }
}

#[test]
fn a_cursor_resumes_whatever_statuses_the_next_page_shows() {
    let data = &build();
    let (env, t1) = (&data.env, data.env.t1);
    for sort in STATUS_FIRST {
        for descending in [false, true] {
            let all = ListQuery {
                sort,
                descending,
                limit: 7,
                ..ListQuery::default()
            };
            let order = reference(&data.models, t1, &all);
            let first = env.r(|r| list_tickets(r, t1, &all));
            let shown: Vec<u64> = first.tickets.iter().map(|t| t.number).collect();
            assert_eq!(shown, order[..7]);
            // The same position, listed with only two statuses: what follows it there.
            let narrower = ListQuery {
                statuses: vec![Status::Open, Status::Closed],
                cursor: first.next.clone(),
                ..all.clone()
            };
            let rest: Vec<u64> = order[7..]
                .iter()
                .copied()
                .filter(|n| {
                    let m = data.models.iter().find(|m| m.ticket.number == *n).unwrap();
                    narrower.statuses.contains(&m.ticket.status)
                })
                .take(7)
                .collect();
            let page = env.r(|r| list_tickets(r, t1, &narrower));
            let got: Vec<u64> = page.tickets.iter().map(|t| t.number).collect();
            assert_eq!(got, rest, "{sort:?} desc={descending}");
        }
    }
}

#[test]
fn trashed_tickets_leave_the_status_first_indexes_and_come_back() {
    let Data { env, mut models } = build();
    let t1 = env.t1;
    let victim = models
        .iter()
        .position(|m| m.ticket.tenant == t1 && m.ticket.deleted.is_none())
        .unwrap();
    let listed = |env: &Env, sort| {
        let q = ListQuery {
            sort,
            limit: MAX_PAGE,
            ..ListQuery::default()
        };
        env.r(|r| list_tickets(r, t1, &q))
            .tickets
            .iter()
            .map(|t| t.number)
            .collect::<Vec<_>>()
    };
    let m = models[victim].clone();
    let number = m.ticket.number;
    let k = keys(m.rank, &m.name);
    let (live, k2) = (m.ticket.clone(), k.clone());
    let trashed = env.w(move |w| {
        let mut t = live.clone();
        t.deleted = Some((at(6000), AccountId(1)));
        put_ticket(w, &live, &t, &k2)?;
        Ok(t)
    });
    env.assert_consistent();
    models[victim].ticket = trashed.clone();
    for sort in STATUS_FIRST {
        assert!(!listed(&env, sort).contains(&number), "{sort:?}");
        let q = ListQuery {
            sort,
            limit: MAX_PAGE,
            ..ListQuery::default()
        };
        assert_eq!(listed(&env, sort), reference(&models, t1, &q));
    }
    let restored = env.w(move |w| {
        let mut t = trashed.clone();
        t.deleted = None;
        put_ticket(w, &trashed, &t, &k)?;
        Ok(t)
    });
    env.assert_consistent();
    models[victim].ticket = restored;
    for sort in STATUS_FIRST {
        let q = ListQuery {
            sort,
            limit: MAX_PAGE,
            ..ListQuery::default()
        };
        assert!(listed(&env, sort).contains(&number), "{sort:?}");
        assert_eq!(listed(&env, sort), reference(&models, t1, &q));
    }
}

/// Every page of every filter and sort, as numbers.
fn everything(env: &Env, tenant: TenantId) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    for base in filters() {
        for sort in super::list::SORTS {
            for descending in [false, true] {
                let q = ListQuery {
                    sort,
                    descending,
                    limit: 5,
                    ..base.clone()
                };
                out.push(forward(env, tenant, &q, Limits::Default));
            }
        }
    }
    out
}

type SetDef = redb::TableDefinition<'static, &'static [u8], ()>;

/// The tables of schema 2 that replaced schema 1's, with the one each replaced.
const REPLACED: [(SetDef, SetDef); 4] = [
    (tables::TICKET_BY_STATUS_CREATED, retired::TICKET_BY_CREATED),
    (tables::TICKET_BY_STATUS_UPDATED, retired::TICKET_BY_UPDATED),
    (
        tables::TICKET_BY_STATUS_CUSTOMER_NAME,
        retired::TICKET_BY_CUSTOMER_NAME,
    ),
    (tables::TICKET_BY_STATUS_RANK, retired::TICKET_BY_PRIORITY),
];

#[test]
fn a_schema_1_file_with_tickets_is_migrated_and_lists_the_same() {
    let Data { env, .. } = build();
    let (t1, t2) = (env.t1, env.t2);
    let before = (everything(&env, t1), everything(&env, t2));
    // Turn the file back into schema 1: the old sort indexes hold `(tenant, value,
    // number)`, which is a status-first key without its status.
    let old_entries = env.w(|w| {
        let mut moved = 0usize;
        for (new, old) in REPLACED {
            let keys: Vec<Vec<u8>> = {
                let table = w.open_table(new)?;
                table
                    .iter()?
                    .map(|e| e.map(|(k, _)| indexes::position_of(k.value()).unwrap()))
                    .collect::<Result<_, _>>()?
            };
            let mut table = w.open_table(old)?;
            for key in &keys {
                table.insert(key.as_slice(), ())?;
            }
            moved += keys.len();
            drop(table);
            assert!(w.raw().delete_table(new)?);
        }
        migrate::write_schema_version(w, 1)?;
        Ok(moved)
    });
    assert!(old_entries > 4 * 80);
    let Env {
        _dir: dir,
        store,
        t1,
        t2,
    } = env;
    drop(store);
    let store = Store::open(&dir.path().join("tickets.redb")).unwrap();
    let env = Env {
        _dir: dir,
        store,
        t1,
        t2,
    };
    env.assert_consistent();
    let names: Vec<String> = env.r(|r| {
        Ok(r.raw()
            .list_tables()?
            .map(|t| t.name().to_owned())
            .collect())
    });
    for (new, old) in REPLACED {
        assert!(names.iter().any(|n| n == new.name()), "{}", new.name());
        assert!(!names.iter().any(|n| n == old.name()), "{}", old.name());
    }
    let version = env.r(|r| migrate::read_schema_version(&r.open_table(tables::META)?));
    assert_eq!(version, Some(migrate::SCHEMA_VERSION));
    assert_eq!((everything(&env, t1), everything(&env, t2)), before);
}
