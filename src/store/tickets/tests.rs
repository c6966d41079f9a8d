//! Tickets through a real `Store`: records, index entries, counts, threads, attachment
//! references and the outbox. Listings are tested in [`list`].

mod list;
mod perf;
mod status_sorts;

use crate::domain::ticket::list::TabOrder;
use crate::store::{ReadTx, WriteTx};
use std::collections::BTreeMap;

use jiff::Timestamp;
use proptest::prelude::*;

use super::indexes::{Index, time_key};
use super::*;
pub(super) use crate::domain::ids::TopicId;
pub(super) use crate::domain::ticket::Status;
use crate::domain::ticket::{Attachment, Change, HistoryEntry, Message, Visibility};
use crate::store::tenants;

pub(super) struct Env {
    _dir: tempfile::TempDir,
    pub store: Store,
    pub t1: TenantId,
    pub t2: TenantId,
}

pub(super) fn at(second: i64) -> Timestamp {
    // A nanosecond part proves timestamps are stored exactly.
    Timestamp::new(1_767_225_600 + second, 123_456_789).unwrap()
}

pub(super) fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("tickets.redb")).unwrap();
    let (t1, t2) = store
        .write_blocking(|w| {
            let one = tenants::create_tenant(w, "one", "One", 0, at(0))?;
            let two = tenants::create_tenant(w, "two", "Two", 0, at(0))?;
            Ok((one.id, two.id))
        })
        .unwrap();
    Env {
        _dir: dir,
        store,
        t1,
        t2,
    }
}

pub(super) fn draft(tenant: TenantId, customer: u64) -> Ticket {
    Ticket {
        tenant,
        number: 0,
        subject: "Printer on fire".into(),
        body: "It **smokes**.".into(),
        customer: AccountId(customer),
        created_by: AccountId(customer),
        assignee: None,
        priority: None,
        topic: None,
        status: Status::New,
        created_at: at(10),
        updated_at: at(10),
        waiting_since: at(10),
        solution: None,
        deleted: None,
        message_count: 0,
        attachment_count: 0,
    }
}

pub(super) fn keys(rank: u32, name: &str) -> TicketIndexKeys {
    TicketIndexKeys {
        priority_rank: rank,
        customer_name: name.into(),
    }
}

impl Env {
    pub(super) fn w<R: Send + 'static>(
        &self,
        f: impl FnMut(&WriteTx) -> Result<R, StoreError> + Send + 'static,
    ) -> R {
        self.store.write_blocking(f).unwrap()
    }

    pub(super) fn r<R>(&self, f: impl FnOnce(&ReadTx) -> Result<R, StoreError>) -> R {
        self.store.read_blocking(f).unwrap()
    }

    pub(super) fn create(&self, t: Ticket, k: TicketIndexKeys) -> Ticket {
        self.w(move |w| create_ticket(w, &t, &k))
    }

    pub(super) fn put(&self, before: &Ticket, after: &Ticket, k: TicketIndexKeys) {
        let (b, a) = (before.clone(), after.clone());
        self.w(move |w| put_ticket(w, &b, &a, &k));
    }

    pub(super) fn get(&self, tenant: TenantId, number: u64) -> Option<Ticket> {
        self.r(|r| get_ticket(r, tenant, number))
    }

    pub(super) fn assert_consistent(&self) {
        for tenant in [self.t1, self.t2] {
            let problems = self.r(|r| verify_tickets(r, tenant));
            assert!(problems.is_empty(), "tenant {tenant}: {problems:#?}");
        }
    }
}

/// Every index entry of the tenant, by table name.
fn index_dump(env: &Env, tenant: TenantId) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    env.r(|r| {
        let mut out = BTreeMap::new();
        for index in Index::ALL {
            let table = r.open_table(index.table())?;
            let range = Key::tenant(tenant.0).prefix_range();
            let mut keys = Vec::new();
            for entry in table.range::<&[u8]>(range.bounds())? {
                keys.push(entry?.0.value().to_vec());
            }
            if !keys.is_empty() {
                out.insert(index.name(), keys);
            }
        }
        Ok(out)
    })
}

