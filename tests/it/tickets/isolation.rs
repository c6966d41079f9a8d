//! Isolation of tickets through the pages: another tenant's admin, supporter and
//! customer, another customer of the same tenant and an anonymous visitor reach none of a
//! customer's ticket pages, actions, attachments or search hits, and change nothing by
//! trying. A customer cannot act as staff on their own ticket either.

use poem::http::StatusCode;

use super::{Act, Desk, act, badges, priority_id, report, report_in, stored};
use crate::support::{Browser, MultipartBody, PNG, Page, TestApp, arrange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    SignIn,
    NotFound,
}

/// Every page and action of acme's ticket `n` (whose screenshot is message 1's file 0),
/// plus the tenant's ticket lists, as (method, path, body) where a POST body is `None`
/// for a plain form and `Some` for a multipart one.
fn ticket_routes(n: u64) -> Vec<(&'static str, String)> {
    let t = format!("/t/acme/tickets/{n}");
    let mut routes = vec![
        ("GET", t.clone()),
        ("GET", format!("{t}/files/1/0")),
        ("GET", format!("{t}/files/1/0?thumb=1")),
    ];
    for (seq, index) in [(0, 0), (1, 1), (2, 0), (3, 0), (9, 9)] {
        routes.push(("GET", format!("{t}/files/{seq}/{index}")));
    }
    for action in Act::ALL {
        routes.push(("POST", format!("{t}/{}", action.path())));
    }
    routes
}

/// Pages only staff of acme may open.
const STAFF_PAGES: [&str; 7] = [
    "/t/acme/queue/new",
    "/t/acme/queue/customer-waiting",
    "/t/acme/queue/support-waiting",
    "/t/acme/tickets",
    "/t/acme/tickets?status=trash",
    "/t/acme/tickets/new-for-customer",
    "/t/acme/customers/search?q=carl",
];

/// Every ticket route of the tenant with ticket `n`: what the sweep tries.
fn every_route(n: u64) -> Vec<(&'static str, String)> {
    ticket_routes(n)
        .into_iter()
        .chain(STAFF_PAGES.iter().map(|p| ("GET", (*p).to_owned())))
        .chain([
            ("POST", "/t/acme/tickets/new".to_owned()),
            ("POST", "/t/acme/tickets/new-for-customer".to_owned()),
            ("GET", "/t/acme/tickets/new".to_owned()),
            ("GET", "/t/acme/my".to_owned()),
            ("GET", "/t/acme/search?q=printer".to_owned()),
            ("GET", "/t/acme/events".to_owned()),
        ])
        .collect()
}

/// The tenant routes of `tenant_routes()` in src/app.rs outside the tenancy area (home
/// and settings), as (method, pattern).
fn ticket_routes_in_app_rs() -> Vec<(&'static str, String)> {
    let source = include_str!("../../../src/app.rs");
    let start = source
        .find("fn tenant_routes(")
        .expect("tenant_routes in src/app.rs");
    let body = &source[start..];
    let end = body[3..].find("\nfn ").map_or(body.len(), |e| e + 3);
    let mut out = Vec::new();
    for piece in body[..end].split(".at(").skip(1) {
        let path = piece.split('"').nth(1).unwrap_or_default();
        if path == "/t/:slug/" || path.starts_with("/t/:slug/settings") {
            continue;
        }
        if piece.contains("get(") {
            out.push(("GET", path.to_owned()));
        }
        if piece.contains("post(") {
            out.push(("POST", path.to_owned()));
        }
    }
    out
}

/// Whether concrete `path` (query ignored) matches route `pattern` (`:name` segments).
fn matches_pattern(path: &str, pattern: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let (a, b): (Vec<&str>, Vec<&str>) = (path.split('/').collect(), pattern.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| y.starts_with(':') || x == y)
}

#[test]
fn the_sweep_covers_every_ticket_route_of_the_app() {
    let swept = every_route(1);
    let routes = ticket_routes_in_app_rs();
    assert!(routes.len() >= 20, "{routes:?}");
    for (method, pattern) in &routes {
        assert!(
            swept
                .iter()
                .any(|(m, p)| m == method && matches_pattern(p, pattern)),
            "{method} {pattern} is not in the isolation sweep"
        );
    }
}

/// Sends `method path` the way the page's forms would, with valid input.
async fn send(app: &TestApp, who: &Browser, method: &str, path: &str) -> Page {
    if method == "GET" {
        return who.get(app, path).await;
    }
    let high = priority_id(app, "High").await.to_string();
    let sara = app.fx().acme.supporters[1].id.0.to_string();
    let last = path.rsplit('/').next().unwrap_or_default();
    match last {
        "reply" | "note" | "new" | "new-for-customer" => {
            let form = MultipartBody::new()
                .text("subject", "Injected")
                .text("body", "injected text")
                .text("customer_id", &app.fx().acme.customers[0].id.0.to_string())
                .file("files", "x.png", "image/png", &PNG);
            who.post_multipart(app, path, form).await
        }
        _ => {
            who.post_form(
                app,
                path,
                &[
                    ("priority", high.as_str()),
                    ("assignee", sara.as_str()),
                    ("value", high.as_str()),
                    ("solution", "injected"),
                    ("note", "injected"),
                ],
            )
            .await
        }
    }
}

