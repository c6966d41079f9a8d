//! Attachments: upload limits enforced on the bytes received (one byte over, a body with
//! no Content-Length, an endless body, thousands of parts), each refused with a clear
//! message and no file left behind; downloads inline only for raster images, everything
//! else `attachment` with an RFC 6266 file name; content-addressed files shared safely.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use poem::http::StatusCode;

use crate::support::{Browser, MultipartBody, PNG, Page, TestApp, png};
use crate::tickets::{Act, act, badges, number_in, report, report_in};

const PER_FILE: u64 = 1024;
const PER_REQUEST: u64 = 4096;

async fn small_limits() -> TestApp {
    TestApp::seeded_with_config(|c| {
        c.upload_file_bytes = PER_FILE;
        c.upload_request_bytes = PER_REQUEST;
    })
    .await
}

/// Distinct content of `len` bytes (plain text).
fn text_file(tag: &str, len: usize) -> Vec<u8> {
    let mut out = tag.as_bytes().to_vec();
    out.resize(len, b'x');
    out
}

/// No attachment file on disk and nothing half-written.
#[track_caller]
fn assert_no_files(app: &TestApp, blobs_before: usize, what: &str) {
    assert_eq!(
        app.blob_files(),
        blobs_before,
        "{what}: a file was left behind"
    );
    assert_eq!(
        app.temp_files(),
        0,
        "{what}: an unfinished upload was left behind"
    );
}

const FILE_TOO_LARGE: &str = "One of the files is larger than allowed per file";
const TOO_LARGE_TOGETHER: &str = "The files are too large together.";
const TOO_MANY: &str = "Too many files at once.";

/// A multipart body as a stream of small chunks: no Content-Length reaches the server.
fn streamed(bytes: Vec<u8>) -> poem::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(300).map(|c| Ok(c.to_vec())).collect();
    poem::Body::from_bytes_stream(futures_util::stream::iter(chunks))
}

/// A body that "never ends": `head`, then filler in 8 KiB chunks up to 32 MiB, counting
/// how much of it the server pulled. The server must stop reading soon after its limit.
fn endless(head: String) -> (poem::Body, Arc<AtomicUsize>) {
    const CHUNK: usize = 8192;
    let taken = Arc::new(AtomicUsize::new(0));
    let counter = taken.clone();
    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(head.into_bytes())]);
    let rest = futures_util::stream::iter(0..(32 << 20) / CHUNK).map(move |_| {
        counter.fetch_add(CHUNK, Ordering::Relaxed);
        Ok::<_, std::io::Error>(vec![b'a'; CHUNK])
    });
    (poem::Body::from_bytes_stream(first.chain(rest)), taken)
}

/// The head of a report form whose file part never ends.
fn endless_file_head() -> String {
    format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nEndless\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nIt never stops.\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"endless.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n",
        b = MultipartBody::BOUNDARY
    )
}

/// At most this much may be read past a limit (buffers of the parsers on the way).
const SLACK: usize = 1 << 20;

#[track_caller]
fn assert_stopped_early(taken: &AtomicUsize, what: &str) {
    let taken = taken.load(Ordering::Relaxed);
    assert!(
        taken < SLACK,
        "{what}: the server read {taken} bytes of an endless body before refusing"
    );
}

async fn post_stream(app: &TestApp, who: &Browser, path: &str, body: poem::Body) -> Page {
    let content_type = MultipartBody::new().content_type();
    who.post_raw(app, path, &content_type, body).await
}

