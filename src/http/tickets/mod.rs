//! Ticket pages: report a problem, file one for a customer ([`new`]), the ticket page with
//! its actions ([`actions`]), attachment downloads, and the lists ([`list`]).

pub mod actions;
pub mod list;
pub mod new;

use poem::http::header;
use poem::web::{Data, Path, Query};
use poem::{Body, IntoResponse, Response, handler};

use super::account::DoneQuery;
use super::respond::form_status;
use super::session::TenantCaller;
use super::uploads::{self, LimitedMultipart, Upload, UploadError, UploadLimits};
use crate::app::AppState;
use crate::blobs::{content_disposition, is_inline_safe};
use crate::domain::ticket::Actor;
use crate::domain::validate::FieldError;
use crate::error::AppError;
use crate::service::ServiceError;
use crate::views::forms::FormErrors;
use crate::views::tickets::data::TicketDrafts;
use crate::views::{self, PageCtx};

fn limits(state: &AppState) -> UploadLimits {
    UploadLimits {
        per_file: state.config.upload_file_bytes,
        per_request: state.config.upload_request_bytes,
    }
}

/// Reads an upload form; on refusal, drops the blobs it wrote that nothing references and
/// returns the message for the form together with the text typed so far.
async fn read_upload(
    state: &AppState,
    form: LimitedMultipart,
) -> Result<Result<Upload, (FormErrors, Upload)>, AppError> {
    let mut written = Vec::new();
    let mut fields = std::collections::HashMap::new();
    match uploads::read_form(
        form,
        &state.services.blobs,
        limits(state),
        &mut written,
        &mut fields,
    )
    .await
    {
        Ok(files) => Ok(Ok(Upload { fields, files })),
        Err(e) => {
            state.services.forget_unused_blobs(written).await;
            let partial = Upload {
                fields,
                files: Vec::new(),
            };
            match e {
                // error.rs turns a full disk into 507 and anything else into a 500.
                UploadError::Storage(err) => Err(ServiceError::Blob(err).into()),
                other => Ok(Err((
                    FormErrors::from_error(FieldError::new("files", other.message_key())),
                    partial,
                ))),
            }
        }
    }
}

fn parse_id(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

fn errors_of(e: ServiceError) -> Result<FormErrors, AppError> {
    super::respond::form_errors(e)
}

fn ticket_base(tc: &TenantCaller) -> String {
    format!("/t/{}", tc.tenant.slug)
}

fn viewer(tc: &TenantCaller) -> Actor {
    Actor {
        account: tc.caller.account,
        role: tc.caller.role,
    }
}

async fn render_ticket(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    number: u64,
    errors: &FormErrors,
    done: Option<&str>,
    drafts: &TicketDrafts,
) -> Result<Response, AppError> {
    let detail = state.services.ticket_view(&tc.caller, number).await?;
    let status = form_status(errors);
    Ok(views::tickets::ticket_page_with(
        ctx,
        state.services.now(),
        &detail,
        viewer(tc),
        errors,
        done,
        drafts,
    )
    .with_status(status)
    .into_response())
}

#[handler]
pub async fn page(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    render_ticket(
        &tc,
        &ctx,
        &state,
        number,
        &FormErrors::new(),
        q.key(),
        &TicketDrafts::default(),
    )
    .await
}

#[derive(Debug, serde::Deserialize, Default)]
#[serde(default)]
pub struct FileQuery {
    thumb: Option<String>,
}

/// An attachment, streamed. Raster images show inline (and as thumbnails); everything
/// else downloads, so an uploaded HTML or SVG file can never run in this origin.
#[handler]
pub async fn file(
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, number, seq, index)): Path<(String, u64, u32, usize)>,
    Query(q): Query<FileQuery>,
) -> Result<Response, AppError> {
    let attachment = state
        .services
        .attachment(&tc.caller, number, seq, index)
        .await?;
    let inline = is_inline_safe(&attachment.mime) && attachment.is_inline_image();
    if q.thumb.is_some() && !inline {
        return Err(AppError::NotFound);
    }
    let (file, size) = state
        .services
        .blobs
        .open(&attachment.hash)
        .await
        .map_err(ServiceError::from)?;
    Ok(Response::builder()
        .header(
            header::CONTENT_TYPE,
            if inline {
                attachment.mime.as_str()
            } else {
                "application/octet-stream"
            },
        )
        .header(
            header::CONTENT_DISPOSITION,
            content_disposition(&attachment.name, inline),
        )
        .header(header::CONTENT_LENGTH, size.to_string())
        .header(header::CACHE_CONTROL, "private, max-age=3600")
        .body(Body::from_async_read(file)))
}