#[track_caller]
fn assert_refused(page: &Page, expect: Expect, what: &str) {
    match expect {
        Expect::SignIn => {
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{what}: {}", page.body);
            let location = page.location().unwrap_or_default();
            assert!(location.starts_with("/login"), "{what}: {location}");
        }
        Expect::NotFound => {
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{what}: {}", page.body);
            assert!(
                page.body.contains("Page not found"),
                "{what}: {}",
                page.body
            );
        }
    }
    for secret in [
        "Printer on floor 2",
        "every page is blank",
        "shot.png",
        "Carl Customer",
    ] {
        assert!(
            !page.body.contains(secret),
            "{what} shows {secret:?}:\n{}",
            page.body
        );
    }
}

/// Counts, the ticket and the number of tickets in acme, to compare before and after.
async fn acme_state(desk: &Desk, n: u64) -> String {
    let app = &desk.app;
    let tenant = app.fx().acme.id;
    let counts = app
        .state
        .store
        .read(move |r| supportbox::store::tickets::recount(r, tenant))
        .await
        .unwrap();
    format!(
        "{counts:?}\n{:?}\n{:?}\n{}",
        stored(app, n).await,
        stored(app, n + 1).await,
        arrange::snapshot(app).await
    )
}

#[tokio::test]
async fn other_tenants_other_customers_and_visitors_reach_nothing_of_a_ticket() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let n = report(
        app,
        &desk.carl,
        "Printer on floor 2",
        "every page is blank",
        &[("shot.png", &PNG)],
    )
    .await;
    act(app, &desk.sam, n, Act::Accept)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Globex has a ticket with the same number.
    let gil = app.sign_in(&fx.globex.customers[0].email).await;
    let g = report_in(
        app,
        &gil,
        "globex",
        "Globex badge reader",
        "The badge reader beeps.",
        &[("badge.png", &PNG)],
    )
    .await;
    assert_eq!((n, g), (1, 1));
    app.state.services.sync_search().await.unwrap();

    let outsiders = [
        (
            "Gina (globex admin)",
            app.sign_in(&fx.globex.admin.email).await,
        ),
        (
            "Gus (globex supporter)",
            app.sign_in(&fx.globex.supporters[0].email).await,
        ),
        ("Gil (globex customer)", gil.clone()),
    ];
    let anon = app.anon().await;
    let before = acme_state(&desk, n).await;
    let badges_before = badges(app, &desk.sam).await;

    let mut checked = 0;
    for (method, path) in every_route(n) {
        for (who, browser) in &outsiders {
            let page = send(app, browser, method, &path).await;
            assert_refused(&page, Expect::NotFound, &format!("{who}: {method} {path}"));
            checked += 1;
        }
        let page = send(app, &anon, method, &path).await;
        assert_refused(
            &page,
            Expect::SignIn,
            &format!("anonymous: {method} {path}"),
        );
        checked += 1;
    }
    // Cleo, another customer of acme: Carl's ticket and the staff pages do not exist
    // for her.
    for (method, path) in ticket_routes(n)
        .into_iter()
        .chain(STAFF_PAGES.iter().map(|p| ("GET", (*p).to_owned())))
        .chain([("POST", "/t/acme/tickets/new-for-customer".to_owned())])
    {
        let page = send(app, &desk.cleo, method, &path).await;
        assert_refused(&page, Expect::NotFound, &format!("Cleo: {method} {path}"));
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
    assert_eq!(acme_state(&desk, n).await, before, "something changed");
    assert_eq!(badges(app, &desk.sam).await, badges_before);

    // Her own lists and search do not show it either.
    let my = desk.cleo.get(app, "/t/acme/my").await;
    my.assert_ok();
    assert!(my.ticket_numbers().is_empty());
    my.assert_lacks("Printer on floor 2");
    let search = desk.cleo.get(app, "/t/acme/search?q=printer").await;
    search.assert_ok();
    search.assert_contains("Nothing found for “printer”");
    let search = desk.cleo.get(app, "/t/acme/search?q=blank").await;
    search.assert_contains("Nothing found");

    // The other way round: acme's people reach nothing of globex's ticket 1.
    for who in [&desk.carl, &desk.sam, &desk.alma] {
        for path in [
            "/t/globex/tickets/1",
            "/t/globex/tickets/1/files/1/0",
            "/t/globex/queue/new",
            "/t/globex/my",
            "/t/globex/search?q=badge",
        ] {
            let page = who.get(app, path).await;
            page.assert_not_found();
            page.assert_lacks("Globex badge reader");
        }
    }
    // Globex staff searching their own tenant find their ticket, never acme's.
    let gus = &outsiders[1].1;
    let hits = gus.get(app, "/t/globex/search?q=printer").await;
    hits.assert_ok();
    hits.assert_contains("Nothing found");
    let hits = gus.get(app, "/t/globex/search?q=badge").await;
    hits.assert_contains("Globex badge reader");
    // ... and acme's staff never globex's.
    let hits = desk.sam.get(app, "/t/acme/search?q=badge").await;
    hits.assert_contains("Nothing found");
    // Ticket management's text filter is tenant-scoped as well.
    let managed = desk.sam.get(app, "/t/acme/tickets?q=badge").await;
    managed.assert_ok();
    assert!(managed.ticket_numbers().is_empty());
}

