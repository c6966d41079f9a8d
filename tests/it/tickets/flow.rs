//! "Done when": a customer reports a problem with a screenshot, support accepts it with a
//! priority and asks back, the customer answers, support resolves it, and a later reply
//! opens it again. Every step shows on both sides, in the tabs and their counts.

use poem::http::StatusCode;

use super::{Desk, badges, number_in, priority_id};
use crate::support::{MultipartBody, PNG, Page};

/// Carl's view of "My requests": the status badge on the row of ticket `number`.
fn my_row_status(page: &Page, number: u64) -> String {
    let table = page.table();
    let start = table
        .find(&format!("/tickets/{number}\""))
        .unwrap_or_else(|| panic!("#{number} is not listed:\n{}", page.body));
    let row = &table[start..];
    let row = &row[..row.find("</tr>").unwrap_or(row.len())];
    let badge = row
        .split("class=\"badge st-")
        .nth(1)
        .unwrap_or_else(|| panic!("no status badge in {row}"));
    let text = badge.split('>').nth(1).unwrap_or_default();
    text.split('<').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_request_goes_from_report_to_resolution_and_both_sides_see_every_step() {
    let desk = Desk::new().await;
    let (app, carl, sam) = (&desk.app, &desk.carl, &desk.sam);

    // Nothing yet: empty tabs, an inviting "My requests".
    assert_eq!(badges(app, sam).await, (0, 0, 0));
    let my = carl.get(app, "/t/acme/my").await;
    my.assert_ok();
    my.assert_contains("No requests yet — report a problem");

    // Carl reports with a screenshot through the multipart form.
    let form = carl.get(app, "/t/acme/tickets/new").await;
    form.assert_ok();
    form.assert_contains("Report a problem");
    form.assert_contains("action=\"/t/acme/tickets/new\"");
    form.assert_lacks("?csrf=");
    let page = carl
        .post_multipart(
            app,
            "/t/acme/tickets/new",
            MultipartBody::new()
                .text("subject", "Printer on floor 2 prints blank pages")
                .text(
                    "body",
                    "Since this morning every page comes out **blank**. Screenshot attached.",
                )
                .file("files", "shot.png", "image/png", &PNG),
        )
        .await;
    let n = number_in(&page);
    assert_eq!(n, 1, "the first ticket of the tenant");
    page.assert_redirect("/t/acme/tickets/1?done=ticket_created");

    let mine = carl.get(app, "/t/acme/tickets/1?done=ticket_created").await;
    mine.assert_ok();
    assert_eq!(
        mine.flash().as_deref(),
        Some("The request has been submitted.")
    );
    mine.assert_contains("Request #1");
    mine.assert_contains("Printer on floor 2 prints blank pages");
    mine.assert_contains("<strong>blank</strong>");
    mine.assert_contains("class=\"badge st-new\">Submitted<");
    mine.assert_contains("shot.png");
    mine.assert_contains("src=\"/t/acme/tickets/1/files/1/0?thumb=1\"");
    let shot = carl.download(app, "/t/acme/tickets/1/files/1/0").await;
    shot.assert_ok();
    assert_eq!(shot.header("content-type"), Some("image/png"));
    assert_eq!(
        my_row_status(&carl.get(app, "/t/acme/my").await, 1),
        "Submitted"
    );

    // Support sees it under New requests, counted.
    let queue = sam.get(app, "/t/acme/queue/new").await;
    queue.assert_ok();
    assert_eq!(queue.tab_count("new"), Some(1));
    assert_eq!(queue.tab_count("customer_waiting"), Some(0));
    assert_eq!(queue.ticket_numbers(), [1]);
    queue.assert_contains("Printer on floor 2 prints blank pages");
    queue.assert_contains("Carl Customer");
    let staff_view = sam.get(app, "/t/acme/tickets/1").await;
    staff_view.assert_ok();
    staff_view.assert_contains("Ticket #1");
    staff_view.assert_contains("Waiting to be accepted");
    staff_view.assert_contains("Accept request");
    let shot = sam.download(app, "/t/acme/tickets/1/files/1/0").await;
    shot.assert_ok();
    assert_eq!(shot.header("content-type"), Some("image/png"));

    // Sam accepts it with a priority: it moves to "Customer waiting".
    let high = priority_id(app, "High").await.to_string();
    sam.post_form(app, "/t/acme/tickets/1/accept", &[("priority", &high)])
        .await
        .assert_redirect("/t/acme/tickets/1?done=accepted");
    assert_eq!(badges(app, sam).await, (0, 1, 0));
    let cw = sam.get(app, "/t/acme/queue/customer-waiting").await;
    assert_eq!(cw.ticket_numbers(), [1]);
    cw.assert_contains("Hoch / High");
    cw.assert_contains("Sam Support");
    assert!(
        sam.get(app, "/t/acme/queue/new")
            .await
            .ticket_numbers()
            .is_empty()
    );
    assert_eq!(
        my_row_status(&carl.get(app, "/t/acme/my").await, 1),
        "Accepted by support"
    );
    let mine = carl.get(app, "/t/acme/tickets/1").await;
    mine.assert_contains("Support is working on it");
    mine.assert_contains("Sam Support");

    // Sam asks a question: support now waits for Carl.
    sam.post_multipart(
        app,
        "/t/acme/tickets/1/reply",
        MultipartBody::new().text("body", "Which tray do you print from?"),
    )
    .await
    .assert_redirect("/t/acme/tickets/1?done=replied");
    assert_eq!(badges(app, sam).await, (0, 0, 1));
    assert_eq!(
        sam.get(app, "/t/acme/queue/support-waiting")
            .await
            .ticket_numbers(),
        [1]
    );
    let my = carl.get(app, "/t/acme/my").await;
    assert_eq!(my_row_status(&my, 1), "Support is waiting for you");
    let my_waiting = carl.get(app, "/t/acme/my?status=waiting").await;
    assert_eq!(my_waiting.ticket_numbers(), [1]);
    let de = carl
        .get_with(app, "/t/acme/my", &[("accept-language", "de-DE,de;q=0.9")])
        .await;
    de.assert_ok();
    de.assert_contains("Meine Anfragen");
    assert_eq!(my_row_status(&de, 1), "Der Support wartet auf Sie");
    let mine = carl.get(app, "/t/acme/tickets/1").await;
    mine.assert_contains("Waiting for your answer");
    mine.assert_contains("Which tray do you print from?");
    mine.assert_contains("class=\"badge st-waiting\">Support is waiting for you<");
    let staff_view = sam.get(app, "/t/acme/tickets/1").await;
    staff_view.assert_contains("Waiting for the customer");
    staff_view.assert_contains("class=\"badge st-waiting\">Question to you<");

    // Carl answers: back to support.
    carl.post_multipart(
        app,
        "/t/acme/tickets/1/reply",
        MultipartBody::new().text("body", "Tray 2, the one with the letterhead."),
    )
    .await
    .assert_redirect("/t/acme/tickets/1?done=replied");
    assert_eq!(badges(app, sam).await, (0, 1, 0));
    assert_eq!(
        my_row_status(&carl.get(app, "/t/acme/my").await, 1),
        "Accepted by support"
    );
    let staff_view = sam.get(app, "/t/acme/tickets/1").await;
    staff_view.assert_contains("Tray 2, the one with the letterhead.");
    staff_view.assert_contains("Your move — the customer is waiting");

    // Sam resolves it with a solution: it leaves the working tabs.
    sam.post_form(
        app,
        "/t/acme/tickets/1/resolve",
        &[(
            "solution",
            "Tray 2 had the wrong paper size; fixed in the driver.",
        )],
    )
    .await
    .assert_redirect("/t/acme/tickets/1?done=resolved");
    assert_eq!(badges(app, sam).await, (0, 0, 0));
    let resolved = sam.get(app, "/t/acme/tickets?status=resolved").await;
    assert_eq!(resolved.ticket_numbers(), [1]);
    let my = carl.get(app, "/t/acme/my").await;
    assert_eq!(my_row_status(&my, 1), "Resolved");
    assert_eq!(
        carl.get(app, "/t/acme/my?status=resolved")
            .await
            .ticket_numbers(),
        [1]
    );
    assert!(
        carl.get(app, "/t/acme/my?status=waiting")
            .await
            .ticket_numbers()
            .is_empty()
    );
    let mine = carl.get(app, "/t/acme/tickets/1").await;
    mine.assert_contains("class=\"badge st-resolved\">Resolved<");
    mine.assert_contains("Solution");
    mine.assert_contains("Tray 2 had the wrong paper size; fixed in the driver.");
    mine.assert_contains("Your reply opens the request again.");

    // A reply on the resolved ticket opens it again.
    carl.post_multipart(
        app,
        "/t/acme/tickets/1/reply",
        MultipartBody::new().text("body", "It is blank again today."),
    )
    .await
    .assert_redirect("/t/acme/tickets/1?done=replied");
    assert_eq!(badges(app, sam).await, (0, 1, 0));
    assert_eq!(
        my_row_status(&carl.get(app, "/t/acme/my").await, 1),
        "Accepted by support"
    );
    let history = sam.get(app, "/t/acme/tickets/1").await;
    history.assert_contains("changed the status from “Resolved” to “Accepted”");
    history.assert_contains("accepted the request — assigned to Sam Support, priority Hoch / High");

    // The whole way through, the other customer saw nothing of it.
    let cleo = desk.cleo.get(app, "/t/acme/my").await;
    cleo.assert_ok();
    assert!(cleo.ticket_numbers().is_empty());
    cleo.assert_lacks("Printer on floor 2");
}

#[tokio::test]
async fn the_report_form_answers_in_german_and_keeps_what_was_typed_on_errors() {
    let desk = Desk::new().await;
    let (app, carl) = (&desk.app, &desk.carl);
    let de = carl
        .get_with(app, "/t/acme/tickets/new", &[("accept-language", "de")])
        .await;
    de.assert_ok();
    de.assert_contains("Problem melden");

    // No subject: the form comes back with the message and the description kept.
    let page = carl
        .post_multipart(
            app,
            "/t/acme/tickets/new",
            MultipartBody::new()
                .text("subject", "")
                .text("body", "The scanner jams."),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Please fill in this field.");
    page.assert_contains("The scanner jams.</textarea>");
    assert_eq!(super::badges(app, &desk.sam).await, (0, 0, 0));

    // The preview renders Markdown and creates nothing.
    let page = carl
        .post_multipart(
            app,
            "/t/acme/tickets/new",
            MultipartBody::new()
                .text("subject", "Scanner")
                .text("body", "It *jams*.")
                .text("preview", "1"),
        )
        .await;
    page.assert_ok();
    page.assert_contains("<em>jams</em>");
    assert_eq!(super::badges(app, &desk.sam).await, (0, 0, 0));
}
