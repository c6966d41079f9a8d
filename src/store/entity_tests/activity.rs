//! Sessions, API tokens, invitations and the audit log.

use super::{at, new_account, new_tenant, open, read, write};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::ids::{AccountId, TenantId, TokenId};
use crate::domain::invitations::Invitation;
use crate::domain::role::Role;
use crate::domain::sessions::Session;
use crate::store::{Store, StoreError, audit, invitations, sessions, tokens};

fn hash(n: u8) -> [u8; 32] {
    // Zero bytes inside exercise the key escaping.
    let mut h = [0u8; 32];
    h[0] = n;
    h[31] = n.wrapping_mul(3);
    h
}

fn session(n: u8, account: AccountId, created: i64, seen: i64) -> Session {
    Session {
        id_hash: hash(n),
        account,
        created_at: at(created),
        last_seen: at(seen),
        tenant: None,
        user_agent: format!("agent {n}"),
    }
}

fn put_sessions(store: &Store, list: Vec<Session>) {
    write(store, move |w| {
        for s in &list {
            sessions::put_session(w, s)?;
        }
        Ok(())
    })
    .unwrap();
}

fn sorted_hashes(mut list: Vec<Session>) -> Vec<[u8; 32]> {
    list.sort_by_key(|s| s.id_hash);
    list.into_iter().map(|s| s.id_hash).collect()
}

#[test]
fn sessions_round_trip_and_are_listed_per_account() {
    let (_dir, store) = open();
    let (ada, bob) = (AccountId(1), AccountId(2));
    let mine = session(1, ada, 0, 10);
    put_sessions(
        &store,
        vec![mine.clone(), session(2, ada, 0, 5), session(3, bob, 0, 5)],
    );
    assert_eq!(
        read(&store, |r| sessions::get_session(r, &hash(1))),
        Some(mine)
    );
    assert_eq!(read(&store, |r| sessions::get_session(r, &hash(9))), None);
    assert_eq!(
        sorted_hashes(read(&store, |r| sessions::sessions_of_account(r, ada))),
        vec![hash(1), hash(2)]
    );

    assert!(write(&store, |w| sessions::delete_session(w, &hash(1))).unwrap());
    assert!(!write(&store, |w| sessions::delete_session(w, &hash(1))).unwrap());
    assert_eq!(
        sorted_hashes(read(&store, |r| sessions::sessions_of_account(r, ada))),
        vec![hash(2)]
    );

    // A session handed to another account leaves the first one's list.
    put_sessions(&store, vec![session(2, bob, 0, 6)]);
    assert!(read(&store, |r| sessions::sessions_of_account(r, ada)).is_empty());
    assert_eq!(
        sorted_hashes(read(&store, |r| sessions::sessions_of_account(r, bob))),
        vec![hash(2), hash(3)]
    );
}

#[test]
fn all_sessions_of_an_account_can_be_ended() {
    let (_dir, store) = open();
    let (ada, bob) = (AccountId(1), AccountId(2));
    put_sessions(
        &store,
        vec![
            session(1, ada, 0, 0),
            session(2, ada, 0, 0),
            session(3, bob, 0, 0),
        ],
    );
    assert_eq!(
        write(&store, move |w| sessions::delete_sessions_of_account(
            w, ada
        ))
        .unwrap(),
        2
    );
    assert!(read(&store, |r| sessions::sessions_of_account(r, ada)).is_empty());
    assert_eq!(read(&store, |r| sessions::get_session(r, &hash(1))), None);
    assert!(read(&store, |r| sessions::get_session(r, &hash(3))).is_some());
    assert_eq!(
        write(&store, move |w| sessions::delete_sessions_of_account(
            w, ada
        ))
        .unwrap(),
        0
    );
}

#[test]
fn touching_updates_live_sessions_and_skips_ended_ones() {
    let (_dir, store) = open();
    let ada = AccountId(1);
    put_sessions(&store, vec![session(1, ada, 0, 10), session(2, ada, 0, 10)]);
    write(&store, |w| sessions::delete_session(w, &hash(2))).unwrap();
    let batch = vec![
        (hash(1), at(60), Some(TenantId(4))),
        (hash(2), at(60), Some(TenantId(4))),
        (hash(7), at(60), None),
    ];
    assert_eq!(
        write(&store, move |w| sessions::touch_sessions(w, &batch)).unwrap(),
        1
    );
    let live = read(&store, |r| sessions::get_session(r, &hash(1))).unwrap();
    assert_eq!((live.last_seen, live.tenant), (at(60), Some(TenantId(4))));
    assert_eq!(
        read(&store, |r| sessions::get_session(r, &hash(2))),
        None,
        "not brought back"
    );
    assert_eq!(read(&store, |r| sessions::get_session(r, &hash(7))), None);
    assert_eq!(
        sorted_hashes(read(&store, |r| sessions::sessions_of_account(r, ada))),
        vec![hash(1)]
    );

    // A late batch does not move "last seen" back.
    let late = vec![(hash(1), at(30), None)];
    assert_eq!(
        write(&store, move |w| sessions::touch_sessions(w, &late)).unwrap(),
        0
    );
    let live = read(&store, |r| sessions::get_session(r, &hash(1))).unwrap();
    assert_eq!((live.last_seen, live.tenant), (at(60), Some(TenantId(4))));
}

