//! Tickets through the JSON API, with the same authorisation as the pages: the token's
//! account must be an enabled member of the tenant in the URL, customers see only their
//! own tickets and never internal notes.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json, Payload};
use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::{ApiResponse, OpenApi};

mod payloads;

use super::api::TokenAuth;
use super::api_problem::{self, FieldProblemOut, Problem};
use crate::app::AppState;
use crate::blobs::{content_disposition, is_inline_safe, sanitize_filename};
use crate::domain::caller::{AuthMethod, Caller};
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::read::HitPlace;
use crate::domain::ticket::list::SortKey;
use crate::domain::ticket::{Attachment, Status};
use crate::error::AppError;
use crate::service::ServiceError;
use crate::service::tickets::list::ListFilter;
use crate::service::tickets::{Command, NewTicket};
use payloads::*;

pub(super) fn state(req: &Request) -> poem::Result<&AppState> {
    req.data::<AppState>()
        .ok_or_else(|| AppError::Internal("application state missing".to_owned()).into())
}

/// Refusals become JSON problems; field errors list each field and message key.
pub(super) fn api_error(e: ServiceError) -> poem::Error {
    let e = match e {
        ServiceError::Refused(field) => ServiceError::Invalid(vec![field]),
        other => other,
    };
    match e {
        ServiceError::Invalid(fields) => {
            let errors = fields
                .iter()
                .map(|f| FieldProblemOut {
                    field: f.field.to_owned(),
                    message: f.message_key.to_owned(),
                })
                .collect();
            poem::Error::from_response(api_problem::response(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
            ))
        }
        other => AppError::from(other).into(),
    }
}

pub(super) async fn caller(req: &Request, auth: &TokenAuth, slug: &str) -> poem::Result<Caller> {
    let state = state(req)?;
    let (caller, _) = state
        .services
        .caller_in(&auth.0.account, slug, AuthMethod::ApiToken)
        .await
        .map_err(api_error)?;
    Ok(caller)
}

fn attachments(state: &AppState, caller: &Caller, ids: &[String]) -> poem::Result<Vec<Attachment>> {
    ids.iter()
        .map(|id| {
            state
                .services
                .claim_upload(caller.account, id)
                .ok_or_else(|| api_error(ServiceError::invalid("attachments", "invalid_choice")))
        })
        .collect()
}

/// A file in the type it is served as: the document declares `*/*`, the `Content-Type`
/// header says which (an inline image type, else `application/octet-stream`).
pub struct AnyFile(poem::Body);

impl Payload for AnyFile {
    const CONTENT_TYPE: &'static str = "*/*";

    fn schema_ref() -> MetaSchemaRef {
        <Binary<poem::Body> as Payload>::schema_ref()
    }
}

impl poem::IntoResponse for AnyFile {
    fn into_response(self) -> poem::Response {
        poem::Response::builder().body(self.0)
    }
}

/// A downloaded attachment.
#[derive(ApiResponse)]
pub enum FileResponse {
    #[oai(status = 200)]
    Ok(
        AnyFile,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Content-Disposition")] String,
    ),
}

pub struct TicketApi;