#[tokio::test]
async fn a_file_one_byte_over_the_limit_is_refused_and_leaves_nothing() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let sam = app.sign_in(&app.fx().acme.supporters[0].email).await;
    let blobs = app.blob_files();

    let page = carl
        .post_multipart(
            &app,
            "/t/acme/tickets/new",
            MultipartBody::new()
                .text("subject", "Big file")
                .text("body", "See attachment.")
                .file("files", "small.txt", "text/plain", &text_file("small", 10))
                .file(
                    "files",
                    "big.txt",
                    "text/plain",
                    &text_file("big", PER_FILE as usize + 1),
                ),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", FILE_TOO_LARGE);
    page.assert_contains("Report a problem");
    assert_no_files(&app, blobs, "one byte over");
    assert_eq!(badges(&app, &sam).await, (0, 0, 0));

    // Exactly at the limit is fine.
    let n = report(
        &app,
        &carl,
        "Exactly at the limit",
        "See attachment.",
        &[("fits.txt", &text_file("fits", PER_FILE as usize))],
    )
    .await;
    assert_eq!(app.blob_files(), blobs + 1);
    let file = carl
        .download(&app, &format!("/t/acme/tickets/{n}/files/1/0"))
        .await;
    file.assert_ok();
    assert_eq!(file.bytes.len(), PER_FILE as usize);

    // The same on a reply: the ticket page shows the message at the reply's file field.
    let page = carl
        .post_multipart(
            &app,
            &format!("/t/acme/tickets/{n}/reply"),
            MultipartBody::new().text("body", "One more").file(
                "files",
                "big.txt",
                "text/plain",
                &text_file("big2", PER_FILE as usize + 1),
            ),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-reply-files", FILE_TOO_LARGE);
    page.assert_contains("Exactly at the limit");
    assert_no_files(&app, blobs + 1, "one byte over, reply");
    let t = crate::tickets::ticket(&app, n).await;
    assert_eq!(t.message_count, 1);

    // And through the API.
    let api = app.api_for(&app.fx().acme.customers[0].email).await;
    let page = api
        .post_bytes(
            &app,
            "/api/v1/t/acme/uploads?name=big.txt",
            poem::Body::from(text_file("big3", PER_FILE as usize + 1)),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("file_too_large"), "{}", page.body);
    assert_no_files(&app, blobs + 1, "one byte over, API");
}

#[tokio::test]
async fn a_body_over_the_request_limit_without_content_length_is_refused() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let sam = app.sign_in(&app.fx().acme.supporters[0].email).await;
    let blobs = app.blob_files();

    // Five files, each within the per-file limit, together over the request limit.
    let five = |tag: &str| {
        let mut form = MultipartBody::new()
            .text("subject", "Many screenshots")
            .text("body", "All of them.");
        for i in 0..5 {
            form = form.file(
                "files",
                &format!("part{i}.txt"),
                "text/plain",
                &text_file(&format!("{tag}{i}"), 1000),
            );
        }
        form
    };
    let page = post_stream(
        &app,
        &carl,
        "/t/acme/tickets/new",
        streamed(five("a").finish()),
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_LARGE_TOGETHER);
    assert_no_files(&app, blobs, "five files over the request limit");

    // A claimed Content-Length changes nothing.
    let form = five("b");
    let resp = app
        .client
        .post("/t/acme/tickets/new")
        .header("cookie", carl.cookie_header())
        .header("sec-fetch-site", "same-origin")
        .header("content-length", "10")
        .content_type(form.content_type())
        .body(streamed(form.finish()))
        .send()
        .await;
    let page = Page::from(resp).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_LARGE_TOGETHER);
    assert_no_files(&app, blobs, "lying Content-Length");
    assert_eq!(badges(&app, &sam).await, (0, 0, 0));
}

#[tokio::test]
async fn an_endless_file_is_cut_off_at_the_limit() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let blobs = app.blob_files();
    let (body, taken) = endless(endless_file_head());
    let page = post_stream(&app, &carl, "/t/acme/tickets/new", body).await;
    assert_stopped_early(&taken, "endless file");
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", FILE_TOO_LARGE);
    assert_no_files(&app, blobs, "endless file");
}

#[tokio::test]
async fn an_endless_text_field_is_cut_off() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let blobs = app.blob_files();
    let head = format!(
        "--{}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n",
        MultipartBody::BOUNDARY
    );
    let (body, taken) = endless(head);
    let page = post_stream(&app, &carl, "/t/acme/tickets/new", body).await;
    assert_stopped_early(&taken, "endless text field");
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_LARGE_TOGETHER);
    assert_no_files(&app, blobs, "endless text");
}