/// The entries a live ticket must have, built by hand from the table docs.
fn expected_live(t: &Ticket, rank: u32, name_key: &str) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let k = || Key::tenant(t.tenant.0);
    let n = t.number;
    let status = u64::from(t.status.as_u8());
    let none0 = |id: Option<u64>| id.unwrap_or(0);
    let rank = u64::from(rank);
    [
        (
            name::TICKET_BY_STATUS_WAIT,
            k().u64(status).u64(time_key(t.waiting_since)).u64(n),
        ),
        (
            name::TICKET_BY_STATUS_PRIORITY,
            k().u64(status)
                .u64(rank)
                .u64(time_key(t.waiting_since))
                .u64(n),
        ),
        (
            name::TICKET_BY_STATUS_CREATED,
            k().u64(status).u64(time_key(t.created_at)).u64(n),
        ),
        (
            name::TICKET_BY_STATUS_UPDATED,
            k().u64(status).u64(time_key(t.updated_at)).u64(n),
        ),
        (
            name::TICKET_BY_STATUS_CUSTOMER_NAME,
            k().u64(status).str(name_key).u64(n),
        ),
        (name::TICKET_BY_STATUS, k().u64(status).u64(n)),
        (
            name::TICKET_BY_STATUS_RANK,
            k().u64(status).u64(rank).u64(n),
        ),
        (
            name::TICKET_BY_PRIORITY_ID,
            k().u64(none0(t.priority.map(|p| p.0))).u64(n),
        ),
        (name::TICKET_BY_CUSTOMER, k().u64(t.customer.0).u64(n)),
        (
            name::TICKET_BY_ASSIGNEE,
            k().u64(none0(t.assignee.map(|a| a.0))).u64(n),
        ),
        (
            name::TICKET_BY_TOPIC,
            k().u64(none0(t.topic.map(|x| x.0))).u64(n),
        ),
    ]
    .into_iter()
    .map(|(table, key)| (table, vec![key.into_bytes()]))
    .collect()
}

fn counts(env: &Env, tenant: TenantId) -> TicketCounts {
    env.r(|r| ticket_counts(r, tenant))
}

fn outbox(env: &Env) -> Vec<(TenantId, u64, OutboxOp)> {
    env.r(|r| outbox_after(r, 0, 1000))
        .into_iter()
        .map(|e| (e.tenant, e.id, e.op))
        .collect()
}

#[test]
fn tickets_round_trip_and_stay_in_their_tenant() {
    let env = env();
    let mut t = draft(env.t1, 7);
    t.number = 99;
    t.created_by = AccountId(8);
    t.assignee = Some(AccountId(9));
    t.priority = Some(PriorityId(2));
    t.topic = Some(TopicId(3));
    t.status = Status::Waiting;
    t.updated_at = at(20);
    t.waiting_since = at(15);
    t.solution = Some("Unplug it".into());
    t.message_count = 4;
    t.attachment_count = 2;
    let created = env.create(t.clone(), keys(10, "Ada"));
    assert_eq!(created.number, 1, "the given number is ignored");
    assert_eq!(
        created,
        Ticket {
            number: 1,
            ..t.clone()
        }
    );
    assert_eq!(env.get(env.t1, 1), Some(created.clone()));
    assert_eq!(env.get(env.t2, 1), None);
    assert_eq!(env.get(env.t1, 2), None);

    let missing_tenant = draft(TenantId(77), 7);
    let err = env
        .store
        .write_blocking(move |w| create_ticket(w, &missing_tenant, &keys(0, "x")));
    assert!(matches!(err, Err(StoreError::NotFound)), "{err:?}");
    let instance = draft(TenantId::INSTANCE, 7);
    let err = env
        .store
        .write_blocking(move |w| create_ticket(w, &instance, &keys(0, "x")));
    assert!(matches!(err, Err(StoreError::NotFound)), "{err:?}");
    env.assert_consistent();
}

#[test]
fn numbers_are_sequential_per_tenant() {
    let env = env();
    let mut numbers = Vec::new();
    for tenant in [env.t1, env.t1, env.t2, env.t1, env.t2] {
        numbers.push((tenant, env.create(draft(tenant, 1), keys(0, "a")).number));
    }
    let (t1, t2) = (env.t1, env.t2);
    assert_eq!(numbers, vec![(t1, 1), (t1, 2), (t2, 1), (t1, 3), (t2, 2)]);
    // A failed command consumes no number.
    let failing = draft(t1, 1);
    let err = env.store.write_blocking(move |w| {
        create_ticket(w, &failing, &keys(0, "a"))?;
        Err::<(), _>(StoreError::Conflict("abort".into()))
    });
    assert!(err.is_err());
    assert_eq!(env.create(draft(t1, 1), keys(0, "a")).number, 4);
}

