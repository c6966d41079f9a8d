//! The outbox: searchable changes in commit order, for the search indexer (docs/search.md,
//! "Outbox and indexer").
//!
//! The transaction that changes a searchable record appends an entry naming it, so the
//! indexer never misses a change: it remembers the last seq it applied (in its commit
//! payload), reads what came after with [`outbox_after`], and trims what every consumer has
//! applied with [`trim_outbox`]. Entries name records rather than carry them; the indexer
//! reads the current state, so several entries for one record collapse into one update.

use crate::store::WriteTx;
use std::ops::Bound;

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::domain::ids::TenantId;
use crate::store::Store;
use crate::store::access::{BadValue, Tx, versioned_v1};
use crate::store::error::StoreError;
use crate::store::keys::Key;
use crate::store::record;
use crate::store::tables::{OUTBOX, SEQUENCES, name};

const SEQUENCE: &str = "outbox";

/// What kind of record an entry names. More kinds (knowledge base, documents, devices)
/// append variants here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxKind {
    /// `id` is the ticket number; its messages belong to it.
    Ticket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxOp {
    /// Created or changed: (re)index the record as it now is.
    Upsert,
    /// Gone from search: purged or moved to the trash.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: u64,
    pub tenant: TenantId,
    pub kind: OutboxKind,
    pub id: u64,
    pub op: OutboxOp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum OutboxRecord {
    V1(OutboxV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OutboxV1 {
    tenant: u64,
    kind: OutboxKindV1,
    id: u64,
    op: OutboxOpV1,
}

versioned_v1!(OutboxRecord, OutboxV1);

/// Encoded by position: append only, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum OutboxKindV1 {
    Ticket,
}

/// Encoded by position: append only, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum OutboxOpV1 {
    Upsert,
    Delete,
}

fn to_entry(seq: u64, r: OutboxV1) -> Result<OutboxEntry, BadValue> {
    if r.tenant == TenantId::INSTANCE.0 {
        return Err(BadValue("an outbox entry without a tenant".into()));
    }
    Ok(OutboxEntry {
        seq,
        tenant: TenantId(r.tenant),
        kind: match r.kind {
            OutboxKindV1::Ticket => OutboxKind::Ticket,
        },
        id: r.id,
        op: match r.op {
            OutboxOpV1::Upsert => OutboxOp::Upsert,
            OutboxOpV1::Delete => OutboxOp::Delete,
        },
    })
}

fn key(seq: u64) -> Key {
    Key::tenant(TenantId::INSTANCE.0).u64(seq)
}

/// Appends an entry inside the caller's transaction; returns its seq.
pub(crate) fn append_outbox(
    w: &WriteTx,
    tenant: TenantId,
    kind: OutboxKind,
    id: u64,
    op: OutboxOp,
) -> Result<u64, StoreError> {
    let seq = Store::next_id(w, SEQUENCE)?;
    let rec = OutboxV1 {
        tenant: tenant.0,
        kind: match kind {
            OutboxKind::Ticket => OutboxKindV1::Ticket,
        },
        id,
        op: match op {
            OutboxOp::Upsert => OutboxOpV1::Upsert,
            OutboxOp::Delete => OutboxOpV1::Delete,
        },
    };
    let bytes = record::encode_current::<OutboxRecord>(name::OUTBOX, rec)?;
    w.open_table(OUTBOX)?
        .insert(key(seq).as_bytes(), bytes.as_slice())?;
    Ok(seq)
}

/// Up to `limit` entries with a seq above `after_seq`, oldest first.
pub fn outbox_after(
    r: &impl Tx,
    after_seq: u64,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let Some(first) = after_seq.checked_add(1) else {
        return Ok(Vec::new());
    };
    let table = r.table(OUTBOX)?;
    let start = key(first);
    let end = Key::tenant(TenantId::INSTANCE.0).prefix_range().end;
    let upper = match &end {
        Some(e) => Bound::Excluded(e.as_slice()),
        None => Bound::Unbounded,
    };
    let mut out = Vec::new();
    for entry in table
        .range::<&[u8]>((Bound::Included(start.as_bytes()), upper))?
        .take(limit)
    {
        let (k, v) = entry?;
        let seq = super::indexes::number_of(k.value()).map_err(|e| e.in_table(name::OUTBOX))?;
        let rec = record::decode_current::<OutboxRecord>(name::OUTBOX, v.value())?;
        out.push(
            to_entry(seq, rec).map_err(|BadValue(detail)| StoreError::Corrupt {
                table: name::OUTBOX,
                detail,
            })?,
        );
    }
    Ok(out)
}

/// The newest seq ever issued (0 if none), trimmed entries included: an indexer whose last
/// applied seq equals this is up to date.
pub fn outbox_head(r: &impl Tx) -> Result<u64, StoreError> {
    let table = r.table(SEQUENCES)?;
    let head = table.get(SEQUENCE)?.map_or(0, |v| v.value());
    Ok(head)
}

/// Removes every entry up to and including `up_to_seq`.
pub fn trim_outbox(w: &WriteTx, up_to_seq: u64) -> Result<(), StoreError> {
    let start = key(0);
    let end = key(up_to_seq);
    w.open_table(OUTBOX)?.retain_in::<&[u8], _>(
        (
            Bound::Included(start.as_bytes()),
            Bound::Included(end.as_bytes()),
        ),
        |_, _| false,
    )?;
    Ok(())
}