#[tokio::test]
async fn an_endless_reply_is_cut_off_at_the_limit() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let n = report(&app, &carl, "Ticket", "x", &[]).await;
    let blobs = app.blob_files();
    let head = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nMore.\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"e.bin\"\r\n\r\n",
        b = MultipartBody::BOUNDARY
    );
    let (body, taken) = endless(head);
    let page = post_stream(&app, &carl, &format!("/t/acme/tickets/{n}/reply"), body).await;
    assert_stopped_early(&taken, "endless reply");
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-reply-files", FILE_TOO_LARGE);
    assert_no_files(&app, blobs, "endless reply");
}

#[tokio::test]
async fn an_api_upload_over_the_limit_is_refused_while_streaming() {
    let app = small_limits().await;
    let blobs = app.blob_files();
    let api = app.api_for(&app.fx().acme.customers[0].email).await;
    let page = api
        .post_bytes(
            &app,
            "/api/v1/t/acme/uploads?name=big.bin",
            streamed(text_file("api", PER_FILE as usize + 500)),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("file_too_large"), "{}", page.body);
    let (body, taken) = endless(String::new());
    let page = api
        .post_bytes(&app, "/api/v1/t/acme/uploads?name=endless.bin", body)
        .await;
    assert_stopped_early(&taken, "endless API upload");
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("file_too_large"), "{}", page.body);
    assert_no_files(&app, blobs, "API uploads");
}

#[tokio::test]
async fn thousands_of_parts_are_refused_and_leave_nothing() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let sam = app.sign_in(&app.fx().acme.supporters[0].email).await;
    let blobs = app.blob_files();

    // Thousands of tiny files: the first ones are stored before the count is known.
    let mut form = MultipartBody::new()
        .text("subject", "Flood")
        .text("body", "Files.");
    for i in 0..3000 {
        form = form.file(
            "files",
            &format!("f{i}.txt"),
            "text/plain",
            format!("#{i}").as_bytes(),
        );
    }
    let page = post_stream(&app, &carl, "/t/acme/tickets/new", streamed(form.finish())).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_MANY);
    assert_no_files(&app, blobs, "3000 files");

    // Thousands of text fields.
    let mut form = MultipartBody::new();
    for i in 0..5000 {
        form = form.text(&format!("field{i}"), "x");
    }
    let page = carl.post_multipart(&app, "/t/acme/tickets/new", form).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_MANY);

    assert_no_files(&app, blobs, "thousands of parts");
    assert_eq!(badges(&app, &sam).await, (0, 0, 0));

    // Twenty files are fine, the twenty-first is refused.
    let mut form = MultipartBody::new()
        .text("subject", "Twenty")
        .text("body", "x");
    for i in 0..21 {
        form = form.file(
            "files",
            &format!("t{i}.txt"),
            "text/plain",
            format!("twenty {i}").as_bytes(),
        );
    }
    let page = carl.post_multipart(&app, "/t/acme/tickets/new", form).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_MANY);
    assert_no_files(&app, blobs, "21 files");
    let files: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("t{i}.txt"), format!("twenty {i}").into_bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    report(&app, &carl, "Twenty", "x", &refs).await;
    assert_eq!(app.blob_files(), blobs + 20);
}