#[test]
fn index_entries_follow_every_change() {
    let env = env();
    let t1 = env.t1;
    // A neighbour in the other tenant must never show up in tenant 1's entries.
    env.create(draft(env.t2, 5), keys(0, "Other"));
    let new = env.create(draft(t1, 5), keys(7, "  Zoë Müller "));
    let name = "zoë müller";
    assert_eq!(index_dump(&env, t1), expected_live(&new, u32::MAX, name));
    assert_eq!(counts(&env, t1).by_status, [1, 0, 0, 0, 0]);
    env.assert_consistent();

    // Accept: status, assignee, priority and waiting clock change at once.
    let mut accepted = new.clone();
    accepted.status = Status::Open;
    accepted.assignee = Some(AccountId(20));
    accepted.priority = Some(PriorityId(1));
    accepted.waiting_since = at(30);
    accepted.updated_at = at(30);
    env.put(&new, &accepted, keys(5, "Zoë Müller"));
    assert_eq!(index_dump(&env, t1), expected_live(&accepted, 5, name));
    assert_eq!(counts(&env, t1).by_status, [0, 1, 0, 0, 0]);

    // Reassign, change priority (another rank) and topic, the customer's name.
    let mut changed = accepted.clone();
    changed.assignee = Some(AccountId(21));
    changed.priority = Some(PriorityId(2));
    changed.topic = Some(TopicId(4));
    changed.updated_at = at(40);
    env.put(&accepted, &changed, keys(2, "Zoe Mueller"));
    assert_eq!(
        index_dump(&env, t1),
        expected_live(&changed, 2, "zoe mueller")
    );
    env.assert_consistent();

    // A stale `before` is refused and changes nothing.
    let stale = accepted.clone();
    let mut other = accepted.clone();
    other.status = Status::Closed;
    let err = env
        .store
        .write_blocking(move |w| put_ticket(w, &stale, &other, &keys(2, "x")));
    assert!(
        matches!(err, Err(StoreError::Conflict(ref w)) if w == "ticket"),
        "{err:?}"
    );
    let (mut a, mut b) = (changed.clone(), changed.clone());
    b.number = 2;
    a.subject = "x".into();
    let err = env
        .store
        .write_blocking(move |w| put_ticket(w, &a, &b, &keys(2, "x")));
    assert!(matches!(err, Err(StoreError::Internal(_))), "{err:?}");
    assert_eq!(env.get(t1, 1), Some(changed.clone()));

    // Trash: only the trash entry is left; restore brings everything back.
    let mut trashed = changed.clone();
    trashed.deleted = Some((at(50), AccountId(20)));
    env.put(&changed, &trashed, keys(2, "Zoe Mueller"));
    let trash_only: BTreeMap<_, _> = [(
        name::TICKET_TRASH,
        vec![Key::tenant(t1.0).u64(1).into_bytes()],
    )]
    .into_iter()
    .collect();
    assert_eq!(index_dump(&env, t1), trash_only);
    assert_eq!(
        counts(&env, t1),
        TicketCounts {
            by_status: [0; 5],
            trash: 1
        }
    );
    env.assert_consistent();
    let mut restored = trashed.clone();
    restored.deleted = None;
    env.put(&trashed, &restored, keys(3, "Zoe Mueller"));
    assert_eq!(
        index_dump(&env, t1),
        expected_live(&restored, 3, "zoe mueller")
    );
    assert_eq!(counts(&env, t1).by_status, [0, 1, 0, 0, 0]);
    assert_eq!(counts(&env, t1).trash, 0);

    // Purge: nothing of the ticket is left, the other tenant untouched.
    let message = Message {
        tenant: t1,
        ticket: 1,
        seq: 0,
        author: AccountId(5),
        visibility: Visibility::Public,
        body: "hi".into(),
        attachments: Vec::new(),
        created_at: at(60),
    };
    env.w(move |w| add_message(w, &message));
    let entry = HistoryEntry {
        tenant: t1,
        ticket: 1,
        seq: 0,
        at: at(60),
        actor: AccountId(5),
        change: Change::Resolved,
    };
    env.w(move |w| add_history(w, &entry));
    assert_eq!(
        env.w(move |w| purge_ticket(w, t1, 1)),
        Vec::<[u8; 32]>::new()
    );
    assert!(index_dump(&env, t1).is_empty());
    assert_eq!(counts(&env, t1), TicketCounts::default());
    assert_eq!(env.get(t1, 1), None);
    assert!(env.r(|r| list_messages(r, t1, 1)).is_empty());
    assert!(env.r(|r| list_history(r, t1, 1)).is_empty());
    let again = env.store.write_blocking(move |w| purge_ticket(w, t1, 1));
    assert!(matches!(again, Err(StoreError::NotFound)));
    assert_eq!(index_dump(&env, env.t2).len(), 11);
    env.assert_consistent();
}

