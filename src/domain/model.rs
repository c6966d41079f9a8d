//! The records of tenancy and accounts as the rest of the program sees them. Storage keeps
//! its own versioned encodings of these (see `store::record`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ids::{AccountId, PriorityId, TenantId, TokenId, TopicId};
use super::lang::Lang;
use super::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    /// Members of a suspended tenant cannot sign in; its data is kept.
    pub suspended: bool,
    /// Concurrently signed-in users the tenant has paid for; 0 means unlimited.
    pub licence_limit: u32,
    pub created_at: Timestamp,
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    pub tenant: TenantId,
    pub id: PriorityId,
    pub name: String,
    /// `#rrggbb`, always shown together with the name (never colour alone).
    pub colour: String,
    /// Lower rank sorts first (most urgent).
    pub rank: u32,
    pub response_target_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub tenant: TenantId,
    pub id: TopicId,
    pub name: String,
    pub description: String,
    /// Inactive topics are hidden from pickers.
    pub active: bool,
    /// Deleted topics are hidden everywhere but stay readable on old assignments.
    pub deleted: bool,
}

/// A server-side session. The cookie carries a random secret; only its SHA-256 is stored,
/// so a copy of the database cannot be replayed as live sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: [u8; 32],
    pub account: AccountId,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    /// The tenant the person last worked in (for presence and the tenant switcher).
    pub tenant: Option<TenantId>,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub account: AccountId,
    pub name: String,
    pub secret_hash: [u8; 32],
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    pub last_used: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub token_hash: [u8; 32],
    pub tenant: TenantId,
    pub email: String,
    pub role: Role,
    pub invited_by: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used: bool,
}

/// What happened, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditKind {
    SignedIn,
    SignInFailed,
    SignedOut,
    PasswordChanged,
    RoleChanged,
    UserDisabled,
    UserEnabled,
    UserCreated,
    UserInvited,
    InvitationAccepted,
    SessionsEnded,
    TokenCreated,
    TokenRevoked,
    TenantCreated,
    TenantRenamed,
    TenantSuspended,
    TenantResumed,
    LicenceChanged,
    InstanceSetUp,
    SettingsChanged,
    InvitationWithdrawn,
}

impl AuditKind {
    pub const ALL: [AuditKind; 21] = [
        AuditKind::SignedIn,
        AuditKind::SignInFailed,
        AuditKind::SignedOut,
        AuditKind::PasswordChanged,
        AuditKind::RoleChanged,
        AuditKind::UserDisabled,
        AuditKind::UserEnabled,
        AuditKind::UserCreated,
        AuditKind::UserInvited,
        AuditKind::InvitationAccepted,
        AuditKind::SessionsEnded,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
        AuditKind::TenantCreated,
        AuditKind::TenantRenamed,
        AuditKind::TenantSuspended,
        AuditKind::TenantResumed,
        AuditKind::LicenceChanged,
        AuditKind::InstanceSetUp,
        AuditKind::SettingsChanged,
        AuditKind::InvitationWithdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditKind::SignedIn => "signed_in",
            AuditKind::SignInFailed => "sign_in_failed",
            AuditKind::SignedOut => "signed_out",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::RoleChanged => "role_changed",
            AuditKind::UserDisabled => "user_disabled",
            AuditKind::UserEnabled => "user_enabled",
            AuditKind::UserCreated => "user_created",
            AuditKind::UserInvited => "user_invited",
            AuditKind::InvitationAccepted => "invitation_accepted",
            AuditKind::SessionsEnded => "sessions_ended",
            AuditKind::TokenCreated => "token_created",
            AuditKind::TokenRevoked => "token_revoked",
            AuditKind::TenantCreated => "tenant_created",
            AuditKind::TenantRenamed => "tenant_renamed",
            AuditKind::TenantSuspended => "tenant_suspended",
            AuditKind::TenantResumed => "tenant_resumed",
            AuditKind::LicenceChanged => "licence_changed",
            AuditKind::InstanceSetUp => "instance_set_up",
            AuditKind::SettingsChanged => "settings_changed",
            AuditKind::InvitationWithdrawn => "invitation_withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One audit entry. `tenant` is [`TenantId::INSTANCE`] for instance-wide events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tenant: TenantId,
    pub seq: u64,
    pub at: Timestamp,
    pub kind: AuditKind,
    /// Who did it; `None` for anonymous attempts (failed sign-ins of unknown emails).
    pub actor: Option<AccountId>,
    /// Whom or what it concerned (an account, a token name, a tenant slug).
    pub subject: String,
    pub detail: String,
    pub client_addr: String,
}

/// Instance-wide settings the operator can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    pub instance_name: String,
    /// Minutes without activity after which a session ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends regardless of activity.
    pub session_absolute_hours: u32,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            instance_name: "Supportbox".to_owned(),
            session_idle_minutes: 120,
            session_absolute_hours: 12,
        }
    }
}
