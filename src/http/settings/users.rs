//! Users of the tenant: invitations, roles, disabling, sessions, and who is online.

use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::base;
use crate::app::AppState;
use crate::domain::ids::AccountId;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::http::account::DoneQuery;
use crate::http::respond::{
    changed_or_not, form_errors, form_status, saved_or_again, see_other, with_done,
};
use crate::http::session::{TenantCaller, client_addr};
use crate::service::users::list::{MemberFilter, MemberSort};
use crate::service::users::{Member, MemberDetails};
use crate::views::data::{
    CreateUserForm, InviteForm, MemberDetailsForm, OnlineRow, PendingInvitation, UserRow,
};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

fn row(m: Member) -> UserRow {
    UserRow {
        account: m.account,
        membership: m.membership,
        online: m.online,
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct UsersQuery {
    q: String,
    role: String,
    state: String,
    sort: String,
    after: Option<u64>,
    done: Option<String>,
}

impl UsersQuery {
    fn filter(&self) -> MemberFilter {
        MemberFilter {
            query: self.q.clone(),
            // An empty or unknown choice shows everybody, as the empty entry of the select says.
            role: Role::parse(self.role.trim()),
            disabled: match self.state.as_str() {
                "enabled" => Some(false),
                "disabled" => Some(true),
                _ => None,
            },
            sort: MemberSort::parse(&self.sort),
            after: self.after.map(AccountId),
        }
    }
}

/// Everything the users page shows besides the member list.
#[derive(Default)]
struct UsersPage<'a> {
    filter: MemberFilter,
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
    let found = state.services.member_page(&tc.caller, &page.filter).await?;
    let rows: Vec<UserRow> = found.members.into_iter().map(row).collect();
    let list = views::settings::UsersList {
        query: &page.filter.query,
        role: page.filter.role.map(Role::code).unwrap_or_default(),
        state: match page.filter.disabled {
            Some(true) => "disabled",
            Some(false) => "enabled",
            None => "",
        },
        sort: page.filter.sort.code(),
        next: found.next.map(|a| a.0),
        total: found.total,
        continued: page.filter.after.is_some(),
    };
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
    let status = form_status(&page.errors);
    Ok(views::settings::users(
        ctx,
        &views::settings::UsersView {
            rows: &rows,
            invitations: &invitations,
            list: &list,
            invite: &page.invite,
            create: &page.create,
            errors: &page.errors,
            invite_link: page.invite_link.as_deref(),
            done: page.done,
        },
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
            filter: q.filter(),
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
            let link = format!("{}/invite/{secret}", state.public_url);
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
                    errors: errors.for_form("invite"),
                    ..UsersPage::default()
                },
            )
            .await
        }
    }
}

#[handler]
pub async fn create_user(
    req: &Request,
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<CreateUserForm>,
) -> Result<Response, AppError> {
    let result = state
        .services
        .create_member(
            &tc.caller,
            &form.name,
            &form.email,
            &form.role,
            &form.initial_password,
            &client_addr(req),
        )
        .await;
    let (tc, ctx, state, form) = (&tc, &ctx, &*state, &form);
    let path = format!("{}/users", base(tc));
    saved_or_again(result, &path, "user_created", |errors| async move {
        let page = UsersPage {
            create: form.clone(),
            errors: errors.for_form("create"),
            ..UsersPage::default()
        };
        render_users(tc, ctx, state, page).await
    })
    .await
}

/// What a member's page shows besides the member: a link just issued, a refused edit.
#[derive(Default)]
struct DetailPage<'a> {
    reset_link: Option<&'a str>,
    details: Option<MemberDetailsForm>,
    details_errors: FormErrors,
    done: Option<&'a str>,
}

