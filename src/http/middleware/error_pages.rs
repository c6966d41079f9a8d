//! Turns bare error statuses (from handlers, the router, or a caught panic) into a page in
//! the layout, or a JSON problem under `/api/`. Responses that already carry their own
//! HTML or JSON body pass through untouched.

use poem::http::header;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::app::AppState;
use crate::http::api_problem;
use crate::http::ctx::page_ctx;
use crate::views::errors::error_page;

#[derive(Clone, Copy, Default)]
pub struct ErrorPages;

impl<E: Endpoint> Middleware<E> for ErrorPages {
    type Output = ErrorPagesEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ErrorPagesEndpoint { inner: ep }
    }
}

pub struct ErrorPagesEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for ErrorPagesEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let is_api = req.uri().path().starts_with("/api/");
        // The page context is taken before the request is consumed by the handler.
        let ctx = req.data::<AppState>().map(|state| page_ctx(&req, state));
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let status = resp.status();
        if !(status.is_client_error() || status.is_server_error()) || has_own_body(&resp) {
            return Ok(resp);
        }
        let headers = resp.headers().clone();
        let mut rendered = if is_api {
            api_problem::response(status, client_detail(resp).await, Vec::new())
        } else if let Some(ctx) = ctx {
            error_page(&ctx, status.as_u16())
                .with_status(status)
                .into_response()
        } else {
            (status, status.canonical_reason().unwrap_or("error")).into_response()
        };
        // Headers such as Retry-After or Allow from the original answer stay meaningful.
        for (name, value) in &headers {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                rendered.headers_mut().insert(name.clone(), value.clone());
            }
        }
        Ok(rendered)
    }
}

/// The plain-text message of a refused request (poem's "failed to parse parameter …"),
/// as the problem's `detail`. Server errors never get one: their text is for the log.
async fn client_detail(resp: Response) -> Option<String> {
    const MAX_DETAIL_CHARS: usize = 300;
    let is_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    if !resp.status().is_client_error() || !is_text {
        return None;
    }
    let text = resp.into_body().into_string().await.ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAX_DETAIL_CHARS).collect())
}

fn has_own_body(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("text/html")
                || ct.starts_with("application/json")
                || ct.starts_with("application/problem+json")
        })
}