#[test]
fn expired_sessions_are_removed_with_their_index_entries() {
    let (_dir, store) = open();
    let ada = AccountId(1);
    put_sessions(
        &store,
        vec![
            session(1, ada, 0, 100),   // started too long ago
            session(2, ada, 500, 510), // idle too long
            session(3, ada, 500, 900), // live
        ],
    );
    let removed = write(&store, |w| {
        sessions::delete_expired_sessions(w, at(600), at(400))
    });
    assert_eq!(removed.unwrap(), 2);
    assert_eq!(
        sorted_hashes(read(&store, |r| sessions::sessions_of_account(r, ada))),
        vec![hash(3)]
    );
}

#[test]
fn tokens_are_found_by_hash_and_listed_per_account() {
    let (_dir, store) = open();
    let ada = new_account(&store, "ada@example.org", false).id;
    let bob = new_account(&store, "bob@example.org", false).id;
    let (mut first, second, bobs) = write(&store, move |w| {
        Ok((
            tokens::create_token(w, ada, "ci", hash(1), Some(at(1000)), at(5))?,
            tokens::create_token(w, ada, "backup", hash(2), None, at(6))?,
            tokens::create_token(w, bob, "script", hash(3), None, at(7))?,
        ))
    })
    .unwrap();
    assert_eq!(
        (first.id, second.id, bobs.id),
        (TokenId(1), TokenId(2), TokenId(3))
    );
    assert!(!first.revoked && first.last_used.is_none());
    assert_eq!(
        read(&store, |r| tokens::token_by_hash(r, &hash(1))),
        Some(first.clone())
    );
    assert_eq!(read(&store, |r| tokens::token_by_hash(r, &hash(9))), None);
    assert_eq!(
        read(&store, |r| tokens::tokens_of_account(r, ada)),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        read(&store, |r| tokens::tokens_of_account(r, bob)),
        vec![bobs.clone()]
    );
    assert_eq!(read(&store, |r| tokens::get_token(r, bob, first.id)), None);

    first.revoked = true;
    first.last_used = Some(at(50));
    let t = first.clone();
    write(&store, move |w| tokens::put_token(w, &t)).unwrap();
    assert_eq!(
        read(&store, |r| tokens::token_by_hash(r, &hash(1))),
        Some(first)
    );

    let reused = write(&store, move |w| {
        tokens::create_token(w, bob, "x", hash(2), None, at(8))
    });
    assert!(matches!(reused, Err(StoreError::Conflict(ref w)) if w == "token"));
    let orphan = write(&store, |w| {
        tokens::create_token(w, AccountId(9), "x", hash(4), None, at(8))
    });
    assert!(matches!(orphan, Err(StoreError::NotFound)));
    assert_eq!(read(&store, |r| tokens::token_by_hash(r, &hash(4))), None);
}

fn invitation(n: u8, tenant: TenantId, created: i64) -> Invitation {
    Invitation {
        token_hash: hash(n),
        tenant,
        email: format!("guest{n}@example.org"),
        role: Role::Supporter,
        invited_by: AccountId(1),
        created_at: at(created),
        expires_at: at(created + 86_400),
        used: false,
    }
}

