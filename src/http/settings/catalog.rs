//! The priorities and topics tickets are sorted by.

use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Response, handler};

use super::base;
use crate::app::AppState;
use crate::domain::ids::{PriorityId, TopicId};
use crate::error::AppError;
use crate::http::account::DoneQuery;
use crate::http::respond::{form_errors, form_status, see_other, with_done};
use crate::http::session::TenantCaller;
use crate::service::catalog::{PriorityInput, TopicInput};
use crate::views::data::{PriorityForm, TopicForm};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

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
    match state
        .services
        .create_priority(&tc.caller, &priority_input(&form))
        .await
    {
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/priorities", base(&tc)),
            "saved",
        ))),
        Err(e) => render_priorities(&tc, &ctx, &state, &form, &form_errors(e)?, None).await,
    }
}

#[handler]
pub async fn update_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Form(form): Form<PriorityForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .update_priority(&tc.caller, PriorityId(id), &priority_input(&form))
        .await
    {
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/priorities", base(&tc)),
            "saved",
        ))),
        Err(e) => {
            render_priorities(
                &tc,
                &ctx,
                &state,
                &form,
                &form_errors(e)?.for_form(id.to_string()),
                None,
            )
            .await
        }
    }
}

#[handler]
pub async fn delete_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    match state
        .services
        .delete_priority(&tc.caller, PriorityId(id))
        .await
    {
        Ok(()) => Ok(see_other(&with_done(
            &format!("{}/priorities", base(&tc)),
            "deleted",
        ))),
        Err(e) => {
            render_priorities(
                &tc,
                &ctx,
                &state,
                &PriorityForm::default(),
                &form_errors(e)?.for_form(id.to_string()),
                None,
            )
            .await
        }
    }
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
    match state
        .services
        .create_topic(&tc.caller, &topic_input(&form))
        .await
    {
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/topics", base(&tc)),
            "saved",
        ))),
        Err(e) => render_topics(&tc, &ctx, &state, &form, &form_errors(e)?, None).await,
    }
}

#[handler]
pub async fn update_topic(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Form(form): Form<TopicForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .update_topic(&tc.caller, TopicId(id), &topic_input(&form))
        .await
    {
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/topics", base(&tc)),
            "saved",
        ))),
        Err(e) => {
            render_topics(
                &tc,
                &ctx,
                &state,
                &form,
                &form_errors(e)?.for_form(id.to_string()),
                None,
            )
            .await
        }
    }
}

#[handler]
pub async fn delete_topic(
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    state.services.delete_topic(&tc.caller, TopicId(id)).await?;
    Ok(see_other(&with_done(
        &format!("{}/topics", base(&tc)),
        "deleted",
    )))
}
