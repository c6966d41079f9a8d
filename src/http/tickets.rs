//! Ticket pages: report a problem, file one for a customer, the ticket page with its
//! actions, and attachment downloads.

pub mod list;

use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{Body, IntoResponse, Response, handler};

use super::account::DoneQuery;
use super::respond::{form_status, see_other, with_done};
use super::session::TenantCaller;
use super::uploads::{self, LimitedMultipart, Upload, UploadError, UploadLimits};
use crate::app::AppState;
use crate::blobs::{content_disposition, is_inline_safe};
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::ticket::Actor;
use crate::domain::validate::FieldError;
use crate::error::AppError;
use crate::service::ServiceError;
use crate::service::tickets::{Command, NewTicket};
use crate::views::forms::FormErrors;
use crate::views::tickets::data::{
    AcceptForm, AssignForm, ChoiceForm, NewForCustomerForm, NewTicketForm, ResolveForm,
    TicketDrafts,
};
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
                UploadError::Storage(err) if err.is_storage_full() => Err(AppError::StorageFull),
                UploadError::Storage(err) => Err(AppError::Internal(err.to_string())),
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

fn base(tc: &TenantCaller) -> String {
    format!("/t/{}", tc.tenant.slug)
}

#[handler]
pub async fn new_page(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
) -> Result<Response, AppError> {
    let topics = state.services.topic_choices(&tc.caller).await?;
    Ok(views::tickets::new_ticket(
        &ctx,
        &NewTicketForm::default(),
        &topics,
        &FormErrors::new(),
        None,
    )
    .into_response())
}

