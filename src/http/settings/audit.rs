//! The tenant's audit log.

use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::base;
use crate::app::AppState;
use crate::domain::audit::AuditKind;
use crate::error::AppError;
use crate::http::session::TenantCaller;
use crate::service::audit::AuditPage;
use crate::views::data::AuditRow;
use crate::views::{self, PageCtx};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    pub kind: String,
    pub before: Option<u64>,
}

/// The audit page of the tenant or (under `/admin/audit`) of the instance.
pub fn audit_page(
    ctx: &PageCtx,
    state: &AppState,
    base_path: &str,
    kind: Option<AuditKind>,
    page: AuditPage,
) -> Response {
    let events: Vec<AuditRow> = page
        .events
        .into_iter()
        .map(|(event, actor_name)| AuditRow { event, actor_name })
        .collect();
    views::settings::audit(
        ctx,
        &views::settings::AuditView {
            now: state.services.now(),
            base_path,
            events: &events,
            kinds: &AuditKind::ALL,
            selected_kind: kind,
            next_before: page.next_before,
            done: None,
        },
    )
    .into_response()
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
    Ok(audit_page(
        &ctx,
        &state,
        &format!("{}/audit", base(&tc)),
        kind,
        page,
    ))
}
