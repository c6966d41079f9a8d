//! Search through the pages (docs/search.md): German and English stemming, a new
//! ticket findable as soon as the outbox is applied, Ticket management's free-text
//! filter, staff-only internal notes, and the tenant and customer scopes.

use poem::http::StatusCode;

use super::{Desk, report, report_in};
use crate::support::MultipartBody;

#[tokio::test]
async fn german_and_english_words_are_found_by_their_stems() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let de = report(
        app,
        &desk.carl,
        "Drucker druckt nicht",
        "Der Drucker im zweiten Stock zeigt einen Papierstau an.",
        &[],
    )
    .await;
    let en = report(
        app,
        &desk.carl,
        "Scanning fails",
        "The scanner stopped scanning documents after the update.",
        &[],
    )
    .await;
    report(app, &desk.carl, "Coffee machine", "No coffee today.", &[]).await;
    app.state.services.sync_search().await.unwrap();

    for (q, expected) in [
        ("drucken", de),
        ("Druckers", de),
        ("papierstau", de),
        ("scanned", en),
        ("document", en),
        ("scans", en),
    ] {
        for who in [&desk.sam, &desk.carl] {
            let page = who.get(app, &format!("/t/acme/search?q={q}")).await;
            page.assert_ok();
            page.assert_contains("Results: 1");
            page.assert_contains(&format!("href=\"/t/acme/tickets/{expected}\""));
            page.assert_contains("<mark>");
        }
    }
    let page = desk.sam.get(app, "/t/acme/search?q=drucken").await;
    page.assert_contains("Drucker druckt nicht");
    page.assert_contains("in the subject or description");
    let page = desk.sam.get(app, "/t/acme/search?q=toaster").await;
    page.assert_contains("Nothing found for “toaster”. Try fewer or different words.");
    let page = desk.sam.get(app, "/t/acme/search").await;
    page.assert_contains("Enter one or more words to search your requests.");
    // The German page speaks German.
    let page = desk
        .carl
        .get_with(
            app,
            "/t/acme/search?q=toaster",
            &[("accept-language", "de")],
        )
        .await;
    page.assert_ok();
    page.assert_contains("Suche");
}

