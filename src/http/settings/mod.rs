//! Tenant administration under `/t/{slug}/settings/`, one file per area: users (and who is
//! signed in now), the catalog of priorities and topics, and the audit log.

pub mod audit;
pub mod catalog;
pub mod users;

use poem::{Response, handler};

use super::respond::see_other;
use super::session::TenantCaller;
use crate::error::AppError;

fn base(tc: &TenantCaller) -> String {
    format!("/t/{}/settings", tc.tenant.slug)
}

/// `/t/{slug}/settings/`: admins start at users, supporters at topics.
#[handler]
pub fn index(tc: TenantCaller) -> Result<Response, AppError> {
    let target = crate::service::authz::settings_entry(&tc.caller)?;
    Ok(see_other(&format!("{}/{target}", base(&tc))))
}
