//! The audit log: who did what, when and from where. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ids::{AccountId, TenantId};

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
