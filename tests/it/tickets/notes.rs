//! Internal notes never reach the customer: not on the ticket page, not in its history,
//! not as an attachment, not in search results or snippets, not in My requests.
//! (The API's view is checked in `tickets_api.rs`.)

use poem::http::StatusCode;

use super::{Act, Desk, act, report};
use crate::support::MultipartBody;

const NOTE: &str = "Zebracorn firmware is cursed, replace the fuser quietly";
const FORWARD: &str = "Sara, the Quokkaline contract covers this";

#[tokio::test]
async fn internal_notes_and_their_files_stay_with_support() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let n = report(
        app,
        &desk.carl,
        "Printer smudges",
        "Every page has a grey stripe.",
        &[],
    )
    .await;
    act(app, &desk.sam, n, Act::Accept)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // An internal note with a file, a forward with a note, then a public reply.
    desk.sam
        .post_multipart(
            app,
            &format!("/t/acme/tickets/{n}/note"),
            MultipartBody::new().text("body", NOTE).file(
                "files",
                "internal-cost-sheet.txt",
                "text/plain",
                b"Fuser: 240 EUR, Zebracorn discount",
            ),
        )
        .await
        .assert_redirect(&format!("/t/acme/tickets/{n}?done=noted"));
    let sara = app.fx().acme.supporters[1].id.0.to_string();
    desk.sam
        .post_form(
            app,
            &format!("/t/acme/tickets/{n}/assign"),
            &[("assignee", &sara), ("note", FORWARD)],
        )
        .await
        .assert_redirect(&format!("/t/acme/tickets/{n}?done=assigned"));
    desk.sam
        .post_multipart(
            app,
            &format!("/t/acme/tickets/{n}/reply"),
            MultipartBody::new()
                .text("body", "We will replace a part next week.")
                .file("files", "public-plan.txt", "text/plain", b"Monday 9:00"),
        )
        .await
        .assert_redirect(&format!("/t/acme/tickets/{n}?done=replied"));
    app.state.services.sync_search().await.unwrap();

    // Support sees everything, clearly marked.
    let staff = desk.sam.get(app, &format!("/t/acme/tickets/{n}")).await;
    staff.assert_ok();
    staff.assert_contains(NOTE);
    staff.assert_contains(FORWARD);
    staff.assert_contains("internal-cost-sheet.txt");
    staff.assert_contains("class=\"message internal\"");
    staff.assert_contains("Internal note");
    staff.assert_contains("added an internal note");
    // Messages: 1 report, 2 note, 3 forward note, 4 reply.
    let cost = desk
        .sam
        .get(app, &format!("/t/acme/tickets/{n}/files/2/0"))
        .await;
    cost.assert_ok();
    assert_eq!(cost.body, "Fuser: 240 EUR, Zebracorn discount");

    // The customer sees the public reply and its file, nothing else.
    let mine = desk.carl.get(app, &format!("/t/acme/tickets/{n}")).await;
    mine.assert_ok();
    mine.assert_contains("We will replace a part next week.");
    mine.assert_contains("public-plan.txt");
    for secret in [
        "Zebracorn",
        "Quokkaline",
        "internal-cost-sheet",
        "Internal note",
        "internal note",
        "class=\"message internal\"",
        "files/2/0",
        "files/3/0",
        "id=\"m2\"",
        "id=\"m3\"",
    ] {
        mine.assert_lacks(secret);
    }
    let plan = desk
        .carl
        .get(app, &format!("/t/acme/tickets/{n}/files/4/0"))
        .await;
    plan.assert_ok();
    assert_eq!(plan.body, "Monday 9:00");
    for path in [
        format!("/t/acme/tickets/{n}/files/2/0"),
        format!("/t/acme/tickets/{n}/files/3/0"),
    ] {
        let page = desk.carl.get(app, &path).await;
        page.assert_not_found();
        page.assert_lacks("Zebracorn");
    }

    // Search: support finds the note's words, the customer does not, not even a snippet.
    let hits = desk.sam.get(app, "/t/acme/search?q=zebracorn").await;
    hits.assert_ok();
    hits.assert_contains("Results: 1");
    hits.assert_contains("<mark>Zebracorn</mark>");
    hits.assert_contains(&format!("href=\"/t/acme/tickets/{n}#m2\""));
    let hits = desk.sam.get(app, "/t/acme/search?q=quokkaline").await;
    hits.assert_contains("Results: 1");
    for q in [
        "zebracorn",
        "quokkaline",
        "cursed fuser",
        "zebracorn printer",
    ] {
        let hits = desk
            .carl
            .get(app, &format!("/t/acme/search?q={}", q.replace(' ', "+")))
            .await;
        hits.assert_ok();
        hits.assert_contains("Nothing found");
        hits.assert_lacks("Zebracorn");
        hits.assert_lacks("Quokkaline");
    }
    // Words from the public thread are found by both, with a snippet from public text.
    let hits = desk.carl.get(app, "/t/acme/search?q=replace").await;
    hits.assert_contains("Results: 1");
    hits.assert_lacks("Zebracorn");
    hits.assert_lacks("quietly");
    // My requests' text filter uses the same customer scope.
    let my = desk.carl.get(app, "/t/acme/my?q=zebracorn").await;
    my.assert_ok();
    assert!(my.ticket_numbers().is_empty());
    let my = desk.carl.get(app, "/t/acme/my?q=stripe").await;
    assert_eq!(my.ticket_numbers(), [n]);
    // Ticket management (staff) filters by the note's words.
    let managed = desk.sam.get(app, "/t/acme/tickets?q=zebracorn").await;
    assert_eq!(managed.ticket_numbers(), [n]);
}
