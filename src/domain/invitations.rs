//! Invitations to join an organisation. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;

use super::ids::{AccountId, TenantId};
use super::role::Role;

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
