//! Personal API tokens and the JSON API under `/api/v1/`.

use poem::http::StatusCode;
use serde_json::Value;
use supportbox::domain::role::Role;

use crate::support::{Page, TestApp, arrange};

async fn api_get(app: &TestApp, path: &str, authorization: Option<&str>) -> Page {
    let mut req = app.client.get(path);
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    Page::from(req.send().await).await
}

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", page.body))
}

#[tokio::test]
async fn me_returns_the_caller_with_the_tenants_they_may_work_in() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let secret = app.token_for(&fx.acme.admin.email).await;
    let page = api_get(&app, "/api/v1/me", Some(&format!("Bearer {secret}"))).await;
    page.assert_ok();
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let me = json(&page);
    assert_eq!(me["id"], fx.acme.admin.id.0);
    assert_eq!(me["email"], "alma@acme.example");
    assert_eq!(me["name"], "Alma Admin");
    assert_eq!(me["operator"], false);
    assert_eq!(
        me["memberships"],
        serde_json::json!([
            {"tenant_slug": "acme", "tenant_name": "Acme", "role": "tenant_admin"}
        ])
    );
    assert!(!page.body.to_lowercase().contains("globex"));

    // A supporter serving two hotlines sees both; a disabled membership disappears.
    let sam = fx.acme.supporters[0].clone();
    arrange::add_membership(&app, fx.globex.id, sam.id, Role::Customer).await;
    let secret = app.token_for(&sam.email).await;
    let me = json(&api_get(&app, "/api/v1/me", Some(&format!("Bearer {secret}"))).await);
    let slugs: Vec<&str> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["tenant_slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme", "globex"]);
    assert_eq!(me["memberships"][1]["role"], "customer");
    arrange::set_disabled(&app, fx.globex.id, sam.id).await;
    let me = json(&api_get(&app, "/api/v1/me", Some(&format!("Bearer {secret}"))).await);
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(me["memberships"][0]["tenant_slug"], "acme");

    // The operator's token says so.
    let secret = app.token_for(&fx.operator.email).await;
    let me = json(&api_get(&app, "/api/v1/me", Some(&format!("Bearer {secret}"))).await);
    assert_eq!(me["operator"], true);
    assert_eq!(me["memberships"], serde_json::json!([]));
}

#[tokio::test]
async fn an_acme_token_reads_nothing_of_globex() {
    let app = TestApp::seeded().await;
    let secret = app.token_for(&app.fx().acme.admin.email).await;
    let bearer = format!("Bearer {secret}");
    let me = json(&api_get(&app, "/api/v1/me", Some(&bearer)).await);
    for m in me["memberships"].as_array().unwrap() {
        assert_eq!(m["tenant_slug"], "acme");
    }
    for path in [
        "/api/v1/t/globex/",
        "/api/v1/t/globex/me",
        "/api/v1/t/acme/../globex/me",
        "/t/globex/",
    ] {
        let page = api_get(&app, path, Some(&bearer)).await;
        assert_ne!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("Gina"), "{path}: {}", page.body);
    }
    // A token is no session: the pages do not accept it.
    api_get(&app, "/t/acme/", Some(&bearer))
        .await
        .assert_sign_in_required();
}

#[tokio::test]
async fn missing_wrong_revoked_and_expired_tokens_are_refused() {
    let app = TestApp::seeded().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let zeros = format!("Bearer sbt_{}", "0".repeat(64));
    let cookie_only = app
        .client
        .get("/api/v1/me")
        .header("cookie", carl.cookie_header())
        .send()
        .await;
    let cookie_only = Page::from(cookie_only).await;
    for (case, page) in [
        ("none", api_get(&app, "/api/v1/me", None).await),
        ("wrong", api_get(&app, "/api/v1/me", Some(&zeros)).await),
        (
            "garbage",
            api_get(&app, "/api/v1/me", Some("Bearer garbage")).await,
        ),
        (
            "basic",
            api_get(&app, "/api/v1/me", Some("Basic YTpi")).await,
        ),
        ("session cookie", cookie_only),
    ] {
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "{case}: {}",
            page.body
        );
        assert!(!page.body.contains("carl"), "{case}");
        let problem = json(&page);
        assert_eq!(problem["status"], 401, "{case}");
    }

    // Revoked through the tokens page.
    let page = carl
        .post_form(&app, "/account/tokens", &[("name", "revoke me")])
        .await;
    let secret = page.once_value("new-token").unwrap();
    let bearer = format!("Bearer {secret}");
    api_get(&app, "/api/v1/me", Some(&bearer)).await.assert_ok();
    let account = arrange::account(&app, &app.fx().acme.customers[0].email).await;
    let id = app
        .state
        .store
        .read(move |r| supportbox::store::tokens::tokens_of_account(r, account.id))
        .await
        .unwrap()[0]
        .id;
    let page = carl
        .post_form(&app, &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    page.assert_redirect("/account/tokens?done=token_revoked");
    let list = carl.get(&app, page.location().unwrap()).await;
    list.assert_contains("The token has been revoked.");
    assert!(list.table().contains("Revoked"));
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&bearer)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Someone else cannot revoke Carl's tokens by guessing ids.
    let page = carl
        .post_form(&app, "/account/tokens", &[("name", "keep me")])
        .await;
    let kept = format!("Bearer {}", page.once_value("new-token").unwrap());
    let cleo = app.sign_in(&app.fx().acme.customers[1].email).await;
    for guess in 0..5 {
        let page = cleo
            .post_form(&app, &format!("/account/tokens/{guess}/revoke"), &[])
            .await;
        page.assert_not_found();
    }
    api_get(&app, "/api/v1/me", Some(&kept)).await.assert_ok();

    // Expired: valid through the chosen day, refused afterwards.
    let page = carl
        .post_form(
            &app,
            "/account/tokens",
            &[("name", "short lived"), ("expires", "2026-11-28")],
        )
        .await;
    page.assert_ok();
    let bearer = format!("Bearer {}", page.once_value("new-token").unwrap());
    app.advance_minutes(24 * 60);
    api_get(&app, "/api/v1/me", Some(&bearer)).await.assert_ok();
    app.advance_minutes(15 * 60);
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&bearer)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let list = carl.get(&app, "/account/tokens").await;
    assert!(list.table().contains("Expired"), "{}", list.table());
}

