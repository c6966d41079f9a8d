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

/// A caller narrowed to a supporter or tenant admin. Only [`Caller::as_staff`] builds one, so
/// a function that takes `Staff` cannot be reached with a customer's caller
/// (docs/security.md, "Authorisation").
#[derive(Debug, Clone, Copy)]
pub struct Staff<'a>(&'a Caller);

/// A caller narrowed to a tenant admin; only [`Caller::as_tenant_admin`] builds one.
#[derive(Debug, Clone, Copy)]
pub struct TenantAdmin<'a>(&'a Caller);

/// The instance operator; only [`Identity::as_operator`] builds one.
#[derive(Debug, Clone, Copy)]
pub struct Operator<'a>(&'a Identity);

impl Caller {
    pub fn as_staff(&self) -> Option<Staff<'_>> {
        self.role.is_staff().then_some(Staff(self))
    }

    pub fn as_tenant_admin(&self) -> Option<TenantAdmin<'_>> {
        self.role.is_tenant_admin().then_some(TenantAdmin(self))
    }
}

impl Identity {
    pub fn as_operator(&self) -> Option<Operator<'_>> {
        self.operator.then_some(Operator(self))
    }
}

impl<'a> TenantAdmin<'a> {
    /// Every tenant admin is also staff.
    pub fn staff(self) -> Staff<'a> {
        Staff(self.0)
    }
}

impl std::ops::Deref for Staff<'_> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        self.0
    }
}

impl std::ops::Deref for TenantAdmin<'_> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        self.0
    }
}

impl std::ops::Deref for Operator<'_> {
    type Target = Identity;
    fn deref(&self) -> &Identity {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    fn caller(role: Role) -> Caller {
        Caller {
            tenant: TenantId(1),
            tenant_slug: "acme".to_owned(),
            account: AccountId(2),
            role,
            via: AuthMethod::Session,
        }
    }

    #[test]
    fn capabilities_follow_the_role_predicates() {
        for role in Role::ALL {
            let c = caller(role);
            assert_eq!(c.as_staff().is_some(), role.is_staff());
            assert_eq!(c.as_tenant_admin().is_some(), role.is_tenant_admin());
            // The menus use the predicates, the services the capabilities: they must agree.
            assert_eq!(role.can_manage_topics(), c.as_staff().is_some());
            assert_eq!(role.can_see_presence(), c.as_staff().is_some());
            assert_eq!(role.can_manage_users(), c.as_tenant_admin().is_some());
            assert_eq!(role.can_manage_priorities(), c.as_tenant_admin().is_some());
            assert_eq!(role.can_read_audit(), c.as_tenant_admin().is_some());
        }
        assert_eq!(caller(Role::Customer).as_staff().map(|s| s.account), None);
    }

    #[test]
    fn only_operators_narrow_to_operator() {
        let mut who = Identity {
            account: AccountId(1),
            operator: false,
            via: AuthMethod::Session,
        };
        assert!(who.as_operator().is_none());
        who.operator = true;
        assert!(who.as_operator().is_some());
    }
}