#[tokio::test]
async fn refused_and_previewed_forms_drop_their_files_but_never_shared_ones() {
    let app = TestApp::seeded().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let sam = app.sign_in(&app.fx().acme.supporters[0].email).await;
    let blobs = app.blob_files();
    // A refused report (no subject) and a preview store nothing for good.
    for extra in [("subject", ""), ("preview", "1")] {
        let mut form = MultipartBody::new().text("body", "With a file.");
        if extra.0 == "preview" {
            form = form.text("subject", "Preview");
        }
        let form = form
            .text(extra.0, extra.1)
            .file("files", "a.png", "image/png", &png("refused"));
        let page = carl.post_multipart(&app, "/t/acme/tickets/new", form).await;
        assert_ne!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_no_files(&app, blobs, extra.0);
    }
    // A kept ticket with a screenshot.
    let n = report(
        &app,
        &carl,
        "Screen",
        "See screenshot.",
        &[("shot.png", &PNG)],
    )
    .await;
    assert_eq!(app.blob_files(), blobs + 1);
    // The same file on a refused reply (closed ticket) is still needed by ticket n.
    let closed = report(&app, &carl, "Closed one", "x", &[]).await;
    act(&app, &sam, closed, Act::Close)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = carl
        .post_multipart(
            &app,
            &format!("/t/acme/tickets/{closed}/reply"),
            MultipartBody::new()
                .text("body", "again")
                .file("files", "shot.png", "image/png", &PNG)
                .file("files", "new.png", "image/png", &png("only here")),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("This is not possible in the current status");
    assert_no_files(&app, blobs + 1, "refused reply");
    let shot = carl
        .download(&app, &format!("/t/acme/tickets/{n}/files/1/0"))
        .await;
    shot.assert_ok();
    assert_eq!(shot.bytes.as_slice(), PNG);
    // The same content attached twice is stored once.
    report(
        &app,
        &carl,
        "Twice",
        "x",
        &[("a.png", &PNG), ("b.png", &PNG)],
    )
    .await;
    assert_eq!(app.blob_files(), blobs + 1);
}

#[tokio::test]
async fn purging_keeps_a_file_another_tenant_uses_and_drops_it_when_nobody_does() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let carl = app.sign_in(&fx.acme.customers[0].email).await;
    let alma = app.sign_in(&fx.acme.admin.email).await;
    let gil = app.sign_in(&fx.globex.customers[0].email).await;
    let gina = app.sign_in(&fx.globex.admin.email).await;
    let blobs = app.blob_files();
    let shared = png("shared by both tenants");
    let a = report(&app, &carl, "Acme", "x", &[("same.png", &shared)]).await;
    let g = report_in(
        &app,
        &gil,
        "globex",
        "Globex",
        "x",
        &[("same.png", &shared)],
    )
    .await;
    assert_eq!(app.blob_files(), blobs + 1);

    for (who, slug, n) in [(&gina, "globex", g), (&alma, "acme", a)] {
        who.post_form(&app, &format!("/t/{slug}/tickets/{n}/delete"), &[])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        who.post_form(&app, &format!("/t/{slug}/tickets/{n}/purge"), &[])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        if slug == "globex" {
            // Acme's ticket still has its file.
            assert_eq!(app.blob_files(), blobs + 1);
            let file = carl
                .download(&app, &format!("/t/acme/tickets/{a}/files/1/0"))
                .await;
            file.assert_ok();
            assert_eq!(file.bytes.as_slice(), shared.as_slice());
        }
    }
    assert_eq!(app.blob_files(), blobs, "nobody uses the file any more");
}

