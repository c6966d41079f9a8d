//! Tickets through the JSON API with personal tokens: the "Done when" round trip, the same
//! isolation as the pages, internal notes kept from customers, uploads bound to their
//! uploader, and downloads.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{ApiClient, PNG, Page, TestApp, png};
use crate::tickets::{Desk, badges, priority_id, stored};

const T: &str = "/api/v1/t/acme";

#[track_caller]
fn ok_json(page: &Page) -> Value {
    page.assert_ok();
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "{:?}",
        page.headers
    );
    page.json()
}

async fn upload(app: &TestApp, api: &ApiClient, slug: &str, name: &str, data: Vec<u8>) -> Value {
    let page = api
        .post_bytes(
            app,
            &format!("/api/v1/t/{slug}/uploads?name={name}"),
            poem::Body::from(data),
        )
        .await;
    ok_json(&page)
}

fn status_of(v: &Value) -> &str {
    v["ticket"]["status"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_round_trip_works_through_the_api_with_tokens() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let sam = app.api_for(&fx.acme.supporters[0].email).await;

    // The screenshot first, as a raw body; then the ticket referencing it.
    let up = upload(app, &carl, "acme", "shot.png", PNG.to_vec()).await;
    assert_eq!(up["name"], "shot.png");
    assert_eq!(up["mime"], "image/png");
    assert_eq!(up["size"], PNG.len());
    let id = up["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64);
    let created = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({
                    "subject": "Printer on floor 2 prints blank pages",
                    "body": "Since this morning. Screenshot attached.",
                    "attachments": [id],
                }),
            )
            .await,
    );
    let n = created["ticket"]["number"].as_u64().unwrap();
    assert_eq!(status_of(&created), "new");
    assert_eq!(created["ticket"]["customer_name"], "Carl Customer");
    let shot = &created["messages"][0]["attachments"][0];
    assert_eq!(shot["name"], "shot.png");
    assert_eq!(shot["mime"], "image/png");
    let href = shot["href"].as_str().unwrap().to_owned();
    assert_eq!(href, format!("/t/acme/tickets/{n}/files/1/0"));

    // Support lists it as new, sees the tab count, downloads the screenshot.
    let list = ok_json(&sam.get(app, &format!("{T}/tickets?status=new")).await);
    let numbers: Vec<u64> = list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [n]);
    assert_eq!(badges(app, &desk.sam).await, (1, 0, 0));
    let file = sam.download(app, &format!("/api/v1{href}")).await;
    file.assert_ok();
    assert_eq!(file.bytes.as_slice(), PNG);

    // Accept with a priority: customer waiting.
    let high = priority_id(app, "High").await;
    let accepted = ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/accept"),
            &json!({"priority_id": high}),
        )
        .await,
    );
    assert_eq!(status_of(&accepted), "open");
    assert_eq!(accepted["ticket"]["assignee_name"], "Sam Support");
    assert_eq!(accepted["ticket"]["priority_name"], "Hoch / High");
    assert_eq!(badges(app, &desk.sam).await, (0, 1, 0));

    // A question: support waits for the customer, who sees it on both channels.
    let asked = ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/reply"),
            &json!({"body": "Which tray do you print from?"}),
        )
        .await,
    );
    assert_eq!(status_of(&asked), "waiting");
    assert_eq!(badges(app, &desk.sam).await, (0, 0, 1));
    let mine = ok_json(&carl.get(app, &format!("{T}/tickets/{n}")).await);
    assert_eq!(status_of(&mine), "waiting");
    assert_eq!(mine["messages"][1]["body"], "Which tray do you print from?");
    assert_eq!(mine["messages"][1]["author_name"], "Sam Support");
    desk.carl
        .get(app, "/t/acme/my")
        .await
        .assert_contains("Support is waiting for you");

    // The answer: back to support.
    let answered = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets/{n}/reply"),
                &json!({"body": "Tray 2."}),
            )
            .await,
    );
    assert_eq!(status_of(&answered), "open");
    assert_eq!(badges(app, &desk.sam).await, (0, 1, 0));

    // Resolved with a solution; the customer sees it.
    let resolved = ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/resolve"),
            &json!({"solution": "Wrong paper size in tray 2; fixed."}),
        )
        .await,
    );
    assert_eq!(status_of(&resolved), "resolved");
    assert_eq!(badges(app, &desk.sam).await, (0, 0, 0));
    let mine = ok_json(&carl.get(app, &format!("{T}/tickets/{n}")).await);
    assert_eq!(status_of(&mine), "resolved");
    assert_eq!(mine["solution"], "Wrong paper size in tray 2; fixed.");
    desk.carl
        .get(app, &format!("/t/acme/tickets/{n}"))
        .await
        .assert_contains("Wrong paper size in tray 2; fixed.");

    // A customer reply reopens it; close and reopen work for support.
    let reopened = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets/{n}/reply"),
                &json!({"body": "Blank again."}),
            )
            .await,
    );
    assert_eq!(status_of(&reopened), "open");
    assert_eq!(badges(app, &desk.sam).await, (0, 1, 0));
    let closed = ok_json(
        &sam.post_json(app, &format!("{T}/tickets/{n}/close"), &json!({}))
            .await,
    );
    assert_eq!(status_of(&closed), "closed");
    let again = ok_json(
        &sam.post_json(app, &format!("{T}/tickets/{n}/reopen"), &json!({}))
            .await,
    );
    assert_eq!(status_of(&again), "open");
    // A refused transition is a 422 problem naming the reason, and changes nothing.
    let before = stored(app, n).await;
    let page = sam
        .post_json(app, &format!("{T}/tickets/{n}/reopen"), &json!({}))
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let problem = page.json();
    assert_eq!(problem["errors"][0]["message"], "ticket.refused_status");
    assert_eq!(stored(app, n).await, before);

    // Forwarding, and search.
    let sara = fx.acme.supporters[1].id.0;
    let fwd = ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/assign"),
            &json!({"assignee_id": sara, "note": "Sara, please take over"}),
        )
        .await,
    );
    assert_eq!(fwd["ticket"]["assignee_name"], "Sara Support");
    app.state.services.sync_search().await.unwrap();
    let hits = ok_json(&carl.get(app, &format!("{T}/search?q=tray")).await);
    assert_eq!(hits["hits"][0]["number"], n);
    let list = ok_json(&carl.get(app, &format!("{T}/tickets")).await);
    assert_eq!(list["tickets"].as_array().unwrap().len(), 1);

    // Filed by a supporter on the customer's behalf, with a priority.
    let cleo = fx.acme.customers[1].id.0;
    let filed = ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets"),
            &json!({"subject": "Cleo phoned", "body": "Headset broken.", "customer_id": cleo, "priority_id": high}),
        )
        .await,
    );
    assert_eq!(filed["ticket"]["customer_name"], "Cleo Customer");
    assert_eq!(filed["ticket"]["priority_name"], "Hoch / High");
    assert_eq!(status_of(&filed), "new");
    let theirs = app.api_for(&fx.acme.customers[1].email).await;
    let list = ok_json(&theirs.get(app, &format!("{T}/tickets")).await);
    assert_eq!(list["tickets"][0]["subject"], "Cleo phoned");
    assert_eq!(list["tickets"].as_array().unwrap().len(), 1);

    // The OpenAPI document describes the ticket endpoints.
    let spec = ok_json(
        &ApiClient::anonymous()
            .get(app, "/api/v1/openapi.json")
            .await,
    );
    for path in [
        "/t/{slug}/tickets",
        "/t/{slug}/tickets/{number}",
        "/t/{slug}/tickets/{number}/reply",
        "/t/{slug}/tickets/{number}/accept",
        "/t/{slug}/uploads",
        "/t/{slug}/search",
    ] {
        assert!(
            spec["paths"].get(path).is_some()
                || spec["paths"].get(format!("/api/v1{path}")).is_some(),
            "{path} missing from the spec"
        );
    }
}

