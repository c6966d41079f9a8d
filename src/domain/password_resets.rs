//! One-time links that let a person choose a new password (docs/security.md, "Password
//! reset"). Storage keeps its own versioned encoding (`store::password_resets`).

use jiff::{SignedDuration, Timestamp};

use super::ids::{AccountId, TenantId};

/// A reset link works this long after it was issued.
pub const RESET_VALIDITY: SignedDuration = SignedDuration::from_hours(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// SHA-256 of the link's secret; the secret itself is never stored.
    pub token_hash: [u8; 32],
    pub account: AccountId,
    /// The tenant whose admin issued it (`TenantId::INSTANCE` for the operator): the link dies
    /// with the person's membership there.
    pub tenant: TenantId,
    pub issued_by: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// SHA-256 of the password hash the account had when the link was issued: any password
    /// change since then makes the link useless.
    pub password_fingerprint: [u8; 32],
    pub used: bool,
}

/// Why a reset link no longer works; the page says the same for each, so a link's history
/// does not leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRefusal {
    Unknown,
    Used,
    Expired,
    PasswordChanged,
    Disabled,
}

impl PasswordReset {
    /// Whether the link still works for an account whose password hash has
    /// `current_fingerprint`, and whose membership in the issuing tenant is `enabled`.
    pub fn check(
        &self,
        now: Timestamp,
        current_fingerprint: &[u8; 32],
        enabled: bool,
    ) -> Result<(), ResetRefusal> {
        if self.used {
            Err(ResetRefusal::Used)
        } else if now >= self.expires_at {
            Err(ResetRefusal::Expired)
        } else if &self.password_fingerprint != current_fingerprint {
            Err(ResetRefusal::PasswordChanged)
        } else if !enabled {
            Err(ResetRefusal::Disabled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_dies_by_use_by_time_by_a_new_password_and_by_disabling() {
        let now = Timestamp::UNIX_EPOCH;
        let reset = PasswordReset {
            token_hash: [1; 32],
            account: AccountId(2),
            tenant: TenantId(3),
            issued_by: AccountId(4),
            created_at: now,
            expires_at: now.checked_add(RESET_VALIDITY).unwrap(),
            password_fingerprint: [5; 32],
            used: false,
        };
        assert_eq!(reset.check(now, &[5; 32], true), Ok(()));
        let later = now.checked_add(RESET_VALIDITY).unwrap();
        assert_eq!(
            reset.check(later, &[5; 32], true),
            Err(ResetRefusal::Expired)
        );
        assert_eq!(
            reset.check(now, &[6; 32], true),
            Err(ResetRefusal::PasswordChanged)
        );
        assert_eq!(
            reset.check(now, &[5; 32], false),
            Err(ResetRefusal::Disabled)
        );
        let used = PasswordReset {
            used: true,
            ..reset
        };
        assert_eq!(used.check(now, &[5; 32], true), Err(ResetRefusal::Used));
    }
}
