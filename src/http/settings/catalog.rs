//! The priorities and topics tickets are sorted by.

use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Response, handler};

use super::base;
use crate::app::AppState;
use crate::domain::ids::{PriorityId, TopicId};
use crate::error::AppError;
use crate::http::account::DoneQuery;
use crate::http::respond::{form_status, saved_or_again, see_other, with_done};
use crate::http::session::TenantCaller;
use crate::service::catalog::{PriorityInput, TopicInput};
use crate::views::data::{PriorityForm, TopicForm};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

fn priorities_path(tc: &TenantCaller) -> String {
    format!("{}/priorities", base(tc))
}

fn topics_path(tc: &TenantCaller) -> String {
    format!("{}/topics", base(tc))
}

fn priority_input(f: &PriorityForm) -> PriorityInput {
    PriorityInput {
        name: f.name.clone(),
        colour: f.colour.clone(),
        rank: f.rank.clone(),
        response_target_minutes: f.response_target_minutes.clone(),
    }
}

async fn render_priorities(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    form: &PriorityForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let list = state.services.priority_settings(&tc.caller).await?;
    let status = form_status(errors);
    Ok(views::settings::priorities(ctx, &list, form, errors, done)
        .with_status(status)
        .into_response())
}

#[handler]
pub async fn priorities(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let form = PriorityForm {
        colour: "#1f5fbf".to_owned(),
        rank: "5".to_owned(),
        ..PriorityForm::default()
    };
    render_priorities(&tc, &ctx, &state, &form, &FormErrors::new(), q.key()).await
}

#[handler]
pub async fn create_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<PriorityForm>,
) -> Result<Response, AppError> {
    let (tc, ctx, state, form) = (&tc, &ctx, &*state, &form);
    let result = state
        .services
        .create_priority(&tc.caller, &priority_input(form))
        .await;
    saved_or_again(result, &priorities_path(tc), "saved", |errors| async move {
        render_priorities(tc, ctx, state, form, &errors, None).await
    })
    .await
}

#[handler]
pub async fn update_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Form(form): Form<PriorityForm>,
) -> Result<Response, AppError> {
    let (tc, ctx, state, form) = (&tc, &ctx, &*state, &form);
    let result = state
        .services
        .update_priority(&tc.caller, PriorityId(id), &priority_input(form))
        .await;
    saved_or_again(result, &priorities_path(tc), "saved", |errors| async move {
        let errors = errors.for_form(id.to_string());
        render_priorities(tc, ctx, state, form, &errors, None).await
    })
    .await
}

#[handler]
pub async fn delete_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    let (tc, ctx, state) = (&tc, &ctx, &*state);
    let result = state
        .services
        .delete_priority(&tc.caller, PriorityId(id))
        .await;
    saved_or_again(
        result,
        &priorities_path(tc),
        "deleted",
        |errors| async move {
            let errors = errors.for_form(id.to_string());
            render_priorities(tc, ctx, state, &PriorityForm::default(), &errors, None).await
        },
    )
    .await
}

fn topic_input(f: &TopicForm) -> TopicInput {
    TopicInput {
        name: f.name.clone(),
        description: f.description.clone(),
        active: f.active.is_some(),
    }
}

async fn render_topics(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    form: &TopicForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let list = state.services.topics(&tc.caller).await?;
    let status = form_status(errors);
    Ok(views::settings::topics(ctx, &list, form, errors, done)
        .with_status(status)
        .into_response())
}

#[handler]
pub async fn topics(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let form = TopicForm {
        active: Some("on".to_owned()),
        ..TopicForm::default()
    };
    render_topics(&tc, &ctx, &state, &form, &FormErrors::new(), q.key()).await
}

#[handler]
pub async fn create_topic(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<TopicForm>,
) -> Result<Response, AppError> {
    let (tc, ctx, state, form) = (&tc, &ctx, &*state, &form);
    let result = state
        .services
        .create_topic(&tc.caller, &topic_input(form))
        .await;
    saved_or_again(result, &topics_path(tc), "saved", |errors| async move {
        render_topics(tc, ctx, state, form, &errors, None).await
    })
    .await
}

#[handler]
pub async fn update_topic(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Form(form): Form<TopicForm>,
) -> Result<Response, AppError> {
    let (tc, ctx, state, form) = (&tc, &ctx, &*state, &form);
    let result = state
        .services
        .update_topic(&tc.caller, TopicId(id), &topic_input(form))
        .await;
    saved_or_again(result, &topics_path(tc), "saved", |errors| async move {
        let errors = errors.for_form(id.to_string());
        render_topics(tc, ctx, state, form, &errors, None).await
    })
    .await
}

#[handler]
pub async fn delete_topic(
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    state.services.delete_topic(&tc.caller, TopicId(id)).await?;
    Ok(see_other(&with_done(&topics_path(&tc), "deleted")))
}
