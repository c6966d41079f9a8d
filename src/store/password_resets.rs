//! One-time password-reset links, keyed by the hash of their secret (the link carries
//! nothing else). Instance-wide: an account is, and so is its password.

use serde::{Deserialize, Serialize};

use super::access::{self, BadValue, Tx, versioned_v1};
use super::error::StoreError;
use super::keys::Key;
use super::tables::{PASSWORD_RESETS, name};
use super::{WriteTx, accounts};
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::password_resets::PasswordReset;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum PasswordResetRecord {
    V1(PasswordResetV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PasswordResetV1 {
    token_hash: [u8; 32],
    account: u64,
    tenant: u64,
    issued_by: u64,
    created_at_ns: i128,
    expires_at_ns: i128,
    password_fingerprint: [u8; 32],
    used: bool,
}

versioned_v1!(PasswordResetRecord, PasswordResetV1);

impl From<&PasswordReset> for PasswordResetV1 {
    fn from(p: &PasswordReset) -> Self {
        PasswordResetV1 {
            token_hash: p.token_hash,
            account: p.account.0,
            tenant: p.tenant.0,
            issued_by: p.issued_by.0,
            created_at_ns: access::nanos(p.created_at),
            expires_at_ns: access::nanos(p.expires_at),
            password_fingerprint: p.password_fingerprint,
            used: p.used,
        }
    }
}

impl TryFrom<PasswordResetV1> for PasswordReset {
    type Error = BadValue;

    fn try_from(r: PasswordResetV1) -> Result<Self, BadValue> {
        Ok(PasswordReset {
            token_hash: r.token_hash,
            account: AccountId(r.account),
            tenant: TenantId(r.tenant),
            issued_by: AccountId(r.issued_by),
            created_at: access::timestamp(r.created_at_ns)?,
            expires_at: access::timestamp(r.expires_at_ns)?,
            password_fingerprint: r.password_fingerprint,
            used: r.used,
        })
    }
}

fn key(token_hash: &[u8; 32]) -> Key {
    Key::tenant(TenantId::INSTANCE.0).bytes(token_hash)
}

/// Creates or overwrites a reset link of an existing account.
pub fn put_reset(w: &WriteTx, reset: &PasswordReset) -> Result<(), StoreError> {
    accounts::get_account(w, reset.account)?.ok_or(StoreError::NotFound)?;
    access::put_record::<PasswordResetRecord>(
        w,
        PASSWORD_RESETS,
        name::PASSWORD_RESETS,
        &key(&reset.token_hash),
        reset.into(),
    )
}

/// The reset link a secret hashes to, used and expired ones included.
pub fn reset_by_hash(
    r: &impl Tx,
    token_hash: &[u8; 32],
) -> Result<Option<PasswordReset>, StoreError> {
    access::get_record::<PasswordResetRecord, _>(
        r,
        PASSWORD_RESETS,
        name::PASSWORD_RESETS,
        &key(token_hash),
    )
}

/// Every reset link, for the integrity check.
pub fn all_resets(r: &impl Tx) -> Result<Vec<PasswordReset>, StoreError> {
    access::list_records::<PasswordResetRecord, PasswordReset>(
        r,
        PASSWORD_RESETS,
        name::PASSWORD_RESETS,
        &Key::tenant(TenantId::INSTANCE.0),
    )
}
