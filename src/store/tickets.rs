//! Tickets: records, their indexes and counts, threads, history and the search outbox.
//!
//! Every write keeps, in its own transaction, the record, every index entry, the per-status
//! counts and the outbox in step, so pages read counts in O(1) and lists as bounded range
//! scans within the performance budget (docs/storage.md, "Ticket indexes and counts").
//! Index keys are described in `crate::store::tables`.
//!
//! Two sort values do not live on the ticket: the priority's rank and the customer's name.
//! The service passes them with every write as [`TicketIndexKeys`]; the store keeps the
//! values it indexed by in the ticket record (its "snapshot"), so moving an entry never
//! depends on the caller remembering the old values. When a priority's rank or a customer's
//! name changes, the service re-keys the affected tickets with [`set_index_keys`]
//! (found with [`tickets_with_priority`] / [`ticket_numbers_of_customer`]), in as many
//! transactions as it likes: until a ticket is re-keyed it merely sorts by the old value.
//!
//! Trashed tickets keep their record but leave every index except `TICKET_TRASH`.

mod indexes;
mod list;
mod messages;
mod outbox;
mod record;

#[cfg(test)]
mod tests;

use crate::store::WriteTx;
use std::collections::BTreeSet;

use redb::ReadableTable;

pub(super) use self::indexes::fill_status_first_indexes;
use self::indexes::{Index, Snapshot, TRASH_BUCKET, bucket, entries, number_of, ticket_key};
use self::record::{StatusV1, Stored, TicketRecord, to_record};
use super::Store;
use super::access::{self, BadValue, Tx};
use super::error::StoreError;
use super::keys::Key;
use super::tables::{TICKET_COUNTS, TICKETS, name};
use super::tenants::get_tenant;
use crate::domain::ids::{AccountId, PriorityId, TenantId};
use crate::domain::ticket::{HistoryEntry, Message, Ticket};

pub use self::list::{
    Cursor, CursorError, IN_MEMORY_LIMIT, ListPage, ListQuery, MAX_PAGE, SCAN_LIMIT,
    customer_tickets, list_tickets, tab_page, trash_page,
};
pub use self::messages::{
    add_history, add_message, attachment_refcount, blob_referenced, get_message, list_history,
    list_messages, tenant_has_blob,
};
pub use self::outbox::{OutboxEntry, OutboxKind, OutboxOp, outbox_after, outbox_head, trim_outbox};

/// Sort values that come from elsewhere: passed by the service with every ticket write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketIndexKeys {
    /// The rank of the ticket's priority (lower = more urgent); ignored for tickets without
    /// a priority, which always sort last (`u32::MAX`).
    pub priority_rank: u32,
    /// The customer's display name; stored lower-cased and cut for sorting.
    pub customer_name: String,
}

/// Per-tenant numbers, so one tenant's numbering reveals nothing about another's.
fn sequence(tenant: TenantId) -> String {
    format!("tickets/{}", tenant.0)
}

fn load(r: &impl Tx, tenant: TenantId, number: u64) -> Result<Option<Stored>, StoreError> {
    access::get_record::<TicketRecord, Stored>(
        r,
        TICKETS,
        name::TICKETS,
        &ticket_key(tenant, number),
    )
}

/// Decodes a ticket row read from an open `TICKETS` table.
fn decode_stored(bytes: &[u8]) -> Result<Stored, StoreError> {
    access::decode::<TicketRecord, Stored>(name::TICKETS, bytes)
}

