use super::*;
use proptest::prelude::*;

const CUSTOMER: AccountId = AccountId(10);
const OTHER_STAFF: AccountId = AccountId(20);

fn ticket(status: Status) -> Ticket {
    let t = Timestamp::UNIX_EPOCH;
    Ticket {
        tenant: TenantId(1),
        number: 1,
        subject: "s".into(),
        body: "b".into(),
        customer: CUSTOMER,
        created_by: CUSTOMER,
        assignee: None,
        priority: None,
        topic: None,
        status,
        created_at: t,
        updated_at: t,
        waiting_since: t,
        solution: None,
        deleted: None,
        message_count: 0,
        attachment_count: 0,
    }
}

fn customer() -> Actor {
    Actor {
        account: CUSTOMER,
        role: Role::Customer,
    }
}

fn supporter() -> Actor {
    Actor {
        account: OTHER_STAFF,
        role: Role::Supporter,
    }
}

fn admin() -> Actor {
    Actor {
        account: AccountId(30),
        role: Role::TenantAdmin,
    }
}

fn all_actions() -> Vec<Action> {
    vec![
        Action::Accept {
            assignee: OTHER_STAFF,
            priority: PriorityId(1),
        },
        Action::Assign { to: OTHER_STAFF },
        Action::Reply {
            visibility: Visibility::Public,
        },
        Action::Reply {
            visibility: Visibility::Internal,
        },
        Action::ChangePriority { to: PriorityId(2) },
        Action::ChangeTopic { to: None },
        Action::Resolve,
        Action::Close,
        Action::Reopen,
        Action::Delete,
        Action::Restore,
        Action::Purge,
    ]
}

/// The full table: (status, actor, action code) → resulting status, or refusal.
fn expected(status: Status, who: &str, action: &str) -> Result<Status, Refusal> {
    use Status::*;
    let staff = who != "customer";
    match (action, staff, status) {
        ("restore" | "purge", _, _) if who == "admin" => Err(Refusal::NotInTrash),
        ("restore" | "purge", _, _) => Err(Refusal::NotAllowed),
        ("accept", false, _) => Err(Refusal::NotAllowed),
        ("accept", true, New) => Ok(Open),
        ("accept", true, _) => Err(Refusal::WrongStatus),
        ("assign" | "priority" | "topic", false, _) => Err(Refusal::NotAllowed),
        ("assign" | "priority" | "topic", true, Closed) => Err(Refusal::WrongStatus),
        ("assign" | "priority" | "topic", true, s) => Ok(s),
        ("note", false, _) => Err(Refusal::NotAllowed),
        ("note", true, s) => Ok(s),
        ("reply", true, Open) => Ok(Waiting),
        ("reply", true, Waiting) => Ok(Waiting),
        ("reply", true, _) => Err(Refusal::WrongStatus),
        ("reply", false, Waiting | Resolved) => Ok(Open),
        ("reply", false, New | Open) => Ok(status),
        ("reply", false, Closed) => Err(Refusal::WrongStatus),
        ("resolve", false, _) => Err(Refusal::NotAllowed),
        ("resolve", true, New | Open | Waiting) => Ok(Resolved),
        ("resolve", true, _) => Err(Refusal::WrongStatus),
        ("close", false, _) => Err(Refusal::NotAllowed),
        ("close", true, Closed) => Err(Refusal::WrongStatus),
        ("close", true, _) => Ok(Closed),
        ("reopen", false, _) => Err(Refusal::NotAllowed),
        ("reopen", true, Resolved | Closed) => Ok(Open),
        ("reopen", true, _) => Err(Refusal::WrongStatus),
        ("delete", false, _) => Err(Refusal::NotAllowed),
        ("delete", true, s) => Ok(s),
        _ => unreachable!("{action}"),
    }
}

#[test]
fn every_transition_matches_the_table() {
    for status in Status::ALL {
        for (who, actor) in [
            ("customer", customer()),
            ("supporter", supporter()),
            ("admin", admin()),
        ] {
            for action in all_actions() {
                let got = decide(&ticket(status), actor, &action).map(|o| o.status);
                assert_eq!(
                    got,
                    expected(status, who, action.code()),
                    "{status:?} {who} {}",
                    action.code()
                );
            }
        }
    }
}

#[test]
fn trashed_tickets_only_restore_or_purge_by_admins() {
    for status in Status::ALL {
        let mut t = ticket(status);
        t.deleted = Some((Timestamp::UNIX_EPOCH, OTHER_STAFF));
        for action in all_actions() {
            let admin_result = decide(&t, admin(), &action);
            let supporter_result = decide(&t, supporter(), &action);
            match action {
                Action::Restore | Action::Purge => {
                    assert_eq!(admin_result.map(|o| o.status), Ok(status));
                    assert_eq!(supporter_result, Err(Refusal::NotAllowed));
                }
                _ => {
                    assert_eq!(admin_result, Err(Refusal::InTrash));
                    assert_eq!(supporter_result, Err(Refusal::InTrash));
                }
            }
        }
    }
}

#[test]
fn staff_filing_their_own_ticket_answer_as_the_requester() {
    let mut t = ticket(Status::Waiting);
    t.customer = OTHER_STAFF;
    let reply = Action::Reply {
        visibility: Visibility::Public,
    };
    assert_eq!(
        decide(&t, supporter(), &reply).map(|o| o.status),
        Ok(Status::Open)
    );
}

#[test]
fn codes_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.code()), Some(s));
        assert_eq!(Status::from_u8(s.as_u8()), Some(s));
    }
    for t in Tab::ALL {
        assert_eq!(Tab::parse(t.code()), Some(t));
        assert_eq!(t.status().tab(), Some(t));
    }
}

fn any_status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

proptest! {
    /// Customers never move a ticket anywhere but back to support (Open), and no
    /// sequence of allowed actions ever leaves Closed except by a staff reopen.
    #[test]
    fn random_sequences_keep_the_invariants(start in any_status(), steps in prop::collection::vec((0usize..3, 0usize..12), 0..40)) {
        let actors = [customer(), supporter(), admin()];
        let actions = all_actions();
        let mut t = ticket(start);
        for (who, what) in steps {
            let actor = actors[who];
            let action = &actions[what];
            let before = t.status;
            if let Ok(outcome) = decide(&t, actor, action) {
                if actor.role == Role::Customer {
                    prop_assert!(outcome.status == before || outcome.status == Status::Open);
                }
                if before == Status::Closed && outcome.status != Status::Closed {
                    prop_assert!(matches!(action, Action::Reopen) && actor.role.is_staff());
                }
                match action {
                    Action::Delete => t.deleted = Some((Timestamp::UNIX_EPOCH, actor.account)),
                    Action::Restore => t.deleted = None,
                    _ => {}
                }
                t.status = outcome.status;
            }
        }
    }
}