#[tokio::test]
async fn downloads_show_raster_images_inline_and_everything_else_as_attachment() {
    let app = TestApp::seeded().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>".to_vec();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("shot.png", PNG.to_vec()),
        ("page.html", html.clone()),
        ("logo.svg", svg.clone()),
        ("looks-like.png", html.clone()),
        ("Prüfbericht März.txt", "Alles gut.".as_bytes().to_vec()),
        ("data.bin", vec![0, 1, 2, 3, 255]),
        ("real-image.html", png("named as html")),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    let n = report(&app, &carl, "Files", "Many kinds.", &refs).await;
    let url = |i: usize| format!("/t/acme/tickets/{n}/files/1/{i}");

    // Raster images: inline, with their type, and as thumbnails.
    for (i, name) in [(0, "shot.png"), (6, "real-image.html")] {
        let page = carl.download(&app, &url(i)).await;
        page.assert_ok();
        assert_eq!(page.header("content-type"), Some("image/png"), "{name}");
        assert_eq!(
            page.header("content-disposition"),
            Some(format!("inline; filename=\"{name}\"; filename*=UTF-8''{name}").as_str())
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        let thumb = carl.download(&app, &format!("{}?thumb=1", url(i))).await;
        thumb.assert_ok();
        assert_eq!(thumb.header("content-type"), Some("image/png"));
    }
    // Everything else downloads, whatever its name says; HTML and SVG never inline.
    for (i, name, body) in [
        (1, "page.html", html.as_slice()),
        (2, "logo.svg", svg.as_slice()),
        (3, "looks-like.png", html.as_slice()),
        (5, "data.bin", [0u8, 1, 2, 3, 255].as_slice()),
    ] {
        let page = carl.download(&app, &url(i)).await;
        page.assert_ok();
        assert_eq!(
            page.header("content-type"),
            Some("application/octet-stream"),
            "{name}"
        );
        assert_eq!(
            page.header("content-disposition"),
            Some(format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}").as_str()),
            "{name}"
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        if i != 5 {
            assert_eq!(page.bytes.as_slice(), body);
        }
        // No thumbnail for what is not a raster image.
        carl.get(&app, &format!("{}?thumb=1", url(i)))
            .await
            .assert_not_found();
    }
    // A non-ASCII name: an ASCII fallback plus the exact UTF-8 name (RFC 6266 / 5987).
    let page = carl.download(&app, &url(4)).await;
    page.assert_ok();
    assert_eq!(
        page.header("content-disposition"),
        Some(
            "attachment; filename=\"Pruefbericht Maerz.txt\"; \
             filename*=UTF-8''Pr%C3%BCfbericht%20M%C3%A4rz.txt"
        )
    );
    // The ticket page shows images as thumbnails and offers the rest as downloads.
    let page = carl.get(&app, &format!("/t/acme/tickets/{n}")).await;
    page.assert_contains(&format!("src=\"{}?thumb=1\"", url(0)));
    page.assert_lacks(&format!("src=\"{}?thumb=1\"", url(1)));
    page.assert_contains("download=\"page.html\"");
    page.assert_contains("download=\"logo.svg\"");
    page.assert_contains("Prüfbericht März.txt");
    // Out-of-range indexes are simply not found.
    for path in [
        url(7),
        format!("/t/acme/tickets/{n}/files/2/0"),
        format!("/t/acme/tickets/{n}/files/0/0"),
    ] {
        carl.get(&app, &path).await.assert_not_found();
    }
}

#[tokio::test]
async fn a_ticket_created_with_an_api_upload_id_gets_its_file() {
    let app = TestApp::seeded().await;
    let api = app.api_for(&app.fx().acme.customers[0].email).await;
    let up = api
        .post_bytes(
            &app,
            "/api/v1/t/acme/uploads?name=x.png",
            poem::Body::from(png("api")),
        )
        .await;
    up.assert_ok();
    let id = up.json()["id"].as_str().unwrap().to_owned();
    let created = api
        .post_json(
            &app,
            "/api/v1/t/acme/tickets",
            &serde_json::json!({"subject": "With upload", "body": "x", "attachments": [id]}),
        )
        .await;
    created.assert_ok();
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let number = created.json()["ticket"]["number"].as_u64().unwrap();
    let file = carl
        .download(&app, &format!("/t/acme/tickets/{number}/files/1/0"))
        .await;
    file.assert_ok();
    assert_eq!(file.bytes.as_slice(), png("api").as_slice());
}

#[tokio::test]
async fn a_pending_api_upload_survives_another_forms_refusal_with_the_same_file() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let api = app.api_for(&fx.acme.customers[0].email).await;
    let content = png("the same screenshot");
    let up = api
        .post_bytes(
            &app,
            "/api/v1/t/acme/uploads?name=shot.png",
            poem::Body::from(content.clone()),
        )
        .await;
    up.assert_ok();
    let id = up.json()["id"].as_str().unwrap().to_owned();
    // Meanwhile someone else (here: another tenant's customer) previews a report with
    // the same picture: the preview forgets the files it received...
    let gil = app.sign_in(&fx.globex.customers[0].email).await;
    let page = gil
        .post_multipart(
            &app,
            "/t/globex/tickets/new",
            MultipartBody::new()
                .text("subject", "Preview")
                .text("body", "x")
                .text("preview", "1")
                .file("files", "same.png", "image/png", &content),
        )
        .await;
    page.assert_ok();
    // ... and Carl's ticket, created with the upload id he was given, must have its file.
    let created = api
        .post_json(
            &app,
            "/api/v1/t/acme/tickets",
            &serde_json::json!({"subject": "Screenshot", "body": "x", "attachments": [id]}),
        )
        .await;
    created.assert_ok();
    let number = created.json()["ticket"]["number"].as_u64().unwrap();
    let carl = app.sign_in(&fx.acme.customers[0].email).await;
    let file = carl
        .download(&app, &format!("/t/acme/tickets/{number}/files/1/0"))
        .await;
    file.assert_ok();
    assert_eq!(file.bytes.as_slice(), content.as_slice());
}

#[tokio::test]
async fn a_refused_upload_keeps_what_was_typed() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let page = carl
        .post_multipart(
            &app,
            "/t/acme/tickets/new",
            MultipartBody::new()
                .text("subject", "My long story")
                .text("body", "Three paragraphs of careful description.")
                .file(
                    "files",
                    "big.txt",
                    "text/plain",
                    &text_file("big", PER_FILE as usize + 1),
                ),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", FILE_TOO_LARGE);
    page.assert_contains("value=\"My long story\"");
    page.assert_contains("Three paragraphs of careful description.</textarea>");
    let n = report(&app, &carl, "Ticket", "x", &[]).await;
    let page = carl
        .post_multipart(
            &app,
            &format!("/t/acme/tickets/{n}/reply"),
            MultipartBody::new().text("body", "My careful reply.").file(
                "files",
                "big.txt",
                "text/plain",
                &text_file("big", PER_FILE as usize + 1),
            ),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("My careful reply.</textarea>");
}

#[tokio::test]
async fn an_empty_file_input_leaves_no_file() {
    let app = small_limits().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let blobs = app.blob_files();
    // A report without attachments, sent the way a browser sends an untouched file input.
    let page = carl
        .post_multipart(
            &app,
            "/t/acme/tickets/new",
            MultipartBody::new()
                .text("subject", "No attachment")
                .text("body", "Nothing attached.")
                .file("files", "", "application/octet-stream", b""),
        )
        .await;
    number_in(&page);
    assert_no_files(&app, blobs, "an empty file input");
    // Thousands of them are refused, and leave nothing either.
    let mut form = MultipartBody::new()
        .text("subject", "Empty")
        .text("body", "x");
    for _ in 0..2000 {
        form = form.file("files", "", "application/octet-stream", b"");
    }
    let page = carl.post_multipart(&app, "/t/acme/tickets/new", form).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-files", TOO_MANY);
    assert_no_files(&app, blobs, "thousands of empty file inputs");
}

/// Sets every stored file's reception time to the test clock's now, so ages are measured
/// on one clock.
fn received_now(app: &TestApp) {
    let now = supportbox::clock::Clock::now(&app.clock);
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now.as_second() as u64);
    let blobs = app.state.services.blobs.clone();
    for hash in blobs.list().unwrap() {
        let path = blobs.root().join(&hex::encode(hash)[0..2]);
        let path = path.join(&hex::encode(hash)[2..4]).join(hex::encode(hash));
        std::fs::File::open(&path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }
}

#[tokio::test]
async fn api_uploads_never_attached_are_swept_after_their_validity() {
    let app = TestApp::seeded().await;
    let api = app.api_for(&app.fx().acme.customers[0].email).await;
    let before = app.blob_files();
    let upload = |tag: &'static str| {
        let api = &api;
        let app = &app;
        async move {
            let up = api
                .post_bytes(
                    app,
                    "/api/v1/t/acme/uploads?name=x.png",
                    poem::Body::from(png(tag)),
                )
                .await;
            up.assert_ok();
            up.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let kept = upload("attached").await;
    let abandoned = upload("abandoned").await;
    let created = api
        .post_json(
            &app,
            "/api/v1/t/acme/tickets",
            &serde_json::json!({"subject": "With upload", "body": "x", "attachments": [kept]}),
        )
        .await;
    created.assert_ok();
    let number = created.json()["ticket"]["number"].as_u64().unwrap();
    received_now(&app);
    assert_eq!(app.blob_files(), before + 2);

    // Within the validity nothing goes: the upload may still be attached.
    app.advance_minutes(59);
    assert_eq!(
        app.state.services.sweep_abandoned_uploads().await.unwrap(),
        0
    );
    assert_eq!(app.blob_files(), before + 2);

    // After it, the abandoned file goes; the attached one stays and downloads.
    app.advance_minutes(2);
    assert_eq!(
        app.state.services.sweep_abandoned_uploads().await.unwrap(),
        1
    );
    assert_eq!(app.blob_files(), before + 1);
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let file = carl
        .download(&app, &format!("/t/acme/tickets/{number}/files/1/0"))
        .await;
    file.assert_ok();
    assert_eq!(file.bytes.as_slice(), png("attached").as_slice());
    // The expired id attaches nothing any more.
    let late = api
        .post_json(
            &app,
            "/api/v1/t/acme/tickets",
            &serde_json::json!({"subject": "Late", "body": "x", "attachments": [abandoned]}),
        )
        .await;
    late.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_link_placed_in_the_blob_store_is_never_followed() {
    let app = TestApp::seeded().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let data = text_file("linked", 2_000);
    let n = report(
        &app,
        &carl,
        "A file that gets replaced",
        "See attachment.",
        &[("notes.txt", &data)],
    )
    .await;
    let url = format!("/t/acme/tickets/{n}/files/1/0");
    carl.download(&app, &url).await.assert_ok();

    // Someone with access to the disk swaps the blob for a link to another file.
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(&data));
    let blob = app
        .state
        .config
        .data_dir
        .join("blobs")
        .join(&hash[0..2])
        .join(&hash[2..4])
        .join(&hash);
    let secret = app.state.config.data_dir.join("not-an-attachment.txt");
    std::fs::write(&secret, b"secret contents").unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&secret, &blob).unwrap();
    let file = carl.download(&app, &url).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&file.bytes).contains("secret contents"));
}