#[handler]
pub async fn create(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    form: LimitedMultipart,
) -> Result<Response, AppError> {
    let topics = state.services.topic_choices(&tc.caller).await?;
    let (upload, refused) = match read_upload(&state, form).await? {
        Ok(u) => (u, None),
        Err((errors, partial)) => (partial, Some(errors)),
    };
    let v = NewTicketForm {
        subject: upload.field("subject").to_owned(),
        body: upload.field("body").to_owned(),
        topic: upload.field("topic").to_owned(),
    };
    if let Some(errors) = refused {
        return Ok(views::tickets::new_ticket(&ctx, &v, &topics, &errors, None)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
    }
    if !upload.field("preview").is_empty() {
        state
            .services
            .forget_unused_blobs(upload.files.iter().map(|f| f.hash).collect())
            .await;
        return Ok(views::tickets::new_ticket(
            &ctx,
            &v,
            &topics,
            &FormErrors::new(),
            Some(&v.body),
        )
        .into_response());
    }
    let input = NewTicket {
        subject: v.subject.clone(),
        body: v.body.clone(),
        topic: parse_id(&v.topic).map(TopicId),
        attachments: upload.files.clone(),
        ..NewTicket::default()
    };
    match state.services.create_ticket(&tc.caller, input).await {
        Ok(ticket) => Ok(see_other(&with_done(
            &format!("{}/tickets/{}", base(&tc), ticket.number),
            "ticket_created",
        ))),
        Err(e) => {
            state
                .services
                .forget_unused_blobs(upload.files.iter().map(|f| f.hash).collect())
                .await;
            let errors = errors_of(e)?;
            Ok(views::tickets::new_ticket(&ctx, &v, &topics, &errors, None)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response())
        }
    }
}

async fn render_for_customer(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    v: &NewForCustomerForm,
    errors: &FormErrors,
) -> Result<Response, AppError> {
    let form = state
        .services
        .customer_ticket_form(
            &tc.caller,
            parse_id(&v.customer_id).map(AccountId),
            &v.customer_q,
        )
        .await?;
    let status = form_status(errors);
    Ok(views::tickets::new_for_customer(
        ctx,
        v,
        &form.topics,
        &form.priorities,
        form.picked.as_ref(),
        &form.matches,
        errors,
    )
    .with_status(status)
    .into_response())
}

#[handler]
pub async fn new_for_customer_page(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(v): Query<NewForCustomerForm>,
) -> Result<Response, AppError> {
    render_for_customer(&tc, &ctx, &state, &v, &FormErrors::new()).await
}

/// The picker's live results (htmx fragment).
#[derive(Debug, serde::Deserialize, Default)]
#[serde(default)]
pub struct PickerQuery {
    q: String,
    customer_q: String,
}

#[handler]
pub async fn customer_search(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<PickerQuery>,
) -> Result<Response, AppError> {
    let text = if q.q.is_empty() { &q.customer_q } else { &q.q };
    let matches = state.services.find_customers(&tc.caller, text).await?;
    Ok(views::tickets::customer_matches(&ctx, &matches).into_response())
}

#[handler]
pub async fn create_for_customer(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    form: LimitedMultipart,
) -> Result<Response, AppError> {
    state.services.may_file_for_customers(&tc.caller)?;
    let (upload, refused) = match read_upload(&state, form).await? {
        Ok(u) => (u, None),
        Err((errors, partial)) => (partial, Some(errors)),
    };
    let mut v = NewForCustomerForm {
        customer_q: upload.field("customer_q").to_owned(),
        customer_id: upload.field("customer_id").to_owned(),
        new_name: upload.field("new_name").to_owned(),
        new_email: upload.field("new_email").to_owned(),
        new_phone: upload.field("new_phone").to_owned(),
        priority: upload.field("priority").to_owned(),
        topic: upload.field("topic").to_owned(),
        subject: upload.field("subject").to_owned(),
        body: upload.field("body").to_owned(),
    };
    if let Some(errors) = refused {
        return render_for_customer(&tc, &ctx, &state, &v, &errors).await;
    }
    let unused: Vec<[u8; 32]> = upload.files.iter().map(|f| f.hash).collect();
    // "Find" re-renders the form with matches; nothing is created.
    if !upload.field("find").is_empty() {
        state.services.forget_unused_blobs(unused).await;
        return render_for_customer(&tc, &ctx, &state, &v, &FormErrors::new()).await;
    }
    let customer = match parse_id(&v.customer_id) {
        Some(id) => Ok(AccountId(id)),
        None if !v.new_email.trim().is_empty() || !v.new_name.trim().is_empty() => state
            .services
            .add_customer(&tc.caller, &v.new_name, &v.new_email, &v.new_phone)
            .await
            .map(|a| a.id),
        None => Err(ServiceError::invalid("customer", "required")),
    };
    let customer = match customer {
        Ok(c) => c,
        Err(e) => {
            state.services.forget_unused_blobs(unused).await;
            return render_for_customer(&tc, &ctx, &state, &v, &errors_of(e)?).await;
        }
    };
    v.customer_id = customer.0.to_string();
    let input = NewTicket {
        subject: v.subject.clone(),
        body: v.body.clone(),
        topic: parse_id(&v.topic).map(TopicId),
        customer: Some(customer),
        priority: parse_id(&v.priority).map(PriorityId),
        attachments: upload.files.clone(),
    };
    match state.services.create_ticket(&tc.caller, input).await {
        Ok(ticket) => Ok(see_other(&with_done(
            &format!("{}/tickets/{}", base(&tc), ticket.number),
            "ticket_created",
        ))),
        Err(e) => {
            state.services.forget_unused_blobs(unused).await;
            render_for_customer(&tc, &ctx, &state, &v, &errors_of(e)?).await
        }
    }
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

/// One submitted ticket action: what to do, how to confirm it, and what to show again
/// (and in which form) if it is refused.
struct Attempt<'a> {
    number: u64,
    command: Command,
    done: &'a str,
    drafts: TicketDrafts,
    form_name: &'a str,
}

/// Runs a command and answers like every form: redirect on success, the page with the
/// message (and the typed text kept) on refusal.
async fn run(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    a: Attempt<'_>,
) -> Result<Response, AppError> {
    let purging = matches!(a.command, Command::Purge);
    let number = a.number;
    match state.services.act(&tc.caller, number, a.command).await {
        Ok(_) if purging => Ok(see_other(&with_done(
            &format!("{}/tickets?status=trash", base(tc)),
            a.done,
        ))),
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/tickets/{number}", base(tc)),
            a.done,
        ))),
        Err(e) => {
            let errors = errors_of(e)?.for_form(a.form_name);
            render_ticket(tc, ctx, state, number, &errors, None, &a.drafts).await
        }
    }
}

async fn reply_or_note(
    tc: TenantCaller,
    ctx: PageCtx,
    state: &AppState,
    number: u64,
    form: LimitedMultipart,
    internal: bool,
) -> Result<Response, AppError> {
    let form_name = if internal { "note" } else { "reply" };
    let upload = match read_upload(state, form).await? {
        Ok(u) => u,
        Err((errors, partial)) => {
            let mut drafts = TicketDrafts::default();
            let typed = partial.field("body").to_owned();
            if internal {
                drafts.note.body = typed;
            } else {
                drafts.reply.body = typed;
            }
            let errors = errors.for_form(form_name);
            return render_ticket(&tc, &ctx, state, number, &errors, None, &drafts).await;
        }
    };
    let body = upload.field("body").to_owned();
    let mut drafts = TicketDrafts::default();
    if internal {
        drafts.note.body = body.clone();
    } else {
        drafts.reply.body = body.clone();
    }
    let files: Vec<[u8; 32]> = upload.files.iter().map(|f| f.hash).collect();
    let command = Command::Reply {
        body,
        internal,
        attachments: upload.files,
    };
    let done = if internal { "noted" } else { "replied" };
    let response = run(
        &tc,
        &ctx,
        state,
        Attempt {
            number,
            command,
            done,
            drafts,
            form_name,
        },
    )
    .await;
    if response
        .as_ref()
        .map(|r| r.status() != StatusCode::SEE_OTHER)
        .unwrap_or(true)
    {
        state.services.forget_unused_blobs(files).await;
    }
    response
}

