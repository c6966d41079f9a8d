//! Tenant administration under `/t/{slug}/settings/`, one file per area: users (and who is
//! signed in now), the catalog of priorities and topics, and the audit log.

pub mod audit;
pub mod catalog;
pub mod users;

use poem::{Response, handler};

use super::respond::see_other;
use super::session::TenantCaller;
use crate::domain::role::Role;
use crate::error::AppError;

fn base(tc: &TenantCaller) -> String {
    format!("/t/{}/settings", tc.tenant.slug)
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