#[tokio::test]
async fn an_upload_from_another_site_is_refused_and_no_token_travels_in_a_url() {
    let app = TestApp::seeded().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let page = carl.get(&app, "/t/acme/tickets/new").await;
    page.assert_ok();
    page.assert_lacks("?csrf=");
    let blobs = app.blob_files();
    let form = || {
        MultipartBody::new()
            .text("subject", "Forged")
            .text("body", "From another site.")
            .file("files", "a.txt", "text/plain", b"forged")
    };
    for (case, headers) in [
        ("cross-site fetch", vec![("sec-fetch-site", "cross-site")]),
        ("same-site subdomain", vec![("sec-fetch-site", "same-site")]),
        ("foreign origin", vec![("origin", "https://evil.example")]),
        ("no proof at all", vec![]),
        (
            "token in the URL, cross-site",
            vec![("sec-fetch-site", "cross-site")],
        ),
    ] {
        let body = form();
        let path = if case.starts_with("token") {
            format!("/t/acme/tickets/new?csrf={}", carl.csrf)
        } else {
            "/t/acme/tickets/new".to_owned()
        };
        let mut req = app
            .client
            .post(&path)
            .header("cookie", carl.cookie_header())
            .content_type(body.content_type());
        for (name, value) in &headers {
            req = req.header(*name, *value);
        }
        let page = Page::from(req.body(body.finish()).send().await).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{case}");
    }
    assert_eq!(app.blob_files(), blobs, "nothing was stored");
    // The same form from this origin goes through, by either proof.
    for headers in [
        vec![("sec-fetch-site", "same-origin")],
        vec![("origin", "https://localhost")],
    ] {
        let body = form();
        let mut req = app
            .client
            .post("/t/acme/tickets/new")
            .header("cookie", carl.cookie_header())
            .header("host", "localhost")
            .content_type(body.content_type());
        for (name, value) in &headers {
            req = req.header(*name, *value);
        }
        let page = Page::from(req.body(body.finish()).send().await).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{headers:?}: {}",
            page.body
        );
    }
}
