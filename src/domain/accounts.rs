//! People and their role in each organisation. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;

use super::ids::{AccountId, TenantId};
use super::lang::Lang;
use super::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    /// Unique per instance, stored lower-cased.
    pub email: String,
    pub name: String,
    pub phone: String,
    /// `None` follows the browser.
    pub lang: Option<Lang>,
    /// argon2id PHC string; empty until an invited person sets a password.
    pub password_hash: String,
    /// Set for accounts created with an initial password: the first sign-in must change it.
    pub must_change_password: bool,
    /// The instance operator (creates tenants, backups, instance settings).
    pub operator: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub tenant: TenantId,
    pub account: AccountId,
    pub role: Role,
    /// Disabled members cannot sign in to this tenant; their sessions end.
    pub disabled: bool,
    pub created_at: Timestamp,
}
