//! Organisations (tenants): the boundary no data crosses. Storage keeps its own versioned
//! encodings of these (`store::record`).

use jiff::Timestamp;

use super::ids::TenantId;

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