/// `NotFound` unless the ticket exists (in the trash or not); reads the key only.
fn require_ticket(w: &WriteTx, tenant: TenantId, number: u64) -> Result<(), StoreError> {
    let exists = w
        .open_table(TICKETS)?
        .get(ticket_key(tenant, number).as_bytes())?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

fn write_record(w: &WriteTx, t: &Ticket, s: &Snapshot) -> Result<(), StoreError> {
    access::put_record::<TicketRecord>(
        w,
        TICKETS,
        name::TICKETS,
        &ticket_key(t.tenant, t.number),
        to_record(t, s),
    )
}

/// Moves the index entries from what `before` had to what `after` has, touching only the
/// tables whose entry changed.
fn update_indexes(
    w: &WriteTx,
    before: Option<(&Ticket, &Snapshot)>,
    after: Option<(&Ticket, &Snapshot)>,
) -> Result<(), StoreError> {
    let old = before.map(|(t, s)| entries(t, s)).unwrap_or_default();
    let new = after.map(|(t, s)| entries(t, s)).unwrap_or_default();
    for ((index, old), new) in Index::ALL.iter().zip(&old).zip(&new) {
        if old == new {
            continue;
        }
        let mut table = w.open_table(index.table())?;
        if let Some(old) = old
            && table.remove(old.as_slice())?.is_none()
        {
            // Self-healing: the new entry is right either way; a check reports the rest.
            tracing::warn!(table = index.name(), "a ticket index entry was missing");
        }
        if let Some(new) = new {
            table.insert(new.as_slice(), ())?;
        }
    }
    Ok(())
}

fn count_key(tenant: TenantId, bucket: u64) -> Key {
    Key::tenant(tenant.0).u64(bucket)
}

/// Moves one ticket from count bucket `from` to `to` (`None` = not counted).
fn move_count(
    w: &WriteTx,
    tenant: TenantId,
    from: Option<u64>,
    to: Option<u64>,
) -> Result<(), StoreError> {
    if from == to {
        return Ok(());
    }
    let mut counts = w.open_table(TICKET_COUNTS)?;
    if let Some(b) = from {
        let key = count_key(tenant, b);
        let now = counts.get(key.as_bytes())?.map_or(0, |v| v.value());
        match now.checked_sub(1) {
            Some(0) => {
                counts.remove(key.as_bytes())?;
            }
            Some(n) => {
                counts.insert(key.as_bytes(), n)?;
            }
            None => tracing::warn!(tenant = tenant.0, bucket = b, "ticket count below zero"),
        }
    }
    if let Some(b) = to {
        let key = count_key(tenant, b);
        let now = counts.get(key.as_bytes())?.map_or(0, |v| v.value());
        let next = now
            .checked_add(1)
            .ok_or_else(|| StoreError::Internal("ticket count overflow".into()))?;
        counts.insert(key.as_bytes(), next)?;
    }
    Ok(())
}

fn outbox_op(t: &Ticket) -> OutboxOp {
    if t.deleted.is_some() {
        OutboxOp::Delete
    } else {
        OutboxOp::Upsert
    }
}

/// Reports a ticket: creates it as [`create_ticket`] does, with `message` and `history` as
/// the first entries of its thread (their ticket number and seq are filled in). One write
/// for what a creation always stores, and one notice to the search indexer.
pub fn create_ticket_with_thread(
    w: &WriteTx,
    ticket: &Ticket,
    keys: &TicketIndexKeys,
    message: &Message,
    history: &HistoryEntry,
) -> Result<Ticket, StoreError> {
    let ticket = create_ticket(w, ticket, keys)?;
    let message = Message {
        tenant: ticket.tenant,
        ticket: ticket.number,
        ..message.clone()
    };
    let history = HistoryEntry {
        tenant: ticket.tenant,
        ticket: ticket.number,
        ..history.clone()
    };
    messages::start_thread(w, &message, &history)?;
    Ok(ticket)
}

/// Creates a ticket with the tenant's next number (the first is 1), ignoring
/// `ticket.number`. `NotFound` if the tenant does not exist.
pub fn create_ticket(
    w: &WriteTx,
    ticket: &Ticket,
    keys: &TicketIndexKeys,
) -> Result<Ticket, StoreError> {
    get_tenant(w, ticket.tenant)?.ok_or(StoreError::NotFound)?;
    let ticket = Ticket {
        number: Store::next_id(w, &sequence(ticket.tenant))?,
        ..ticket.clone()
    };
    let snapshot = Snapshot::new(&ticket, keys.priority_rank, &keys.customer_name);
    write_record(w, &ticket, &snapshot)?;
    update_indexes(w, None, Some((&ticket, &snapshot)))?;
    move_count(w, ticket.tenant, None, Some(bucket(&ticket)))?;
    outbox::append_outbox(
        w,
        ticket.tenant,
        OutboxKind::Ticket,
        ticket.number,
        outbox_op(&ticket),
    )?;
    Ok(ticket)
}

/// Replaces `before` with `after` (same tenant and number): any field, the trash state
/// included. `before` is what the caller decided on: if the stored ticket differs, another
/// write came first and this one fails with `Conflict("ticket")`. Moves exactly the index
/// entries whose key changed, the counts, and tells the search indexer (`Delete` when the
/// ticket is in the trash afterwards, `Upsert` otherwise).
pub fn put_ticket(
    w: &WriteTx,
    before: &Ticket,
    after: &Ticket,
    keys: &TicketIndexKeys,
) -> Result<(), StoreError> {
    if (before.tenant, before.number) != (after.tenant, after.number) {
        return Err(StoreError::Internal(
            "put_ticket: before and after are different tickets".into(),
        ));
    }
    let stored = load(w, before.tenant, before.number)?.ok_or(StoreError::NotFound)?;
    if stored.ticket != *before {
        return Err(StoreError::Conflict("ticket".into()));
    }
    let snapshot = Snapshot::new(after, keys.priority_rank, &keys.customer_name);
    write_record(w, after, &snapshot)?;
    update_indexes(
        w,
        Some((&stored.ticket, &stored.snapshot)),
        Some((after, &snapshot)),
    )?;
    move_count(
        w,
        after.tenant,
        Some(bucket(&stored.ticket)),
        Some(bucket(after)),
    )?;
    outbox::append_outbox(
        w,
        after.tenant,
        OutboxKind::Ticket,
        after.number,
        outbox_op(after),
    )?;
    Ok(())
}

/// Re-keys a ticket after its priority's rank or its customer's name changed, without
/// touching the ticket itself (no `updated_at`, no outbox entry). Returns whether anything
/// changed; `NotFound` if the ticket does not exist.
pub fn set_index_keys(
    w: &WriteTx,
    tenant: TenantId,
    number: u64,
    keys: &TicketIndexKeys,
) -> Result<bool, StoreError> {
    let stored = load(w, tenant, number)?.ok_or(StoreError::NotFound)?;
    let snapshot = Snapshot::new(&stored.ticket, keys.priority_rank, &keys.customer_name);
    if snapshot == stored.snapshot {
        return Ok(false);
    }
    write_record(w, &stored.ticket, &snapshot)?;
    update_indexes(
        w,
        Some((&stored.ticket, &stored.snapshot)),
        Some((&stored.ticket, &snapshot)),
    )?;
    Ok(true)
}

/// Removes a ticket for good: record, index entries, count, messages, history and their
/// attachment references. Returns the attachment hashes no tenant references any more,
/// for the caller to remove from the blob store after the commit.
pub fn purge_ticket(
    w: &WriteTx,
    tenant: TenantId,
    number: u64,
) -> Result<Vec<[u8; 32]>, StoreError> {
    let stored = load(w, tenant, number)?.ok_or(StoreError::NotFound)?;
    w.open_table(TICKETS)?
        .remove(ticket_key(tenant, number).as_bytes())?;
    update_indexes(w, Some((&stored.ticket, &stored.snapshot)), None)?;
    move_count(w, tenant, Some(bucket(&stored.ticket)), None)?;
    let unreferenced = messages::purge_thread(w, tenant, number)?;
    outbox::append_outbox(w, tenant, OutboxKind::Ticket, number, OutboxOp::Delete)?;
    Ok(unreferenced)
}

/// The ticket, in the trash or not.
pub fn get_ticket(
    r: &impl Tx,
    tenant: TenantId,
    number: u64,
) -> Result<Option<Ticket>, StoreError> {
    Ok(load(r, tenant, number)?.map(|s| s.ticket))
}

/// Ticket counts of one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TicketCounts {
    /// Outside the trash, indexed by `Status::as_u8`.
    pub by_status: [u64; 5],
    pub trash: u64,
}

