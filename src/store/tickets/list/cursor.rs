//! Page cursors: which listing a position belongs to, and how it travels through URLs.

use std::fmt;
use std::str::FromStr;

use super::row::{TicketsTable, load_from};
use super::{SortKey, TabOrder};
use crate::domain::ids::TenantId;
use crate::domain::ticket::Status;
use crate::store::error::StoreError;
use crate::store::keys::{Key, KeyError, KeyReader};
use crate::store::tickets::indexes::{Index, number_of, position_of, status_code};

/// A listing, as recorded in a cursor so that one listing's cursor never steers another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Listing {
    Sort(SortKey),
    Tab(TabOrder),
    Trash,
}

/// What a cursor key component may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Any,
    Status,
    Rank,
}

impl Listing {
    const ALL: [Listing; 10] = [
        Listing::Sort(SortKey::Number),
        Listing::Sort(SortKey::Created),
        Listing::Sort(SortKey::Updated),
        Listing::Sort(SortKey::Customer),
        Listing::Sort(SortKey::Status),
        Listing::Sort(SortKey::Priority),
        Listing::Tab(TabOrder::Hot),
        Listing::Tab(TabOrder::Priority),
        Listing::Tab(TabOrder::Newest),
        Listing::Trash,
    ];

    /// Stable: part of every cursor handed out.
    fn tag(self) -> u8 {
        match self {
            Listing::Sort(SortKey::Number) => 1,
            Listing::Sort(SortKey::Created) => 2,
            Listing::Sort(SortKey::Updated) => 3,
            Listing::Sort(SortKey::Customer) => 4,
            Listing::Sort(SortKey::Status) => 5,
            Listing::Sort(SortKey::Priority) => 6,
            Listing::Tab(TabOrder::Hot) => 16,
            Listing::Tab(TabOrder::Priority) => 17,
            Listing::Tab(TabOrder::Newest) => 18,
            Listing::Trash => 32,
        }
    }

    /// The components of a cursor key after the tenant; the last is the ticket number.
    fn shape(self) -> &'static [Part] {
        use Part::{Any, Rank, Status};
        match self {
            Listing::Sort(SortKey::Number | SortKey::Customer) | Listing::Trash => &[Any],
            Listing::Sort(SortKey::Created | SortKey::Updated) => &[Any, Any],
            Listing::Sort(SortKey::Status) | Listing::Tab(TabOrder::Newest) => &[Status, Any],
            Listing::Sort(SortKey::Priority) => &[Rank, Any],
            Listing::Tab(TabOrder::Hot) => &[Status, Any, Any],
            Listing::Tab(TabOrder::Priority) => &[Status, Rank, Any, Any],
        }
    }
}

/// Why a cursor string was refused. Cursors come from URLs: treat this as a bad request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the page cursor is too long")]
    TooLong,
    #[error("the page cursor is not hexadecimal")]
    NotHex,
    #[error("the page cursor is not one this version issues")]
    Malformed,
}

const CURSOR_VERSION: u8 = 1;
const FLAG_DESCENDING: u8 = 1;
const FLAG_BEFORE: u8 = 2;
/// Version, tag, flags, tenant and at most four components.
const MAX_CURSOR_BYTES: usize = 3 + 8 * 5;

/// Where a page starts: opaque, URL-safe (lower-case hex), validated when decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    listing: Listing,
    descending: bool,
    before: bool,
    /// The tenant and the listing's components (see [`Listing::shape`]).
    key: Vec<u8>,
}

impl Cursor {
    /// The cursor at position `pos` of `listing`.
    pub(super) fn at(
        listing: Listing,
        descending: bool,
        before: bool,
        pos: &[u8],
    ) -> Result<Cursor, StoreError> {
        let key = if listing == Listing::Sort(SortKey::Customer) {
            let corrupt = |e: KeyError| e.in_table(Index::StatusCustomerName.name());
            let tenant = KeyReader::new(pos).tenant().map_err(corrupt)?;
            Key::tenant(tenant)
                .u64(number_of(pos).map_err(corrupt)?)
                .into_bytes()
        } else {
            pos.to_vec()
        };
        Ok(Cursor {
            listing,
            descending,
            before,
            key,
        })
    }