#[handler]
pub async fn reply(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    form: LimitedMultipart,
) -> Result<Response, AppError> {
    reply_or_note(tc, ctx, &state, number, form, false).await
}

#[handler]
pub async fn note(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    form: LimitedMultipart,
) -> Result<Response, AppError> {
    reply_or_note(tc, ctx, &state, number, form, true).await
}

#[handler]
pub async fn accept(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<AcceptForm>,
) -> Result<Response, AppError> {
    let Some(priority) = parse_id(&f.priority) else {
        let errors =
            FormErrors::from_error(FieldError::new("priority", "required")).for_form("accept");
        return render_ticket(
            &tc,
            &ctx,
            &state,
            number,
            &errors,
            None,
            &TicketDrafts {
                accept: f,
                ..TicketDrafts::default()
            },
        )
        .await;
    };
    let command = Command::Accept {
        priority: PriorityId(priority),
        assignee: parse_id(&f.assignee).map(AccountId),
    };
    let drafts = TicketDrafts {
        accept: f,
        ..TicketDrafts::default()
    };
    run(
        &tc,
        &ctx,
        &state,
        Attempt {
            number,
            command,
            done: "accepted",
            drafts,
            form_name: "accept",
        },
    )
    .await
}

#[handler]
pub async fn assign(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    let Some(to) = parse_id(&f.assignee) else {
        let errors =
            FormErrors::from_error(FieldError::new("assignee", "required")).for_form("assign");
        return render_ticket(
            &tc,
            &ctx,
            &state,
            number,
            &errors,
            None,
            &TicketDrafts {
                assign: f,
                ..TicketDrafts::default()
            },
        )
        .await;
    };
    let command = Command::Assign {
        to: AccountId(to),
        note: f.note.clone(),
    };
    let drafts = TicketDrafts {
        assign: f,
        ..TicketDrafts::default()
    };
    run(
        &tc,
        &ctx,
        &state,
        Attempt {
            number,
            command,
            done: "assigned",
            drafts,
            form_name: "assign",
        },
    )
    .await
}

#[handler]
pub async fn set_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<ChoiceForm>,
) -> Result<Response, AppError> {
    let Some(p) = parse_id(&f.value) else {
        let errors =
            FormErrors::from_error(FieldError::new("priority", "required")).for_form("priority");
        return render_ticket(
            &tc,
            &ctx,
            &state,
            number,
            &errors,
            None,
            &TicketDrafts::default(),
        )
        .await;
    };
    let command = Command::SetPriority(PriorityId(p));
    run(
        &tc,
        &ctx,
        &state,
        Attempt {
            number,
            command,
            done: "priority_changed",
            drafts: TicketDrafts::default(),
            form_name: "priority",
        },
    )
    .await
}

#[handler]
pub async fn set_topic(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<ChoiceForm>,
) -> Result<Response, AppError> {
    let topic = parse_id(&f.value).map(TopicId);
    let command = Command::SetTopic(topic);
    run(
        &tc,
        &ctx,
        &state,
        Attempt {
            number,
            command,
            done: "topic_changed",
            drafts: TicketDrafts::default(),
            form_name: "topic",
        },
    )
    .await
}

#[handler]
pub async fn resolve(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, AppError> {
    let command = Command::Resolve {
        solution: f.solution.clone(),
    };
    let drafts = TicketDrafts {
        resolve: f,
        ..TicketDrafts::default()
    };
    run(
        &tc,
        &ctx,
        &state,
        Attempt {
            number,
            command,
            done: "resolved",
            drafts,
            form_name: "resolve",
        },
    )
    .await
}

macro_rules! simple_action {
    ($name:ident, $command:expr, $done:literal) => {
        #[handler]
        pub async fn $name(
            tc: TenantCaller,
            ctx: PageCtx,
            state: Data<&AppState>,
            Path((_, number)): Path<(String, u64)>,
        ) -> Result<Response, AppError> {
            let attempt = Attempt {
                number,
                command: $command,
                done: $done,
                drafts: TicketDrafts::default(),
                form_name: stringify!($name),
            };
            run(&tc, &ctx, &state, attempt).await
        }
    };
}

simple_action!(close, Command::Close, "closed");
simple_action!(reopen, Command::Reopen, "reopened");
simple_action!(delete, Command::Delete, "deleted_ticket");
simple_action!(restore, Command::Restore, "restored");
simple_action!(purge, Command::Purge, "purged");

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
        .map_err(|e| match e {
            crate::blobs::BlobError::NotFound => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        })?;
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
