//! Shared fixtures: a complete application on a temporary data directory.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::test::{TestClient, TestResponse};
use poem::{EndpointExt, Response, Route};
use supportbox::app::{AppState, TlsInfo, base_routes, with_middleware};
use supportbox::clock::ManualClock;
use supportbox::config::Config;
use supportbox::store::Store;
use tempfile::TempDir;

// Not every test module needs every field.
#[allow(dead_code)]
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub state: AppState,
    pub clock: ManualClock,
    pub dir: TempDir,
}

pub const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n";

impl TestApp {
    pub fn new() -> TestApp {
        Self::with_routes(base_routes())
    }

    /// The app with extra routes mounted next to the real ones (used to provoke failures
    /// that no real route should ever produce, such as a panic).
    pub fn with_routes(routes: Route) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("supportbox.redb")).unwrap();
        let clock = ManualClock::new("2026-11-27T10:00:00Z".parse().unwrap());
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let tls = TlsInfo {
            ca_pem: Some(CA_PEM.to_owned()),
            ca_fingerprint: Some("AA:BB".to_owned()),
            hsts: false,
        };
        let state = AppState::new(config, store, Arc::new(clock.clone()), tls).unwrap();
        state.set_ready(true);
        let endpoint = with_middleware(state.clone(), routes).boxed();
        TestApp {
            client: TestClient::new(endpoint),
            state,
            clock,
            dir,
        }
    }

    /// Fetches a page and returns the CSRF cookie value the server handed out.
    pub async fn csrf_token(&self) -> String {
        let resp = self.client.get("/").send().await;
        csrf_from(&resp).expect("the start page sets a CSRF cookie")
    }
}

pub fn csrf_from(resp: &TestResponse) -> Option<String> {
    resp.0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("__Host-sb-csrf="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

pub fn header<'a>(resp: &'a TestResponse, name: &str) -> Option<&'a str> {
    resp.0.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The security headers every response must carry (DESIGN.md section 10).
pub fn assert_security_headers(resp: &TestResponse) {
    let csp = header(resp, "content-security-policy").expect("CSP header");
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert_eq!(header(resp, "x-content-type-options"), Some("nosniff"));
    assert!(header(resp, "referrer-policy").is_some());
    assert!(header(resp, "x-request-id").is_some());
}
