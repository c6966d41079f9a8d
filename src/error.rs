//! The one place where failures become HTTP answers. Handlers return [`AppError`]; the
//! error-page middleware renders it as a page in the layout (or JSON under `/api/`), so
//! no internal detail ever reaches a visitor.

use poem::http::StatusCode;

use crate::service::ServiceError;
use crate::service::backup::RestoreError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Also used for resources of another tenant or role, so existence does not leak.
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too large: {0}")]
    TooLarge(&'static str),
    #[error("temporarily unavailable")]
    Unavailable,
    #[error("too many attempts")]
    RateLimited(std::time::Duration),
    #[error("the disk is full")]
    StorageFull,
    #[error("storage failure: {0}")]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl poem::error::ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }

    /// The body is replaced by the error-page middleware; the log keeps the detail.
    fn as_response(&self) -> poem::Response {
        // A full disk is logged once by the store, not once per refused request.
        let told_once = matches!(
            self,
            AppError::Store(StoreError::DiskFull | StoreError::Reopening)
        );
        if self.status().is_server_error() && !told_once {
            tracing::error!(error = %self, "request failed");
        }
        let builder = poem::Response::builder().status(self.status());
        match self {
            AppError::RateLimited(wait) => builder
                .header(
                    poem::http::header::RETRY_AFTER,
                    wait.as_secs().max(1).to_string(),
                )
                .finish(),
            // Both pass by themselves: the store reopens the file once there is room.
            AppError::Store(StoreError::DiskFull) => builder
                .header(poem::http::header::RETRY_AFTER, "10")
                .finish(),
            AppError::Store(StoreError::Reopening) => builder
                .header(poem::http::header::RETRY_AFTER, "2")
                .finish(),
            // Written for the client; the API shows it as the problem's `detail`.
            AppError::BadRequest(detail) => builder
                .content_type("text/plain; charset=utf-8")
                .body(detail.clone()),
            AppError::TooLarge(detail) => builder
                .content_type("text/plain; charset=utf-8")
                .body(*detail),
            _ => builder.finish(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden => AppError::Forbidden("not allowed"),
            ServiceError::Refused(f) => {
                AppError::BadRequest(format!("{}: {}", f.field, f.message_key))
            }
            ServiceError::Invalid(list) => AppError::BadRequest(
                list.iter()
                    .map(|f| format!("{}: {}", f.field, f.message_key))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ServiceError::RateLimited(wait) => AppError::RateLimited(wait),
            ServiceError::Store(s) => AppError::Store(s),
            ServiceError::Blob(e) if e.is_storage_full() => AppError::StorageFull,
            ServiceError::Blob(crate::blobs::BlobError::NotFound) => AppError::NotFound,
            e @ (ServiceError::Search(_)
            | ServiceError::Blob(_)
            | ServiceError::Backup(_)
            | ServiceError::Task(_)
            | ServiceError::Time(_)) => AppError::Internal(e.to_string()),
            ServiceError::Internal(m) => AppError::Internal(m),
        }
    }
}

/// The status of a failed backup download or restore on the operator API, whose answers are
/// JSON with the error's own message (the operator needs to know why an archive was refused).
pub fn restore_status(e: &RestoreError) -> StatusCode {
    match e {
        RestoreError::Service(ServiceError::NotFound) => StatusCode::NOT_FOUND,
        RestoreError::Busy => StatusCode::CONFLICT,
        RestoreError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        RestoreError::Backup(crate::backup::BackupError::TooLarge { .. }) => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        e if e.is_refusal() => StatusCode::UNPROCESSABLE_ENTITY,
        RestoreError::NeedsRestart(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
