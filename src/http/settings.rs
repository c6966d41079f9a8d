//! Tenant administration under `/t/{slug}/settings/`: users, priorities, topics, the audit
//! log and who is signed in now.

use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::account::DoneQuery;
use super::respond::{form_errors, see_other, with_done};
use super::session::{TenantCaller, client_addr};
use crate::app::AppState;
use crate::domain::audit::AuditKind;
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::service::catalog::{PriorityInput, TopicInput};
use crate::service::users::Member;
use crate::views::data::{
    AuditRow, CreateUserForm, InviteForm, OnlineRow, PendingInvitation, PriorityForm, TopicForm,
    UserRow,
};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

fn base(tc: &TenantCaller) -> String {
    format!("/t/{}/settings", tc.tenant.slug)
}

fn row(m: Member) -> UserRow {
    UserRow {
        account: m.account,
        membership: m.membership,
        online: m.online,
    }
}

/// `/t/{slug}/settings/`: admins start at users, supporters at topics.
#[handler]
pub fn index(tc: TenantCaller) -> Result<Response, AppError> {
    tc.require(Role::Supporter)?;
    let target = if tc.caller.role.can_manage_users() {
        "users"
    } else {
        "topics"
    };
    Ok(see_other(&format!("{}/{target}", base(&tc))))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct UsersQuery {
    q: String,
    done: Option<String>,
}

/// Everything the users page shows besides the member list.
#[derive(Default)]
struct UsersPage<'a> {
    query: &'a str,
    invite: InviteForm,
    create: CreateUserForm,
    errors: FormErrors,
    invite_link: Option<String>,
    done: Option<&'a str>,
}

async fn render_users(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    page: UsersPage<'_>,
) -> Result<Response, AppError> {
    let rows: Vec<UserRow> = state
        .services
        .list_members(&tc.caller, page.query)
        .await?
        .into_iter()
        .map(row)
        .collect();
    let invitations: Vec<PendingInvitation> = state
        .services
        .pending_invitations(&tc.caller)
        .await?
        .into_iter()
        .map(|(inv, invited_by)| PendingInvitation {
            id: hex::encode(inv.token_hash),
            email: inv.email,
            role: inv.role,
            invited_by,
            created_at: inv.created_at,
            expires_at: inv.expires_at,
        })
        .collect();
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(views::settings::users(
        ctx,
        &rows,
        &invitations,
        page.query,
        &page.invite,
        &page.create,
        &page.errors,
        page.invite_link.as_deref(),
        page.done,
    )
    .with_status(status)
    .into_response())
}

#[handler]
pub async fn users(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<UsersQuery>,
) -> Result<Response, AppError> {
    let done = DoneQuery {
        done: q.done.clone(),
    };
    render_users(
        &tc,
        &ctx,
        &state,
        UsersPage {
            query: &q.q,
            done: done.key(),
            ..UsersPage::default()
        },
    )
    .await
}

#[handler]
pub async fn invite(
    req: &Request,
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .invite(&tc.caller, &form.email, &form.role, &client_addr(req))
        .await
    {
        Ok(secret) => {
            let link = format!("{}/invite/{secret}", origin(req));
            render_users(
                &tc,
                &ctx,
                &state,
                UsersPage {
                    invite_link: Some(link.clone()),
                    done: Some("user_invited"),
                    ..UsersPage::default()
                },
            )
            .await
        }
        Err(e) => {
            let errors = form_errors(e)?;
            render_users(
                &tc,
                &ctx,
                &state,
                UsersPage {
                    invite: form.clone(),
                    errors: errors.clone().for_form("invite"),
                    ..UsersPage::default()
                },
            )
            .await
        }
    }
}

/// The scheme and host the person used, for links they will copy.
fn origin(req: &Request) -> String {
    // HTTP/2 carries the host in the :authority pseudo-header (the URI), not in Host.
    let authority = req
        .original_uri()
        .authority()
        .map(|a| a.as_str().to_owned());
    let header = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let host = authority
        .or(header)
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or_else(|| "localhost".to_owned());
    format!("https://{host}")
}