async fn render_detail(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    id: u64,
    page: DetailPage<'_>,
) -> Result<Response, AppError> {
    let (member, sessions) = state.services.member(&tc.caller, AccountId(id)).await?;
    let editable = state
        .services
        .member_details_editable(&tc.caller, AccountId(id))
        .await?;
    let details = page.details.unwrap_or_else(|| MemberDetailsForm {
        name: member.account.name.clone(),
        email: member.account.email.clone(),
        phone: member.account.phone.clone(),
    });
    let status = form_status(&page.details_errors);
    let view = views::settings::UserDetail {
        now: state.services.now(),
        row: &row(member),
        sessions: &sessions,
        reset_link: page.reset_link,
        editable,
        details: &details,
        details_errors: &page.details_errors,
        done: page.done,
    };
    Ok(views::settings::user_detail(ctx, &view)
        .with_status(status)
        .into_response())
}

#[handler]
pub async fn user_detail(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let page = DetailPage {
        done: q.key(),
        ..DetailPage::default()
    };
    render_detail(&tc, &ctx, &state, id, page).await
}

/// `POST …/users/:id/reset`: a one-time password reset link for the member, shown once on
/// their page (it must not travel in a redirect's URL).
#[handler]
pub async fn issue_reset(
    req: &Request,
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    let issued = state
        .services
        .issue_member_reset(&tc.caller, AccountId(id), &client_addr(req))
        .await;
    let secret = match issued {
        Ok(secret) => secret,
        Err(e) => {
            form_errors(e)?;
            return Ok(see_other(&with_done(
                &format!("{}/users/{id}", base(&tc)),
                "reset_not_possible",
            )));
        }
    };
    let link = format!("{}/reset/{secret}", state.public_url);
    let page = DetailPage {
        reset_link: Some(&link),
        done: Some("reset_issued"),
        ..DetailPage::default()
    };
    render_detail(&tc, &ctx, &state, id, page).await
}

/// `POST …/users/:id/edit`: name, address and phone of a member who belongs to this
/// organisation only.
#[handler]
pub async fn edit_user(
    req: &Request,
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
    Form(form): Form<MemberDetailsForm>,
) -> Result<Response, AppError> {
    let details = MemberDetails {
        name: form.name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
    };
    match state
        .services
        .edit_member(&tc.caller, AccountId(id), &details, &client_addr(req))
        .await
    {
        Ok(()) => Ok(see_other(&with_done(
            &format!("{}/users/{id}", base(&tc)),
            "user_edited",
        ))),
        Err(e) => {
            let page = DetailPage {
                details_errors: form_errors(e)?,
                details: Some(form),
                ..DetailPage::default()
            };
            render_detail(&tc, &ctx, &state, id, page).await
        }
    }
}

/// `POST …/users/:id/remove`: the member leaves the organisation; their tickets stay.
#[handler]
pub async fn remove_user(
    req: &Request,
    tc: TenantCaller,
    state: Data<&AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Result<Response, AppError> {
    match state
        .services
        .remove_member(&tc.caller, AccountId(id), &client_addr(req))
        .await
    {
        Ok(()) => Ok(see_other(&with_done(
            &format!("{}/users", base(&tc)),
            "user_removed",
        ))),
        Err(e) => {
            form_errors(e)?;
            Ok(see_other(&with_done(
                &format!("{}/users/{id}", base(&tc)),
                "not_changed",
            )))
        }
    }
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
    let result = state
        .services
        .set_role(&tc.caller, AccountId(id), &form.role, &client_addr(req))
        .await;
    changed_or_not(result, &format!("{}/users/{id}", base(&tc)), "role_changed")
}

async fn set_disabled(
    req: &Request,
    tc: &TenantCaller,
    state: &AppState,
    id: u64,
    disabled: bool,
) -> Result<Response, AppError> {
    let key = if disabled {
        "user_disabled"
    } else {
        "user_enabled"
    };
    let result = state
        .services
        .set_disabled(&tc.caller, AccountId(id), disabled, &client_addr(req))
        .await;
    changed_or_not(result, &format!("{}/users/{id}", base(tc)), key)
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