#[tokio::test]
async fn api_isolation_other_tenants_other_customers_and_no_token_are_refused() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let sam = app.api_for(&fx.acme.supporters[0].email).await;
    let up = upload(app, &carl, "acme", "shot.png", png("carl's")).await;
    let created = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({"subject": "Printer on floor 2", "body": "every page is blank", "attachments": [up["id"]]}),
            )
            .await,
    );
    let n = created["ticket"]["number"].as_u64().unwrap();
    let note_file = upload(app, &sam, "acme", "internal.txt", b"internal cost".to_vec()).await;
    ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/reply"),
            &json!({"body": "Zebracorn internal", "internal": true, "attachments": [note_file["id"]]}),
        )
        .await,
    );
    app.state.services.sync_search().await.unwrap();
    let high = priority_id(app, "High").await;
    let sara = fx.acme.supporters[1].id.0;

    let gets = [
        format!("{T}/tickets"),
        format!("{T}/tickets/{n}"),
        format!("{T}/tickets/{n}/files/1/0"),
        format!("{T}/tickets/{n}/files/2/0"),
        format!("{T}/tickets/{n}/files/1/1"),
        format!("{T}/search?q=printer"),
    ];
    let posts: Vec<(String, Value)> = vec![
        (format!("{T}/tickets"), json!({"subject": "x", "body": "y"})),
        (
            format!("{T}/tickets/{n}/reply"),
            json!({"body": "injected"}),
        ),
        (
            format!("{T}/tickets/{n}/accept"),
            json!({"priority_id": high}),
        ),
        (
            format!("{T}/tickets/{n}/assign"),
            json!({"assignee_id": sara}),
        ),
        (format!("{T}/tickets/{n}/resolve"), json!({"solution": "x"})),
        (format!("{T}/tickets/{n}/close"), json!({})),
        (format!("{T}/tickets/{n}/reopen"), json!({})),
    ];
    let before = (stored(app, n).await, stored(app, n + 1).await);
    let outsiders = [
        ("Gina", app.api_for(&fx.globex.admin.email).await),
        ("Gus", app.api_for(&fx.globex.supporters[0].email).await),
        ("Gil", app.api_for(&fx.globex.customers[0].email).await),
    ];
    for (who, api) in &outsiders {
        for path in &gets {
            let page = api.get(app, path).await;
            assert_eq!(
                page.status,
                StatusCode::NOT_FOUND,
                "{who} GET {path}: {}",
                page.body
            );
            assert!(!page.body.contains("Printer"), "{who} {path}");
        }
        for (path, body) in &posts {
            let page = api.post_json(app, path, body).await;
            assert_eq!(
                page.status,
                StatusCode::NOT_FOUND,
                "{who} POST {path}: {}",
                page.body
            );
        }
        let page = api
            .post_bytes(app, &format!("{T}/uploads?name=x"), poem::Body::from("x"))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{who} upload");
    }
    let anon = ApiClient::anonymous();
    for path in &gets {
        let page = anon.get(app, path).await;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "anonymous GET {path}"
        );
        assert!(!page.body.contains("Printer"));
    }
    // Without a token (and without a session) a POST is unauthenticated: 401, not the
    // CSRF check's 403.
    for (path, body) in &posts {
        let page = anon.post_json(app, path, body).await;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "anonymous POST {path}: {}",
            page.status
        );
        assert!(!page.body.contains("Printer"));
    }
    // A wrong token is a 401.
    let wrong = ApiClient::bearer(&format!("sbt_{}", "0".repeat(64)));
    for (path, body) in &posts {
        let page = wrong.post_json(app, path, body).await;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "wrong token POST {path}"
        );
    }
    let page = anon
        .post_bytes(app, &format!("{T}/uploads?name=x"), poem::Body::from("x"))
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    // A session cookie is no API credential either.
    let resp = app
        .client
        .get(format!("{T}/tickets/{n}"))
        .header("cookie", desk.carl.cookie_header())
        .send()
        .await;
    assert_eq!(Page::from(resp).await.status, StatusCode::UNAUTHORIZED);

    // Cleo, another customer of acme: Carl's ticket does not exist for her.
    let cleo = app.api_for(&fx.acme.customers[1].email).await;
    for path in &gets[1..5] {
        let page = cleo.get(app, path).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "Cleo GET {path}: {}",
            page.body
        );
    }
    for (path, body) in &posts[1..] {
        let page = cleo.post_json(app, path, body).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "Cleo POST {path}: {}",
            page.body
        );
    }
    let list = ok_json(&cleo.get(app, &format!("{T}/tickets")).await);
    assert_eq!(list["tickets"], json!([]));
    let list = ok_json(
        &cleo
            .get(
                app,
                &format!("{T}/tickets?customer_id={}", fx.acme.customers[0].id.0),
            )
            .await,
    );
    assert_eq!(
        list["tickets"],
        json!([]),
        "a customer cannot list another's tickets"
    );
    let hits = ok_json(&cleo.get(app, &format!("{T}/search?q=printer")).await);
    assert_eq!(hits["hits"], json!([]));
    assert_eq!((stored(app, n).await, stored(app, n + 1).await), before);

    // Globex's own ticket 1 is theirs alone, with the same number.
    let gil = &outsiders[2].1;
    let theirs = ok_json(
        &gil.post_json(
            app,
            "/api/v1/t/globex/tickets",
            &json!({"subject": "Globex badge reader", "body": "beeps"}),
        )
        .await,
    );
    assert_eq!(theirs["ticket"]["number"], 1);
    for api in [&carl, &sam] {
        let page = api.get(app, "/api/v1/t/globex/tickets/1").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(!page.body.contains("badge"));
    }
    let own = ok_json(&carl.get(app, &format!("{T}/tickets/1")).await);
    assert_eq!(own["ticket"]["subject"], "Printer on floor 2");
}

