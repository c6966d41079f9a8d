//! Who is asking, in which tenant, with which role. Every tenant-scoped service call takes
//! a `Caller`; nothing in a tenant can be reached without one.

use super::ids::{AccountId, TenantId};
use super::role::Role;

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    ApiToken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub tenant_slug: String,
    pub account: AccountId,
    pub role: Role,
    pub via: AuthMethod,
}

impl Caller {
    /// Whether the caller's role includes `least`.
    pub fn has(&self, least: Role) -> bool {
        self.role.at_least(least)
    }
}

/// An authenticated person outside any tenant (profile, tokens, the operator area).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: AccountId,
    pub operator: bool,
    pub via: AuthMethod,
}
