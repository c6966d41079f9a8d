//! Middleware applied to every route. Order, outermost first (see `app::routes`):
//! security headers → request span → CSRF cookie → error pages → panic catcher →
//! CSRF check → routes. Headers sit outermost so errors, redirects and static files get
//! them too; the panic catcher sits inside the error pages so a panic still renders the
//! 500 page.

pub mod csrf;
pub mod error_pages;
pub mod request_span;
pub mod security_headers;

use poem::Request;

/// The value of one cookie from the request's `Cookie` headers.
pub fn cookie_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}
