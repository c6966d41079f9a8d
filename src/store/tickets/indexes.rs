//! The index entries a ticket has, and the keys they are stored under.
//!
//! Every key starts with the tenant and ends with the ticket number, so the number of any
//! index entry is its last 8 bytes, and keys that tie on the sort value fall back to number
//! order. Which entries exist is a pure function of the stored ticket and its [`Snapshot`],
//! so a write moves exactly the entries whose key changed by comparing the old and the new
//! entry set, and a consistency check can recompute every index from the records alone.

use crate::store::WriteTx;
use jiff::Timestamp;
use redb::ReadableTable;

use super::decode_stored;
use crate::domain::ids::TenantId;
use crate::domain::ticket::{Status, Ticket};
use crate::store::access::SetTable;
use crate::store::error::StoreError;
use crate::store::keys::{Key, KeyError};
use crate::store::tables::{self, TICKETS, name};

/// The counts bucket of trashed tickets; live tickets count under `Status::as_u8`.
pub(super) const TRASH_BUCKET: u64 = 255;

/// Longest customer-name prefix kept in keys: sorting by the first 64 characters is as good
/// as by the whole name, and it bounds the key size whatever a name holds.
const NAME_KEY_CHARS: usize = 64;

/// What a ticket's keys depend on beyond the ticket itself. Stored in the ticket record, so
/// the entries a ticket has are always known from the store, never from what a caller
/// remembers (a priority's rank may have changed since the ticket was indexed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Snapshot {
    pub priority_rank: u32,
    /// Lower-cased and cut to [`NAME_KEY_CHARS`].
    pub customer_name: String,
}

impl Snapshot {
    pub(super) fn new(ticket: &Ticket, rank: u32, customer_name: &str) -> Snapshot {
        Snapshot {
            // A ticket without a priority sorts last, whatever the caller passed.
            priority_rank: if ticket.priority.is_some() {
                rank
            } else {
                u32::MAX
            },
            customer_name: name_key(customer_name),
        }
    }
}

pub(super) fn name_key(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .take(NAME_KEY_CHARS)
        .collect()
}

/// Microseconds with the sign bit flipped: byte order equals time order, before 1970 too.
pub(super) fn time_key(t: Timestamp) -> u64 {
    t.as_microsecond().cast_unsigned() ^ (1 << 63)
}

/// The ticket's primary key, which is also its position in "by number" order.
pub(super) fn ticket_key(tenant: TenantId, number: u64) -> Key {
    Key::tenant(tenant.0).u64(number)
}

/// A ticket's thread (messages or history): `(tenant, number)`, followed by the seq.
pub(super) fn thread_prefix(tenant: TenantId, number: u64) -> Key {
    Key::tenant(tenant.0).u64(number)
}

pub(super) fn status_code(s: Status) -> u64 {
    u64::from(s.as_u8())
}

/// The bucket a ticket is counted in.
pub(super) fn bucket(t: &Ticket) -> u64 {
    if t.deleted.is_some() {
        TRASH_BUCKET
    } else {
        status_code(t.status)
    }
}

/// `0` stands for "none": no stored id is 0 (sequences start at 1).
fn id_or_zero(id: Option<u64>) -> u64 {
    id.unwrap_or(0)
}

/// The last 8 bytes of an index key: the ticket number.
pub(super) fn number_of(key: &[u8]) -> Result<u64, KeyError> {
    let tail = key
        .len()
        .checked_sub(8)
        .and_then(|start| key.get(start..))
        .ok_or(KeyError::Truncated)?;
    let bytes = <[u8; 8]>::try_from(tail).map_err(|_| KeyError::Truncated)?;
    Ok(u64::from_be_bytes(bytes))
}

/// The columns index keys are made of: a ticket's own and its [`Snapshot`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KeyParts<'a> {
    pub tenant: u64,
    pub number: u64,
    pub status: Status,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub waiting_since: Timestamp,
    pub priority_rank: u32,
    pub customer_name: &'a str,
    pub priority: Option<u64>,
    pub customer: u64,
    pub assignee: Option<u64>,
    pub topic: Option<u64>,
}

