//! CSRF protection by double submit: a random token lives in a `__Host-` cookie (which no
//! other site or subdomain can set) and must come back with every state-changing request,
//! as the `csrf` form field or the `X-CSRF-Token` header (scripts). Multipart forms (file
//! uploads), whose bodies the middleware does not parse, prove instead that the browser sent
//! them from this origin: `Sec-Fetch-Site: same-origin`, or an `Origin` naming the host the
//! request went to; no token ever travels in a URL, where it would end up in logs and
//! `Referer` headers. API calls authenticated by a bearer token carry no ambient
//! credentials and are exempt.

use poem::http::{HeaderValue, Method, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::cookie_value;
use crate::error::AppError;

pub const COOKIE: &str = "__Host-sb-csrf";
pub const FIELD: &str = "csrf";
pub const HEADER: &str = "x-csrf-token";
/// Form bodies larger than this are refused before the token is even looked for.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The request's CSRF token, for rendering into forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn is_well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Outer half: makes sure every visitor has a token and every page can render it.
#[derive(Clone, Copy, Default)]
pub struct CsrfCookie;

impl<E: Endpoint> Middleware<E> for CsrfCookie {
    type Output = CsrfCookieEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CsrfCookieEndpoint { inner: ep }
    }
}

pub struct CsrfCookieEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for CsrfCookieEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let existing = cookie_value(&req, COOKIE)
            .filter(|t| is_well_formed(t))
            .map(str::to_owned);
        let (token, fresh) = match existing {
            Some(t) => (t, false),
            None => (hex::encode(rand::random::<[u8; 16]>()), true),
        };
        req.extensions_mut().insert(CsrfToken(token.clone()));
        let mut resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if fresh {
            let cookie = format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        Ok(resp)
    }
}

/// Inner half: refuses state-changing requests whose token is missing or wrong.
#[derive(Clone, Copy, Default)]
pub struct CsrfCheck;

impl<E: Endpoint> Middleware<E> for CsrfCheck {
    type Output = CsrfCheckEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CsrfCheckEndpoint { inner: ep }
    }
}

pub struct CsrfCheckEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for CsrfCheckEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if needs_check(&req) {
            let expected = cookie_value(&req, COOKIE)
                .filter(|t| is_well_formed(t))
                .map(str::to_owned);
            let valid = if is_multipart(&req) && !req.headers().contains_key(HEADER) {
                expected.is_some() && sent_from_this_origin(&req)
            } else {
                let submitted = submitted_token(&mut req).await?;
                match (expected, submitted) {
                    (Some(e), Some(s)) => constant_time_eq(e.as_bytes(), s.as_bytes()),
                    _ => false,
                }
            };
            if !valid {
                tracing::info!("refused a state-changing request without a valid CSRF token");
                return Err(AppError::Forbidden("missing or wrong CSRF token").into());
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

fn needs_check(req: &Request) -> bool {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe {
        return false;
    }
    if !req.uri().path().starts_with("/api/") {
        return true;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    // An API call with neither a token nor a session carries nothing a forger could ride
    // on: it goes on to authentication, which answers 401 rather than this check's 403.
    let session = cookie_value(req, crate::http::session::SESSION_COOKIE).is_some();
    !bearer && session
}

async fn submitted_token(req: &mut Request) -> Result<Option<String>> {
    if let Some(h) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(h.to_owned()));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let body = req
        .take_body()
        .into_bytes_limit(MAX_FORM_BYTES)
        .await
        .map_err(|_| AppError::BadRequest("form too large".to_owned()))?;
    let token = form_field(&body, FIELD);
    req.set_body(body);
    Ok(token)
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"))
}

/// What browsers say about where a request comes from: `Sec-Fetch-Site` where they send it
/// (every current browser), else `Origin` compared with the host the request was sent to.
/// A page on another site can set neither.
fn sent_from_this_origin(req: &Request) -> bool {
    let header_str = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header_str("sec-fetch-site") {
        return site == "same-origin";
    }
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str())
        .or_else(|| header_str(header::HOST.as_str()));
    match (header_str(header::ORIGIN.as_str()), host) {
        (Some(origin), Some(host)) => origin
            .strip_prefix("https://")
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

fn form_field(encoded: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_found() {
        assert_eq!(
            form_field(b"a=1&csrf=abc&b=2", "csrf").as_deref(),
            Some("abc")
        );
        assert_eq!(form_field(b"a=1", "csrf"), None);
        assert_eq!(form_field(b"%%%", "csrf"), None);
    }

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
