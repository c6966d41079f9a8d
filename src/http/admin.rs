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
use crate::views::data::{SettingsForm, TenantForm, TenantRow};
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
        Ok(_) => Ok(see_other("/admin/?done=tenant_created")),
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
    let summary = state
        .services
        .tenant_summary(&op.identity(), TenantId(id))
        .await?;
    let form = TenantForm::from(&summary.tenant);
    Ok(
        views::admin::tenant_detail(&ctx, &row(summary), &form, &FormErrors::new(), q.key())
            .into_response(),
    )
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
            let errors = form_errors(e)?;
            let summary = state.services.tenant_summary(&who, TenantId(id)).await?;
            Ok(
                views::admin::tenant_detail(&ctx, &row(summary), &form, &errors, None)
                    .with_status(form_status(&errors))
                    .into_response(),
            )
        }
    }
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
