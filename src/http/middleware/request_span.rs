//! Every request runs inside a tracing span carrying a fresh request id, which is also
//! returned in `X-Request-Id` and shown on 500 pages so a person can quote it.

use std::time::Instant;

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

#[derive(Clone, Copy, Default)]
pub struct RequestSpan;

impl<E: Endpoint> Middleware<E> for RequestSpan {
    type Output = RequestSpanEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestSpanEndpoint { inner: ep }
    }
}

pub struct RequestSpanEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RequestSpanEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let id = hex::encode(rand::random::<[u8; 8]>());
        let span = tracing::info_span!(
            "request",
            id = %id,
            method = %req.method(),
            path = %req.uri().path(),
        );
        req.extensions_mut().insert(RequestId(id.clone()));
        let started = Instant::now();
        async move {
            let mut resp = match self.inner.call(req).await {
                Ok(r) => r.into_response(),
                Err(e) => e.into_response(),
            };
            let status = resp.status().as_u16();
            let micros = started.elapsed().as_micros() as u64;
            if status >= 500 {
                tracing::warn!(status, micros, "request finished");
            } else {
                tracing::debug!(status, micros, "request finished");
            }
            if let Ok(value) = HeaderValue::from_str(&id) {
                resp.headers_mut().insert("x-request-id", value);
            }
            Ok(resp)
        }
        .instrument(span)
        .await
    }
}
