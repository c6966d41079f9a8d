//! The plain-HTTP listener: every request is sent to the same path over HTTPS, on the host
//! it named when that is one of the instance's own names, else to the public URL; a forged
//! `Host` never ends up in a `Location` (docs/security.md, "Links").

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, EndpointExt, Request, Response, handler};

use super::middleware::security_headers::SecurityHeaders;

#[derive(Clone)]
pub struct RedirectTarget {
    pub https_port: u16,
    /// Where requests naming no known host go (`Config::public_url`).
    pub public_url: String,
    /// The names a request may keep (`Config::known_hosts`).
    pub known_hosts: Vec<String>,
}

pub fn routes(target: RedirectTarget) -> impl Endpoint<Output = Response> {
    redirect.data(target).with(SecurityHeaders { hsts: false })
}

#[handler]
fn redirect(req: &Request, target: poem::web::Data<&RedirectTarget>) -> Response {
    let named = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(host_without_port)
        .map(str::to_ascii_lowercase)
        .filter(|host| target.known_hosts.contains(host));
    let base = match named {
        Some(host) if target.https_port == 443 => format!("https://{host}"),
        Some(host) => format!("https://{host}:{}", target.https_port),
        None => target.public_url.clone(),
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    // 308 keeps the method and body of non-GET requests; GETs get the classic 301.
    let status = if matches!(*req.method(), Method::GET | Method::HEAD) {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::PERMANENT_REDIRECT
    };
    Response::builder()
        .status(status)
        .header(header::LOCATION, format!("{base}{path}"))
        .finish()
}

/// The host part of a `Host` header, only when it is a plain name or IP literal (so a
/// crafted header cannot smuggle a path or credentials into the Location).
fn host_without_port(value: &str) -> Option<&str> {
    let host = if value.starts_with('[') {
        let end = value.find(']')?;
        &value[..=end]
    } else {
        value.split(':').next()?
    };
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_parsed_conservatively() {
        assert_eq!(host_without_port("example.org:8080"), Some("example.org"));
        assert_eq!(host_without_port("[::1]:8080"), Some("[::1]"));
        assert_eq!(host_without_port("evil.org/x"), None);
        assert_eq!(host_without_port("a@b"), None);
        assert_eq!(host_without_port(""), None);
    }

    #[tokio::test]
    async fn only_known_hosts_survive_the_redirect() {
        let app = routes(RedirectTarget {
            https_port: 8443,
            public_url: "https://help.example.org".into(),
            known_hosts: vec!["help.example.org".into(), "localhost".into()],
        });
        let client = poem::test::TestClient::new(app);
        let location = |resp: &poem::test::TestResponse| {
            resp.0
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let kept = client
            .get("/t/acme/?x=1")
            .header(header::HOST, "LOCALHOST:8080")
            .send()
            .await;
        assert_eq!(location(&kept), "https://localhost:8443/t/acme/?x=1");
        for forged in [
            vec![(header::HOST.as_str(), "evil.example")],
            vec![(header::HOST.as_str(), "evil.example:8080")],
            vec![
                (header::HOST.as_str(), "evil.example"),
                ("x-forwarded-host", "help.example.org"),
            ],
            vec![
                ("forwarded", "host=evil.example"),
                ("x-forwarded-host", "evil.example"),
            ],
        ] {
            let mut req = client.get("/login");
            for (name, value) in &forged {
                req = req.header(*name, *value);
            }
            let resp = req.send().await;
            assert_eq!(
                location(&resp),
                "https://help.example.org/login",
                "{forged:?}"
            );
        }
    }
}