impl TicketCounts {
    fn add(&mut self, bucket: u64, n: u64) -> Result<(), BadValue> {
        let slot = if bucket == TRASH_BUCKET {
            &mut self.trash
        } else {
            usize::try_from(bucket)
                .ok()
                .and_then(|i| self.by_status.get_mut(i))
                .ok_or_else(|| BadValue(format!("unknown count bucket {bucket}")))?
        };
        *slot = slot.saturating_add(n);
        Ok(())
    }
}

/// The kept counts (one short range read; what tab badges show).
pub fn ticket_counts(r: &impl Tx, tenant: TenantId) -> Result<TicketCounts, StoreError> {
    let table = r.table(TICKET_COUNTS)?;
    let range = Key::tenant(tenant.0).prefix_range();
    let mut counts = TicketCounts::default();
    for entry in table.range::<&[u8]>(range.bounds())? {
        let (k, v) = entry?;
        let b = number_of(k.value()).map_err(|e| e.in_table(name::TICKET_COUNTS))?;
        counts
            .add(b, v.value())
            .map_err(|BadValue(detail)| StoreError::Corrupt {
                table: name::TICKET_COUNTS,
                detail,
            })?;
    }
    Ok(counts)
}

/// Tickets outside the trash per status, indexed by `Status::as_u8`.
pub fn tab_counts(r: &impl Tx, tenant: TenantId) -> Result<[u64; 5], StoreError> {
    Ok(ticket_counts(r, tenant)?.by_status)
}

