//! Opening a ticket: a customer reports a problem, or a supporter files one for a caller.

use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};

use super::{errors_of, parse_id, read_upload, ticket_base};
use crate::app::AppState;
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::error::AppError;
use crate::http::respond::{form_status, see_other, with_done};
use crate::http::session::TenantCaller;
use crate::http::uploads::LimitedMultipart;
use crate::service::ServiceError;
use crate::service::tickets::NewTicket;
use crate::views::forms::FormErrors;
use crate::views::tickets::data::{NewForCustomerForm, NewTicketForm};
use crate::views::{self, PageCtx};

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
            .with_status(form_status(&errors))
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
            &format!("{}/tickets/{}", ticket_base(&tc), ticket.number),
            "ticket_created",
        ))),
        Err(e) => {
            state
                .services
                .forget_unused_blobs(upload.files.iter().map(|f| f.hash).collect())
                .await;
            let errors = errors_of(e)?;
            Ok(views::tickets::new_ticket(&ctx, &v, &topics, &errors, None)
                .with_status(form_status(&errors))
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
            &format!("{}/tickets/{}", ticket_base(&tc), ticket.number),
            "ticket_created",
        ))),
        Err(e) => {
            state.services.forget_unused_blobs(unused).await;
            render_for_customer(&tc, &ctx, &state, &v, &errors_of(e)?).await
        }
    }
}
