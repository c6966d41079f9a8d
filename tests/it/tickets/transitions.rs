//! Every transition of docs/tickets.md through the HTTP layer: from each status
//! (and the trash), each action by a supporter, the customer's reply, and the admin's
//! restore and purge. Allowed actions move the ticket and every tab follows; refused ones
//! show why and change nothing. After every step each tab is compared with a model.

use std::collections::BTreeMap;

use poem::http::StatusCode;
use supportbox::domain::ticket::Status;

use super::{Act, Desk, act, report, stored, ticket};
use crate::support::{Browser, arrange};

const WRONG_STATUS: &str = "This is not possible in the current status";
const NOT_ALLOWED: &str = "You are not allowed to do this.";
const IN_TRASH: &str = "The ticket is in the trash. Restore it first.";
const NOT_IN_TRASH: &str = "The ticket is not in the trash.";

/// Where a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Live(Status),
    /// In the trash, remembering its status.
    Trash(Status),
    Gone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Carl, the ticket's customer.
    Customer,
    /// Sam, a supporter.
    Supporter,
    /// Alma, the tenant admin.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Moves(Place),
    /// Allowed, status unchanged.
    Keeps,
    Refused(&'static str),
    /// Not even visible to the actor.
    NotFound,
}

/// The rules as docs/tickets.md states them, written down independently of the
/// domain code.
fn expected(from: Place, who: Who, action: Act) -> Outcome {
    use Outcome::*;
    use Status::*;
    let status = match from {
        Place::Gone => return NotFound,
        Place::Trash(s) => {
            return match (who, action) {
                (Who::Customer, _) => NotFound,
                (Who::Admin, Act::Restore) => Moves(Place::Live(s)),
                (Who::Admin, Act::Purge) => Moves(Place::Gone),
                (Who::Supporter, Act::Restore | Act::Purge) => Refused(NOT_ALLOWED),
                _ => Refused(IN_TRASH),
            };
        }
        Place::Live(s) => s,
    };
    let to = |s| Moves(Place::Live(s));
    match (who, action) {
        (Who::Customer, Act::Reply) => match status {
            Waiting | Resolved => to(Open),
            New | Open => Keeps,
            Closed => Refused(WRONG_STATUS),
        },
        (Who::Customer, _) => Refused(NOT_ALLOWED),
        (Who::Admin, Act::Restore | Act::Purge) => Refused(NOT_IN_TRASH),
        (Who::Supporter, Act::Restore | Act::Purge) => Refused(NOT_ALLOWED),
        (_, Act::Reply) => match status {
            Open => to(Waiting),
            Waiting => Keeps,
            _ => Refused(WRONG_STATUS),
        },
        (_, Act::Accept) if status == New => to(Open),
        (_, Act::Accept) => Refused(WRONG_STATUS),
        (_, Act::Note) => Keeps,
        (_, Act::Assign | Act::Priority | Act::Topic) if status == Closed => Refused(WRONG_STATUS),
        (_, Act::Assign | Act::Priority | Act::Topic) => Keeps,
        (_, Act::Resolve) if matches!(status, New | Open | Waiting) => to(Resolved),
        (_, Act::Resolve) => Refused(WRONG_STATUS),
        (_, Act::Close) if status == Closed => Refused(WRONG_STATUS),
        (_, Act::Close) => to(Closed),
        (_, Act::Reopen) if matches!(status, Resolved | Closed) => to(Open),
        (_, Act::Reopen) => Refused(WRONG_STATUS),
        (_, Act::Delete) => Moves(Place::Trash(status)),
    }
}

struct Bench {
    desk: Desk,
    model: BTreeMap<u64, Place>,
}

impl Bench {
    fn browser(&self, who: Who) -> &Browser {
        match who {
            Who::Customer => &self.desk.carl,
            Who::Supporter => &self.desk.sam,
            Who::Admin => &self.desk.alma,
        }
    }

