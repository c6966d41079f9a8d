//! Tickets through the pages: the round trip of a
//! request, every transition with the tabs after it, kept counts against a recount,
//! isolation, internal notes, hostile input, search, ticket management and the customer
//! picker. Uploads have their own module (`uploads.rs`), the API its own
//! (`tickets_api.rs`).

mod counts;
mod flow;
mod hostile;
mod isolation;
mod manage;
mod notes;
mod picker;
mod search;
mod transitions;

use poem::http::StatusCode;
use supportbox::domain::caller::Caller;
use supportbox::domain::role::Role;
use supportbox::domain::ticket::Ticket;
use supportbox::service::tickets::NewTicket;
use supportbox::store::tickets as store_tickets;

use crate::support::{Browser, MultipartBody, Page, TestApp, arrange};

/// The fixture people of acme, signed in, plus globex's for the isolation checks.
pub struct Desk {
    pub app: TestApp,
    /// Carl, an acme customer (he reports the problems).
    pub carl: Browser,
    /// Cleo, another acme customer.
    pub cleo: Browser,
    /// Sam, an acme supporter.
    pub sam: Browser,
    /// Alma, acme's tenant admin.
    pub alma: Browser,
}

impl Desk {
    pub async fn new() -> Desk {
        Self::with(TestApp::seeded().await).await
    }

    pub async fn with(app: TestApp) -> Desk {
        let fx = app.fx().clone();
        Desk {
            carl: app.sign_in(&fx.acme.customers[0].email).await,
            cleo: app.sign_in(&fx.acme.customers[1].email).await,
            sam: app.sign_in(&fx.acme.supporters[0].email).await,
            alma: app.sign_in(&fx.acme.admin.email).await,
            app,
        }
    }
}

/// The ticket number in a redirect to `/t/{slug}/tickets/{n}?done=...`.
#[track_caller]
pub fn number_in(page: &Page) -> u64 {
    page.assert_status(StatusCode::SEE_OTHER);
    let location = page.location().unwrap_or_default();
    let rest = location
        .split("/tickets/")
        .nth(1)
        .unwrap_or_else(|| panic!("not a ticket URL: {location}"));
    rest.split(['?', '#', '/'])
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {location}"))
}

/// Reports a problem through the customer form in tenant `slug`; returns the number.
pub async fn report_in(
    app: &TestApp,
    who: &Browser,
    slug: &str,
    subject: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> u64 {
    let mut form = MultipartBody::new()
        .text("subject", subject)
        .text("body", body);
    for (name, data) in files {
        form = form.file("files", name, "application/octet-stream", data);
    }
    let page = who
        .post_multipart(app, &format!("/t/{slug}/tickets/new"), form)
        .await;
    let number = number_in(&page);
    assert_eq!(
        page.location(),
        Some(format!("/t/{slug}/tickets/{number}?done=ticket_created").as_str())
    );
    number
}

/// Reports a problem in acme.
pub async fn report(
    app: &TestApp,
    who: &Browser,
    subject: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> u64 {
    report_in(app, who, "acme", subject, body, files).await
}

/// The id of acme's priority whose name contains `name`.
pub async fn priority_id(app: &TestApp, name: &str) -> u64 {
    arrange::priorities(app, &app.fx().acme)
        .await
        .into_iter()
        .find(|p| p.name.contains(name))
        .unwrap_or_else(|| panic!("no priority {name}"))
        .id
        .0
}

/// Something a person does on the ticket page, as the page's forms submit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Accept with the "High" priority, assigned to the actor.
    Accept,
    /// A public reply (whoever sends it).
    Reply,
    Note,
    /// Forward to Sara with a note.
    Assign,
    /// Change the priority to "Low".
    Priority,
    /// Change the topic to "Printers" (created on demand by the caller of `act`).
    Topic,
    Resolve,
    Close,
    Reopen,
    Delete,
    Restore,
    Purge,
}

impl Act {
    pub const ALL: [Act; 12] = [
        Act::Accept,
        Act::Reply,
        Act::Note,
        Act::Assign,
        Act::Priority,
        Act::Topic,
        Act::Resolve,
        Act::Close,
        Act::Reopen,
        Act::Delete,
        Act::Restore,
        Act::Purge,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Act::Accept => "accept",
            Act::Reply => "reply",
            Act::Note => "note",
            Act::Assign => "assign",
            Act::Priority => "priority",
            Act::Topic => "topic",
            Act::Resolve => "resolve",
            Act::Close => "close",
            Act::Reopen => "reopen",
            Act::Delete => "delete",
            Act::Restore => "restore",
            Act::Purge => "purge",
        }
    }
}