#[test]
fn reranking_a_priority_moves_its_tickets_in_batches() {
    let env = env();
    let t1 = env.t1;
    let mut numbers = Vec::new();
    for (i, prio) in [1u64, 2, 1, 2, 1].into_iter().enumerate() {
        let mut t = draft(t1, 5);
        t.status = Status::Open;
        t.priority = Some(PriorityId(prio));
        t.waiting_since = at(100 - i64::try_from(i).unwrap());
        let rank = if prio == 1 { 50 } else { 10 };
        numbers.push(env.create(t, keys(rank, "c")).number);
    }
    let order = |env: &Env| -> Vec<u64> {
        env.r(|r| tab_page(r, t1, Status::Open, TabOrder::Priority, None, 50))
            .tickets
            .iter()
            .map(|t| t.number)
            .collect()
    };
    assert_eq!(order(&env), vec![4, 2, 5, 3, 1]);
    // Priority 1 becomes the most urgent: re-key its tickets, two per transaction.
    let mut after = 0;
    loop {
        let batch = env.r(|r| tickets_with_priority(r, t1, PriorityId(1), after, 2));
        let Some(&last) = batch.last() else { break };
        let changed = env.w(move |w| {
            let mut changed = 0;
            for &n in &batch {
                changed += usize::from(set_index_keys(w, t1, n, &keys(1, "c"))?);
            }
            Ok(changed)
        });
        assert!(changed > 0);
        after = last;
        env.assert_consistent();
    }
    assert_eq!(order(&env), vec![5, 3, 1, 4, 2]);
    assert!(!env.w(move |w| set_index_keys(w, t1, 1, &keys(1, "c"))));
    // Re-keying touches neither the ticket nor the outbox.
    assert_eq!(outbox(&env).len(), 5);
    assert_eq!(env.get(t1, 1).unwrap().updated_at, at(10));
    let missing = env
        .store
        .write_blocking(move |w| set_index_keys(w, t1, 99, &keys(1, "c")));
    assert!(matches!(missing, Err(StoreError::NotFound)));
    assert_eq!(
        env.r(|r| ticket_numbers_of_customer(r, t1, AccountId(5), 2, 10)),
        vec![3, 4, 5]
    );
    assert_eq!(
        env.r(|r| tickets_with_priority(r, t1, PriorityId(2), 0, 10)),
        vec![2, 4]
    );
}

fn message(tenant: TenantId, ticket: u64, body: &str, hashes: &[u8]) -> Message {
    Message {
        tenant,
        ticket,
        seq: 0,
        author: AccountId(5),
        visibility: Visibility::Internal,
        body: body.into(),
        attachments: hashes
            .iter()
            .map(|&h| Attachment {
                hash: [h; 32],
                name: format!("file-{h}.png"),
                mime: "image/png".into(),
                size: u64::from(h) * 100,
            })
            .collect(),
        created_at: at(100),
    }
}

