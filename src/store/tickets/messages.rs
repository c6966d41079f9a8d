//! A ticket's thread (messages), its history, and the attachment reference counts.
//!
//! Seqs are assigned here, not by the caller: the next seq is the last stored seq + 1, read
//! from the last key of the ticket's range (one seek), so it is right even if the caller's
//! copy of the ticket is stale. The ticket's `message_count` and `attachment_count` are the
//! caller's to keep: it writes the ticket with [`super::put_ticket`] in the same command
//! (a reply changes its status and times anyway), and this module never rewrites the ticket.
//!
//! Attachment blobs are content-addressed and shared by every tenant, so references are
//! counted twice: per tenant (`(tenant, hash)`, the check that a download belongs to the
//! tenant) and instance-wide (`(INSTANCE, hash)`, which decides when a blob may go).

use crate::store::WriteTx;
use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

use super::indexes::{number_of, thread_prefix};
use super::outbox::{OutboxKind, OutboxOp, append_outbox};
use super::{StatusV1, require_ticket};
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::ticket::{Attachment, Change, HistoryEntry, Message, Visibility};
use crate::store::access::{self, BadValue, RecordTable, Tx, versioned_v1};
use crate::store::error::StoreError;
use crate::store::keys::{Key, KeyError, KeyReader};
use crate::store::record;
use crate::store::tables::{ATTACHMENT_REFS, TICKET_HISTORY, TICKET_MESSAGES, name};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum MessageRecord {
    V1(MessageV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MessageV1 {
    tenant: u64,
    ticket: u64,
    seq: u32,
    author: u64,
    visibility: VisibilityV1,
    body: String,
    attachments: Vec<AttachmentV1>,
    created_at_ns: i128,
}

versioned_v1!(MessageRecord, MessageV1);

/// Encoded by position: append only, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum VisibilityV1 {
    Public,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AttachmentV1 {
    hash: [u8; 32],
    name: String,
    mime: String,
    size: u64,
}

impl From<&Message> for MessageV1 {
    fn from(m: &Message) -> Self {
        MessageV1 {
            tenant: m.tenant.0,
            ticket: m.ticket,
            seq: m.seq,
            author: m.author.0,
            visibility: match m.visibility {
                Visibility::Public => VisibilityV1::Public,
                Visibility::Internal => VisibilityV1::Internal,
            },
            body: m.body.clone(),
            attachments: m
                .attachments
                .iter()
                .map(|a| AttachmentV1 {
                    hash: a.hash,
                    name: a.name.clone(),
                    mime: a.mime.clone(),
                    size: a.size,
                })
                .collect(),
            created_at_ns: access::nanos(m.created_at),
        }
    }
}

impl TryFrom<MessageV1> for Message {
    type Error = BadValue;

    fn try_from(r: MessageV1) -> Result<Self, BadValue> {
        Ok(Message {
            tenant: TenantId(r.tenant),
            ticket: r.ticket,
            seq: r.seq,
            author: AccountId(r.author),
            visibility: match r.visibility {
                VisibilityV1::Public => Visibility::Public,
                VisibilityV1::Internal => Visibility::Internal,
            },
            body: r.body,
            attachments: r
                .attachments
                .into_iter()
                .map(|a| Attachment {
                    hash: a.hash,
                    name: a.name,
                    mime: a.mime,
                    size: a.size,
                })
                .collect(),
            created_at: access::timestamp(r.created_at_ns)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum HistoryRecord {
    V1(HistoryV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HistoryV1 {
    tenant: u64,
    ticket: u64,
    seq: u32,
    at_ns: i128,
    actor: u64,
    change: ChangeV1,
}

versioned_v1!(HistoryRecord, HistoryV1);

/// A change as stored. Encoded by position: append only, never reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum ChangeV1 {
    Created { on_behalf: bool },
    Accepted { assignee: u64, priority: u64 },
    Assigned { from: Option<u64>, to: u64 },
    StatusChanged { from: StatusV1, to: StatusV1 },
    PriorityChanged { from: Option<u64>, to: u64 },
    TopicChanged { from: Option<u64>, to: Option<u64> },
    Replied { seq: u32 },
    Noted { seq: u32 },
    Resolved,
    Closed,
    Reopened,
    Deleted,
    Restored,
}

impl From<&Change> for ChangeV1 {
    fn from(c: &Change) -> Self {
        match *c {
            Change::Created { on_behalf } => ChangeV1::Created { on_behalf },
            Change::Accepted { assignee, priority } => ChangeV1::Accepted {
                assignee: assignee.0,
                priority: priority.0,
            },
            Change::Assigned { from, to } => ChangeV1::Assigned {
                from: from.map(|a| a.0),
                to: to.0,
            },
            Change::StatusChanged { from, to } => ChangeV1::StatusChanged {
                from: from.into(),
                to: to.into(),
            },
            Change::PriorityChanged { from, to } => ChangeV1::PriorityChanged {
                from: from.map(|p| p.0),
                to: to.0,
            },
            Change::TopicChanged { from, to } => ChangeV1::TopicChanged {
                from: from.map(|t| t.0),
                to: to.map(|t| t.0),
            },
            Change::Replied { seq } => ChangeV1::Replied { seq },
            Change::Noted { seq } => ChangeV1::Noted { seq },
            Change::Resolved => ChangeV1::Resolved,
            Change::Closed => ChangeV1::Closed,
            Change::Reopened => ChangeV1::Reopened,
            Change::Deleted => ChangeV1::Deleted,
            Change::Restored => ChangeV1::Restored,
        }
    }
}

impl From<ChangeV1> for Change {
    fn from(c: ChangeV1) -> Self {
        match c {
            ChangeV1::Created { on_behalf } => Change::Created { on_behalf },
            ChangeV1::Accepted { assignee, priority } => Change::Accepted {
                assignee: AccountId(assignee),
                priority: PriorityId(priority),
            },
            ChangeV1::Assigned { from, to } => Change::Assigned {
                from: from.map(AccountId),
                to: AccountId(to),
            },
            ChangeV1::StatusChanged { from, to } => Change::StatusChanged {
                from: from.into(),
                to: to.into(),
            },
            ChangeV1::PriorityChanged { from, to } => Change::PriorityChanged {
                from: from.map(PriorityId),
                to: PriorityId(to),
            },
            ChangeV1::TopicChanged { from, to } => Change::TopicChanged {
                from: from.map(TopicId),
                to: to.map(TopicId),
            },
            ChangeV1::Replied { seq } => Change::Replied { seq },
            ChangeV1::Noted { seq } => Change::Noted { seq },
            ChangeV1::Resolved => Change::Resolved,
            ChangeV1::Closed => Change::Closed,
            ChangeV1::Reopened => Change::Reopened,
            ChangeV1::Deleted => Change::Deleted,
            ChangeV1::Restored => Change::Restored,
        }
    }
}

impl From<&HistoryEntry> for HistoryV1 {
    fn from(h: &HistoryEntry) -> Self {
        HistoryV1 {
            tenant: h.tenant.0,
            ticket: h.ticket,
            seq: h.seq,
            at_ns: access::nanos(h.at),
            actor: h.actor.0,
            change: (&h.change).into(),
        }
    }
}

impl TryFrom<HistoryV1> for HistoryEntry {
    type Error = BadValue;

    fn try_from(r: HistoryV1) -> Result<Self, BadValue> {
        Ok(HistoryEntry {
            tenant: TenantId(r.tenant),
            ticket: r.ticket,
            seq: r.seq,
            at: access::timestamp(r.at_ns)?,
            actor: AccountId(r.actor),
            change: r.change.into(),
        })
    }
}

fn entry_key(tenant: TenantId, number: u64, seq: u32) -> Key {
    thread_prefix(tenant, number).u64(u64::from(seq))
}

/// The seq after the last one stored under the ticket in `def` (the first is 1).
fn next_seq(
    w: &WriteTx,
    def: RecordTable,
    table: &'static str,
    tenant: TenantId,
    number: u64,
) -> Result<u32, StoreError> {
    let t = w.open_table(def)?;
    let range = thread_prefix(tenant, number).prefix_range();
    let last = match t.range::<&[u8]>(range.bounds())?.next_back() {
        Some(entry) => number_of(entry?.0.value()).map_err(|e| e.in_table(table))?,
        None => 0,
    };
    last.checked_add(1)
        .and_then(|next| u32::try_from(next).ok())
        .ok_or_else(|| StoreError::Internal(format!("{table}: a thread is full")))
}

/// Appends `message` to its ticket's thread, ignoring `message.seq`; returns it with its
/// seq. Counts a reference for each attachment and tells the search indexer.
/// `NotFound` if the ticket does not exist.
pub fn add_message(w: &WriteTx, message: &Message) -> Result<Message, StoreError> {
    let (tenant, number) = (message.tenant, message.ticket);
    require_ticket(w, tenant, number)?;
    let seq = next_seq(w, TICKET_MESSAGES, name::TICKET_MESSAGES, tenant, number)?;
    let message = put_message(w, message, seq)?;
    append_outbox(w, tenant, OutboxKind::Ticket, number, OutboxOp::Upsert)?;
    Ok(message)
}

/// Stores `message` under `seq` and counts its attachments; the caller has checked that the
/// ticket exists and that `seq` is free, and tells the indexer.
fn put_message(w: &WriteTx, message: &Message, seq: u32) -> Result<Message, StoreError> {
    let message = Message {
        seq,
        ..message.clone()
    };
    access::put_record::<MessageRecord>(
        w,
        TICKET_MESSAGES,
        name::TICKET_MESSAGES,
        &entry_key(message.tenant, message.ticket, seq),
        (&message).into(),
    )?;
    if !message.attachments.is_empty() {
        let mut refs = w.open_table(ATTACHMENT_REFS)?;
        for a in &message.attachments {
            for owner in [message.tenant, TenantId::INSTANCE] {
                change_ref(&mut refs, owner, &a.hash, true)?;
            }
        }
    }
    Ok(message)
}

/// The first message and history entry of a ticket created in this transaction (seq 1 each,
/// numbers never reused, so nothing is there yet). The creation already told the indexer.
pub(super) fn start_thread(
    w: &WriteTx,
    message: &Message,
    history: &HistoryEntry,
) -> Result<(), StoreError> {
    put_message(w, message, 1)?;
    put_history(w, history, 1)?;
    Ok(())
}

/// The ticket's thread, internal notes included (callers filter by visibility), in order.
pub fn list_messages(
    r: &impl Tx,
    tenant: TenantId,
    number: u64,
) -> Result<Vec<Message>, StoreError> {
    access::list_records::<MessageRecord, Message>(
        r,
        TICKET_MESSAGES,
        name::TICKET_MESSAGES,
        &thread_prefix(tenant, number),
    )
}

pub fn get_message(
    r: &impl Tx,
    tenant: TenantId,
    number: u64,
    seq: u32,
) -> Result<Option<Message>, StoreError> {
    access::get_record::<MessageRecord, Message>(
        r,
        TICKET_MESSAGES,
        name::TICKET_MESSAGES,
        &entry_key(tenant, number, seq),
    )
}

/// Appends a change to the ticket's history, ignoring `entry.seq`; returns it with its seq.
/// `NotFound` if the ticket does not exist.
pub fn add_history(w: &WriteTx, entry: &HistoryEntry) -> Result<HistoryEntry, StoreError> {
    let (tenant, number) = (entry.tenant, entry.ticket);
    require_ticket(w, tenant, number)?;
    let seq = next_seq(w, TICKET_HISTORY, name::TICKET_HISTORY, tenant, number)?;
    put_history(w, entry, seq)
}

fn put_history(w: &WriteTx, entry: &HistoryEntry, seq: u32) -> Result<HistoryEntry, StoreError> {
    let entry = HistoryEntry {
        seq,
        ..entry.clone()
    };
    access::put_record::<HistoryRecord>(
        w,
        TICKET_HISTORY,
        name::TICKET_HISTORY,
        &entry_key(entry.tenant, entry.ticket, seq),
        (&entry).into(),
    )?;
    Ok(entry)
}

/// The ticket's history, internal entries included, oldest first.
pub fn list_history(
    r: &impl Tx,
    tenant: TenantId,
    number: u64,
) -> Result<Vec<HistoryEntry>, StoreError> {
    access::list_records::<HistoryRecord, HistoryEntry>(
        r,
        TICKET_HISTORY,
        name::TICKET_HISTORY,
        &thread_prefix(tenant, number),
    )
}

fn ref_key(owner: TenantId, hash: &[u8; 32]) -> Key {
    Key::tenant(owner.0).bytes(hash)
}

/// Adds or drops one reference; returns the count after.
fn change_ref(
    refs: &mut Table<&'static [u8], u64>,
    owner: TenantId,
    hash: &[u8; 32],
    up: bool,
) -> Result<u64, StoreError> {
    let key = ref_key(owner, hash);
    let now = refs.get(key.as_bytes())?.map_or(0, |v| v.value());
    let next = if up {
        now.checked_add(1)
            .ok_or_else(|| StoreError::Internal("attachment reference count overflow".into()))?
    } else if let Some(n) = now.checked_sub(1) {
        n
    } else {
        // The count was already wrong; the purge goes on, a check reports the mismatch.
        tracing::warn!(tenant = owner.0, "attachment reference count below zero");
        0
    };
    if next == 0 {
        refs.remove(key.as_bytes())?;
    } else {
        refs.insert(key.as_bytes(), next)?;
    }
    Ok(next)
}

/// How many attachments of `tenant` reference the blob (`TenantId::INSTANCE`: of all tenants).
pub fn attachment_refcount(
    r: &impl Tx,
    tenant: TenantId,
    hash: &[u8; 32],
) -> Result<u64, StoreError> {
    let refs = r.table(ATTACHMENT_REFS)?;
    let count = refs
        .get(ref_key(tenant, hash).as_bytes())?
        .map_or(0, |v| v.value());
    Ok(count)
}

/// Whether a message of `tenant` references the blob: a download must pass this besides
/// the message check, so a hash alone never reaches another tenant's file.
pub fn tenant_has_blob(r: &impl Tx, tenant: TenantId, hash: &[u8; 32]) -> Result<bool, StoreError> {
    // The instance row counts every tenant's references; it must never answer for a caller.
    if tenant == TenantId::INSTANCE {
        return Ok(false);
    }
    Ok(attachment_refcount(r, tenant, hash)? > 0)
}

/// Whether any tenant still references the blob (a purge reports the ones that just lost
/// their last reference; re-check this before deleting a blob in a later transaction).
pub fn blob_referenced(r: &impl Tx, hash: &[u8; 32]) -> Result<bool, StoreError> {
    Ok(attachment_refcount(r, TenantId::INSTANCE, hash)? > 0)
}

/// Removes the ticket's messages and history and drops their attachment references;
/// returns the hashes no tenant references any more, each once.
pub(super) fn purge_thread(
    w: &WriteTx,
    tenant: TenantId,
    number: u64,
) -> Result<Vec<[u8; 32]>, StoreError> {
    let range = thread_prefix(tenant, number).prefix_range();
    let mut hashes = Vec::new();
    {
        let mut messages = w.open_table(TICKET_MESSAGES)?;
        for entry in messages.range::<&[u8]>(range.bounds())? {
            let (_, v) = entry?;
            let m = record::decode_current::<MessageRecord>(name::TICKET_MESSAGES, v.value())?;
            hashes.extend(m.attachments.into_iter().map(|a| a.hash));
        }
        messages.retain_in::<&[u8], _>(range.bounds(), |_, _| false)?;
    }
    w.open_table(TICKET_HISTORY)?
        .retain_in::<&[u8], _>(range.bounds(), |_, _| false)?;
    let mut unreferenced = BTreeSet::new();
    if !hashes.is_empty() {
        let mut refs = w.open_table(ATTACHMENT_REFS)?;
        for hash in &hashes {
            change_ref(&mut refs, tenant, hash, false)?;
            if change_ref(&mut refs, TenantId::INSTANCE, hash, false)? == 0 {
                unreferenced.insert(*hash);
            }
        }
    }
    Ok(unreferenced.into_iter().collect())
}

/// Every attachment reference of the tenant's messages, counted: what `ATTACHMENT_REFS`
/// should hold for it.
pub(super) fn expected_refs(
    r: &impl Tx,
    tenant: TenantId,
) -> Result<BTreeMap<[u8; 32], u64>, StoreError> {
    let messages = r.table(TICKET_MESSAGES)?;
    let range = Key::tenant(tenant.0).prefix_range();
    let mut counts = BTreeMap::new();
    for entry in messages.range::<&[u8]>(range.bounds())? {
        let (_, v) = entry?;
        let m = record::decode_current::<MessageRecord>(name::TICKET_MESSAGES, v.value())?;
        for a in m.attachments {
            *counts.entry(a.hash).or_insert(0u64) += 1;
        }
    }
    Ok(counts)
}

/// The ticket numbers that have messages or history, each once: a check finds threads
/// whose ticket is gone.
pub(super) fn thread_owners(
    r: &impl Tx,
    tenant: TenantId,
) -> Result<BTreeSet<(&'static str, u64)>, StoreError> {
    let mut owners = BTreeSet::new();
    for (def, table) in [
        (TICKET_MESSAGES, name::TICKET_MESSAGES),
        (TICKET_HISTORY, name::TICKET_HISTORY),
    ] {
        let t = r.table(def)?;
        let range = Key::tenant(tenant.0).prefix_range();
        for entry in t.range::<&[u8]>(range.bounds())? {
            let (k, _) = entry?;
            let parse = || -> Result<u64, KeyError> {
                let mut reader = KeyReader::new(k.value());
                reader.tenant()?;
                let number = reader.u64()?;
                reader.u64()?;
                reader.finish()?;
                Ok(number)
            };
            owners.insert((table, parse().map_err(|e| e.in_table(table))?));
        }
    }
    Ok(owners)
}

/// Reads the tenant's attachment reference rows.
pub(super) fn stored_refs(
    r: &impl Tx,
    tenant: TenantId,
) -> Result<BTreeMap<Vec<u8>, u64>, StoreError> {
    let refs = r.table(ATTACHMENT_REFS)?;
    let range = Key::tenant(tenant.0).prefix_range();
    let mut out = BTreeMap::new();
    for entry in refs.range::<&[u8]>(range.bounds())? {
        let (k, v) = entry?;
        out.insert(k.value().to_vec(), v.value());
    }
    Ok(out)
}

pub(super) fn ref_key_bytes(tenant: TenantId, hash: &[u8; 32]) -> Vec<u8> {
    ref_key(tenant, hash).into_bytes()
}
