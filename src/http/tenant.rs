//! The tenant start page.

use poem::{IntoResponse, Response, handler};

use super::session::TenantCaller;
use crate::views::{self, PageCtx};

#[handler]
pub fn home(tc: TenantCaller, ctx: PageCtx) -> Response {
    views::tenant::home(&ctx, &tc.tenant, tc.caller.role).into_response()
}