pub fn trash_count(r: &impl Tx, tenant: TenantId) -> Result<u64, StoreError> {
    Ok(ticket_counts(r, tenant)?.trash)
}

/// Counts by reading every ticket of the tenant: for checks and repairs, never for pages.
pub fn recount(r: &impl Tx, tenant: TenantId) -> Result<TicketCounts, StoreError> {
    let mut counts = TicketCounts::default();
    for_each_stored(r, tenant, |s| {
        counts
            .add(bucket(&s.ticket), 1)
            .map_err(|BadValue(d)| StoreError::Internal(d))
    })?;
    Ok(counts)
}

/// Rewrites the kept counts from a [`recount`]; returns them.
pub fn repair_counts(w: &WriteTx, tenant: TenantId) -> Result<TicketCounts, StoreError> {
    let counts = recount(w, tenant)?;
    let mut table = w.open_table(TICKET_COUNTS)?;
    let range = Key::tenant(tenant.0).prefix_range();
    table.retain_in::<&[u8], _>(range.bounds(), |_, _| false)?;
    let buckets = (0u64..)
        .zip(counts.by_status)
        .chain([(TRASH_BUCKET, counts.trash)]);
    for (b, n) in buckets.filter(|(_, n)| *n > 0) {
        table.insert(count_key(tenant, b).as_bytes(), n)?;
    }
    Ok(counts)
}

fn for_each_stored(
    r: &impl Tx,
    tenant: TenantId,
    mut f: impl FnMut(Stored) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let table = r.table(TICKETS)?;
    let range = Key::tenant(tenant.0).prefix_range();
    for entry in table.range::<&[u8]>(range.bounds())? {
        let (_, v) = entry?;
        f(decode_stored(v.value())?)?;
    }
    Ok(())
}

/// Up to `limit` tickets numbered above `after` (trashed ones included), in number order:
/// for rebuilding the search index tenant by tenant.
pub fn tickets_after(
    r: &impl Tx,
    tenant: TenantId,
    after: u64,
    limit: usize,
) -> Result<Vec<Ticket>, StoreError> {
    let Some(first) = after.checked_add(1) else {
        return Ok(Vec::new());
    };
    let table = r.table(TICKETS)?;
    let range = Key::tenant(tenant.0)
        .prefix_range()
        .from_key(ticket_key(tenant, first));
    let mut out = Vec::new();
    for entry in table.range::<&[u8]>(range.bounds())?.take(limit) {
        let (_, v) = entry?;
        out.push(decode_stored(v.value())?.ticket);
    }
    Ok(out)
}

