//! The operator area `/admin/`: tenants, instance settings, the instance audit log.

use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};

use super::account::DoneQuery;
use super::respond::{form_errors, form_status, see_other, with_done};
use super::session::{SignedInIdentity, client_addr};
use super::settings::audit::{AuditQuery, audit_page};
use crate::app::AppState;
use crate::domain::audit::AuditKind;
use crate::domain::ids::TenantId;
use crate::error::AppError;
use crate::service::admin::{TenantInput, TenantSummary};
use crate::service::admin_members::AdminAdded;
use crate::views::data::{AdminForm, MemberRow, SettingsForm, TenantForm, TenantRow};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

fn row(s: TenantSummary) -> TenantRow {
    TenantRow {
        tenant: s.tenant,
        members: s.members,
        online: s.online,
    }
}

fn input(f: &TenantForm) -> TenantInput {
    TenantInput {
        name: f.name.clone(),
        slug: f.slug.clone(),
        licence_limit: f.licence_limit.clone(),
        admin_email: f.admin_email.clone(),
    }
}

/// What the tenant page shows as it was submitted or just happened.
#[derive(Default)]
struct DetailExtras<'a> {
    /// The tenant form as submitted, when it was refused.
    form: Option<TenantForm>,
    errors: FormErrors,
    admin: AdminForm,
    admin_errors: FormErrors,
    /// An invitation just created for a new admin: (address, link).
    invited: Option<(String, String)>,
    /// A password reset link just issued for a member: (address, link).
    reset: Option<(String, String)>,
    done: Option<&'a str>,
}

async fn render_detail(
    op: &SignedInIdentity,
    ctx: &PageCtx,
    state: &AppState,
    id: TenantId,
    extras: DetailExtras<'_>,
) -> Result<Response, AppError> {
    let who = op.identity();
    let summary = state.services.tenant_summary(&who, id).await?;
    let members: Vec<MemberRow> = state
        .services
        .tenant_members(&who, id)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.account.id.0,
            name: m.account.name,
            email: m.account.email,
            role: m.membership.role,
            disabled: m.membership.disabled,
        })
        .collect();
    let tenant_form = extras
        .form
        .unwrap_or_else(|| TenantForm::from(&summary.tenant));
    let status = form_status(&extras.errors).max(form_status(&extras.admin_errors));
    let view = views::admin::TenantDetail {
        row: &row(summary),
        form: &tenant_form,
        errors: &extras.errors,
        members: &members,
        admin: &extras.admin,
        admin_errors: &extras.admin_errors,
        invited: extras
            .invited
            .as_ref()
            .map(|(e, l)| (e.as_str(), l.as_str())),
        reset: extras.reset.as_ref().map(|(e, l)| (e.as_str(), l.as_str())),
        done: extras.done,
    };
    Ok(views::admin::tenant_detail(ctx, &view)
        .with_status(status)
        .into_response())
}

fn invited(state: &AppState, added: &AdminAdded) -> Option<(String, String)> {
    match added {
        AdminAdded::Invited { email, secret } => Some((
            email.clone(),
            format!("{}/invite/{secret}", state.public_url),
        )),
        AdminAdded::Promoted { .. } => None,
    }
}

fn added_key(added: &AdminAdded) -> &'static str {
    match added {
        AdminAdded::Invited { .. } => "admin_invited",
        AdminAdded::Promoted { .. } => "admin_added",
    }
}

async fn render_tenants(
    op: &SignedInIdentity,
    ctx: &PageCtx,
    state: &AppState,
    form: &TenantForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let rows: Vec<TenantRow> = state
        .services
        .list_tenants(&op.identity())
        .await?
        .into_iter()
        .map(row)
        .collect();
    let status = form_status(errors);
    Ok(views::admin::tenants(ctx, &rows, form, errors, done)
        .with_status(status)
        .into_response())
}

#[handler]
pub async fn tenants(
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    render_tenants(
        &op,
        &ctx,
        &state,
        &TenantForm::default(),
        &FormErrors::new(),
        q.key(),
    )
    .await
}

#[handler]
pub async fn create_tenant(
    req: &Request,
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<TenantForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .create_tenant(&op.identity(), &input(&form), &client_addr(req))
        .await
    {
        // The new tenant's page, with the invitation link when one was made: the link is
        // shown this once and must not travel in a redirect's URL.
        Ok((tenant, added)) => {
            let extras = DetailExtras {
                invited: invited(&state, &added),
                done: Some(match added {
                    AdminAdded::Invited { .. } => "tenant_created_invited",
                    AdminAdded::Promoted { .. } => "tenant_created",
                }),
                ..DetailExtras::default()
            };
            render_detail(&op, &ctx, &state, tenant.id, extras).await
        }
        Err(e) => render_tenants(&op, &ctx, &state, &form, &form_errors(e)?, None).await,
    }
}

