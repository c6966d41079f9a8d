//! `/healthz`: the process is up and the database is readable and undamaged. `/readyz`: the instance
//! accepts work (false during start-up and maintenance such as a restore).

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde_json::json;

use crate::app::AppState;
use crate::service::health::{database_damaged, database_disk_full, database_readable};

#[handler]
pub async fn healthz(state: Data<&AppState>) -> Response {
    if database_damaged(&state.store) {
        return Json(json!({ "status": "error", "database": "damaged" }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response();
    }
    match database_readable(&state.store).await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database not readable");
            Json(json!({ "status": "error", "database": "unreadable" }))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}

#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    if database_damaged(&state.store) {
        // No Retry-After: this does not pass by itself; a restore ends it.
        Json(json!({ "status": "not ready", "database": "damaged" }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response()
    } else if database_disk_full(&state.store) {
        Json(json!({ "status": "not ready", "database": "disk full" }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .with_header("retry-after", "10")
            .into_response()
    } else if state.is_ready() {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        Json(json!({ "status": "not ready" }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .with_header("retry-after", "5")
            .into_response()
    }
}
