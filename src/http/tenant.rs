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
    let counts = if tc.caller.role.is_staff() {
        Some(state.services.tab_counts(&tc.caller).await?)
    } else {
        None
    };
    let open_own = state.services.open_request_count(&tc.caller).await?;
    Ok(
        views::tenant::home(&ctx, &tc.tenant, tc.caller.role, counts.as_ref(), open_own)
            .into_response(),
    )
}