/// Numbers from a `(tenant, id, number)` index, above `after`, in number order.
fn numbers_under(
    r: &impl Tx,
    index: Index,
    prefix: Key,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let Some(first) = after.checked_add(1) else {
        return Ok(Vec::new());
    };
    let table = r.table(index.table())?;
    let range = prefix.prefix_range().from_key(prefix.clone().u64(first));
    let mut out = Vec::new();
    for entry in table.range::<&[u8]>(range.bounds())?.take(limit) {
        let (k, _) = entry?;
        out.push(number_of(k.value()).map_err(|e| e.in_table(index.name()))?);
    }
    Ok(out)
}

/// Numbers of the tickets outside the trash with `priority`, above `after`, in number
/// order: the tickets to re-key when the priority's rank changes (whatever rank they were
/// indexed with). Trashed tickets get fresh keys when restored.
pub fn tickets_with_priority(
    r: &impl Tx,
    tenant: TenantId,
    priority: PriorityId,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let prefix = Key::tenant(tenant.0).u64(priority.0);
    numbers_under(r, Index::PriorityId, prefix, after, limit)
}

/// Numbers of the customer's tickets outside the trash, above `after`, in number order:
/// the tickets to re-key when the customer's name changes.
pub fn ticket_numbers_of_customer(
    r: &impl Tx,
    tenant: TenantId,
    customer: AccountId,
    after: u64,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let prefix = Key::tenant(tenant.0).u64(customer.0);
    numbers_under(r, Index::Customer, prefix, after, limit)
}

/// Compares every ticket index, the counts and the attachment references of the tenant with
/// what its records imply; returns what differs (empty = consistent). Reads everything of
/// the tenant: for tests and maintenance, never for pages.
pub fn verify_tickets(r: &impl Tx, tenant: TenantId) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    let mut expected: Vec<BTreeSet<Vec<u8>>> = vec![BTreeSet::new(); Index::ALL.len()];
    let mut numbers = BTreeSet::new();
    {
        let table = r.table(TICKETS)?;
        let range = Key::tenant(tenant.0).prefix_range();
        for entry in table.range::<&[u8]>(range.bounds())? {
            let (k, v) = entry?;
            let s = decode_stored(v.value())?;
            if k.value() != ticket_key(s.ticket.tenant, s.ticket.number).as_bytes() {
                problems.push(format!(
                    "tickets: ticket {} is stored under another key",
                    s.ticket.number
                ));
            }
            numbers.insert(s.ticket.number);
            for (set, key) in expected.iter_mut().zip(entries(&s.ticket, &s.snapshot)) {
                set.extend(key);
            }
        }
    }
    for (index, want) in Index::ALL.iter().zip(&expected) {
        let table = r.table(index.table())?;
        let range = Key::tenant(tenant.0).prefix_range();
        let mut have = BTreeSet::new();
        for entry in table.range::<&[u8]>(range.bounds())? {
            have.insert(entry?.0.value().to_vec());
        }
        for missing in want.difference(&have) {
            problems.push(format!(
                "{}: no entry for ticket {:?}",
                index.name(),
                number_of(missing).ok()
            ));
        }
        for extra in have.difference(want) {
            problems.push(format!(
                "{}: stray entry for ticket {:?}",
                index.name(),
                number_of(extra).ok()
            ));
        }
    }
    let (kept, counted) = (ticket_counts(r, tenant)?, recount(r, tenant)?);
    if kept != counted {
        problems.push(format!(
            "ticket_counts: kept {kept:?}, records say {counted:?}"
        ));
    }
    for (table, number) in messages::thread_owners(r, tenant)? {
        if !numbers.contains(&number) {
            problems.push(format!("{table}: entries of missing ticket {number}"));
        }
    }
    let want_refs: std::collections::BTreeMap<Vec<u8>, u64> = messages::expected_refs(r, tenant)?
        .into_iter()
        .map(|(hash, n)| (messages::ref_key_bytes(tenant, &hash), n))
        .collect();
    if want_refs != messages::stored_refs(r, tenant)? {
        problems.push("attachment_refs: counts differ from the messages".into());
    }
    Ok(problems)
}