#[handler]
pub async fn create_user(
    req: &Request,
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<CreateUserForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .create_member(
            &tc.caller,
            &form.name,
            &form.email,
            &form.role,
            &form.initial_password,
            &client_addr(req),
        )
        .await
    {
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/users", base(&tc)),
            "user_created",
        ))),
        Err(e) => {
            let errors = form_errors(e)?;
            render_users(
                &tc,
                &ctx,
                &state,
                UsersPage {
                    create: form.clone(),
                    errors: errors.clone().for_form("create"),
                    ..UsersPage::default()
                },
            )
            .await
        }
    }
}

#[handler]
pub async fn user_detail(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (member, sessions) = state.services.member(&tc.caller, AccountId(id)).await?;
    Ok(
        views::settings::user_detail(&ctx, state.services.now(), &row(member), &sessions, q.key())
            .into_response(),
    )
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

#[handler]
pub async fn set_role(
    req: &Request,
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let target = format!("{}/users/{id}", base(&tc));
    match state
        .services
        .set_role(&tc.caller, AccountId(id), &form.role, &client_addr(req))
        .await
    {
        Ok(()) => Ok(see_other(&with_done(&target, "role_changed"))),
        Err(e) => {
            form_errors(e)?;
            Ok(see_other(&with_done(&target, "not_changed")))
        }
    }
}

async fn set_disabled(
    req: &Request,
    tc: &TenantCaller,
    state: &AppState,
    id: u64,
    disabled: bool,
) -> Result<Response, AppError> {
    let target = format!("{}/users/{id}", base(tc));
    let key = if disabled {
        "user_disabled"
    } else {
        "user_enabled"
    };
    match state
        .services
        .set_disabled(&tc.caller, AccountId(id), disabled, &client_addr(req))
        .await
    {
        Ok(()) => Ok(see_other(&with_done(&target, key))),
        Err(e) => {
            form_errors(e)?;
            Ok(see_other(&with_done(&target, "not_changed")))
        }
    }
}

#[handler]
pub async fn disable_user(
    req: &Request,
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    set_disabled(req, &tc, &state, id, true).await
}

#[handler]
pub async fn enable_user(
    req: &Request,
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    set_disabled(req, &tc, &state, id, false).await
}

/// `POST /t/{slug}/settings/invitations/{id}/withdraw`
#[handler]
pub async fn withdraw_invitation(
    req: &Request,
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    state
        .services
        .withdraw_invitation(&tc.caller, &id, &client_addr(req))
        .await?;
    Ok(see_other(&with_done(
        &format!("{}/users", base(&tc)),
        "invitation_withdrawn",
    )))
}

#[handler]
pub async fn end_sessions(
    req: &Request,
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    state
        .services
        .end_member_sessions(&tc.caller, AccountId(id), &client_addr(req))
        .await?;
    Ok(see_other(&with_done(
        &format!("{}/users/{id}", base(&tc)),
        "sessions_ended",
    )))
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
    if !tc.caller.role.can_manage_priorities() {
        return Err(AppError::NotFound);
    }
    let list = state.services.priorities(&tc.caller).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
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

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    pub kind: String,
    pub before: Option<u64>,
}

pub fn audit_rows(
    events: Vec<(crate::domain::audit::AuditEvent, Option<String>)>,
) -> Vec<AuditRow> {
    events
        .into_iter()
        .map(|(event, actor_name)| AuditRow { event, actor_name })
        .collect()
}

#[handler]
pub async fn audit(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let kind = AuditKind::parse(&q.kind);
    let page = state
        .services
        .tenant_audit(&tc.caller, kind, q.before)
        .await?;
    Ok(views::settings::audit(
        &ctx,
        state.services.now(),
        &format!("{}/audit", base(&tc)),
        &audit_rows(page.events),
        &AuditKind::ALL,
        kind,
        page.next_before,
        None,
    )
    .into_response())
}

#[handler]
pub async fn online(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
) -> Result<Response, AppError> {
    let people: Vec<OnlineRow> = state
        .services
        .online_members(&tc.caller)
        .await?
        .into_iter()
        .map(|(account, role, last_seen)| OnlineRow {
            name: account.name,
            email: account.email,
            role,
            last_seen,
        })
        .collect();
    Ok(
        views::settings::online(&ctx, state.services.now(), &people, tc.tenant.licence_limit)
            .into_response(),
    )
}