impl<'a> KeyParts<'a> {
    pub(super) fn of(t: &Ticket, s: &'a Snapshot) -> KeyParts<'a> {
        KeyParts {
            tenant: t.tenant.0,
            number: t.number,
            status: t.status,
            created_at: t.created_at,
            updated_at: t.updated_at,
            waiting_since: t.waiting_since,
            priority_rank: s.priority_rank,
            customer_name: &s.customer_name,
            priority: t.priority.map(|p| p.0),
            customer: t.customer.0,
            assignee: t.assignee.map(|a| a.0),
            topic: t.topic.map(|x| x.0),
        }
    }
}

/// The ticket index tables. Order matters only in that [`Index::ALL`] lists every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Index {
    StatusWait,
    StatusPriority,
    StatusCreated,
    StatusUpdated,
    StatusCustomerName,
    Status,
    StatusRank,
    PriorityId,
    Customer,
    Assignee,
    Topic,
    Trash,
}

pub(super) const INDEX_COUNT: usize = 12;

impl Index {
    pub(super) const ALL: [Index; INDEX_COUNT] = [
        Index::StatusWait,
        Index::StatusPriority,
        Index::StatusCreated,
        Index::StatusUpdated,
        Index::StatusCustomerName,
        Index::Status,
        Index::StatusRank,
        Index::PriorityId,
        Index::Customer,
        Index::Assignee,
        Index::Topic,
        Index::Trash,
    ];

    pub(super) fn table(self) -> SetTable {
        match self {
            Index::StatusWait => tables::TICKET_BY_STATUS_WAIT,
            Index::StatusPriority => tables::TICKET_BY_STATUS_PRIORITY,
            Index::StatusCreated => tables::TICKET_BY_STATUS_CREATED,
            Index::StatusUpdated => tables::TICKET_BY_STATUS_UPDATED,
            Index::StatusCustomerName => tables::TICKET_BY_STATUS_CUSTOMER_NAME,
            Index::Status => tables::TICKET_BY_STATUS,
            Index::StatusRank => tables::TICKET_BY_STATUS_RANK,
            Index::PriorityId => tables::TICKET_BY_PRIORITY_ID,
            Index::Customer => tables::TICKET_BY_CUSTOMER,
            Index::Assignee => tables::TICKET_BY_ASSIGNEE,
            Index::Topic => tables::TICKET_BY_TOPIC,
            Index::Trash => tables::TICKET_TRASH,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Index::StatusWait => name::TICKET_BY_STATUS_WAIT,
            Index::StatusPriority => name::TICKET_BY_STATUS_PRIORITY,
            Index::StatusCreated => name::TICKET_BY_STATUS_CREATED,
            Index::StatusUpdated => name::TICKET_BY_STATUS_UPDATED,
            Index::StatusCustomerName => name::TICKET_BY_STATUS_CUSTOMER_NAME,
            Index::Status => name::TICKET_BY_STATUS,
            Index::StatusRank => name::TICKET_BY_STATUS_RANK,
            Index::PriorityId => name::TICKET_BY_PRIORITY_ID,
            Index::Customer => name::TICKET_BY_CUSTOMER,
            Index::Assignee => name::TICKET_BY_ASSIGNEE,
            Index::Topic => name::TICKET_BY_TOPIC,
            Index::Trash => name::TICKET_TRASH,
        }
    }

    /// The key `t` has (or would have) in this index.
    pub(super) fn key(self, t: &Ticket, s: &Snapshot) -> Key {
        self.key_of(&KeyParts::of(t, s))
    }

    /// The key a ticket with these columns has in this index: the one definition of every
    /// key layout, shared by writes (from a whole ticket) and listings (from a row view).
    pub(super) fn key_of(self, p: &KeyParts<'_>) -> Key {
        let k = Key::tenant(p.tenant);
        let k = match self {
            Index::StatusWait => k.u64(status_code(p.status)).u64(time_key(p.waiting_since)),
            Index::StatusPriority => k
                .u64(status_code(p.status))
                .u64(u64::from(p.priority_rank))
                .u64(time_key(p.waiting_since)),
            Index::StatusCreated => k.u64(status_code(p.status)).u64(time_key(p.created_at)),
            Index::StatusUpdated => k.u64(status_code(p.status)).u64(time_key(p.updated_at)),
            Index::StatusCustomerName => k.u64(status_code(p.status)).str(p.customer_name),
            Index::Status => k.u64(status_code(p.status)),
            Index::StatusRank => k.u64(status_code(p.status)).u64(u64::from(p.priority_rank)),
            Index::PriorityId => k.u64(id_or_zero(p.priority)),
            Index::Customer => k.u64(p.customer),
            Index::Assignee => k.u64(id_or_zero(p.assignee)),
            Index::Topic => k.u64(id_or_zero(p.topic)),
            Index::Trash => k,
        };
        k.u64(p.number)
    }

