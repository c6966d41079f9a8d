//! The tab counts are kept incrementally; after any sequence of operations they equal a
//! full recount (property test through the service layer), and the badges show them.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use supportbox::domain::ids::AccountId;
use supportbox::domain::ids::PriorityId;
use supportbox::domain::ticket::Status;
use supportbox::service::ServiceError;
use supportbox::service::tickets::{Command, NewTicket};
use supportbox::store::tickets as store_tickets;

use super::{acme_caller, new_ticket, priority_id};
use crate::support::TestApp;

#[derive(Debug, Clone)]
enum Op {
    /// By person 0..5 (Carl, Cleo, Sam, Sara, Alma); staff file it for Carl.
    Create { who: usize },
    /// Command `cmd` on the `ticket`-th ticket created so far (modulo), by person `who`.
    Act {
        ticket: usize,
        who: usize,
        cmd: usize,
    },
    /// Ten minutes pass.
    Wait,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0usize..5).prop_map(|who| Op::Create { who }),
        8 => (0usize..64, 0usize..5, 0usize..12)
            .prop_map(|(ticket, who, cmd)| Op::Act { ticket, who, cmd }),
        1 => Just(Op::Wait),
    ]
}

fn command(cmd: usize, high: PriorityId, low: PriorityId, sara: AccountId) -> Command {
    match cmd {
        0 => Command::Accept {
            priority: high,
            assignee: None,
        },
        1 => Command::Assign {
            to: sara,
            note: "over to you".to_owned(),
        },
        2 => Command::Reply {
            body: "a public reply".to_owned(),
            internal: false,
            attachments: Vec::new(),
        },
        3 => Command::Reply {
            body: "an internal note".to_owned(),
            internal: true,
            attachments: Vec::new(),
        },
        4 => Command::SetPriority(low),
        5 => Command::SetTopic(None),
        6 => Command::Resolve {
            solution: "fixed".to_owned(),
        },
        7 => Command::Close,
        8 => Command::Reopen,
        9 => Command::Delete,
        10 => Command::Restore,
        _ => Command::Purge,
    }
}

/// Kept counts, recount and what the service reports, for acme.
async fn check_counts(app: &TestApp, when: &str) -> Result<(), TestCaseError> {
    let tenant = app.fx().acme.id;
    let (kept, full, problems) = app
        .state
        .store
        .read(move |r| {
            Ok((
                store_tickets::ticket_counts(r, tenant)?,
                store_tickets::recount(r, tenant)?,
                store_tickets::verify_tickets(r, tenant)?,
            ))
        })
        .await
        .unwrap();
    prop_assert_eq!(kept, full, "{}", when);
    prop_assert!(problems.is_empty(), "{}: {:?}", when, problems);
    let shown = app
        .state
        .services
        .tab_counts(&acme_caller(app, 2))
        .await
        .unwrap();
    for status in Status::ALL {
        prop_assert_eq!(
            shown.of(status),
            full.by_status[status.as_u8() as usize],
            "{}: {:?}",
            when,
            status
        );
    }
    prop_assert_eq!(shown.trash, full.trash, "{}", when);
    Ok(())
}

async fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let app = TestApp::seeded().await;
    let high = PriorityId(priority_id(&app, "High").await);
    let low = PriorityId(priority_id(&app, "Low").await);
    let sara = app.fx().acme.supporters[1].id;
    let carl = app.fx().acme.customers[0].id;
    let mut numbers: Vec<u64> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Create { who } => {
                let caller = acme_caller(&app, *who);
                let input = NewTicket {
                    customer: caller.role.is_staff().then_some(carl),
                    ..new_ticket("Counted", "a ticket to count")
                };
                let t = app
                    .state
                    .services
                    .create_ticket(&caller, input)
                    .await
                    .unwrap();
                numbers.push(t.number);
            }
            Op::Act { ticket, who, cmd } => {
                let Some(number) = (!numbers.is_empty()).then(|| numbers[ticket % numbers.len()])
                else {
                    continue;
                };
                let result = app
                    .state
                    .services
                    .act(
                        &acme_caller(&app, *who),
                        number,
                        command(*cmd, high, low, sara),
                    )
                    .await;
                match result {
                    Ok(_) | Err(ServiceError::Invalid(_) | ServiceError::NotFound) => {}
                    Err(other) => {
                        return Err(TestCaseError::fail(format!(
                            "step {i} {op:?}: unexpected {other}"
                        )));
                    }
                }
            }
            Op::Wait => app.advance_minutes(10),
        }
        check_counts(&app, &format!("after step {i} {op:?}")).await?;
    }
    // The badges a supporter sees say the same, and globex was never touched.
    let full = app
        .state
        .store
        .read({
            let tenant = app.fx().acme.id;
            move |r| store_tickets::recount(r, tenant)
        })
        .await
        .unwrap();
    let sam = app.sign_in(&app.fx().acme.supporters[0].email).await;
    let page = sam.get(&app, "/t/acme/queue/new").await;
    page.assert_ok();
    prop_assert_eq!(page.tab_count("new"), Some(full.by_status[0]));
    prop_assert_eq!(page.tab_count("customer_waiting"), Some(full.by_status[1]));
    prop_assert_eq!(page.tab_count("support_waiting"), Some(full.by_status[2]));
    let globex = app.fx().globex.id;
    let other = app
        .state
        .store
        .read(move |r| store_tickets::ticket_counts(r, globex))
        .await
        .unwrap();
    prop_assert_eq!(other, store_tickets::TicketCounts::default());
    Ok(())
}

#[test]
fn kept_tab_counts_equal_a_full_recount_after_random_operations() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        runtime.block_on(run_case(ops))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
