//! The web shell: pages, assets, errors, headers, language and CSRF.

use poem::http::StatusCode;
use poem::{Route, get, handler};

use crate::support::{TestApp, assert_security_headers, csrf_from, header};

#[tokio::test]
async fn start_page_renders_in_the_layout_with_security_headers() {
    let app = TestApp::new();
    let resp = app.client.get("/").send().await;
    resp.assert_status_is_ok();
    assert_security_headers(&resp);
    assert_eq!(header(&resp, "cache-control"), Some("no-store"));
    let cookie = resp
        .0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-sb-csrf="))
        .unwrap()
        .to_owned();
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let body = resp.0.into_body().into_string().await.unwrap();
    assert!(body.contains("Welcome to Supportbox"));
    assert!(body.contains("<main id=\"content\""));
    assert!(
        !body.contains(env!("CARGO_PKG_VERSION")),
        "anonymous pages do not tell the version"
    );
    assert!(body.contains("AA:BB"), "CA fingerprint shown");
}

#[tokio::test]
async fn language_follows_accept_language_and_the_explicit_choice() {
    let app = TestApp::new();
    let resp = app
        .client
        .get("/")
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .await;
    let body = resp.0.into_body().into_string().await.unwrap();
    assert!(body.contains("<html lang=\"de\">"));
    assert!(body.contains("Willkommen bei Supportbox"));

    let resp = app
        .client
        .get("/")
        .header("accept-language", "de")
        .header("cookie", "sb-lang=en")
        .send()
        .await;
    let body = resp.0.into_body().into_string().await.unwrap();
    assert!(body.contains("Welcome to Supportbox"));
}

#[tokio::test]
async fn language_switch_sets_a_cookie_and_returns_to_a_local_page() {
    let app = TestApp::new();
    let token = app.csrf_token().await;
    let resp = app
        .client
        .post("/lang")
        .header("cookie", format!("__Host-sb-csrf={token}"))
        .content_type("application/x-www-form-urlencoded")
        .body(format!("csrf={token}&lang=de&next=%2F%3Fx%3D1"))
        .send()
        .await;
    resp.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), Some("/?x=1"));
    let cookie = header(&resp, "set-cookie").unwrap();
    assert!(cookie.starts_with("sb-lang=de;"), "{cookie}");
    assert_security_headers(&resp);

    // An off-site target is never followed.
    let resp = app
        .client
        .post("/lang")
        .header("cookie", format!("__Host-sb-csrf={token}"))
        .content_type("application/x-www-form-urlencoded")
        .body(format!("csrf={token}&lang=en&next=%2F%2Fevil.example%2F"))
        .send()
        .await;
    assert_eq!(header(&resp, "location"), Some("/"));

    // An unsupported language is a clear 400, not a crash.
    let resp = app
        .client
        .post("/lang")
        .header("cookie", format!("__Host-sb-csrf={token}"))
        .content_type("application/x-www-form-urlencoded")
        .body(format!("csrf={token}&lang=xx"))
        .send()
        .await;
    resp.assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn state_changes_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::new();
    let token = app.csrf_token().await;
    let cases = [
        (None, format!("csrf={token}&lang=de")),
        (Some(token.clone()), "lang=de".to_owned()),
        (
            Some(token.clone()),
            "csrf=00000000000000000000000000000000&lang=de".to_owned(),
        ),
    ];
    for (cookie, body) in cases {
        let mut req = app
            .client
            .post("/lang")
            .content_type("application/x-www-form-urlencoded")
            .body(body.clone());
        if let Some(c) = &cookie {
            req = req.header("cookie", format!("__Host-sb-csrf={c}"));
        }
        let resp = req.send().await;
        resp.assert_status(StatusCode::FORBIDDEN);
        assert_security_headers(&resp);
        assert!(header(&resp, "set-cookie").is_none_or(|c| !c.starts_with("sb-lang")));
        let page = resp.0.into_body().into_string().await.unwrap();
        assert!(page.contains("Request refused"), "{body}: {page}");
    }
    // The header form works for scripts.
    let resp = app
        .client
        .post("/lang")
        .header("cookie", format!("__Host-sb-csrf={token}"))
        .header("x-csrf-token", token.clone())
        .content_type("application/x-www-form-urlencoded")
        .body("lang=de")
        .send()
        .await;
    resp.assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unknown_pages_get_the_404_page_and_api_paths_json() {
    let app = TestApp::new();
    let resp = app.client.get("/no/such/page").send().await;
    resp.assert_status(StatusCode::NOT_FOUND);
    assert_security_headers(&resp);
    assert!(csrf_from(&resp).is_some());
    let body = resp.0.into_body().into_string().await.unwrap();
    assert!(body.contains("Page not found"));
    assert!(body.contains("<nav"), "the 404 page keeps the navigation");

    let resp = app.client.get("/api/v1/nothing").send().await;
    resp.assert_status(StatusCode::NOT_FOUND);
    assert_security_headers(&resp);
    resp.assert_content_type("application/problem+json");
}