#[test]
fn messages_and_history_round_trip_in_order() {
    let env = env();
    let (t1, t2) = (env.t1, env.t2);
    for tenant in [t1, t1, t2] {
        env.create(draft(tenant, 5), keys(0, "c"));
    }
    let mut written = Vec::new();
    for (ticket, body) in [(1, "first"), (2, "other"), (1, "second"), (1, "third")] {
        let m = message(t1, ticket, body, &[]);
        written.push(env.w(move |w| add_message(w, &m)));
    }
    let seqs: Vec<(u64, u32)> = written.iter().map(|m| (m.ticket, m.seq)).collect();
    assert_eq!(seqs, vec![(1, 1), (2, 1), (1, 2), (1, 3)]);
    let thread = env.r(|r| list_messages(r, t1, 1));
    let bodies: Vec<&str> = thread.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["first", "second", "third"]);
    assert_eq!(thread[1], written[2]);
    assert_eq!(
        env.r(|r| get_message(r, t1, 1, 3)),
        Some(written[3].clone())
    );
    assert_eq!(env.r(|r| get_message(r, t2, 1, 1)), None);
    assert!(env.r(|r| list_messages(r, t2, 1)).is_empty());
    let orphan = message(t1, 9, "x", &[]);
    let err = env.store.write_blocking(move |w| add_message(w, &orphan));
    assert!(matches!(err, Err(StoreError::NotFound)));

    let changes = [
        Change::Created { on_behalf: true },
        Change::Accepted {
            assignee: AccountId(3),
            priority: PriorityId(4),
        },
        Change::Assigned {
            from: Some(AccountId(3)),
            to: AccountId(4),
        },
        Change::StatusChanged {
            from: Status::Open,
            to: Status::Waiting,
        },
        Change::PriorityChanged {
            from: None,
            to: PriorityId(1),
        },
        Change::TopicChanged {
            from: Some(TopicId(1)),
            to: None,
        },
        Change::Replied { seq: 2 },
        Change::Noted { seq: 3 },
        Change::Resolved,
        Change::Closed,
        Change::Reopened,
        Change::Deleted,
        Change::Restored,
    ];
    for (i, change) in changes.iter().enumerate() {
        let entry = HistoryEntry {
            tenant: t1,
            ticket: 1,
            seq: 77,
            at: at(200 + i64::try_from(i).unwrap()),
            actor: AccountId(3),
            change: change.clone(),
        };
        let stored = env.w(move |w| add_history(w, &entry));
        assert_eq!(stored.seq, u32::try_from(i).unwrap() + 1);
    }
    let history = env.r(|r| list_history(r, t1, 1));
    let got: Vec<Change> = history.iter().map(|h| h.change.clone()).collect();
    assert_eq!(got, changes);
    assert_eq!(history[3].at, at(203));
    assert!(env.r(|r| list_history(r, t1, 2)).is_empty());
    assert!(env.r(|r| list_history(r, t2, 1)).is_empty());
    env.assert_consistent();
}

#[test]
fn a_reported_ticket_starts_its_thread_in_the_same_write() {
    let env = env();
    let t1 = env.t1;
    env.create(draft(t1, 5), keys(0, "c"));
    let before = outbox(&env).len();
    let first = message(t1, 0, "it is broken", &[7]);
    let created = HistoryEntry {
        tenant: t1,
        ticket: 0,
        seq: 0,
        at: at(100),
        actor: AccountId(5),
        change: Change::Created { on_behalf: false },
    };
    let ticket = env
        .w(move |w| create_ticket_with_thread(w, &draft(t1, 5), &keys(0, "c"), &first, &created));
    assert_eq!(ticket.number, 2);
    let thread = env.r(|r| list_messages(r, t1, 2));
    assert_eq!(thread.len(), 1);
    assert_eq!((thread[0].ticket, thread[0].seq), (2, 1));
    assert_eq!(thread[0].body, "it is broken");
    let history = env.r(|r| list_history(r, t1, 2));
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].ticket, history[0].seq), (2, 1));
    assert_eq!(history[0].change, Change::Created { on_behalf: false });
    assert_eq!(env.r(|r| attachment_refcount(r, t1, &[7; 32])), 1);
    // One notice to the indexer covers the ticket and its first message.
    assert_eq!(outbox(&env).len(), before + 1);
    // Later entries continue the thread after the first ones.
    let reply = message(t1, 2, "more", &[]);
    assert_eq!(env.w(move |w| add_message(w, &reply)).seq, 2);
    env.assert_consistent();
}