#[tokio::test]
async fn a_new_ticket_and_a_new_reply_are_findable_once_the_outbox_is_applied() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let n = report(
        app,
        &desk.carl,
        "Beamer flackert",
        "Im Konferenzraum flackert der Beamer.",
        &[],
    )
    .await;
    let applied = app.state.services.sync_search().await.unwrap();
    assert!(applied >= 1, "the outbox had the new ticket");
    let page = desk.sam.get(app, "/t/acme/search?q=beamer").await;
    page.assert_contains(&format!("href=\"/t/acme/tickets/{n}\""));

    let high = super::priority_id(app, "High").await.to_string();
    desk.sam
        .post_form(
            app,
            &format!("/t/acme/tickets/{n}/accept"),
            &[("priority", &high)],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    desk.sam
        .post_multipart(
            app,
            &format!("/t/acme/tickets/{n}/reply"),
            MultipartBody::new().text("body", "Bitte das HDMI-Kabel tauschen."),
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Not yet applied: a search may not know the reply, but must not fail.
    desk.sam
        .get(app, "/t/acme/search?q=kabel")
        .await
        .assert_ok();
    app.state.services.sync_search().await.unwrap();
    let page = desk.carl.get(app, "/t/acme/search?q=kabel").await;
    page.assert_contains("Results: 1");
    page.assert_contains(&format!("href=\"/t/acme/tickets/{n}#m2\""));
    page.assert_contains("in message 2");
    page.assert_contains("<mark>Kabel</mark>");

    // A trashed ticket leaves the results, even before the index hears of it.
    desk.sam
        .post_form(app, &format!("/t/acme/tickets/{n}/delete"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    desk.sam
        .get(app, "/t/acme/search?q=beamer")
        .await
        .assert_contains("Nothing found");
    app.state.services.sync_search().await.unwrap();
    desk.sam
        .get(app, "/t/acme/search?q=beamer")
        .await
        .assert_contains("Nothing found");
}

#[tokio::test]
async fn search_is_scoped_to_the_tenant_and_to_the_customers_own_tickets() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl_t = report(
        app,
        &desk.carl,
        "Router blinkt rot",
        "Das WLAN ist weg.",
        &[],
    )
    .await;
    let cleo_t = report(
        app,
        &desk.cleo,
        "Router langsam",
        "Das WLAN ist sehr langsam.",
        &[],
    )
    .await;
    let gil = app.sign_in(&fx.globex.customers[0].email).await;
    let globex_t = report_in(
        app,
        &gil,
        "globex",
        "Router kaputt",
        "Das WLAN im Lager ist weg.",
        &[],
    )
    .await;
    app.state.services.sync_search().await.unwrap();

    // Staff see every ticket of their tenant, none of the other's.
    let page = desk.sam.get(app, "/t/acme/search?q=router").await;
    page.assert_contains("Results: 2");
    page.assert_contains(&format!("href=\"/t/acme/tickets/{carl_t}\""));
    page.assert_contains(&format!("href=\"/t/acme/tickets/{cleo_t}\""));
    page.assert_lacks("Lager");
    page.assert_lacks("kaputt");
    let gus = app.sign_in(&fx.globex.supporters[0].email).await;
    let page = gus.get(app, "/t/globex/search?q=router").await;
    page.assert_contains("Results: 1");
    page.assert_contains(&format!("href=\"/t/globex/tickets/{globex_t}\""));
    page.assert_lacks("blinkt");

    // Customers see only their own.
    let page = desk.carl.get(app, "/t/acme/search?q=router").await;
    page.assert_contains("Results: 1");
    page.assert_contains("Router blinkt rot");
    page.assert_lacks("langsam");
    let page = desk.cleo.get(app, "/t/acme/search?q=wlan").await;
    page.assert_contains("Results: 1");
    page.assert_contains("Router langsam");
    page.assert_lacks("blinkt");
    let page = gil.get(app, "/t/globex/search?q=blinkt").await;
    page.assert_contains("Nothing found");
    // Search syntax cannot widen the scope.
    for q in [
        "tenant:1",
        "router OR tenant:2",
        "customer:*",
        "visibility:internal",
        "*",
        "router\"",
    ] {
        let page = desk
            .cleo
            .get(app, &format!("/t/acme/search?q={}", urlencode(q)))
            .await;
        page.assert_ok();
        page.assert_lacks("blinkt");
        page.assert_lacks("kaputt");
    }
}

fn urlencode(q: &str) -> String {
    serde_urlencoded::to_string([("q", q)])
        .unwrap()
        .trim_start_matches("q=")
        .to_owned()
}

#[tokio::test]
async fn ticket_managements_text_filter_uses_the_index_and_combines_with_other_filters() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let a = report(
        app,
        &desk.carl,
        "Tastatur defekt",
        "Die Taste E klemmt.",
        &[],
    )
    .await;
    let b = report(app, &desk.cleo, "Tastaturen bestellen", "Zehn Stück.", &[]).await;
    let c = report(app, &desk.carl, "Maus defekt", "Das Mausrad klemmt.", &[]).await;
    app.state.services.sync_search().await.unwrap();
    let page = desk.sam.get(app, "/t/acme/tickets?q=tastatur").await;
    page.assert_ok();
    let mut found = page.ticket_numbers();
    found.sort_unstable();
    assert_eq!(found, [a, b]);
    page.assert_contains("value=\"tastatur\"");
    let page = desk.sam.get(app, "/t/acme/tickets?q=klemmt").await;
    let mut found = page.ticket_numbers();
    found.sort_unstable();
    assert_eq!(found, [a, c]);
    let carl = app.fx().acme.customers[0].id.0;
    let page = desk
        .sam
        .get(app, &format!("/t/acme/tickets?q=tastatur&customer={carl}"))
        .await;
    assert_eq!(page.ticket_numbers(), [a]);
    let page = desk.sam.get(app, "/t/acme/tickets?q=gibtsnicht").await;
    assert!(page.ticket_numbers().is_empty());
    page.assert_contains("No ticket matches these filters.");
}
