//! Real-browser end-to-end tests: Debian's headless Chromium driven through
//! chromedriver with fantoccini, against the compiled binary on a free port.
//!
//! One run serves every test here: it starts the server and chromedriver once, walks the
//! operator, a supporter and a customer through their work (setup, a second organisation,
//! invitations, a ticket reported from a phone with a screenshot, accepted, asked back,
//! answered, resolved, German and English, sign-out), checks every main page at phone
//! (390×844) and desktop (1366×768) size, saves screenshots under `target/screenshots/`, and
//! repeats the core flows with JavaScript switched off. Each test then asserts its own part
//! of what the run found, so a layout problem does not hide a broken flow or the other way
//! round.
//!
//! Vendored: `browser/axe.min.js` is axe-core 4.14.1 (MPL-2.0), from the npm package
//! (`npm pack axe-core@4`, file `package/axe.min.js`; sha256
//! 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`). Without them the tests here are skipped with one line saying so,
//! unless `BROWSER_TESTS=required` is set (`.ci/run` sets it), in which case they
//! fail: CI must never pass without having driven a browser.

mod checks;
mod flows;
mod harness;

use std::sync::OnceLock;
use std::time::Instant;

use checks::Report;
use flows::secs;

/// The one run, started by whichever test asks first; the others wait for it.
fn scenario() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let started = Instant::now();
        // Its own runtime on its own thread: the run outlives no test's runtime.
        let mut report = std::thread::spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(flows::run())
        })
        .join()
        .unwrap_or_else(|payload| Report {
            fatal: Some(flows::panic_text(&*payload)),
            ..Report::default()
        });
        report.elapsed = started.elapsed();
        eprintln!("{}", summary(&report));
        report
    })
}

/// Everything the run found, for the test output.
fn summary(r: &Report) -> String {
    let mut out = format!("browser run: {}\n", secs(r.elapsed));
    if let Some(fatal) = &r.fatal {
        out.push_str(&format!("  could not run: {fatal}\n"));
    }
    for (name, outcome) in &r.steps {
        match outcome {
            Ok(took) => out.push_str(&format!("  step {name}: passed in {}\n", secs(*took))),
            Err(e) => out.push_str(&format!("  step {name}: FAILED: {e}\n")),
        }
    }
    out.push_str(&format!(
        "  pages checked: {}\n  screenshots: {} in target/screenshots/\n",
        r.pages.join(", "),
        r.screenshots.len()
    ));
    for (title, list) in [
        ("phone layout", &r.layout),
        ("accessibility (failing)", &r.a11y),
        ("accessibility (moderate/minor, not failing)", &r.a11y_minor),
    ] {
        out.push_str(&format!("  {title}: {}\n", list.len()));
        for line in list {
            out.push_str(&format!("    {line}\n"));
        }
    }
    for (key, note) in &r.notes {
        let short: String = note.chars().take(300).collect();
        out.push_str(&format!("  note {key}: {short:?}\n"));
    }
    out
}

/// The run's findings, or `None` when the browser tests are skipped on this machine.
fn report() -> Option<&'static Report> {
    if !harness::browser_available() {
        return None;
    }
    let r = scenario();
    if let Some(fatal) = &r.fatal {
        panic!("the browser run could not start: {fatal}");
    }
    Some(r)
}

#[track_caller]
fn assert_step(name: &str) {
    let Some(r) = report() else { return };
    match r.step(name) {
        Some(Ok(_)) => {}
        Some(Err(e)) => panic!("{e}"),
        None => panic!("the step {name} did not run"),
    }
}

/// The pages the checks must have seen; if the flows stopped early, checks that passed
/// on fewer pages prove nothing.
const PAGES: [&str; 16] = [
    "setup",
    "admin-tenant",
    "admin-tenants",
    "users",
    "invitation",
    "home",
    "ticket-new",
    "ticket-customer",
    "my-requests",
    "queue",
    "ticket-support-new",
    "ticket-support",
    "ticket-management",
    "my-requests-de",
    "login",
    "ticket-nojs",
];

#[track_caller]
fn assert_all_pages_checked(r: &Report) {
    let missing: Vec<&str> = PAGES
        .iter()
        .copied()
        .filter(|p| !r.pages.iter().any(|seen| seen == p))
        .collect();
    assert!(
        missing.is_empty(),
        "the flows stopped before these pages were checked: {missing:?} ({:?})",
        r.step("flows")
    );
}

#[test]
fn setup_invitations_and_a_ticket_from_report_to_resolution_in_chromium() {
    assert_step("flows");
}

#[test]
fn core_ticket_flows_work_with_javascript_disabled() {
    assert_step("nojs");
}

#[test]
fn on_a_phone_nothing_scrolls_sideways_targets_are_44px_and_tables_fit() {
    let Some(r) = report() else { return };
    assert_all_pages_checked(r);
    assert!(
        r.layout.is_empty(),
        "phone layout problems ({}):\n{}",
        r.layout.len(),
        r.layout.join("\n")
    );
}

#[test]
fn axe_finds_no_serious_violations_and_pages_have_landmarks_labels_and_focus() {
    let Some(r) = report() else { return };
    assert_all_pages_checked(r);
    assert!(
        r.a11y.is_empty(),
        "accessibility problems ({}):\n{}",
        r.a11y.len(),
        r.a11y.join("\n")
    );
}

#[test]
fn screenshots_of_every_main_page_at_both_sizes_are_saved() {
    let Some(r) = report() else { return };
    assert_all_pages_checked(r);
    for page in PAGES {
        for size in ["phone", "desktop"] {
            let file = harness::screenshot_dir().join(format!("{size}-{page}.png"));
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                bytes.starts_with(b"\x89PNG") && bytes.len() > 2_000,
                "{} is missing or empty",
                file.display()
            );
        }
    }
}

#[test]
fn an_open_ticket_page_shows_the_customers_answer_by_itself() {
    let Some(r) = report() else { return };
    assert_step("flows");
    assert_eq!(
        r.notes.get("live-update").map(String::as_str),
        Some("reloaded"),
        "the supporter's open ticket page did not update after the customer's reply"
    );
}

#[test]
fn the_customers_start_page_offers_to_report_a_problem() {
    let Some(r) = report() else { return };
    let home = r
        .notes
        .get("home-customer")
        .expect("the flows reached the customer's start page");
    assert!(
        !home.contains("not available in this version"),
        "the start page says reporting is not available:\n{home}"
    );
    assert!(
        home.contains("Report a problem"),
        "the start page has no shortcut to report a problem:\n{home}"
    );
}

#[test]
fn the_invitation_link_points_at_the_address_the_admin_uses() {
    let Some(r) = report() else { return };
    let shown = r.notes.get("invite-link-shown");
    let expected = r.notes.get("invite-link-expected");
    assert!(shown.is_some(), "the flows reached the invitation");
    assert_eq!(shown, expected);
}

#[test]
fn the_menu_marks_the_area_a_page_belongs_to() {
    let Some(r) = report() else { return };
    let note = |key: &str| r.notes.get(key).map(|s| s.trim().to_owned());
    assert_eq!(
        note("menu-current-support-waiting").as_deref(),
        Some("Requests"),
        "a queue tab belongs to Requests"
    );
    assert_eq!(
        note("menu-current-staff-ticket").as_deref(),
        Some("Requests"),
        "a supporter's ticket page belongs to Requests"
    );
    assert_eq!(
        note("menu-current-customer-ticket").as_deref(),
        Some("My requests"),
        "a customer's ticket page belongs to My requests"
    );
}
