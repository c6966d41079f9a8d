//! How a ticket is stored: a versioned record holding the domain value and the snapshot of
//! the sort values its index entries were made from (docs/storage.md, "Ticket indexes and counts").

use serde::{Deserialize, Serialize};

use super::indexes::Snapshot;
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::ticket::{Status, Ticket};
use crate::store::access::{self, BadValue, versioned_v1};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum TicketRecord {
    V1(TicketV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct TicketV1 {
    tenant: u64,
    number: u64,
    subject: String,
    body: String,
    customer: u64,
    created_by: u64,
    assignee: Option<u64>,
    priority: Option<u64>,
    topic: Option<u64>,
    status: StatusV1,
    created_at_ns: i128,
    updated_at_ns: i128,
    waiting_since_ns: i128,
    solution: Option<String>,
    deleted: Option<(i128, u64)>,
    message_count: u32,
    attachment_count: u32,
    /// The snapshot the index entries were written with.
    priority_rank: u32,
    customer_name_key: String,
}

versioned_v1!(TicketRecord, TicketV1);

/// A status as stored in records. Encoded by position: append only, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum StatusV1 {
    New,
    Open,
    Waiting,
    Resolved,
    Closed,
}

impl From<Status> for StatusV1 {
    fn from(s: Status) -> Self {
        match s {
            Status::New => StatusV1::New,
            Status::Open => StatusV1::Open,
            Status::Waiting => StatusV1::Waiting,
            Status::Resolved => StatusV1::Resolved,
            Status::Closed => StatusV1::Closed,
        }
    }
}

impl From<StatusV1> for Status {
    fn from(s: StatusV1) -> Self {
        match s {
            StatusV1::New => Status::New,
            StatusV1::Open => Status::Open,
            StatusV1::Waiting => Status::Waiting,
            StatusV1::Resolved => Status::Resolved,
            StatusV1::Closed => Status::Closed,
        }
    }
}

/// A ticket as stored: the domain value plus the snapshot its index entries were made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stored {
    pub(super) ticket: Ticket,
    pub(super) snapshot: Snapshot,
}

pub(super) fn to_record(t: &Ticket, s: &Snapshot) -> TicketV1 {
    TicketV1 {
        tenant: t.tenant.0,
        number: t.number,
        subject: t.subject.clone(),
        body: t.body.clone(),
        customer: t.customer.0,
        created_by: t.created_by.0,
        assignee: t.assignee.map(|a| a.0),
        priority: t.priority.map(|p| p.0),
        topic: t.topic.map(|x| x.0),
        status: t.status.into(),
        created_at_ns: access::nanos(t.created_at),
        updated_at_ns: access::nanos(t.updated_at),
        waiting_since_ns: access::nanos(t.waiting_since),
        solution: t.solution.clone(),
        deleted: t.deleted.map(|(at, by)| (access::nanos(at), by.0)),
        message_count: t.message_count,
        attachment_count: t.attachment_count,
        priority_rank: s.priority_rank,
        customer_name_key: s.customer_name.clone(),
    }
}

impl TryFrom<TicketV1> for Stored {
    type Error = BadValue;

    fn try_from(r: TicketV1) -> Result<Self, BadValue> {
        let deleted = match r.deleted {
            Some((at, by)) => Some((access::timestamp(at)?, AccountId(by))),
            None => None,
        };
        Ok(Stored {
            ticket: Ticket {
                tenant: TenantId(r.tenant),
                number: r.number,
                subject: r.subject,
                body: r.body,
                customer: AccountId(r.customer),
                created_by: AccountId(r.created_by),
                assignee: r.assignee.map(AccountId),
                priority: r.priority.map(PriorityId),
                topic: r.topic.map(TopicId),
                status: r.status.into(),
                created_at: access::timestamp(r.created_at_ns)?,
                updated_at: access::timestamp(r.updated_at_ns)?,
                waiting_since: access::timestamp(r.waiting_since_ns)?,
                solution: r.solution,
                deleted,
                message_count: r.message_count,
                attachment_count: r.attachment_count,
            },
            snapshot: Snapshot {
                priority_rank: r.priority_rank,
                customer_name: r.customer_name_key,
            },
        })
    }
}

impl TryFrom<TicketV1> for Ticket {
    type Error = BadValue;

    fn try_from(r: TicketV1) -> Result<Self, BadValue> {
        Stored::try_from(r).map(|s| s.ticket)
    }
}