#[test]
fn attachment_references_are_counted_per_tenant_and_instance() {
    let env = env();
    let (t1, t2) = (env.t1, env.t2);
    for tenant in [t1, t1, t2] {
        env.create(draft(tenant, 5), keys(0, "c"));
    }
    for m in [
        message(t1, 1, "a", &[1, 2]),
        message(t1, 2, "b", &[1]),
        message(t2, 1, "c", &[1, 3]),
    ] {
        env.w(move |w| add_message(w, &m));
    }
    let count = |tenant: TenantId, h: u8| env.r(|r| attachment_refcount(r, tenant, &[h; 32]));
    assert_eq!(
        (count(t1, 1), count(t2, 1), count(TenantId::INSTANCE, 1)),
        (2, 1, 3)
    );
    assert_eq!((count(t1, 2), count(t2, 2)), (1, 0));
    let has = |tenant: TenantId, h: u8| env.r(|r| tenant_has_blob(r, tenant, &[h; 32]));
    assert!(has(t1, 2) && !has(t2, 2) && has(t2, 3) && !has(t1, 3));
    assert!(
        !has(TenantId::INSTANCE, 1),
        "the instance row answers for nobody"
    );
    env.assert_consistent();

    // Hash 2 loses its last reference; hash 1 is still used elsewhere.
    assert_eq!(env.w(move |w| purge_ticket(w, t1, 1)), vec![[2; 32]]);
    assert_eq!((count(t1, 1), count(TenantId::INSTANCE, 1)), (1, 2));
    assert!(!has(t1, 2) && !env.r(|r| blob_referenced(r, &[2; 32])));
    assert_eq!(
        env.w(move |w| purge_ticket(w, t1, 2)),
        Vec::<[u8; 32]>::new()
    );
    assert!(!has(t1, 1) && env.r(|r| blob_referenced(r, &[1; 32])));
    let mut last = env.w(move |w| purge_ticket(w, t2, 1));
    last.sort_unstable();
    assert_eq!(last, vec![[1; 32], [3; 32]]);
    assert_eq!(count(TenantId::INSTANCE, 1), 0);
    env.assert_consistent();
}

#[test]
fn the_outbox_records_every_searchable_change_in_order() {
    let env = env();
    let (t1, t2) = (env.t1, env.t2);
    assert_eq!(env.r(outbox_head), 0);
    let one = env.create(draft(t1, 5), keys(0, "c"));
    env.create(draft(t2, 5), keys(0, "c"));
    let m = message(t1, 1, "x", &[]);
    env.w(move |w| add_message(w, &m));
    let mut trashed = one.clone();
    trashed.deleted = Some((at(20), AccountId(1)));
    env.put(&one, &trashed, keys(0, "c"));
    env.put(&trashed, &one, keys(0, "c"));
    env.w(move |w| purge_ticket(w, t1, 1));
    use OutboxOp::{Delete, Upsert};
    assert_eq!(
        outbox(&env),
        vec![
            (t1, 1, Upsert),
            (t2, 1, Upsert),
            (t1, 1, Upsert),
            (t1, 1, Delete),
            (t1, 1, Upsert),
            (t1, 1, Delete),
        ]
    );
    let all = env.r(|r| outbox_after(r, 0, 100));
    let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    assert!(all.iter().all(|e| e.kind == OutboxKind::Ticket));
    let page = env.r(|r| outbox_after(r, 2, 2));
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert!(env.r(|r| outbox_after(r, u64::MAX, 10)).is_empty());
    assert_eq!(env.r(outbox_head), 6);

    env.w(|w| trim_outbox(w, 4));
    let rest = env.r(|r| outbox_after(r, 0, 100));
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 6]);
    env.w(|w| trim_outbox(w, u64::MAX));
    assert!(env.r(|r| outbox_after(r, 0, 100)).is_empty());
    assert_eq!(env.r(outbox_head), 6, "trimming never reissues seqs");
    env.create(draft(t1, 5), keys(0, "c"));
    let next = env.r(|r| outbox_after(r, 6, 10));
    assert_eq!(
        next,
        vec![OutboxEntry {
            seq: 7,
            tenant: t1,
            kind: OutboxKind::Ticket,
            id: 2,
            op: Upsert
        }]
    );
}

