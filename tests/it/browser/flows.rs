//! The run behind every browser test: one server, one chromedriver, and the operator, a
//! supporter and a customer doing their work in Chromium — first with JavaScript, then
//! without.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use super::checks::{Report, capture};
use super::harness::{DESKTOP, Driver, PHONE, Server, Session, until, write_png};

/// Someone who signs in during the run.
struct Person {
    name: &'static str,
    email: &'static str,
    password: &'static str,
}

const OPERATOR: Person = Person {
    name: "Olivia Operator",
    email: "olivia@example.org",
    password: "lighthouse keeper 1987",
};
const SUPPORTER: Person = Person {
    name: "Sam Support",
    email: "sam@acme.example",
    password: "tea kettle whistles twice",
};
const CUSTOMER: Person = Person {
    name: "Carla Customer",
    email: "carla@acme.example",
    password: "seven blue bicycles",
};

const TENANT: &str = "Acme Corporation";
const SLUG: &str = "acme";

/// What later steps need from earlier ones.
struct World {
    base: String,
    setup_url: String,
    /// A small PNG to attach.
    png: PathBuf,
    /// Set once the supporter and the customer have accounts.
    people_ready: AtomicBool,
    _files: tempfile::TempDir,
}

fn t(path: &str) -> String {
    format!("/t/{SLUG}{path}")
}

/// Runs everything once and reports what it found.
pub async fn run() -> Report {
    let mut report = Report::default();
    let server = Server::start();
    let driver = Driver::start().await;
    let files = tempfile::tempdir().unwrap();
    let png = files.path().join("printer-error.png");
    write_png(&png);
    let world = World {
        base: server.base.clone(),
        setup_url: server.setup_url.clone(),
        png,
        people_ready: AtomicBool::new(false),
        _files: files,
    };

    let (operator, customer, supporter) = tokio::join!(
        driver.session("operator", DESKTOP, true),
        driver.session("customer", PHONE, true),
        driver.session("supporter", DESKTOP, true),
    );
    let (operator, customer, supporter) = (
        operator.at(&world.base),
        customer.at(&world.base),
        supporter.at(&world.base),
    );
    let started = Instant::now();
    let result = AssertUnwindSafe(with_javascript(
        &world,
        &operator,
        &customer,
        &supporter,
        &mut report,
    ))
    .catch_unwind()
    .await;
    record(&mut report, "flows", started, result);
    for s in [operator, customer, supporter] {
        s.close().await;
    }

    let started = Instant::now();
    let plain = driver
        .session("no-javascript", PHONE, false)
        .await
        .at(&world.base);
    if world.people_ready.load(Ordering::SeqCst) {
        let result = AssertUnwindSafe(without_javascript(&world, &plain, &mut report))
            .catch_unwind()
            .await;
        record(&mut report, "nojs", started, result);
    } else {
        report.steps.push((
            "nojs".to_owned(),
            Err(
                "not run: the flows with JavaScript stopped before the people had accounts"
                    .to_owned(),
            ),
        ));
    }
    plain.close().await;
    drop(driver);
    drop(server);
    report
}

fn record(
    report: &mut Report,
    name: &str,
    started: Instant,
    result: Result<(), Box<dyn std::any::Any + Send>>,
) {
    let outcome = result
        .map(|()| started.elapsed())
        .map_err(|payload| panic_text(&*payload));
    report.steps.push((name.to_owned(), outcome));
}

pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_owned()
    }
}

/// The rows of the page's table, each as the text a person reads.
async fn rows(s: &Session) -> Vec<String> {
    s.texts("main table tbody tr").await
}

/// The status badge of the ticket page.
async fn badge(s: &Session) -> String {
    s.text(".ticket-state .badge").await
}

async fn assert_badge(s: &Session, expected: &str) {
    let shown = badge(s).await;
    assert_eq!(
        shown,
        expected,
        "[{}] the status badge on {}",
        s.name,
        s.path().await
    );
}

async fn assert_path(s: &Session, expected: &str) {
    let path = s.path().await;
    assert_eq!(
        path,
        expected,
        "[{}] landed elsewhere; the page reads:\n{}",
        s.name,
        s.text("main").await
    );
}