    fn numbers(&self, place: Place) -> Vec<u64> {
        self.model
            .iter()
            .filter(|(_, p)| **p == place)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Applies `action` and checks the answer against the model; returns the outcome.
    async fn step(&mut self, number: u64, who: Who, action: Act) -> Outcome {
        let app = &self.desk.app;
        let from = self.model[&number];
        let outcome = expected(from, who, action);
        let before = stored(app, number).await;
        let page = act(app, self.browser(who), number, action).await;
        let what = format!("{who:?} {action:?} on #{number} ({from:?})");
        match outcome {
            Outcome::NotFound => {
                assert_eq!(page.status, StatusCode::NOT_FOUND, "{what}: {}", page.body);
                assert_eq!(
                    stored(app, number).await,
                    before,
                    "{what} changed something"
                );
            }
            Outcome::Refused(message) => {
                assert_eq!(
                    page.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{what}: {}",
                    page.body
                );
                assert!(
                    page.body.contains(message),
                    "{what}: the refusal lacks {message:?}:\n{}",
                    page.body
                );
                page.assert_contains("role=\"alert\"");
                assert_eq!(
                    stored(app, number).await,
                    before,
                    "{what} changed something"
                );
            }
            Outcome::Keeps | Outcome::Moves(_) => {
                assert_eq!(page.status, StatusCode::SEE_OTHER, "{what}: {}", page.body);
                let location = page.location().unwrap_or_default();
                if outcome == Outcome::Moves(Place::Gone) {
                    assert_eq!(location, "/t/acme/tickets?status=trash&done=purged");
                } else {
                    assert!(
                        location.starts_with(&format!("/t/acme/tickets/{number}?done=")),
                        "{what}: {location}"
                    );
                }
                if let Outcome::Moves(to) = outcome {
                    self.model.insert(number, to);
                }
            }
        }
        self.check_ticket(number).await;
        self.check_tabs(&format!("after {what}")).await;
        outcome
    }

    /// The ticket page and the stored record agree with the model.
    async fn check_ticket(&self, number: u64) {
        let app = &self.desk.app;
        let page = self
            .desk
            .sam
            .get(app, &format!("/t/acme/tickets/{number}"))
            .await;
        match self.model[&number] {
            Place::Gone => {
                page.assert_not_found();
                assert_eq!(stored(app, number).await, None);
                self.desk
                    .alma
                    .get(app, &format!("/t/acme/tickets/{number}"))
                    .await
                    .assert_not_found();
            }
            Place::Trash(status) => {
                page.assert_ok();
                page.assert_contains("In the trash");
                page.assert_contains(&format!("class=\"badge st-{}\"", status.code()));
                let t = ticket(app, number).await;
                assert!(t.deleted.is_some());
                assert_eq!(t.status, status);
                // The customer no longer sees it.
                self.desk
                    .carl
                    .get(app, &format!("/t/acme/tickets/{number}"))
                    .await
                    .assert_not_found();
            }
            Place::Live(status) => {
                page.assert_ok();
                page.assert_contains(&format!("class=\"badge st-{}\"", status.code()));
                page.assert_lacks("badge off\">In the trash");
                let t = ticket(app, number).await;
                assert!(t.deleted.is_none());
                assert_eq!(t.status, status);
            }
        }
    }

    /// Every tab, list and count equals the model.
    async fn check_tabs(&self, when: &str) {
        let app = &self.desk.app;
        let (sam, alma, carl) = (&self.desk.sam, &self.desk.alma, &self.desk.carl);
        let live = |s| self.numbers(Place::Live(s));
        let sorted = |mut v: Vec<u64>| {
            v.sort_unstable();
            v
        };
        let queue = sam.get(app, "/t/acme/queue/new").await;
        queue.assert_ok();
        for (key, status) in [
            ("new", Status::New),
            ("customer_waiting", Status::Open),
            ("support_waiting", Status::Waiting),
        ] {
            assert_eq!(
                queue.tab_count(key),
                Some(live(status).len() as u64),
                "{when}: badge {key}"
            );
        }
        assert_eq!(
            sorted(queue.ticket_numbers()),
            live(Status::New),
            "{when}: New requests"
        );
        for (tab, status) in [
            ("customer-waiting", Status::Open),
            ("support-waiting", Status::Waiting),
        ] {
            let page = sam.get(app, &format!("/t/acme/queue/{tab}")).await;
            assert_eq!(
                sorted(page.ticket_numbers()),
                live(status),
                "{when}: tab {tab}"
            );
        }
        for status in [Status::Resolved, Status::Closed] {
            let page = sam
                .get(app, &format!("/t/acme/tickets?status={}", status.code()))
                .await;
            assert_eq!(
                sorted(page.ticket_numbers()),
                live(status),
                "{when}: {status:?} in ticket management"
            );
        }
        let all: Vec<u64> = self
            .model
            .iter()
            .filter(|(_, p)| matches!(p, Place::Live(_)))
            .map(|(n, _)| *n)
            .collect();
        let page = sam.get(app, "/t/acme/tickets").await;
        assert_eq!(sorted(page.ticket_numbers()), all, "{when}: all tickets");
        let trash: Vec<u64> = self
            .model
            .iter()
            .filter(|(_, p)| matches!(p, Place::Trash(_)))
            .map(|(n, _)| *n)
            .collect();
        let page = alma.get(app, "/t/acme/tickets?status=trash").await;
        page.assert_ok();
        assert_eq!(sorted(page.ticket_numbers()), trash, "{when}: trash");
        // The customer's status groups follow too (every ticket here is Carl's).
        let my = carl.get(app, "/t/acme/my").await;
        assert_eq!(sorted(my.ticket_numbers()), all, "{when}: My requests");
        for status in [Status::Waiting, Status::Resolved] {
            let page = carl
                .get(app, &format!("/t/acme/my?status={}", status.code()))
                .await;
            assert_eq!(
                sorted(page.ticket_numbers()),
                live(status),
                "{when}: My requests, {status:?}"
            );
        }
    }

    /// A fresh ticket of Carl's, brought into `place` through the pages.
    async fn ticket_in(&mut self, place: Place) -> u64 {
        let n = report(
            &self.desk.app,
            &self.desk.carl,
            "Printer jams",
            "It jams on every page.",
            &[],
        )
        .await;
        self.model.insert(n, Place::Live(Status::New));
        let path: &[(Who, Act)] = match place {
            Place::Live(Status::New) => &[],
            Place::Live(Status::Open) => &[(Who::Supporter, Act::Accept)],
            Place::Live(Status::Waiting) => {
                &[(Who::Supporter, Act::Accept), (Who::Supporter, Act::Reply)]
            }
            Place::Live(Status::Resolved) => &[
                (Who::Supporter, Act::Accept),
                (Who::Supporter, Act::Resolve),
            ],
            Place::Live(Status::Closed) => &[(Who::Supporter, Act::Close)],
            Place::Trash(_) => &[(Who::Supporter, Act::Accept), (Who::Supporter, Act::Delete)],
            Place::Gone => &[],
        };
        for (who, action) in path {
            self.step(n, *who, *action).await;
        }
        assert_eq!(self.model[&n], place);
        n
    }
}

#[tokio::test]
async fn every_transition_moves_the_ticket_between_the_tabs_or_is_refused_without_change() {
    let desk = Desk::new().await;
    arrange::create_topic(&desk.app, &desk.app.fx().acme, "Printers").await;
    let mut bench = Bench {
        desk,
        model: BTreeMap::new(),
    };
    bench.check_tabs("at the start").await;
    let starts = [
        Place::Live(Status::New),
        Place::Live(Status::Open),
        Place::Live(Status::Waiting),
        Place::Live(Status::Resolved),
        Place::Live(Status::Closed),
        Place::Trash(Status::Open),
    ];
    let mut steps: Vec<(Who, Act)> = Act::ALL.iter().map(|a| (Who::Supporter, *a)).collect();
    steps.push((Who::Customer, Act::Reply));
    steps.push((Who::Admin, Act::Restore));
    steps.push((Who::Admin, Act::Purge));
    let mut moved = 0;
    let mut refused = 0;
    for start in starts {
        // Actions that leave the status alone all go to one probe ticket; each move
        // gets a fresh ticket in the start status.
        let probe = bench.ticket_in(start).await;
        for (who, action) in &steps {
            let outcome = expected(start, *who, *action);
            let target = match outcome {
                Outcome::Moves(_) => bench.ticket_in(start).await,
                _ => probe,
            };
            assert_eq!(bench.model[&target], start);
            match bench.step(target, *who, *action).await {
                Outcome::Moves(_) => moved += 1,
                Outcome::Refused(_) => refused += 1,
                _ => {}
            }
        }
    }
    assert!(
        moved >= 18 && refused >= 30,
        "moved {moved}, refused {refused}"
    );
}

#[tokio::test]
async fn history_records_each_transition_and_the_trash_round_trip_keeps_the_thread() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let n = report(
        app,
        &desk.carl,
        "Monitor flickers",
        "Every few seconds.",
        &[],
    )
    .await;
    for (who, action) in [
        (&desk.sam, Act::Accept),
        (&desk.sam, Act::Reply),
        (&desk.carl, Act::Reply),
        (&desk.sam, Act::Resolve),
        (&desk.sam, Act::Close),
        (&desk.sam, Act::Reopen),
        (&desk.sam, Act::Delete),
        (&desk.alma, Act::Restore),
    ] {
        act(app, who, n, action)
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    let page = desk.sam.get(app, &format!("/t/acme/tickets/{n}")).await;
    page.assert_ok();
    for line in [
        "created the request",
        "accepted the request — assigned to Sam Support, priority Hoch / High",
        "changed the status from “New” to “Accepted”",
        "changed the status from “Accepted” to “Question to you”",
        "changed the status from “Question to you” to “Accepted”",
        "marked it as resolved",
        "changed the status from “Resolved” to “Closed”",
        "reopened it",
        "moved it to the trash",
        "restored it from the trash",
    ] {
        page.assert_contains(line);
    }
    page.assert_contains("reply on #1");
    page.assert_contains("Replaced the toner");
    // The customer reads the same history in their words.
    let mine = desk.carl.get(app, &format!("/t/acme/tickets/{n}")).await;
    mine.assert_contains("changed the status from “Submitted” to “Accepted by support”");
    mine.assert_contains("Accepted by support");
}

#[tokio::test]
async fn a_supporter_cannot_reach_the_trash_and_purging_removes_the_ticket_everywhere() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let n = report(app, &desk.carl, "Old laptop", "Please collect it.", &[]).await;
    act(app, &desk.sam, n, Act::Delete)
        .await
        .assert_redirect(&format!("/t/acme/tickets/{n}?done=deleted_ticket"));
    let page = desk.sam.get(app, &format!("/t/acme/tickets/{n}")).await;
    page.assert_contains("Only a tenant administrator can restore or delete tickets in the trash.");
    page.assert_lacks("Delete for good");
    // The trash list is the admin's.
    desk.sam
        .get(app, "/t/acme/tickets?status=trash")
        .await
        .assert_not_found();
    let page = desk.alma.get(app, &format!("/t/acme/tickets/{n}")).await;
    page.assert_contains("Restore");
    page.assert_contains("Delete for good");
    let trash = desk.alma.get(app, "/t/acme/tickets?status=trash").await;
    assert_eq!(trash.ticket_numbers(), [n]);

    act(app, &desk.alma, n, Act::Purge)
        .await
        .assert_redirect("/t/acme/tickets?status=trash&done=purged");
    assert!(
        desk.alma
            .get(app, "/t/acme/tickets?status=trash")
            .await
            .ticket_numbers()
            .is_empty()
    );
    assert_eq!(stored(app, n).await, None);
    let counts = app
        .state
        .services
        .tab_counts(&super::acme_caller(app, 4))
        .await
        .unwrap();
    assert_eq!((counts.new, counts.trash), (0, 0));
    // The next ticket still gets a new number.
    let next = report(app, &desk.carl, "New one", "Another problem.", &[]).await;
    assert!(next > n);
}