#[tokio::test]
async fn an_upload_id_works_only_for_its_uploader_in_its_tenant() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let sam = app.api_for(&fx.acme.supporters[0].email).await;
    let gil = app.api_for(&fx.globex.customers[0].email).await;

    // Gil uploads a confidential file in globex and attaches it there.
    let secret = b"globex confidential salary list".to_vec();
    let gil_up = upload(app, &gil, "globex", "salaries.txt", secret.clone()).await;
    let gil_id = gil_up["id"].as_str().unwrap().to_owned();
    ok_json(
        &gil.post_json(
            app,
            "/api/v1/t/globex/tickets",
            &json!({"subject": "Salaries", "body": "x", "attachments": [gil_id]}),
        )
        .await,
    );
    // Knowing the id (it is the file's hash) does not let acme attach, and so read, it.
    let before = badges(app, &desk.sam).await;
    let page = carl
        .post_json(
            app,
            &format!("{T}/tickets"),
            &json!({"subject": "Steal", "body": "x", "attachments": [gil_id]}),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("attachments"), "{}", page.body);
    assert_eq!(badges(app, &desk.sam).await, before);
    let mine = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({"subject": "Mine", "body": "x"}),
            )
            .await,
    );
    let n = mine["ticket"]["number"].as_u64().unwrap();
    let before = stored(app, n).await;
    for api in [&carl, &sam] {
        let page = api
            .post_json(
                app,
                &format!("{T}/tickets/{n}/reply"),
                &json!({"body": "with a stolen file", "attachments": [gil_id]}),
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Gil cannot use it in acme either (he is no member there).
    let page = gil
        .post_json(
            app,
            &format!("{T}/tickets/{n}/reply"),
            &json!({"body": "x", "attachments": [gil_id]}),
        )
        .await;
    page.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(stored(app, n).await, before);

    // Within acme, too, an upload belongs to whoever uploaded it.
    let carl_up = upload(app, &carl, "acme", "mine.png", png("carl only")).await;
    let page = sam
        .post_json(
            app,
            &format!("{T}/tickets/{n}/reply"),
            &json!({"body": "x", "attachments": [carl_up["id"]]}),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Made-up and malformed ids are refused the same way.
    for bad in [
        "0".repeat(64),
        "zz".to_owned(),
        "../../etc/passwd".to_owned(),
    ] {
        let page = carl
            .post_json(
                app,
                &format!("{T}/tickets/{n}/reply"),
                &json!({"body": "x", "attachments": [bad]}),
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // An upload id expires after an hour.
    app.advance_minutes(61);
    let page = carl
        .post_json(
            app,
            &format!("{T}/tickets/{n}/reply"),
            &json!({"body": "late", "attachments": [carl_up["id"]]}),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(app, n).await, before);
    // No acme download path reaches the globex file.
    for path in [
        format!("{T}/tickets/{n}/files/1/0"),
        format!("{T}/tickets/{}/files/1/0", n + 1),
        "/api/v1/t/acme/tickets/1/files/1/0".to_owned(),
    ] {
        let page = carl.download(app, &path).await;
        assert_ne!(page.bytes.as_slice(), secret.as_slice(), "{path}");
    }
}

#[tokio::test]
async fn a_customer_cannot_act_as_staff_through_the_api() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let created = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({"subject": "Mine", "body": "x"}),
            )
            .await,
    );
    let n = created["ticket"]["number"].as_u64().unwrap();
    let high = priority_id(app, "High").await;
    let before = stored(app, n).await;
    for (path, body) in [
        (
            format!("{T}/tickets/{n}/accept"),
            json!({"priority_id": high}),
        ),
        (
            format!("{T}/tickets/{n}/assign"),
            json!({"assignee_id": fx.acme.supporters[0].id.0}),
        ),
        (
            format!("{T}/tickets/{n}/resolve"),
            json!({"solution": "self-service"}),
        ),
        (format!("{T}/tickets/{n}/close"), json!({})),
        (format!("{T}/tickets/{n}/reopen"), json!({})),
        (
            format!("{T}/tickets/{n}/reply"),
            json!({"body": "sneaky note", "internal": true}),
        ),
    ] {
        let page = carl.post_json(app, &path, &body).await;
        assert!(
            page.status == StatusCode::UNPROCESSABLE_ENTITY || page.status == StatusCode::NOT_FOUND,
            "{path}: {} {}",
            page.status,
            page.body
        );
        assert_eq!(stored(app, n).await, before, "{path} changed the ticket");
    }
    // Filing for someone else or choosing a priority is staff work.
    let count = badges(app, &desk.sam).await;
    for body in [
        json!({"subject": "For Cleo", "body": "x", "customer_id": fx.acme.customers[1].id.0}),
        json!({"subject": "Urgent!", "body": "x", "priority_id": high}),
    ] {
        let page = carl.post_json(app, &format!("{T}/tickets"), &body).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(badges(app, &desk.sam).await, count);
}

#[tokio::test]
async fn internal_notes_never_reach_the_customer_through_the_api() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let sam = app.api_for(&fx.acme.supporters[0].email).await;
    let created = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({"subject": "Laptop", "body": "Slow."}),
            )
            .await,
    );
    let n = created["ticket"]["number"].as_u64().unwrap();
    let file = upload(
        app,
        &sam,
        "acme",
        "cost.txt",
        b"Quokkaline 300 EUR".to_vec(),
    )
    .await;
    ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/reply"),
            &json!({"body": "Zebracorn: warranty expired", "internal": true, "attachments": [file["id"]]}),
        )
        .await,
    );
    ok_json(
        &sam.post_json(
            app,
            &format!("{T}/tickets/{n}/assign"),
            &json!({"assignee_id": fx.acme.supporters[1].id.0, "note": "Quokkaline contract"}),
        )
        .await,
    );
    app.state.services.sync_search().await.unwrap();

    let staff = ok_json(&sam.get(app, &format!("{T}/tickets/{n}")).await);
    let visibilities: Vec<&str> = staff["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["visibility"].as_str().unwrap())
        .collect();
    assert_eq!(visibilities, ["public", "internal", "internal"]);
    assert_eq!(staff["messages"][1]["attachments"][0]["name"], "cost.txt");
    let cost = sam.get(app, &format!("{T}/tickets/{n}/files/2/0")).await;
    cost.assert_ok();
    assert_eq!(cost.body, "Quokkaline 300 EUR");

    let mine = carl.get(app, &format!("{T}/tickets/{n}")).await;
    let view = ok_json(&mine);
    assert_eq!(view["messages"].as_array().unwrap().len(), 1);
    for secret in ["Zebracorn", "Quokkaline", "cost.txt", "internal"] {
        assert!(
            !mine.body.contains(secret),
            "{secret} leaked: {}",
            mine.body
        );
    }
    let page = carl.get(app, &format!("{T}/tickets/{n}/files/2/0")).await;
    page.assert_status(StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Quokkaline"));
    for q in ["zebracorn", "quokkaline", "warranty"] {
        let hits = carl.get(app, &format!("{T}/search?q={q}")).await;
        assert_eq!(ok_json(&hits)["hits"], json!([]), "{q}");
        assert!(!hits.body.contains("Zebracorn"));
        let list = ok_json(&carl.get(app, &format!("{T}/tickets?q={q}")).await);
        assert_eq!(list["tickets"], json!([]), "{q}");
    }
    let hits = ok_json(&sam.get(app, &format!("{T}/search?q=zebracorn")).await);
    assert_eq!(hits["hits"][0]["number"], n);
    assert_eq!(hits["hits"][0]["message_seq"], 2);
    assert!(
        hits["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("Zebracorn")
    );
}

#[tokio::test]
async fn api_downloads_carry_the_type_of_images_and_an_rfc_6266_file_name() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let carl = app.api_for(&app.fx().acme.customers[0].email).await;
    let image = upload(app, &carl, "acme", "shot.png", PNG.to_vec()).await;
    let report = upload(app, &carl, "acme", "Prüfbericht.txt", b"ok".to_vec()).await;
    let created = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({"subject": "Files", "body": "x", "attachments": [image["id"], report["id"]]}),
            )
            .await,
    );
    let n = created["ticket"]["number"].as_u64().unwrap();
    let page = carl
        .download(app, &format!("{T}/tickets/{n}/files/1/0"))
        .await;
    page.assert_ok();
    assert_eq!(page.header("content-type"), Some("image/png"));
    assert!(
        page.header("content-disposition")
            .unwrap_or_default()
            .starts_with("inline; filename=\"shot.png\"")
    );
    let page = carl
        .download(app, &format!("{T}/tickets/{n}/files/1/1"))
        .await;
    page.assert_ok();
    assert_eq!(
        page.header("content-type"),
        Some("application/octet-stream")
    );
    let disposition = page.header("content-disposition").unwrap_or_default();
    assert!(disposition.starts_with("attachment; "), "{disposition}");
    assert!(disposition.is_ascii(), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''Pr%C3%BCfbericht.txt"),
        "{disposition}"
    );
}

#[tokio::test]
async fn api_downloads_never_serve_html_or_svg_inline() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let carl = app.api_for(&app.fx().acme.customers[0].email).await;
    let html = upload(
        app,
        &carl,
        "acme",
        "page.html",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(),
    )
    .await;
    let svg = upload(
        app,
        &carl,
        "acme",
        "x.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
    )
    .await;
    assert_ne!(html["mime"], "image/png");
    let created = ok_json(
        &carl
            .post_json(
                app,
                &format!("{T}/tickets"),
                &json!({"subject": "Files", "body": "x", "attachments": [html["id"], svg["id"]]}),
            )
            .await,
    );
    let n = created["ticket"]["number"].as_u64().unwrap();
    for i in 0..2 {
        let page = carl
            .download(app, &format!("{T}/tickets/{n}/files/1/{i}"))
            .await;
        page.assert_ok();
        let ct = page.header("content-type").unwrap_or_default();
        assert!(!ct.contains("html") && !ct.contains("svg"), "{ct}");
        assert!(
            page.header("content-disposition")
                .unwrap_or_default()
                .starts_with("attachment"),
            "{:?}",
            page.headers
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    }
}