#[handler]
pub async fn tenant_detail(
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(id): Path<u64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let extras = DetailExtras {
        done: q.key(),
        ..DetailExtras::default()
    };
    render_detail(&op, &ctx, &state, TenantId(id), extras).await
}

#[handler]
pub async fn update_tenant(
    req: &Request,
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(id): Path<u64>,
    Form(form): Form<TenantForm>,
) -> Result<Response, AppError> {
    let who = op.identity();
    match state
        .services
        .update_tenant(&who, TenantId(id), &input(&form), &client_addr(req))
        .await
    {
        Ok(_) => Ok(see_other(&with_done(
            &format!("/admin/tenants/{id}"),
            "saved",
        ))),
        Err(e) => {
            let extras = DetailExtras {
                errors: form_errors(e)?,
                form: Some(form),
                ..DetailExtras::default()
            };
            render_detail(&op, &ctx, &state, TenantId(id), extras).await
        }
    }
}

/// `POST /admin/tenants/:id/admins`: makes an existing account an admin of the tenant, or
/// invites the address as one.
#[handler]
pub async fn add_admin(
    req: &Request,
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(id): Path<u64>,
    Form(form): Form<AdminForm>,
) -> Result<Response, AppError> {
    let result = state
        .services
        .add_tenant_admin(
            &op.identity(),
            TenantId(id),
            &form.admin_email,
            &client_addr(req),
        )
        .await;
    let extras = match result {
        Ok(added) => DetailExtras {
            invited: invited(&state, &added),
            done: Some(added_key(&added)),
            ..DetailExtras::default()
        },
        Err(e) => DetailExtras {
            admin_errors: form_errors(e)?,
            admin: form,
            ..DetailExtras::default()
        },
    };
    render_detail(&op, &ctx, &state, TenantId(id), extras).await
}

/// `POST /admin/tenants/:id/members/:account/reset`: the operator's one-time password reset
/// link for a member, shown once on the organisation's page.
#[handler]
pub async fn issue_reset(
    req: &Request,
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((id, account)): Path<(u64, u64)>,
) -> Result<Response, AppError> {
    let who = op.identity();
    let member = state
        .services
        .tenant_members(&who, TenantId(id))
        .await?
        .into_iter()
        .find(|m| m.account.id.0 == account)
        .ok_or(AppError::NotFound)?;
    let secret = state
        .services
        .issue_operator_reset(&who, member.account.id, &client_addr(req))
        .await?;
    let extras = DetailExtras {
        reset: Some((
            member.account.email,
            format!("{}/reset/{secret}", state.public_url),
        )),
        done: Some("reset_issued"),
        ..DetailExtras::default()
    };
    render_detail(&op, &ctx, &state, TenantId(id), extras).await
}

async fn suspend(
    req: &Request,
    op: &SignedInIdentity,
    state: &AppState,
    id: u64,
    suspended: bool,
) -> Result<Response, AppError> {
    state
        .services
        .set_tenant_suspended(&op.identity(), TenantId(id), suspended, &client_addr(req))
        .await?;
    let key = if suspended {
        "tenant_suspended"
    } else {
        "tenant_resumed"
    };
    Ok(see_other(&with_done(&format!("/admin/tenants/{id}"), key)))
}

#[handler]
pub async fn suspend_tenant(
    req: &Request,
    op: SignedInIdentity,
    state: Data<&AppState>,
    Path(id): Path<u64>,
) -> Result<Response, AppError> {
    suspend(req, &op, &state, id, true).await
}

#[handler]
pub async fn resume_tenant(
    req: &Request,
    op: SignedInIdentity,
    state: Data<&AppState>,
    Path(id): Path<u64>,
) -> Result<Response, AppError> {
    suspend(req, &op, &state, id, false).await
}

#[handler]
pub fn settings_page(
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let settings = state.services.instance_settings(&op.identity())?;
    Ok(views::admin::settings(
        &ctx,
        &SettingsForm::from(&settings),
        &FormErrors::new(),
        q.key(),
    )
    .into_response())
}

#[handler]
pub async fn update_settings(
    req: &Request,
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .update_instance_settings(
            &op.identity(),
            &form.instance_name,
            &form.session_idle_minutes,
            &form.session_absolute_hours,
            &client_addr(req),
        )
        .await
    {
        Ok(_) => Ok(see_other("/admin/settings?done=settings_saved")),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(views::admin::settings(&ctx, &form, &errors, None)
                .with_status(form_status(&errors))
                .into_response())
        }
    }
}

#[handler]
pub async fn audit(
    op: SignedInIdentity,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let kind = AuditKind::parse(&q.kind);
    let page = state
        .services
        .instance_audit(&op.identity(), kind, q.before)
        .await?;
    Ok(audit_page(&ctx, &state, "/admin/audit", kind, page))
}