#[tokio::test]
async fn a_customer_cannot_act_as_staff_on_their_own_ticket() {
    let desk = Desk::new().await;
    let app = &desk.app;
    arrange::create_topic(app, &app.fx().acme, "Printers").await;
    let n = report(
        app,
        &desk.carl,
        "Printer on floor 2",
        "every page is blank",
        &[],
    )
    .await;
    for status_setup in [None, Some(Act::Accept), Some(Act::Resolve)] {
        if let Some(action) = status_setup {
            act(app, &desk.sam, n, action)
                .await
                .assert_status(StatusCode::SEE_OTHER);
        }
        for action in Act::ALL {
            if action == Act::Reply {
                continue;
            }
            let before = stored(app, n).await;
            let page = act(app, &desk.carl, n, action).await;
            let what = format!("Carl {action:?} after {status_setup:?}");
            match page.status {
                StatusCode::UNPROCESSABLE_ENTITY => {
                    assert!(
                        page.body.contains("You are not allowed to do this."),
                        "{what}: {}",
                        page.body
                    );
                }
                StatusCode::NOT_FOUND => {}
                other => panic!("{what}: {other}\n{}", page.body),
            }
            assert_eq!(stored(app, n).await, before, "{what} changed the ticket");
        }
    }
    // The page never offers these actions to him.
    let page = desk.carl.get(app, &format!("/t/acme/tickets/{n}")).await;
    for offered in [
        "/accept\"",
        "/note?",
        "/assign\"",
        "/priority\"",
        "/topic\"",
        "/resolve\"",
        "/close\"",
        "/reopen\"",
        "/delete\"",
        "/restore\"",
        "/purge\"",
    ] {
        page.assert_lacks(offered);
    }
    // The staff-only forms are not found.
    for path in [
        "/t/acme/tickets/new-for-customer",
        "/t/acme/customers/search?q=cleo",
        "/t/acme/queue/new",
        "/t/acme/tickets",
    ] {
        desk.carl.get(app, path).await.assert_not_found();
    }
}

#[tokio::test]
async fn forms_cannot_reference_another_tenants_people_priorities_or_topics() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    // Priority and topic ids count per tenant: these exist in globex only.
    let globex_priority = arrange::create_priority(app, &fx.globex, "Globex only prio")
        .await
        .id
        .0
        .to_string();
    let globex_topic = arrange::create_topic(app, &fx.globex, "Globex only")
        .await
        .id
        .0
        .to_string();
    let gus = fx.globex.supporters[0].id.0.to_string();
    let carl_id = fx.acme.customers[0].id.0.to_string();
    let n = report(
        app,
        &desk.carl,
        "Printer on floor 2",
        "every page is blank",
        &[],
    )
    .await;
    let high = priority_id(app, "High").await.to_string();
    let url = |action: &str| format!("/t/acme/tickets/{n}/{action}");
    let tries: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("accept", vec![("priority", "")]),
        ("accept", vec![("priority", &globex_priority)]),
        ("accept", vec![("priority", &high), ("assignee", &gus)]),
        ("accept", vec![("priority", &high), ("assignee", &carl_id)]),
        ("accept", vec![("priority", "abc")]),
        ("assign", vec![("assignee", &gus)]),
        ("assign", vec![("assignee", &carl_id)]),
        ("assign", vec![("assignee", "")]),
        ("priority", vec![("value", &globex_priority)]),
        ("topic", vec![("value", &globex_topic)]),
        ("resolve", vec![("solution", "  ")]),
    ];
    for (action, fields) in &tries {
        let before = stored(app, n).await;
        let page = desk.sam.post_form(app, &url(action), fields).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action} {fields:?}: {}",
            page.body
        );
        page.assert_contains("role=\"alert\"");
        page.assert_lacks("Gus Support");
        page.assert_lacks("Globex only");
        assert_eq!(
            stored(app, n).await,
            before,
            "{action} {fields:?} changed the ticket"
        );
    }
    // Filing for a customer of globex or with globex's priority is refused as well.
    for (customer, priority) in [
        (gus.as_str(), high.as_str()),
        (carl_id.as_str(), globex_priority.as_str()),
    ] {
        let form = MultipartBody::new()
            .text("customer_id", customer)
            .text("priority", priority)
            .text("subject", "Cross")
            .text("body", "x");
        let page = desk
            .sam
            .post_multipart(app, "/t/acme/tickets/new-for-customer", form)
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(badges(app, &desk.sam).await, (1, 0, 0));
}