#[test]
fn tickets_after_pages_through_a_tenant_for_rebuilds() {
    let env = env();
    let (t1, t2) = (env.t1, env.t2);
    for tenant in [t1, t2, t1, t1] {
        env.create(draft(tenant, 5), keys(0, "c"));
    }
    let three = env.get(t1, 3).unwrap();
    let mut trashed = three.clone();
    trashed.deleted = Some((at(20), AccountId(1)));
    env.put(&three, &trashed, keys(0, "c"));
    let numbers = |after, limit| -> Vec<u64> {
        env.r(|r| tickets_after(r, t1, after, limit))
            .iter()
            .map(|t| t.number)
            .collect()
    };
    assert_eq!(numbers(0, 2), vec![1, 2]);
    assert_eq!(numbers(2, 2), vec![3], "trashed tickets are included");
    assert!(numbers(3, 2).is_empty());
    assert!(numbers(u64::MAX, 2).is_empty());
}

#[test]
fn counts_can_be_repaired() {
    let env = env();
    let t1 = env.t1;
    for status in [Status::New, Status::Closed, Status::Closed] {
        let mut t = draft(t1, 5);
        t.status = status;
        env.create(t, keys(0, "c"));
    }
    env.w(move |w| {
        let mut table = w.open_table(crate::store::tables::TICKET_COUNTS)?;
        table.insert(Key::tenant(t1.0).u64(2).as_bytes(), 40)?;
        Ok(())
    });
    assert!(!env.r(|r| verify_tickets(r, t1)).is_empty());
    let repaired = env.w(move |w| repair_counts(w, t1));
    assert_eq!(repaired.by_status, [1, 0, 0, 0, 2]);
    assert_eq!(env.r(|r| tab_counts(r, t1)), [1, 0, 0, 0, 2]);
    assert_eq!(env.r(|r| trash_count(r, t1)), 0);
    env.assert_consistent();
}