/// Submits `action` on ticket `number` of acme as `who` (valid input, so only the
/// rules decide).
pub async fn act(app: &TestApp, who: &Browser, number: u64, action: Act) -> Page {
    let url = format!("/t/acme/tickets/{number}/{}", action.path());
    let high = priority_id(app, "High").await.to_string();
    let low = priority_id(app, "Low").await.to_string();
    let sara = app.fx().acme.supporters[1].id.0.to_string();
    match action {
        Act::Reply | Act::Note => {
            let text = format!("{} on #{number}", action.path());
            who.post_multipart(app, &url, MultipartBody::new().text("body", &text))
                .await
        }
        Act::Accept => who.post_form(app, &url, &[("priority", &high)]).await,
        Act::Assign => {
            who.post_form(
                app,
                &url,
                &[("assignee", &sara), ("note", "Sara knows this printer")],
            )
            .await
        }
        Act::Priority => who.post_form(app, &url, &[("value", &low)]).await,
        Act::Topic => {
            let topic = arrange::topics(app, &app.fx().acme)
                .await
                .into_iter()
                .find(|t| t.name == "Printers")
                .expect("the Printers topic exists");
            who.post_form(app, &url, &[("value", &topic.id.0.to_string())])
                .await
        }
        Act::Resolve => {
            who.post_form(app, &url, &[("solution", "Replaced the toner")])
                .await
        }
        Act::Close | Act::Reopen | Act::Delete | Act::Restore | Act::Purge => {
            who.post_form(app, &url, &[]).await
        }
    }
}

/// Everything stored about an acme ticket (record, thread, history), to compare before
/// and after a refused action. `None` once purged.
pub async fn stored(app: &TestApp, number: u64) -> Option<String> {
    let tenant = app.fx().acme.id;
    app.state
        .store
        .read(move |r| {
            let Some(ticket) = store_tickets::get_ticket(r, tenant, number)? else {
                return Ok(None);
            };
            Ok(Some(format!(
                "{ticket:?}\n{:?}\n{:?}",
                store_tickets::list_messages(r, tenant, number)?,
                store_tickets::list_history(r, tenant, number)?
            )))
        })
        .await
        .unwrap()
}

/// The stored ticket.
pub async fn ticket(app: &TestApp, number: u64) -> Ticket {
    let tenant = app.fx().acme.id;
    app.state
        .store
        .read(move |r| store_tickets::get_ticket(r, tenant, number))
        .await
        .unwrap()
        .expect("the ticket exists")
}

/// The three badges of the supporter tabs as Sam sees them: (new, customer waiting,
/// support waiting).
pub async fn badges(app: &TestApp, staff: &Browser) -> (u64, u64, u64) {
    let page = staff.get(app, "/t/acme/queue/new").await;
    page.assert_ok();
    let count = |key| {
        page.tab_count(key)
            .unwrap_or_else(|| panic!("no {key} badge:\n{}", page.body))
    };
    (
        count("new"),
        count("customer_waiting"),
        count("support_waiting"),
    )
}

/// The caller of a fixture person of acme.
pub fn acme_caller(app: &TestApp, who: usize) -> Caller {
    let acme = &app.fx().acme;
    match who {
        0 => arrange::caller(acme, &acme.customers[0], Role::Customer),
        1 => arrange::caller(acme, &acme.customers[1], Role::Customer),
        2 => arrange::caller(acme, &acme.supporters[0], Role::Supporter),
        3 => arrange::caller(acme, &acme.supporters[1], Role::Supporter),
        _ => arrange::admin_of(acme),
    }
}

/// Creates a ticket through the service layer (fast, for lists).
pub async fn create(app: &TestApp, caller: &Caller, input: NewTicket) -> Ticket {
    app.state
        .services
        .create_ticket(caller, input)
        .await
        .unwrap()
}

/// A plain new ticket by `caller`.
pub fn new_ticket(subject: &str, body: &str) -> NewTicket {
    NewTicket {
        subject: subject.to_owned(),
        body: body.to_owned(),
        ..NewTicket::default()
    }
}
