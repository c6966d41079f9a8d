//! The tenant's audit log.

use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::base;
use crate::app::AppState;
use crate::domain::audit::AuditKind;
use crate::error::AppError;
use crate::http::session::TenantCaller;
use crate::views::data::AuditRow;
use crate::views::{self, PageCtx};

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
        &views::settings::AuditView {
            now: state.services.now(),
            base_path: &format!("{}/audit", base(&tc)),
            events: &audit_rows(page.events),
            kinds: &AuditKind::ALL,
            selected_kind: kind,
            next_before: page.next_before,
            done: None,
        },
    )
    .into_response())
}
