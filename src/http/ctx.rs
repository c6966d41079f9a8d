//! Building the per-request [`PageCtx`] from what the middleware left in the request.

use poem::{FromRequest, Request, RequestBody};

use super::middleware::{cookie_value, csrf::CsrfToken, request_span::RequestId};
use super::session::RequestAuth;
use crate::app::AppState;
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::views::PageCtx;

/// The cookie that remembers a visitor's explicit language choice.
pub const LANG_COOKIE: &str = "sb-lang";

/// The language for this request: a signed-in person's profile choice, then an explicit
/// choice from the switcher, then the browser's preference.
pub fn request_lang(req: &Request) -> Lang {
    if let Some(lang) = req
        .extensions()
        .get::<RequestAuth>()
        .and_then(|a| a.signed_in.account.lang)
    {
        return lang;
    }
    if let Some(lang) = cookie_value(req, LANG_COOKIE).and_then(Lang::from_tag) {
        return lang;
    }
    req.headers()
        .get(poem::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::negotiate)
        .unwrap_or_default()
}

pub fn page_ctx(req: &Request, state: &AppState) -> PageCtx {
    let user = req
        .extensions()
        .get::<RequestAuth>()
        .map(RequestAuth::user_nav);
    let operator = user.as_ref().is_some_and(|u| u.operator);
    let current_path = req
        .original_uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    PageCtx {
        lang: request_lang(req),
        i18n: state.i18n.clone(),
        assets: state.assets.clone(),
        csrf_token: req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default(),
        current_path,
        version: crate::app::VERSION,
        ca_available: state.tls.ca_pem.is_some(),
        request_id: req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default(),
        user,
        storage_alert: operator
            .then(|| crate::service::health::storage_alert(&state.store))
            .flatten(),
    }
}

impl<'a> FromRequest<'a> for PageCtx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = req
            .data::<AppState>()
            .ok_or_else(|| AppError::Internal("application state missing".to_owned()))?;
        Ok(page_ctx(req, state))
    }
}