    /// Whether the cursor asks for the page before its position ("previous").
    pub fn is_before(&self) -> bool {
        self.before
    }

    pub fn encode(&self) -> String {
        let mut flags = 0;
        if self.descending {
            flags |= FLAG_DESCENDING;
        }
        if self.before {
            flags |= FLAG_BEFORE;
        }
        let mut bytes = vec![CURSOR_VERSION, self.listing.tag(), flags];
        bytes.extend_from_slice(&self.key);
        hex::encode(bytes)
    }

    /// Parses a cursor from untrusted input; anything this version did not issue is refused.
    pub fn decode(s: &str) -> Result<Cursor, CursorError> {
        if s.len() > 2 * MAX_CURSOR_BYTES {
            return Err(CursorError::TooLong);
        }
        let bytes = hex::decode(s).map_err(|_| CursorError::NotHex)?;
        let [version, tag, flags, key @ ..] = bytes.as_slice() else {
            return Err(CursorError::Malformed);
        };
        let listing = Listing::ALL
            .into_iter()
            .find(|l| l.tag() == *tag)
            .ok_or(CursorError::Malformed)?;
        if *version != CURSOR_VERSION || flags & !(FLAG_DESCENDING | FLAG_BEFORE) != 0 {
            return Err(CursorError::Malformed);
        }
        let mut reader = KeyReader::new(key);
        reader.tenant().map_err(|_| CursorError::Malformed)?;
        for part in listing.shape() {
            let v = reader.u64().map_err(|_| CursorError::Malformed)?;
            let fits = match part {
                Part::Any => true,
                Part::Status => u8::try_from(v).ok().and_then(Status::from_u8).is_some(),
                Part::Rank => u32::try_from(v).is_ok(),
            };
            if !fits {
                return Err(CursorError::Malformed);
            }
        }
        reader.finish().map_err(|_| CursorError::Malformed)?;
        Ok(Cursor {
            listing,
            descending: flags & FLAG_DESCENDING != 0,
            before: flags & FLAG_BEFORE != 0,
            key: key.to_vec(),
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl FromStr for Cursor {
    type Err = CursorError;

    fn from_str(s: &str) -> Result<Cursor, CursorError> {
        Cursor::decode(s)
    }
}

/// Where a page resumes: a position of the listing, and which side of it.
#[derive(Debug, Clone)]
pub(super) struct Resume {
    pub(super) before: bool,
    pub(super) pos: Vec<u8>,
}

/// The position `cursor` resumes from, or `None` (start over) if it belongs to another
/// listing, direction, tenant or tab, or names a ticket that is gone (customer sort).
pub(super) fn resume_point(
    tickets: &impl TicketsTable,
    tenant: TenantId,
    listing: Listing,
    descending: bool,
    cursor: Option<&Cursor>,
    tab_status: Option<Status>,
) -> Result<Option<Resume>, StoreError> {
    let Some(c) = cursor else {
        return Ok(None);
    };
    if c.listing != listing || c.descending != descending {
        return Ok(None);
    }
    let mut reader = KeyReader::new(&c.key);
    if reader.tenant() != Ok(tenant.0) {
        return Ok(None);
    }
    if let Some(status) = tab_status
        && reader.u64() != Ok(status_code(status))
    {
        return Ok(None);
    }
    let pos = if listing == Listing::Sort(SortKey::Customer) {
        let Ok(number) = number_of(&c.key) else {
            return Ok(None);
        };
        match load_from(tickets, tenant, number)? {
            Some(s) => {
                let index = Index::StatusCustomerName;
                position_of(index.key(&s.ticket, &s.snapshot).as_bytes())
                    .map_err(|e| e.in_table(index.name()))?
            }
            None => return Ok(None),
        }
    } else {
        c.key.clone()
    };
    Ok(Some(Resume {
        before: c.before,
        pos,
    }))
}
