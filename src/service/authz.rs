//! Every permission decision of Supportbox is made here or in a pure domain predicate: a
//! service function narrows its caller to the capability it needs before doing anything, and
//! the functions behind it take that capability, so they cannot be reached without it. A role
//! that may not use a page gets "not found", so the page's existence does not leak
//! (docs/security.md, "Authorisation").

use super::{ServiceError, ServiceResult};
use crate::domain::caller::{Caller, Identity, Operator, Staff, TenantAdmin};

pub fn staff(caller: &Caller) -> ServiceResult<Staff<'_>> {
    caller.as_staff().ok_or(ServiceError::NotFound)
}

pub fn tenant_admin(caller: &Caller) -> ServiceResult<TenantAdmin<'_>> {
    caller.as_tenant_admin().ok_or(ServiceError::NotFound)
}

pub fn operator(who: &Identity) -> ServiceResult<Operator<'_>> {
    who.as_operator().ok_or(ServiceError::NotFound)
}

/// Where a tenant's settings open: admins at the people (`users`), supporters at the
/// `topics` they keep tidy; customers have no settings.
pub fn settings_entry(caller: &Caller) -> ServiceResult<&'static str> {
    if caller.as_tenant_admin().is_some() {
        Ok("users")
    } else {
        staff(caller).map(|_| "topics")
    }
}