async fn count(s: &Session, key: &str) -> String {
    s.text(&format!("[data-count=\"{key}\"]")).await
}

/// Invites `email` as `role`; returns the link the page shows once, and the same
/// invitation at this server's address (see the invitation-link test for why both).
async fn invite(op: &Session, base: &str, email: &str, role: &str) -> (String, String) {
    op.fill("#f-invite-email", email).await;
    op.choose("#f-invite-role", role).await;
    op.click_and_load("#invite button[type=submit]").await;
    op.sees(".flash", "The invitation has been created.").await;
    op.sees("#invite-link-title", "Invitation link").await;
    let shown = op.value("#invite-link").await;
    let token = shown
        .rsplit_once("/invite/")
        .map(|(_, token)| token.to_owned())
        .filter(|token| token.len() == 64)
        .unwrap_or_else(|| panic!("the page shows an invitation link, not {shown:?}"));
    (shown, format!("{base}/invite/{token}"))
}

/// Opens an invitation in a fresh browser and accepts it.
async fn accept_invitation(s: &Session, link: &str, who: &Person) {
    s.open(link).await;
    s.sees("h1", "Accept invitation").await;
    s.sees("main .lead", TENANT).await;
    s.sees("main .lead", who.email).await;
}

async fn finish_invitation(s: &Session, who: &Person) {
    s.fill("#f-name", who.name).await;
    s.fill("#f-password", who.password).await;
    s.fill("#f-password_confirm", who.password).await;
    s.click_and_load("main form button[type=submit]").await;
    assert_path(s, &t("/")).await;
    s.sees("h1", &format!("Hello, {}!", who.name)).await;
}

async fn sign_in(s: &Session, who: &Person) {
    s.open("/login").await;
    s.sees("h1", "Sign in").await;
    s.fill("#f-email", who.email).await;
    s.fill("#f-password", who.password).await;
    s.click_and_load("main form button[type=submit]").await;
    assert_path(s, &t("/")).await;
    s.sees("h1", &format!("Hello, {}!", who.name)).await;
}

/// On a phone with JavaScript, the header tools (language, sign-out) fold away with the
/// menu: open it first, as a person would.
async fn open_menu_if_folded(s: &Session) {
    let folded = s.attr("#main-nav", "data-collapsed").await.as_deref() == Some("true");
    if folded && s.find(".nav-toggle").await.is_displayed().await.unwrap() {
        s.find(".nav-toggle").await.click().await.unwrap();
        s.until_shown("the phone menu to open", ".lang-form").await;
    }
}

async fn sign_out(s: &Session) {
    open_menu_if_folded(s).await;
    s.click_and_load(".logout-form button[type=submit]").await;
    assert_path(s, "/login?done=signed_out").await;
    s.sees(".flash", "You have been signed out.").await;
    s.sees("h1", "Sign in").await;
}

/// Replies on the ticket page shown.
async fn reply(s: &Session, text: &str) {
    s.fill("#f-reply-body", text).await;
    s.click_and_load("#reply button[type=submit]").await;
    s.sees(".flash", "Your reply has been sent.").await;
}

/// Reports a problem from the form at /t/acme/tickets/new, with the file already chosen;
/// returns the ticket's number.
async fn report_problem(s: &Session, subject: &str, body: &str) -> u64 {
    s.fill("#f-subject", subject).await;
    s.fill("#f-body", body).await;
    s.click_and_load("form.ticket-form .actions:last-child button[type=submit]")
        .await;
    let path = s.path().await;
    let number = path
        .strip_prefix(&t("/tickets/"))
        .and_then(|rest| rest.strip_suffix("?done=ticket_created"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!("[{}] after reporting, the page is {path}", s.name);
        });
    s.sees(".flash", "The request has been submitted.").await;
    s.sees(".kicker", &format!("Request #{number}")).await;
    s.sees("h1", subject).await;
    assert_badge(s, "Submitted").await;
    s.sees(".whose-move", "Your request has arrived.").await;
    let files = s.texts(".attachments a.file").await;
    assert_eq!(
        files.len(),
        1,
        "[{}] the one chosen file is attached: {files:?}",
        s.name
    );
    assert!(files[0].contains("printer-error.png"), "{files:?}");
    number
}

