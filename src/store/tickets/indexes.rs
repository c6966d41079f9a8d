//! The index entries a ticket has, and the keys they are stored under.
//!
//! Every key starts with the tenant and ends with the ticket number, so the number of any
//! index entry is its last 8 bytes, and keys that tie on the sort value fall back to number
//! order. Which entries exist is a pure function of the stored ticket and its [`Snapshot`],
//! so a write moves exactly the entries whose key changed by comparing the old and the new
//! entry set, and a consistency check can recompute every index from the records alone.

use jiff::Timestamp;

use crate::domain::ids::TenantId;
use crate::domain::ticket::{Status, Ticket};
use crate::store::access::SetTable;
use crate::store::keys::{Key, KeyError};
use crate::store::tables::{self, name};

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
    Created,
    Updated,
    CustomerName,
    Status,
    Priority,
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
        Index::Created,
        Index::Updated,
        Index::CustomerName,
        Index::Status,
        Index::Priority,
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
            Index::Created => tables::TICKET_BY_CREATED,
            Index::Updated => tables::TICKET_BY_UPDATED,
            Index::CustomerName => tables::TICKET_BY_CUSTOMER_NAME,
            Index::Status => tables::TICKET_BY_STATUS,
            Index::Priority => tables::TICKET_BY_PRIORITY,
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
            Index::Created => name::TICKET_BY_CREATED,
            Index::Updated => name::TICKET_BY_UPDATED,
            Index::CustomerName => name::TICKET_BY_CUSTOMER_NAME,
            Index::Status => name::TICKET_BY_STATUS,
            Index::Priority => name::TICKET_BY_PRIORITY,
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
            Index::Created => k.u64(time_key(p.created_at)),
            Index::Updated => k.u64(time_key(p.updated_at)),
            Index::CustomerName => k.str(p.customer_name),
            Index::Status => k.u64(status_code(p.status)),
            Index::Priority => k.u64(u64::from(p.priority_rank)),
            Index::PriorityId => k.u64(id_or_zero(p.priority)),
            Index::Customer => k.u64(p.customer),
            Index::Assignee => k.u64(id_or_zero(p.assignee)),
            Index::Topic => k.u64(id_or_zero(p.topic)),
            Index::Trash => k,
        };
        k.u64(p.number)
    }

    /// Whether a ticket in this trash state has an entry here: trashed tickets are only in
    /// the trash, live ones in every index but the trash.
    fn holds(self, trashed: bool) -> bool {
        (self == Index::Trash) == trashed
    }
}

/// The entries of every index for a ticket (`None` = no entry), in [`Index::ALL`] order.
pub(super) fn entries(t: &Ticket, s: &Snapshot) -> [Option<Vec<u8>>; INDEX_COUNT] {
    let trashed = t.deleted.is_some();
    Index::ALL.map(|i| i.holds(trashed).then(|| i.key(t, s).into_bytes()))
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