#[test]
fn invitations_are_found_by_hash_and_kept_per_tenant() {
    let (_dir, store) = open();
    let (t1, t2) = (new_tenant(&store, "one").id, new_tenant(&store, "two").id);
    let (old, new, other) = (
        invitation(1, t1, 0),
        invitation(2, t1, 10),
        invitation(3, t2, 5),
    );
    for i in [&old, &new, &other] {
        let i = i.clone();
        write(&store, move |w| invitations::put_invitation(w, &i)).unwrap();
    }
    assert_eq!(
        read(&store, |r| invitations::invitation_by_hash(r, &hash(3))),
        Some(other.clone())
    );
    assert_eq!(
        read(&store, |r| invitations::invitations_of_tenant(r, t1)),
        vec![new.clone(), old.clone()]
    );
    assert_eq!(
        read(&store, |r| invitations::invitations_of_tenant(r, t2)),
        vec![other]
    );

    let mut used = old.clone();
    used.used = true;
    let u = used.clone();
    write(&store, move |w| invitations::put_invitation(w, &u)).unwrap();
    assert_eq!(
        read(&store, |r| invitations::invitation_by_hash(r, &hash(1))),
        Some(used)
    );

    let mut stolen = new.clone();
    stolen.tenant = t2;
    let clash = write(&store, move |w| invitations::put_invitation(w, &stolen));
    assert!(matches!(clash, Err(StoreError::Conflict(ref w)) if w == "invitation"));
    let orphan = invitation(4, TenantId(9), 0);
    let orphan = write(&store, move |w| invitations::put_invitation(w, &orphan));
    assert!(matches!(orphan, Err(StoreError::NotFound)));

    assert!(write(&store, |w| invitations::delete_invitation(w, &hash(2))).unwrap());
    assert_eq!(
        read(&store, |r| invitations::invitation_by_hash(r, &hash(2))),
        None
    );
    assert_eq!(
        read(&store, |r| invitations::invitations_of_tenant(r, t1)).len(),
        1
    );
}

fn event(tenant: TenantId, kind: AuditKind, actor: Option<AccountId>, n: i64) -> AuditEvent {
    AuditEvent {
        tenant,
        seq: 0,
        at: at(n),
        kind,
        actor,
        subject: format!("subject {n}"),
        detail: String::new(),
        client_addr: "192.0.2.1".into(),
    }
}

fn seqs(list: &[AuditEvent]) -> Vec<u64> {
    list.iter().map(|e| e.seq).collect()
}

#[test]
fn audit_is_newest_first_paged_filtered_and_per_tenant() {
    let (_dir, store) = open();
    let (t1, t2) = (TenantId(1), TenantId(2));
    let (ada, bob) = (Some(AccountId(1)), Some(AccountId(2)));
    let appended = write(&store, move |w| {
        let mut seqs = Vec::new();
        for n in 0..12 {
            let kind = if n % 3 == 0 {
                AuditKind::RoleChanged
            } else {
                AuditKind::SignedIn
            };
            let actor = if n % 2 == 0 { ada } else { bob };
            seqs.push(audit::append_audit(w, &event(t1, kind, actor, n))?);
        }
        seqs.push(audit::append_audit(
            w,
            &event(t2, AuditKind::RoleChanged, ada, 99),
        )?);
        seqs.push(audit::append_audit(
            w,
            &event(TenantId::INSTANCE, AuditKind::InstanceSetUp, None, 0),
        )?);
        Ok(seqs)
    })
    .unwrap();
    assert_eq!(appended[..12], (1..=12).collect::<Vec<u64>>());
    assert_eq!(appended[12..], [1, 1], "each tenant counts on its own");

    let list = |kind, actor, before, limit| {
        read(&store, move |r| {
            audit::list_audit(r, t1, kind, actor, before, limit)
        })
    };
    let page1 = list(None, None, None, 5);
    assert_eq!(seqs(&page1), [12, 11, 10, 9, 8]);
    assert_eq!(page1[0].subject, "subject 11");
    assert_eq!(page1[0].at, at(11));
    let page2 = list(None, None, page1.last().map(|e| e.seq), 5);
    assert_eq!(seqs(&page2), [7, 6, 5, 4, 3]);
    assert_eq!(seqs(&list(None, None, Some(3), 5)), [2, 1]);
    assert!(list(None, None, Some(1), 5).is_empty());
    assert!(list(None, None, None, 0).is_empty());

    // Role changes are n = 0, 3, 6, 9, i.e. seqs 1, 4, 7, 10.
    let roles = Some(AuditKind::RoleChanged);
    let first = list(roles, None, None, 3);
    assert_eq!(seqs(&first), [10, 7, 4]);
    assert!(first.iter().all(|e| e.kind == AuditKind::RoleChanged));
    assert_eq!(seqs(&list(roles, None, Some(4), 3)), [1]);

    // Ada acted at even n (odd seqs); her role changes are n = 0, 6.
    assert_eq!(seqs(&list(None, ada, None, 3)), [11, 9, 7]);
    assert_eq!(seqs(&list(roles, ada, None, 10)), [7, 1]);
    assert_eq!(seqs(&list(roles, bob, Some(10), 10)), [4]);

    let other = read(&store, move |r| {
        audit::list_audit(r, t2, None, None, None, 50)
    });
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].subject, "subject 99");
    let instance = read(&store, |r| {
        audit::list_audit(r, TenantId::INSTANCE, None, None, None, 50)
    });
    assert_eq!(instance.len(), 1);
    assert_eq!(instance[0].actor, None);
    assert!(
        read(&store, |r| audit::list_audit(
            r,
            TenantId(3),
            None,
            ada,
            None,
            50
        ))
        .is_empty()
    );
}