async fn accept(s: &Session, priority: &str) {
    s.sees(".whose-move", "Waiting to be accepted").await;
    s.choose_label("#f-accept-priority", priority).await;
    s.click_and_load("#accept button[type=submit]").await;
    s.sees(".flash", "The request has been accepted.").await;
    assert_badge(s, "Accepted").await;
    s.sees(".ticket-state", priority).await;
    s.sees(".ticket-facts", SUPPORTER.name).await;
    s.sees(".whose-move", "Your move — the customer is waiting")
        .await;
}

async fn resolve(s: &Session, solution: &str) {
    s.fill("#f-resolve-solution", solution).await;
    s.click_and_load("#resolve button[type=submit]").await;
    s.sees(".flash", "The ticket has been marked as resolved.")
        .await;
    assert_badge(s, "Resolved").await;
    s.sees(".solution", solution).await;
}

/// The core flows with JavaScript on: the operator at a desktop, the customer on a
/// phone, the supporter at a desktop, each in their own browser.
async fn with_javascript(w: &World, op: &Session, cu: &Session, su: &Session, r: &mut Report) {
    // First-run setup from the address in the log.
    op.open(&w.setup_url).await;
    op.sees("h1", "Set up Supportbox").await;
    capture(op, r, "setup").await;
    op.fill("#f-name", OPERATOR.name).await;
    op.fill("#f-email", OPERATOR.email).await;
    op.fill("#f-password", OPERATOR.password).await;
    op.fill("#f-password_confirm", OPERATOR.password).await;
    op.fill("#f-tenant_name", TENANT).await;
    op.fill("#f-tenant_slug", SLUG).await;
    op.click_and_load("main form button[type=submit]").await;
    assert_path(op, "/admin/?done=setup_done").await;
    op.sees(".flash", "Supportbox is set up. Welcome!").await;
    op.sees("h1", "Organisations").await;
    op.sees(".user-link", OPERATOR.name).await;
    let list = rows(op).await;
    assert_eq!(list.len(), 1, "one organisation after setup: {list:?}");
    for seen in [TENANT, SLUG, "Active"] {
        assert!(list[0].contains(seen), "{seen} in {:?}", list[0]);
    }
    // The setup address works once.
    op.open(&w.setup_url).await;
    op.sees("h1", "Page not found").await;

    // The operator creates a second organisation.
    op.open("/admin/").await;
    op.fill("#f-name", "Globex").await;
    op.fill("#f-slug", "globex").await;
    // Its first admin: the operator's own account, which becomes admin there at once.
    op.fill("#f-admin_email", OPERATOR.email).await;
    op.click_and_load("#create button[type=submit]").await;
    op.sees(".flash", "The organisation has been created.")
        .await;
    op.sees("h1", "Globex").await;
    op.sees("section[aria-labelledby=members-title]", OPERATOR.name)
        .await;
    capture(op, r, "admin-tenant").await;
    op.open("/admin/").await;
    let list = rows(op).await;
    assert_eq!(list.len(), 2, "two organisations: {list:?}");
    let globex = list.iter().find(|row| row.contains("Globex"));
    assert!(
        globex.is_some_and(|row| row.contains("globex") && row.contains("Active")),
        "the new organisation is listed as active: {list:?}"
    );
    capture(op, r, "admin-tenants").await;

    // The admin (the operator is the first organisation's admin) invites two people.
    op.open(&t("/settings/users")).await;
    op.sees("h1", "Users").await;
    let list = rows(op).await;
    assert_eq!(list.len(), 1, "only the admin so far: {list:?}");
    assert!(list[0].contains("Organisation administrator"));
    let (shown, sam_link) = invite(op, &w.base, SUPPORTER.email, "supporter").await;
    r.notes.insert("invite-link-shown".to_owned(), shown);
    r.notes
        .insert("invite-link-expected".to_owned(), sam_link.clone());
    let (_, carla_link) = invite(op, &w.base, CUSTOMER.email, "customer").await;
    // Pending invitations are not members yet (and the list does not show them).
    r.notes.insert(
        "users-after-invitations".to_owned(),
        rows(op).await.join(" | "),
    );
    capture(op, r, "users").await;

    // Each accepts in a browser of their own; the customer on a phone.
    accept_invitation(su, &sam_link, &SUPPORTER).await;
    finish_invitation(su, &SUPPORTER).await;
    su.sees("main .lead", "Supporter").await;
    accept_invitation(cu, &carla_link, &CUSTOMER).await;
    capture(cu, r, "invitation").await;
    finish_invitation(cu, &CUSTOMER).await;
    w.people_ready.store(true, Ordering::SeqCst);
    r.notes
        .insert("home-customer".to_owned(), cu.text("main").await);
    capture(cu, r, "home").await;
    op.open(&t("/settings/users")).await;
    let list = rows(op).await;
    assert_eq!(
        list.len(),
        3,
        "the admin and the two who accepted: {list:?}"
    );
    assert_eq!(
        list.iter().filter(|row| row.contains("Enabled")).count(),
        3,
        "the invitations are accepted: {list:?}"
    );
    for (who, role) in [(&SUPPORTER, "Supporter"), (&CUSTOMER, "Customer")] {
        assert!(
            list.iter()
                .any(|row| row.contains(who.name) && row.contains(who.email) && row.contains(role)),
            "{} is listed as {role}: {list:?}",
            who.name
        );
    }

    // On the phone the menu hides behind its button.
    assert!(
        !cu.find("#main-nav").await.is_displayed().await.unwrap(),
        "the phone menu starts closed"
    );
    cu.sees(".nav-toggle", "Menu").await;
    cu.find(".nav-toggle").await.click().await.unwrap();
    let my_link = format!("#main-nav a[href=\"{}\"]", t("/my"));
    cu.until_shown("the phone menu to open", &my_link).await;
    cu.click_and_load(&my_link).await;
    cu.sees("h1", "My requests").await;
    cu.sees("main .empty", "No requests yet — report a problem")
        .await;

    // The customer reports a problem with a screenshot, on the phone.
    cu.click_and_load(".page-head a.button.report").await;
    assert_path(cu, &t("/tickets/new")).await;
    cu.sees("h1", "Report a problem").await;
    capture(cu, r, "ticket-new").await;
    cu.attach("#f-files", &w.png).await;
    cu.sees("[data-files-status]", "printer-error.png").await;
    let number = report_problem(
        cu,
        "Printer on floor 2 prints blank pages",
        "Since this morning **every** page comes out blank.\n\n- toner shows full\n- restarted it twice",
    )
    .await;
    assert_eq!(number, 1, "the first ticket of the organisation");
    let ticket = t(&format!("/tickets/{number}"));
    cu.sees(".message .md strong", "every").await;
    assert_eq!(cu.find_all(".thread-list .message").await.len(), 1);
    let thumb = until("the screenshot's thumbnail to load", || async {
        let w = cu
            .js("const i = document.querySelector('.attachments img'); return i && i.complete ? i.naturalWidth : null;")
            .await;
        w.as_u64()
    })
    .await;
    assert_eq!(thumb, 32, "the thumbnail shows the uploaded picture");
    capture(cu, r, "ticket-customer").await;
    cu.open(&t("/my")).await;
    let list = rows(cu).await;
    assert_eq!(list.len(), 1, "one request: {list:?}");
    for seen in ["#1", "Printer on floor 2", "Submitted"] {
        assert!(list[0].contains(seen), "{seen} in {:?}", list[0]);
    }
    capture(cu, r, "my-requests").await;

    // The supporter finds it in "New requests", accepts it with a priority, asks back.
    su.open(&t("/queue/new")).await;
    su.sees("h1", "Requests").await;
    assert_eq!(count(su, "new").await, "1");
    assert_eq!(count(su, "customer_waiting").await, "0");
    assert_eq!(count(su, "support_waiting").await, "0");
    let list = rows(su).await;
    assert_eq!(list.len(), 1, "{list:?}");
    for seen in ["#1", "Printer on floor 2", CUSTOMER.name, "New"] {
        assert!(list[0].contains(seen), "{seen} in {:?}", list[0]);
    }
    capture(su, r, "queue").await;
    su.click_and_load(&format!("table.tickets tbody th a[href=\"{ticket}\"]"))
        .await;
    assert_path(su, &ticket).await;
    su.sees(".kicker", "Ticket #1").await;
    assert_badge(su, "New").await;
    su.sees(".ticket-facts", CUSTOMER.email).await;
    su.sees(".attachments", "printer-error.png").await;
    capture(su, r, "ticket-support-new").await;
    accept(su, "Hoch / High").await;
    su.sees("#reply .hint", "Your reply goes to the customer")
        .await;
    reply(
        su,
        "Which printer exactly — the one by the kitchen or by the window?",
    )
    .await;
    assert_badge(su, "Question to you").await;
    su.sees(".whose-move", "Waiting for the customer").await;
    assert_eq!(su.find_all(".thread-list .message").await.len(), 2);
    r.notes.insert(
        "menu-current-staff-ticket".to_owned(),
        su.text("#main-nav a[aria-current=page]").await,
    );
    su.open(&t("/queue/support-waiting")).await;
    r.notes.insert(
        "menu-current-support-waiting".to_owned(),
        su.text("#main-nav a[aria-current=page]").await,
    );
    assert_eq!(count(su, "new").await, "0");
    assert_eq!(count(su, "support_waiting").await, "1");
    su.sees("main table", "Printer on floor 2").await;
    // The supporter keeps the ticket open while the customer answers.
    su.open(&ticket).await;

    // The customer answers from the phone.
    cu.open(&ticket).await;
    r.notes.insert(
        "menu-current-customer-ticket".to_owned(),
        cu.find("#main-nav a[aria-current=page]")
            .await
            .prop("textContent")
            .await
            .unwrap()
            .unwrap_or_default(),
    );
    assert_badge(cu, "Support is waiting for you").await;
    cu.sees(".whose-move", "Waiting for your answer").await;
    cu.sees(".thread-list", "Which printer exactly").await;
    cu.sees(".thread-list", "Support").await;
    assert!(
        cu.find(".sticky-reply").await.is_displayed().await.unwrap(),
        "the phone keeps a Reply button at hand"
    );
    cu.does_not_see("Accept request").await;
    cu.does_not_see("Internal note").await;
    reply(cu, "The one by the window, label P2-07.").await;
    assert_badge(cu, "Accepted by support").await;
    assert_eq!(cu.find_all(".thread-list .message").await.len(), 3);

    // The supporter's open page shows the answer by itself (live update).
    let live = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if su.text(".thread-list").await.contains("label P2-07") {
                return "reloaded";
            }
            if su.exists(".live-banner").await {
                return "banner";
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or("nothing within 10 s");
    r.notes.insert("live-update".to_owned(), live.to_owned());

    // Back in the supporter's queue: the customer is waiting.
    su.open(&t("/queue/customer-waiting")).await;
    assert_eq!(count(su, "customer_waiting").await, "1");
    assert_eq!(count(su, "support_waiting").await, "0");
    let list = rows(su).await;
    assert_eq!(list.len(), 1, "{list:?}");
    for seen in ["#1", "Accepted", "Hoch / High", SUPPORTER.name] {
        assert!(list[0].contains(seen), "{seen} in {:?}", list[0]);
    }

    // The supporter resolves.
    su.open(&ticket).await;
    assert_badge(su, "Accepted").await;
    su.sees(".thread-list", "label P2-07").await;
    capture(su, r, "ticket-support").await;
    resolve(
        su,
        "Replaced the toner cartridge of P2-07; the test page prints fine.",
    )
    .await;
    su.open(&t("/queue/customer-waiting")).await;
    assert_eq!(count(su, "customer_waiting").await, "0");
    su.sees("main .empty", "No customer is waiting").await;
    su.open(&t("/tickets")).await;
    su.sees("main table", "Resolved").await;
    capture(su, r, "ticket-management").await;
    // On a phone the unused filters fold away, so the list comes first; on a desktop
    // they stay open.
    let filters_open = || async {
        su.js("return document.querySelector('details.filter-box').open;")
            .await
            .as_bool()
    };
    su.resize(PHONE).await;
    until("the filters to fold on a phone", || async {
        (filters_open().await == Some(false)).then_some(())
    })
    .await;
    su.sees("details.filter-box summary", "Filters").await;
    su.resize(DESKTOP).await;
    until("the filters to open on a desktop", || async {
        (filters_open().await == Some(true)).then_some(())
    })
    .await;

    // The customer reads the solution.
    cu.open(&ticket).await;
    assert_badge(cu, "Resolved").await;
    cu.sees(".solution", "Replaced the toner cartridge").await;
    cu.sees("#reply .hint", "Your reply opens the request again.")
        .await;
    cu.open(&t("/my?status=resolved")).await;
    let list = rows(cu).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(list[0].contains("Resolved"), "{list:?}");

    // German and back to English.
    cu.open(&t("/my")).await;
    open_menu_if_folded(cu).await;
    cu.choose("#lang-select", "de").await;
    cu.click_and_load(".lang-form button[type=submit]").await;
    assert_path(cu, &t("/my")).await;
    assert_eq!(cu.attr("html", "lang").await.as_deref(), Some("de"));
    cu.sees("h1", "Meine Anfragen").await;
    cu.sees("main table", "Gelöst").await;
    cu.sees(".page-head", "Problem melden").await;
    open_menu_if_folded(cu).await;
    cu.sees(".logout-form", "Abmelden").await;
    capture(cu, r, "my-requests-de").await;
    cu.open(&ticket).await;
    cu.sees(".kicker", "Anfrage #1").await;
    assert_badge(cu, "Gelöst").await;
    cu.sees(".solution h2", "Lösung").await;
    open_menu_if_folded(cu).await;
    cu.choose("#lang-select", "en").await;
    cu.click_and_load(".lang-form button[type=submit]").await;
    assert_eq!(cu.attr("html", "lang").await.as_deref(), Some("en"));
    assert_badge(cu, "Resolved").await;
    cu.sees(".back", "My requests").await;

    // Signing out, on the phone.
    sign_out(cu).await;
    capture(cu, r, "login").await;
    cu.open(&ticket).await;
    let path = cu.path().await;
    assert!(
        path.starts_with("/login"),
        "signed out, the ticket asks to sign in first (at {path})"
    );
}

/// The core flows with JavaScript off: report, reply, accept, resolve — one browser,
/// signing in and out between people.
async fn without_javascript(w: &World, s: &Session, r: &mut Report) {
    sign_in(s, &CUSTOMER).await;
    // Without JavaScript the phone shows the menu itself, not a dead menu button.
    assert!(
        !s.find(".nav-toggle").await.is_displayed().await.unwrap(),
        "no menu button that needs JavaScript"
    );
    let my_link = format!("#main-nav a[href=\"{}\"]", t("/my"));
    assert!(s.find(&my_link).await.is_displayed().await.unwrap());
    s.click_and_load(&my_link).await;
    s.sees("h1", "My requests").await;
    s.click_and_load(".page-head a.button.report").await;
    s.attach("#f-files", &w.png).await;
    let number = report_problem(
        s,
        "Laptop does not charge",
        "The charger's light stays off.",
    )
    .await;
    let ticket = t(&format!("/tickets/{number}"));
    capture(s, r, "ticket-nojs").await;
    sign_out(s).await;

    s.resize(DESKTOP).await;
    sign_in(s, &SUPPORTER).await;
    s.open(&ticket).await;
    assert_badge(s, "New").await;
    accept(s, "Normal").await;
    reply(s, "Is the charging light on at all?").await;
    assert_badge(s, "Question to you").await;
    sign_out(s).await;

    s.resize(PHONE).await;
    sign_in(s, &CUSTOMER).await;
    s.open(&ticket).await;
    assert_badge(s, "Support is waiting for you").await;
    s.sees(".thread-list", "charging light").await;
    reply(s, "No light at all.").await;
    assert_badge(s, "Accepted by support").await;
    sign_out(s).await;

    s.resize(DESKTOP).await;
    sign_in(s, &SUPPORTER).await;
    s.open(&ticket).await;
    assert_badge(s, "Accepted").await;
    s.sees(".thread-list", "No light at all.").await;
    resolve(s, "Replaced the power supply.").await;
    sign_out(s).await;

    s.resize(PHONE).await;
    sign_in(s, &CUSTOMER).await;
    s.open(&ticket).await;
    assert_badge(s, "Resolved").await;
    s.sees(".solution", "Replaced the power supply.").await;
    sign_out(s).await;
}

/// A tidy number for the report.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
