//! Identifiers. Tenant 0 is reserved for instance-wide records (accounts, operator audit),
//! so every storage key can start with a tenant id.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A tenant (hotline or client organisation).
    TenantId
);
id_type!(
    /// An instance-wide identity that may belong to several tenants.
    AccountId
);
id_type!(
    /// A priority within one tenant.
    PriorityId
);
id_type!(
    /// A topic within one tenant.
    TopicId
);
id_type!(
    /// A personal API token of an account.
    TokenId
);

impl TenantId {
    /// The pseudo-tenant that owns instance-wide records.
    pub const INSTANCE: TenantId = TenantId(0);
}
