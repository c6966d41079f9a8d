//! API tokens. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;

use super::ids::{AccountId, TokenId};

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