#[tokio::test]
async fn a_token_secret_is_shown_once_and_stored_only_as_a_hash() {
    let app = TestApp::seeded().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let page = alma.get(&app, "/account/tokens").await;
    page.assert_ok();
    page.assert_contains("No tokens yet");

    let page = alma
        .post_form(&app, "/account/tokens", &[("name", "nightly export")])
        .await;
    page.assert_ok();
    page.assert_contains("Your new token");
    page.assert_contains("it will not be shown again");
    page.assert_contains("The token has been created.");
    let secret = page.once_value("new-token").unwrap();
    let hex = secret.strip_prefix("sbt_").expect("sbt_ prefix");
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));

    let reload = alma.get(&app, "/account/tokens").await;
    reload.assert_contains("nightly export");
    reload.assert_lacks(hex);
    reload.assert_lacks("Your new token");

    let account = app.fx().acme.admin.id;
    let stored = app
        .state
        .store
        .read(move |r| supportbox::store::tokens::tokens_of_account(r, account))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let record = format!("{:?}", stored[0]);
    assert!(!record.contains(hex), "{record}");
    let expected: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes()).into()
    };
    assert_eq!(stored[0].secret_hash, expected);
    assert_ne!(hex::encode(stored[0].secret_hash), hex);
    // Not even the raw database file holds the secret.
    app.state.store.shutdown().await;
    let raw = std::fs::read(app.dir.path().join("supportbox.redb")).unwrap();
    let needle = hex.as_bytes();
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "the secret is in the database file"
    );
}

#[tokio::test]
async fn the_token_form_refuses_bad_input_next_to_the_field() {
    let app = TestApp::seeded().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    for (fields, field, message) in [
        (vec![("name", "")], "f-name", "Please fill in this field."),
        (
            vec![("name", "rtl \u{202E}kcart")],
            "f-name",
            "direction-changing",
        ),
        (vec![("name", "zero\u{200B}width")], "f-name", "invisible"),
    ] {
        let page = alma.post_form(&app, "/account/tokens", &fields).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
        page.assert_lacks("Your new token");
    }
    for expires in ["2020-01-01", "next week"] {
        let page = alma
            .post_form(
                &app,
                "/account/tokens",
                &[("name", "dated"), ("expires", expires)],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.field_error("f-expires").is_some(), "{expires}");
        page.assert_lacks("Your new token");
    }
    let account = app.fx().acme.admin.id;
    let stored = app
        .state
        .store
        .read(move |r| supportbox::store::tokens::tokens_of_account(r, account))
        .await
        .unwrap();
    assert!(stored.is_empty(), "nothing stored: {stored:?}");
}

#[tokio::test]
async fn the_openapi_document_describes_me_and_the_bearer_scheme() {
    let app = TestApp::new();
    let page = api_get(&app, "/api/v1/openapi.json", None).await;
    page.assert_ok();
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let doc = json(&page);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Supportbox API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let servers = doc["servers"].as_array().unwrap();
    assert!(servers.iter().any(|s| s["url"] == "/api/v1"), "{servers:?}");
    let me = &doc["paths"]["/me"]["get"];
    assert!(me.is_object(), "GET /me is documented: {}", doc["paths"]);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let (name, scheme) = schemes
        .iter()
        .find(|(_, s)| s["type"] == "http" && s["scheme"] == "bearer")
        .expect("a bearer scheme");
    assert!(
        me["security"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.get(name).is_some()),
        "GET /me requires the bearer scheme: {me}"
    );
    assert!(scheme["bearerFormat"].as_str().unwrap().contains("sbt_"));
    assert!(page.body.contains("memberships"));
    assert!(me["responses"]["200"].is_object());
}