    /// The indexes keyed `(tenant, status, sort value, number)` that ticket management
    /// lists in `(sort value, number)` order whatever the status, by merging the ranges of
    /// the statuses it shows (see [`position_of`]).
    pub(super) fn sorts_within_status(self) -> bool {
        matches!(
            self,
            Index::StatusCreated
                | Index::StatusUpdated
                | Index::StatusCustomerName
                | Index::StatusRank
        )
    }

    /// Whether a ticket in this trash state has an entry here: trashed tickets are only in
    /// the trash, live ones in every index but the trash.
    fn holds(self, trashed: bool) -> bool {
        (self == Index::Trash) == trashed
    }
}

/// Bytes of the tenant component every key starts with.
const TENANT_BYTES: usize = 8;
/// Bytes of the tenant and status components of a status-first key.
const TENANT_STATUS_BYTES: usize = 16;

/// The listing position of an entry of a status-first sort index: its key without the
/// status, so that entries of every status compare in `(sort value, number)` order, and a
/// cursor stays valid whichever statuses the next page walks.
pub(super) fn position_of(key: &[u8]) -> Result<Vec<u8>, KeyError> {
    let (Some(tenant), Some(rest)) = (key.get(..TENANT_BYTES), key.get(TENANT_STATUS_BYTES..))
    else {
        return Err(KeyError::Truncated);
    };
    let mut pos = Vec::with_capacity(key.len() - (TENANT_STATUS_BYTES - TENANT_BYTES));
    pos.extend_from_slice(tenant);
    pos.extend_from_slice(rest);
    Ok(pos)
}

/// The bytes of a status-first key after the tenant and the status: how its position
/// compares with others of the same tenant.
pub(super) fn after_status(key: &[u8]) -> &[u8] {
    key.get(TENANT_STATUS_BYTES..).unwrap_or_default()
}

/// The key a listing position has in the status range that `under` (a key or range
/// bound starting with tenant and status) belongs to: the inverse of [`position_of`].
pub(super) fn key_at(pos: &[u8], under: &[u8]) -> Result<Vec<u8>, KeyError> {
    let (Some(prefix), Some(rest)) = (under.get(..TENANT_STATUS_BYTES), pos.get(TENANT_BYTES..))
    else {
        return Err(KeyError::Truncated);
    };
    let mut key = Vec::with_capacity(pos.len() + TENANT_STATUS_BYTES - TENANT_BYTES);
    key.extend_from_slice(prefix);
    key.extend_from_slice(rest);
    Ok(key)
}

/// The entries of every index for a ticket (`None` = no entry), in [`Index::ALL`] order.
pub(super) fn entries(t: &Ticket, s: &Snapshot) -> [Option<Vec<u8>>; INDEX_COUNT] {
    let trashed = t.deleted.is_some();
    Index::ALL.map(|i| i.holds(trashed).then(|| i.key(t, s).into_bytes()))
}

/// Fills the status-first sort indexes ([`Index::sorts_within_status`]) from the ticket
/// records: the migration to schema 2. One index at a time, each sorted before it is
/// inserted, so memory holds one index's keys and the B-tree is filled in key order.
pub(in crate::store) fn fill_status_first_indexes(w: &WriteTx) -> Result<(), StoreError> {
    let tickets = w.open_table(TICKETS)?;
    for index in Index::ALL.into_iter().filter(|i| i.sorts_within_status()) {
        let mut keys = Vec::new();
        for entry in tickets.iter()? {
            let (_, v) = entry?;
            let s = decode_stored(v.value())?;
            if index.holds(s.ticket.deleted.is_some()) {
                keys.push(index.key(&s.ticket, &s.snapshot).into_bytes());
            }
        }
        keys.sort_unstable();
        let mut table = w.open_table(index.table())?;
        for key in &keys {
            table.insert(key.as_slice(), ())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_sort_like_time_across_the_epoch() {
        let times = [-5_000_000i64, -1, 0, 1, 1_767_225_600_000_000];
        let keys: Vec<u64> = times
            .iter()
            .map(|&us| time_key(Timestamp::from_microsecond(us).unwrap()))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn number_is_the_last_component_of_every_key() {
        assert_eq!(
            number_of(&Key::tenant(3).str("a\0b").u64(77).into_bytes()),
            Ok(77)
        );
        assert_eq!(number_of(&[1, 2, 3]), Err(KeyError::Truncated));
    }

    #[test]
    fn names_are_lower_cased_trimmed_and_bounded() {
        assert_eq!(name_key("  Ärger GmbH "), "ärger gmbh");
        assert_eq!(name_key(&"x".repeat(500)).chars().count(), NAME_KEY_CHARS);
    }
}
