//! The priorities and topics an organisation sorts its tickets by. Storage keeps its own versioned
//! encodings of these (`store::record`).

use super::ids::{PriorityId, TenantId, TopicId};

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