#[test]
fn record_layout_is_pinned() {
    let t = draft(TenantId(1), 2);
    let s = Snapshot::new(&t, 3, "Name");
    let bytes =
        crate::store::record::encode_current::<TicketRecord>("tickets", to_record(&t, &s)).unwrap();
    assert_eq!(&bytes[..3], &[0, 1, 0], "variant V1, tenant 1, number 0");
    let back = decode_stored(&bytes).unwrap();
    assert_eq!(back.ticket, t);
    assert_eq!(
        back.snapshot.priority_rank,
        u32::MAX,
        "no priority sorts last"
    );
    assert_eq!(back.snapshot.customer_name, "name");
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    Create {
        tenant: bool,
        status: u8,
        customer: u64,
        priority: Option<u64>,
        rank: u32,
    },
    Update {
        tenant: bool,
        pick: usize,
        status: u8,
        assignee: Option<u64>,
        priority: Option<u64>,
        rank: u32,
        shift: i64,
    },
    Rekey {
        tenant: bool,
        pick: usize,
        rank: u32,
        name: u8,
    },
    Trash {
        tenant: bool,
        pick: usize,
    },
    Restore {
        tenant: bool,
        pick: usize,
    },
    Purge {
        tenant: bool,
        pick: usize,
    },
    Reply {
        tenant: bool,
        pick: usize,
        hash: Option<u8>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let tenant = any::<bool>();
    let pick = 0usize..16;
    let prio = prop::option::of(1u64..4);
    prop_oneof![
        3 => (tenant, 0u8..5, 1u64..4, prio.clone(), 0u32..4).prop_map(
            |(tenant, status, customer, priority, rank)| Op::Create {
                tenant, status, customer, priority, rank
            }
        ),
        3 => (tenant, pick.clone(), 0u8..5, prop::option::of(1u64..3), prio, 0u32..4, -5i64..5)
            .prop_map(|(tenant, pick, status, assignee, priority, rank, shift)| Op::Update {
                tenant, pick, status, assignee, priority, rank, shift
            }),
        1 => (tenant, pick.clone(), 0u32..4, 0u8..3)
            .prop_map(|(tenant, pick, rank, name)| Op::Rekey { tenant, pick, rank, name }),
        1 => (tenant, pick.clone()).prop_map(|(tenant, pick)| Op::Trash { tenant, pick }),
        1 => (tenant, pick.clone()).prop_map(|(tenant, pick)| Op::Restore { tenant, pick }),
        1 => (tenant, pick.clone()).prop_map(|(tenant, pick)| Op::Purge { tenant, pick }),
        1 => (tenant, pick, prop::option::of(0u8..3))
            .prop_map(|(tenant, pick, hash)| Op::Reply { tenant, pick, hash }),
    ]
}

/// Applies `op` in one write transaction; picks among the tenant's existing tickets.
fn apply(w: &WriteTx, t1: TenantId, t2: TenantId, op: &Op) -> Result<(), StoreError> {
    let tenant_of = |second: bool| if second { t2 } else { t1 };
    let pick = |tenant: TenantId, pick: usize| -> Result<Option<Ticket>, StoreError> {
        let all = tickets_after(w, tenant, 0, usize::MAX)?;
        Ok(if all.is_empty() {
            None
        } else {
            all.get(pick % all.len()).cloned()
        })
    };
    let name_keys = |t: &Ticket, rank: u32| keys(rank, &format!("Customer {}", t.customer));
    match *op {
        Op::Create {
            tenant,
            status,
            customer,
            priority,
            rank,
        } => {
            let mut t = draft(tenant_of(tenant), customer);
            t.status = Status::from_u8(status).unwrap_or(Status::New);
            t.priority = priority.map(PriorityId);
            let k = name_keys(&t, rank);
            create_ticket(w, &t, &k)?;
        }
        Op::Update {
            tenant,
            pick: p,
            status,
            assignee,
            priority,
            rank,
            shift,
        } => {
            if let Some(before) = pick(tenant_of(tenant), p)? {
                let mut after = before.clone();
                after.status = Status::from_u8(status).unwrap_or(Status::Open);
                after.assignee = assignee.map(AccountId);
                after.priority = priority.map(PriorityId);
                after.waiting_since = at(100 + shift);
                after.updated_at = at(200 + shift);
                let k = name_keys(&after, rank);
                put_ticket(w, &before, &after, &k)?;
            }
        }
        Op::Rekey {
            tenant,
            pick: p,
            rank,
            name,
        } => {
            if let Some(t) = pick(tenant_of(tenant), p)? {
                set_index_keys(w, t.tenant, t.number, &keys(rank, &format!("N{name}")))?;
            }
        }
        Op::Trash { tenant, pick: p } | Op::Restore { tenant, pick: p } => {
            if let Some(before) = pick(tenant_of(tenant), p)? {
                let mut after = before.clone();
                after.deleted = match op {
                    Op::Trash { .. } => Some((at(300), AccountId(1))),
                    _ => None,
                };
                let k = name_keys(&after, 1);
                put_ticket(w, &before, &after, &k)?;
            }
        }
        Op::Purge { tenant, pick: p } => {
            if let Some(t) = pick(tenant_of(tenant), p)? {
                purge_ticket(w, t.tenant, t.number)?;
            }
        }
        Op::Reply {
            tenant,
            pick: p,
            hash,
        } => {
            if let Some(t) = pick(tenant_of(tenant), p)? {
                let hashes: Vec<u8> = hash.into_iter().collect();
                add_message(w, &message(t.tenant, t.number, "reply", &hashes))?;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn counts_and_indexes_stay_exact_under_random_operations(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let env = env();
        let (t1, t2) = (env.t1, env.t2);
        for op in ops {
            env.w(move |w| apply(w, t1, t2, &op));
        }
        let mut instance_refs: BTreeMap<[u8; 32], u64> = BTreeMap::new();
        for tenant in [t1, t2] {
            let kept = counts(&env, tenant);
            prop_assert_eq!(kept, env.r(|r| recount(r, tenant)));
            let tabs: u64 = env.r(|r| tab_counts(r, tenant)).iter().sum();
            let listed = env.r(|r| list_tickets(r, tenant, &ListQuery {
                limit: MAX_PAGE,
                ..ListQuery::default()
            }));
            prop_assert_eq!(usize::try_from(tabs).unwrap(), listed.tickets.len());
            let problems = env.r(|r| verify_tickets(r, tenant));
            prop_assert!(problems.is_empty(), "{:#?}", problems);
            for (hash, n) in env.r(|r| messages::expected_refs(r, tenant)) {
                *instance_refs.entry(hash).or_default() += n;
            }
        }
        for h in 0u8..3 {
            let want = instance_refs.get(&[h; 32]).copied().unwrap_or(0);
            let have = env.r(|r| attachment_refcount(r, TenantId::INSTANCE, &[h; 32]));
            prop_assert_eq!(want, have);
        }
    }
}