#[handler]
fn boom() -> &'static str {
    panic!("deliberate failure in a handler");
}

#[tokio::test]
async fn a_panicking_handler_gives_a_500_page_and_the_server_keeps_serving() {
    let app = TestApp::with_routes(
        supportbox::app::base_routes().nest("/test-only", Route::new().at("/boom", get(boom))),
    );
    let resp = app.client.get("/test-only/boom").send().await;
    resp.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert_security_headers(&resp);
    let request_id = header(&resp, "x-request-id").unwrap().to_owned();
    let body = resp.0.into_body().into_string().await.unwrap();
    assert!(body.contains("Something went wrong"));
    assert!(body.contains(&request_id), "the page quotes the request id");
    assert!(!body.contains("deliberate failure"), "no internals leak");
    app.client.get("/").send().await.assert_status_is_ok();
}

#[tokio::test]
async fn static_files_are_hashed_immutable_and_revalidate() {
    let app = TestApp::new();
    let page = app
        .client
        .get("/")
        .send()
        .await
        .0
        .into_body()
        .into_string()
        .await
        .unwrap();
    let href = page
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.starts_with("/static/") && s.ends_with("css/app.css"))
        .unwrap()
        .to_owned();
    let resp = app.client.get(&href).send().await;
    resp.assert_status_is_ok();
    assert_security_headers(&resp);
    assert_eq!(
        header(&resp, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    resp.assert_content_type("text/css; charset=utf-8");
    let script = page
        .split("src=\"")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.starts_with("/static/") && s.ends_with("js/app.js"))
        .unwrap()
        .to_owned();
    app.client
        .get(&script)
        .send()
        .await
        .assert_content_type("text/javascript; charset=utf-8");
    let etag = header(&resp, "etag").unwrap().to_owned();
    let resp = app
        .client
        .get(&href)
        .header("if-none-match", etag)
        .send()
        .await;
    resp.assert_status(StatusCode::NOT_MODIFIED);
    assert_security_headers(&resp);

    let stale = href.replacen("/static/", "/static/0", 1);
    app.client
        .get(&stale)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.client
        .get("/static/0000000000000000/../Cargo.toml")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new();
    let resp = app.client.get("/healthz").send().await;
    resp.assert_status_is_ok();
    // Anonymous: no version number (it would tell an attacker which flaws to try).
    resp.assert_json(serde_json::json!({"status": "ok"})).await;
    app.client.get("/readyz").send().await.assert_status_is_ok();
    app.state.set_ready(false);
    let resp = app.client.get("/readyz").send().await;
    resp.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&resp, "retry-after"), Some("5"));
}

#[tokio::test]
async fn the_ca_certificate_downloads_as_a_file() {
    let app = TestApp::new();
    let resp = app.client.get("/ca.pem").send().await;
    resp.assert_status_is_ok();
    resp.assert_content_type("application/x-pem-file");
    assert_eq!(
        header(&resp, "content-disposition"),
        Some("attachment; filename=\"supportbox-ca.pem\"")
    );
    resp.assert_text(crate::support::CA_PEM).await;
}