#[OpenApi]
impl TicketApi {
    /// Tickets of the tenant (staff) or the caller's own (customers), filtered and sorted.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/t/:slug/tickets", method = "get")]
    async fn list(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        /// Free text.
        q: Query<Option<String>>,
        status: Query<Option<String>>,
        customer_id: Query<Option<u64>>,
        assignee_id: Query<Option<u64>>,
        priority_id: Query<Option<u64>>,
        topic_id: Query<Option<u64>>,
        /// number, created, updated, customer, status or priority
        sort: Query<Option<String>>,
        /// asc or desc (default)
        dir: Query<Option<String>>,
        after: Query<Option<String>>,
    ) -> Result<Json<TicketListOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let state = state(req)?;
        let statuses = match status.0.as_deref() {
            None | Some("") => Vec::new(),
            Some(code) => vec![
                Status::parse(code)
                    .ok_or_else(|| api_error(ServiceError::invalid("status", "invalid_choice")))?,
            ],
        };
        let filter = ListFilter {
            text: q.0.unwrap_or_default(),
            statuses,
            customer: customer_id.0.map(AccountId),
            assignee: assignee_id.0.map(|a| Some(AccountId(a))),
            priority: priority_id.0.map(PriorityId),
            topic: topic_id.0.map(TopicId),
            sort: match sort.0.as_deref() {
                Some("created") => SortKey::Created,
                Some("updated") => SortKey::Updated,
                Some("customer") => SortKey::Customer,
                Some("status") => SortKey::Status,
                Some("priority") => SortKey::Priority,
                _ => SortKey::Number,
            },
            descending: dir.0.as_deref() != Some("asc"),
            cursor: after.0,
            ..ListFilter::default()
        };
        let page = state
            .services
            .ticket_list(&caller, filter)
            .await
            .map_err(api_error)?;
        Ok(Json(TicketListOut {
            tickets: page.rows.iter().map(ticket_out).collect(),
            next: page.next,
            truncated: page.truncated,
        }))
    }

    /// Reports a ticket (customers) or files one for a customer (staff).
    #[oai(path = "/t/:slug/tickets", method = "post")]
    async fn create(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        body: Json<NewTicketIn>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let state = state(req)?;
        let input = NewTicket {
            subject: body.0.subject,
            body: body.0.body,
            topic: body.0.topic_id.map(TopicId),
            customer: body.0.customer_id.map(AccountId),
            priority: body.0.priority_id.map(PriorityId),
            attachments: attachments(state, &caller, &body.0.attachments)?,
        };
        let ticket = state
            .services
            .create_ticket(&caller, input)
            .await
            .map_err(api_error)?;
        let detail = state
            .services
            .ticket_view(&caller, ticket.number)
            .await
            .map_err(api_error)?;
        Ok(Json(detail_out(&slug.0, detail)))
    }

    /// A ticket with its thread; internal notes only for staff.
    #[oai(path = "/t/:slug/tickets/:number", method = "get")]
    async fn get(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let detail = state(req)?
            .services
            .ticket_view(&caller, number.0)
            .await
            .map_err(api_error)?;
        Ok(Json(detail_out(&slug.0, detail)))
    }

    /// A public reply, or (staff, `internal: true`) an internal note.
    #[oai(path = "/t/:slug/tickets/:number/reply", method = "post")]
    async fn reply(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
        body: Json<ReplyIn>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let state = state(req)?;
        let command = Command::Reply {
            body: body.0.body,
            internal: body.0.internal,
            attachments: attachments(state, &caller, &body.0.attachments)?,
        };
        self.act_as(state, &caller, &slug.0, number.0, command)
            .await
    }

    #[oai(path = "/t/:slug/tickets/:number/accept", method = "post")]
    async fn accept(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
        body: Json<AcceptIn>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let command = Command::Accept {
            priority: PriorityId(body.0.priority_id),
            assignee: body.0.assignee_id.map(AccountId),
        };
        self.act(req, &auth, &slug.0, number.0, command).await
    }

    #[oai(path = "/t/:slug/tickets/:number/assign", method = "post")]
    async fn assign(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
        body: Json<AssignIn>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let command = Command::Assign {
            to: AccountId(body.0.assignee_id),
            note: body.0.note,
        };
        self.act(req, &auth, &slug.0, number.0, command).await
    }

    #[oai(path = "/t/:slug/tickets/:number/resolve", method = "post")]
    async fn resolve(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
        body: Json<ResolveIn>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let command = Command::Resolve {
            solution: body.0.solution,
        };
        self.act(req, &auth, &slug.0, number.0, command).await
    }

    #[oai(path = "/t/:slug/tickets/:number/close", method = "post")]
    async fn close(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        self.act(req, &auth, &slug.0, number.0, Command::Close)
            .await
    }

    #[oai(path = "/t/:slug/tickets/:number/reopen", method = "post")]
    async fn reopen(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        self.act(req, &auth, &slug.0, number.0, Command::Reopen)
            .await
    }

    /// Uploads a file (the raw body) for a later ticket or reply; `name` is its file name.
    #[oai(path = "/t/:slug/uploads", method = "post")]
    async fn upload(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        name: Query<String>,
        body: Binary<poem::Body>,
    ) -> Result<Json<UploadOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let state = state(req)?;
        let stream = body.0.into_bytes_stream();
        let stored = state
            .services
            .blobs
            .ingest(Box::pin(stream), state.config.upload_file_bytes)
            .await
            .map_err(|e| match e {
                crate::blobs::BlobError::TooLarge { .. } => {
                    api_error(ServiceError::invalid("file", "file_too_large"))
                }
                // error.rs: a full disk is 507, anything else a 500.
                other => AppError::from(ServiceError::Blob(other)).into(),
            })?;
        let attachment = Attachment {
            hash: stored.hash,
            name: sanitize_filename(&name.0),
            mime: stored.mime.clone(),
            size: stored.size,
        };
        let id = state
            .services
            .register_upload(caller.account, attachment.clone());
        Ok(Json(UploadOut {
            id,
            name: attachment.name,
            mime: attachment.mime,
            size: attachment.size,
        }))
    }

    /// Downloads an attachment the caller may see. Raster images come with their type;
    /// everything else as `application/octet-stream`, always with an RFC 6266 file name.
    #[oai(path = "/t/:slug/tickets/:number/files/:seq/:index", method = "get")]
    async fn file(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        number: Path<u64>,
        seq: Path<u32>,
        index: Path<usize>,
    ) -> Result<FileResponse, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let state = state(req)?;
        let attachment = state
            .services
            .attachment(&caller, number.0, seq.0, index.0)
            .await
            .map_err(api_error)?;
        let (file, _) = state
            .services
            .blobs
            .open(&attachment.hash)
            .await
            .map_err(|_| AppError::NotFound)?;
        let inline = is_inline_safe(&attachment.mime) && attachment.is_inline_image();
        let mime = if inline {
            attachment.mime.clone()
        } else {
            "application/octet-stream".to_owned()
        };
        Ok(FileResponse::Ok(
            AnyFile(poem::Body::from_async_read(file)),
            mime,
            content_disposition(&attachment.name, inline),
        ))
    }

    /// Full-text search over what the caller may see.
    #[oai(path = "/t/:slug/search", method = "get")]
    async fn search(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        q: Query<String>,
    ) -> Result<Json<SearchOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let outcome = state(req)?
            .services
            .search_tickets(&caller, &q.0)
            .await
            .map_err(api_error)?;
        Ok(Json(SearchOut {
            rebuilding: outcome.rebuilding,
            hits: outcome
                .hits
                .into_iter()
                .map(|h| HitOut {
                    number: h.number,
                    subject: h.subject,
                    status: h.status.code().to_owned(),
                    message_seq: match h.place {
                        HitPlace::Ticket => None,
                        HitPlace::Message { seq } => Some(seq),
                    },
                    snippet: h.snippet,
                })
                .collect(),
        }))
    }
}

impl TicketApi {
    /// Applies `command` as the token's account and answers with the ticket as it is now.
    async fn act(
        &self,
        req: &Request,
        auth: &TokenAuth,
        slug: &str,
        number: u64,
        command: Command,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        let caller = caller(req, auth, slug).await?;
        self.act_as(state(req)?, &caller, slug, number, command)
            .await
    }

    async fn act_as(
        &self,
        state: &AppState,
        caller: &Caller,
        slug: &str,
        number: u64,
        command: Command,
    ) -> Result<Json<TicketDetailOut>, Problem> {
        state
            .services
            .act(caller, number, command)
            .await
            .map_err(api_error)?;
        let detail = state
            .services
            .ticket_view(caller, number)
            .await
            .map_err(api_error)?;
        Ok(Json(detail_out(slug, detail)))
    }
}
