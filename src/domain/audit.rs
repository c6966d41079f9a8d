//! The audit log: who did what, when and from where. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ids::{AccountId, TenantId};

/// Declares [`AuditKind`] with its stable codes (used in URLs and as message keys) from one
/// list, so the enum, [`AuditKind::ALL`] and the codes cannot drift apart.
macro_rules! audit_kinds {
    ($($kind:ident => $code:literal),* $(,)?) => {
        /// What happened, for the audit log.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum AuditKind {
            $($kind,)*
        }

        impl AuditKind {
            pub const ALL: [AuditKind; [$(stringify!($kind)),*].len()] = [$(AuditKind::$kind,)*];

            pub fn code(self) -> &'static str {
                match self {
                    $(AuditKind::$kind => $code,)*
                }
            }
        }
    };
}

audit_kinds! {
    SignedIn => "signed_in",
    SignInFailed => "sign_in_failed",
    SignedOut => "signed_out",
    PasswordChanged => "password_changed",
    RoleChanged => "role_changed",
    UserDisabled => "user_disabled",
    UserEnabled => "user_enabled",
    UserCreated => "user_created",
    UserInvited => "user_invited",
    AdminAdded => "admin_added",
    PasswordResetIssued => "password_reset_issued",
    UserEdited => "user_edited",
    UserRemoved => "user_removed",
    InvitationAccepted => "invitation_accepted",
    SessionsEnded => "sessions_ended",
    TokenCreated => "token_created",
    TokenRevoked => "token_revoked",
    TenantCreated => "tenant_created",
    TenantRenamed => "tenant_renamed",
    TenantSuspended => "tenant_suspended",
    TenantResumed => "tenant_resumed",
    LicenceChanged => "licence_changed",
    InstanceSetUp => "instance_set_up",
    SettingsChanged => "settings_changed",
    InvitationWithdrawn => "invitation_withdrawn",
    BackupDownloaded => "backup_downloaded",
    SnapshotTaken => "snapshot_taken",
    SnapshotDownloaded => "snapshot_downloaded",
    Restored => "restored",
    RestoreFailed => "restore_failed",
}

impl AuditKind {
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
