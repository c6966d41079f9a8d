//! Roles within a tenant, ordered by what they may do, and the predicates that decide it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Customer,
    Supporter,
    TenantAdmin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Customer, Role::Supporter, Role::TenantAdmin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Supporter => "supporter",
            Role::TenantAdmin => "tenant_admin",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether this role includes everything `least` may do.
    pub fn at_least(self, least: Role) -> bool {
        self >= least
    }

    pub fn is_staff(self) -> bool {
        self.at_least(Role::Supporter)
    }

    pub fn is_tenant_admin(self) -> bool {
        self == Role::TenantAdmin
    }

    pub fn can_manage_users(self) -> bool {
        self.is_tenant_admin()
    }

    pub fn can_manage_priorities(self) -> bool {
        self.is_tenant_admin()
    }

    /// Supporters keep topics tidy as part of triage (docs/ui.md, "Administration").
    pub fn can_manage_topics(self) -> bool {
        self.is_staff()
    }

    pub fn can_read_audit(self) -> bool {
        self.is_tenant_admin()
    }

    pub fn can_see_presence(self) -> bool {
        self.is_staff()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::TenantAdmin.at_least(Role::Supporter));
        assert!(Role::Supporter.at_least(Role::Customer));
        assert!(!Role::Customer.at_least(Role::Supporter));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("operator"), None);
    }

    #[test]
    fn only_admins_manage_users_and_priorities() {
        assert!(Role::TenantAdmin.can_manage_users());
        assert!(!Role::Supporter.can_manage_users());
        assert!(Role::Supporter.can_manage_topics());
        assert!(!Role::Customer.can_manage_topics());
        assert!(!Role::Supporter.can_manage_priorities());
    }
}
