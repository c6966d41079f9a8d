//! Embedded static files under content-hashed URLs, and the local CA certificate.

use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};

use crate::app::AppState;
use crate::error::AppError;

#[handler]
pub fn static_file(
    req: &Request,
    state: Data<&AppState>,
    Path((hash, path)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let asset = state.assets.get(&hash, &path).ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", asset.hash);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::ETAG, etag);
    if unchanged {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).finish());
    }
    Ok(builder
        .content_type(asset.mime.as_str())
        .body(asset.body.to_vec()))
}

/// The generated CA, so a person can trust this server once in their browser or OS.
#[handler]
pub fn ca_pem(state: Data<&AppState>) -> Result<Response, AppError> {
    let pem = state.tls.ca_pem.clone().ok_or(AppError::NotFound)?;
    Ok(pem
        .with_content_type("application/x-pem-file")
        .with_header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"supportbox-ca.pem\"",
        )
        .into_response())
}
