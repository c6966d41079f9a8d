//! The plain-HTTP listener: every request is sent to the same path over HTTPS.

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, EndpointExt, Request, Response, handler};

use super::middleware::security_headers::SecurityHeaders;

#[derive(Clone)]
pub struct RedirectTarget {
    pub https_port: u16,
    /// Used when the request names no usable host.
    pub fallback_host: String,
}

pub fn routes(target: RedirectTarget) -> impl Endpoint<Output = Response> {
    redirect.data(target).with(SecurityHeaders { hsts: false })
}

#[handler]
fn redirect(req: &Request, target: poem::web::Data<&RedirectTarget>) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(host_without_port)
        .unwrap_or(&target.fallback_host);
    let authority = if target.https_port == 443 {
        host.to_owned()
    } else {
        format!("{host}:{}", target.https_port)
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
        .header(header::LOCATION, format!("https://{authority}{path}"))
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
    use super::host_without_port;

    #[test]
    fn hosts_are_parsed_conservatively() {
        assert_eq!(host_without_port("example.org:8080"), Some("example.org"));
        assert_eq!(host_without_port("[::1]:8080"), Some("[::1]"));
        assert_eq!(host_without_port("evil.org/x"), None);
        assert_eq!(host_without_port("a@b"), None);
        assert_eq!(host_without_port(""), None);
    }
}
