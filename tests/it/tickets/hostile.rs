//! Script payloads in subjects, descriptions, replies and file names render as inert text
//! on the ticket page, the queues, ticket management, My requests and search results,
//! and cannot break out of `Content-Disposition`.

use poem::http::StatusCode;

use super::{Act, Desk, act, report};
use crate::support::{MultipartBody, Page};

const SUBJECT: &str = "<script>alert('subject')</script> Drucker \"kaputt\"";
const BODY: &str = "<img src=x onerror=alert('body')> <script>alert('body')</script> \
                    [click](javascript:alert('link')) <a href=\"javascript:alert(1)\">x</a> \
                    <iframe src=\"https://evil.example\"></iframe> zebrafish";
const REPLY: &str = "<svg onload=alert('reply')></svg> <b onmouseover=alert('reply')>hi</b>";
const FILE: &str = "<img src=x onerror=alert('file')>.html";
const FILE_QUOTES: &str = "report'; filename=evil.exe.txt";

/// Where an occurrence of a text sits in the markup: `None` in text between tags,
/// `Some(quoted)` inside a tag (in a double-quoted attribute value or not).
fn contexts(body: &str, needle: &str) -> Vec<Option<bool>> {
    body.match_indices(needle)
        .map(|(i, _)| {
            let before = &body[..i];
            match (before.rfind('<'), before.rfind('>')) {
                (Some(open), close) if close.is_none_or(|c| c < open) => {
                    Some(before[open..].matches('"').count() % 2 == 1)
                }
                _ => None,
            }
        })
        .collect()
}

#[track_caller]
fn assert_inert(page: &Page, what: &str) {
    assert_eq!(page.status, StatusCode::OK, "{what}: {}", page.body);
    for tag in [
        "<script>alert(",
        "<img src=x",
        "<svg onload",
        "<iframe",
        "<b onmouseover",
    ] {
        assert!(
            !page.body.contains(tag),
            "{what}: {tag} appears as a tag:\n{}",
            page.body
        );
    }
    // Handlers may appear as text or inside a quoted value (a file name in `download`),
    // never as an attribute of their own.
    for handler in ["onerror=alert", "onmouseover=alert", "onload=alert"] {
        assert!(
            !contexts(&page.body, handler).contains(&Some(false)),
            "{what}: {handler} is a live attribute:\n{}",
            page.body
        );
    }
    // A script URL is harmless only as text.
    assert!(
        contexts(&page.body, "javascript:")
            .iter()
            .all(Option::is_none),
        "{what}: a javascript: URL sits in a tag:\n{}",
        page.body
    );
}

#[tokio::test]
async fn script_payloads_render_as_text_everywhere() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let n = report(
        app,
        &desk.carl,
        SUBJECT,
        BODY,
        &[(FILE, b"<html><script>alert('inside')</script></html>")],
    )
    .await;
    desk.sam
        .post_multipart(
            app,
            &format!("/t/acme/tickets/{n}/note"),
            MultipartBody::new().text("body", REPLY).file(
                "files",
                FILE_QUOTES,
                "text/plain",
                b"just text",
            ),
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    act(app, &desk.sam, n, Act::Accept)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    act(app, &desk.sam, n, Act::Reply)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.state.services.sync_search().await.unwrap();

    let pages = [
        (
            "ticket page (staff)",
            desk.sam.get(app, &format!("/t/acme/tickets/{n}")).await,
        ),
        (
            "ticket page (customer)",
            desk.carl.get(app, &format!("/t/acme/tickets/{n}")).await,
        ),
        (
            "support waiting",
            desk.sam.get(app, "/t/acme/queue/support-waiting").await,
        ),
        (
            "ticket management",
            desk.sam.get(app, "/t/acme/tickets").await,
        ),
        ("My requests", desk.carl.get(app, "/t/acme/my").await),
        (
            "search (staff)",
            desk.sam.get(app, "/t/acme/search?q=zebrafish").await,
        ),
        (
            "search (customer)",
            desk.carl.get(app, "/t/acme/search?q=zebrafish").await,
        ),
        (
            "search by subject",
            desk.sam.get(app, "/t/acme/search?q=drucker").await,
        ),
        (
            "search for the payload itself",
            desk.sam
                .get(app, "/t/acme/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
                .await,
        ),
        (
            "filtered management",
            desk.sam
                .get(
                    app,
                    "/t/acme/tickets?q=%3Cimg+src%3Dx%3E&number=%3Cscript%3E",
                )
                .await,
        ),
    ];
    for (what, page) in &pages {
        if what.starts_with("filtered") {
            // A number that is not one is a clear 400, still inert.
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
            assert!(!page.body.contains("<script>"));
            continue;
        }
        assert_inert(page, what);
    }
    // The subject is shown, escaped, where lists show it.
    for (what, page) in &pages[..7] {
        assert!(
            page.body.contains(
                "&lt;script&gt;alert('subject')&lt;/script&gt; Drucker &quot;kaputt&quot;"
            ) || page.body.contains(
                "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt; Drucker &quot;kaputt&quot;"
            ),
            "{what}: the subject is not shown as text:\n{}",
            page.body
        );
    }
    // The file names are shown as text, cleaned of characters that could break out.
    let staff = &pages[0].1;
    staff.assert_contains("_img src=x onerror=alert('file')_.html");
    staff.assert_contains("report'; filename=evil.exe.txt");
    staff.assert_contains("zebrafish");

    // Downloads: never inline, the name cannot inject into the header.
    let html = desk
        .carl
        .get(app, &format!("/t/acme/tickets/{n}/files/1/0"))
        .await;
    html.assert_ok();
    assert_eq!(
        html.header("content-type"),
        Some("application/octet-stream")
    );
    let disposition = html.header("content-disposition").unwrap().to_owned();
    assert!(disposition.starts_with("attachment; "), "{disposition}");
    assert!(
        !disposition.contains('<') && !disposition.contains('>'),
        "{disposition}"
    );
    assert_eq!(disposition.matches('"').count(), 2, "{disposition}");
    assert!(
        disposition
            .contains("filename*=UTF-8''_img%20src%3Dx%20onerror%3Dalert%28%27file%27%29_.html"),
        "{disposition}"
    );
    let quoted = desk
        .sam
        .get(app, &format!("/t/acme/tickets/{n}/files/2/0"))
        .await;
    quoted.assert_ok();
    let disposition = quoted.header("content-disposition").unwrap().to_owned();
    assert!(
        disposition.starts_with(
            "attachment; filename=\"report'; filename=evil.exe.txt\"; filename*=UTF-8''"
        ),
        "{disposition}"
    );
    assert!(
        disposition.ends_with("report%27%3B%20filename%3Devil.exe.txt"),
        "{disposition}"
    );
}
