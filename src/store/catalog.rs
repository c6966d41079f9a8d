//! Per-tenant catalogues that tickets refer to: priorities and topics.

use crate::store::WriteTx;

use serde::{Deserialize, Serialize};

use super::Store;
use super::access::{self, BadValue, Tx, versioned_v1};
use super::error::StoreError;
use super::keys::Key;
use super::tables::{PRIORITIES, TOPICS, name};
use super::tenants::get_tenant;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::ids::{PriorityId, TenantId, TopicId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum PriorityRecord {
    V1(PriorityV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PriorityV1 {
    tenant: u64,
    id: u64,
    name: String,
    colour: String,
    rank: u32,
    response_target_minutes: Option<u32>,
}

versioned_v1!(PriorityRecord, PriorityV1);

impl From<&Priority> for PriorityV1 {
    fn from(p: &Priority) -> Self {
        PriorityV1 {
            tenant: p.tenant.0,
            id: p.id.0,
            name: p.name.clone(),
            colour: p.colour.clone(),
            rank: p.rank,
            response_target_minutes: p.response_target_minutes,
        }
    }
}

impl TryFrom<PriorityV1> for Priority {
    type Error = BadValue;

    fn try_from(r: PriorityV1) -> Result<Self, BadValue> {
        Ok(Priority {
            tenant: TenantId(r.tenant),
            id: PriorityId(r.id),
            name: r.name,
            colour: r.colour,
            rank: r.rank,
            response_target_minutes: r.response_target_minutes,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum TopicRecord {
    V1(TopicV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TopicV1 {
    tenant: u64,
    id: u64,
    name: String,
    description: String,
    active: bool,
    deleted: bool,
}

versioned_v1!(TopicRecord, TopicV1);

impl From<&Topic> for TopicV1 {
    fn from(t: &Topic) -> Self {
        TopicV1 {
            tenant: t.tenant.0,
            id: t.id.0,
            name: t.name.clone(),
            description: t.description.clone(),
            active: t.active,
            deleted: t.deleted,
        }
    }
}

impl TryFrom<TopicV1> for Topic {
    type Error = BadValue;

    fn try_from(r: TopicV1) -> Result<Self, BadValue> {
        Ok(Topic {
            tenant: TenantId(r.tenant),
            id: TopicId(r.id),
            name: r.name,
            description: r.description,
            active: r.active,
            deleted: r.deleted,
        })
    }
}

// Ids count per tenant, so one tenant's numbering reveals nothing about another's.
fn priority_sequence(tenant: TenantId) -> String {
    format!("priorities/{}", tenant.0)
}

fn topic_sequence(tenant: TenantId) -> String {
    format!("topics/{}", tenant.0)
}

fn priority_key(tenant: TenantId, id: PriorityId) -> Key {
    Key::tenant(tenant.0).u64(id.0)
}

fn topic_key(tenant: TenantId, id: TopicId) -> Key {
    Key::tenant(tenant.0).u64(id.0)
}

fn require_tenant(w: &WriteTx, tenant: TenantId) -> Result<(), StoreError> {
    get_tenant(w, tenant)?.map(drop).ok_or(StoreError::NotFound)
}

/// Creates a priority in an existing tenant.
pub fn create_priority(
    w: &WriteTx,
    tenant: TenantId,
    name: &str,
    colour: &str,
    rank: u32,
    response_target_minutes: Option<u32>,
) -> Result<Priority, StoreError> {
    require_tenant(w, tenant)?;
    let priority = Priority {
        tenant,
        id: PriorityId(Store::next_id(w, &priority_sequence(tenant))?),
        name: name.to_owned(),
        colour: colour.to_owned(),
        rank,
        response_target_minutes,
    };
    write_priority(w, &priority)?;
    Ok(priority)
}

/// Overwrites an existing priority (`NotFound` otherwise, so a stale form cannot bring back
/// a deleted one).
pub fn put_priority(w: &WriteTx, priority: &Priority) -> Result<(), StoreError> {
    get_priority(w, priority.tenant, priority.id)?.ok_or(StoreError::NotFound)?;
    write_priority(w, priority)
}

pub fn get_priority(
    r: &impl Tx,
    tenant: TenantId,
    id: PriorityId,
) -> Result<Option<Priority>, StoreError> {
    access::get_record::<PriorityRecord, _>(
        r,
        PRIORITIES,
        name::PRIORITIES,
        &priority_key(tenant, id),
    )
}

/// The tenant's priorities, most urgent (lowest rank) first, then by name.
pub fn list_priorities(r: &impl Tx, tenant: TenantId) -> Result<Vec<Priority>, StoreError> {
    let mut list = access::list_records::<PriorityRecord, Priority>(
        r,
        PRIORITIES,
        name::PRIORITIES,
        &Key::tenant(tenant.0),
    )?;
    list.sort_by_cached_key(|p| (p.rank, p.name.to_lowercase(), p.id));
    Ok(list)
}

/// Removes a priority; `NotFound` if it does not exist.
pub fn delete_priority(w: &WriteTx, tenant: TenantId, id: PriorityId) -> Result<(), StoreError> {
    let removed = w
        .open_table(PRIORITIES)?
        .remove(priority_key(tenant, id).as_bytes())?
        .is_some();
    if removed {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

fn write_priority(w: &WriteTx, p: &Priority) -> Result<(), StoreError> {
    access::put_record::<PriorityRecord>(
        w,
        PRIORITIES,
        name::PRIORITIES,
        &priority_key(p.tenant, p.id),
        p.into(),
    )
}

/// Creates an active topic in an existing tenant.
pub fn create_topic(
    w: &WriteTx,
    tenant: TenantId,
    name: &str,
    description: &str,
) -> Result<Topic, StoreError> {
    require_tenant(w, tenant)?;
    let topic = Topic {
        tenant,
        id: TopicId(Store::next_id(w, &topic_sequence(tenant))?),
        name: name.to_owned(),
        description: description.to_owned(),
        active: true,
        deleted: false,
    };
    write_topic(w, &topic)?;
    Ok(topic)
}

/// Overwrites an existing topic (rename, deactivate, mark deleted); `NotFound` otherwise.
pub fn put_topic(w: &WriteTx, topic: &Topic) -> Result<(), StoreError> {
    get_topic(w, topic.tenant, topic.id)?.ok_or(StoreError::NotFound)?;
    write_topic(w, topic)
}

pub fn get_topic(r: &impl Tx, tenant: TenantId, id: TopicId) -> Result<Option<Topic>, StoreError> {
    access::get_record::<TopicRecord, _>(r, TOPICS, name::TOPICS, &topic_key(tenant, id))
}

/// Every topic of the tenant, inactive and deleted ones included, by name ignoring case.
pub fn list_topics(r: &impl Tx, tenant: TenantId) -> Result<Vec<Topic>, StoreError> {
    let mut list = access::list_records::<TopicRecord, Topic>(
        r,
        TOPICS,
        name::TOPICS,
        &Key::tenant(tenant.0),
    )?;
    list.sort_by_cached_key(|t| (t.name.to_lowercase(), t.id));
    Ok(list)
}

fn write_topic(w: &WriteTx, t: &Topic) -> Result<(), StoreError> {
    access::put_record::<TopicRecord>(
        w,
        TOPICS,
        name::TOPICS,
        &topic_key(t.tenant, t.id),
        t.into(),
    )
}
