//! Signed-in sessions. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;

use super::ids::{AccountId, TenantId};

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
