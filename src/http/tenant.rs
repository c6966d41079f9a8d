//! The tenant start page.

use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use super::session::TenantCaller;
use crate::app::AppState;
use crate::error::AppError;
use crate::views::{self, PageCtx};

#[handler]
pub async fn home(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
) -> Result<Response, AppError> {
    let summary = state.services.home_summary(&tc.caller).await?;
    Ok(views::tenant::home(
        &ctx,
        &tc.tenant,
        tc.caller.role,
        summary.counts.as_ref(),
        summary.open_requests,
    )
    .into_response())
}
