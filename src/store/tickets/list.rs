//! Listing tickets: the supporter tabs, ticket management, a customer's tickets, the trash.
//!
//! Every listing is keyset-paginated over a total order of byte keys (its "positions"):
//! the keys of the index that sorts it, which all end with the ticket number, so ties
//! fall back to number order. A [`Cursor`] names a position and whether the page goes
//! after it (next) or before it (previous); it only resumes, it never grants anything.
//!
//! # How ticket management answers a [`ListQuery`]
//!
//! 1. `number` set: one point read.
//! 2. `numbers` set (free-text hits, already of this tenant): those tickets only, filtered
//!    and sorted in memory. At most [`SCAN_LIMIT`] of them are considered (the first ones
//!    given); more sets `scanned_limit_hit`. Sorting by number loads only what the page
//!    needs; other sorts load all of them, so searches should pass ≤ [`IN_MEMORY_LIMIT`].
//! 3. Otherwise the candidate sets are sized: the status set exactly from the kept counts;
//!    each equality filter (customer, assignee, priority, topic) and the created range (when
//!    sorting by something else) by counting index entries up to [`IN_MEMORY_LIMIT`] + 1.
//!    Then:
//!    * sorted by number, and some set's index is (tenant, value, number)-ordered (the four
//!      equality filters, or a single status): walk the smallest of those in number order,
//!      exact and as short as that filter allows; unless an unordered set (several statuses,
//!      the created range) is smaller still and small enough for memory;
//!    * else, if the smallest set holds ≤ [`IN_MEMORY_LIMIT`] tickets: read that set, filter
//!      and sort it in memory;
//!    * else walk the sort's own index in the requested direction (only the requested
//!      statuses' ranges when sorting by status; only the created range when sorting by
//!      created). Equality filters, and a status filter (in `TICKET_BY_STATUS`), are
//!      checked by a point probe into their index before a record is read, so most rejected
//!      entries cost one lookup in a small index, not a record read. Records are first read
//!      as a row view (no text decoded); only the tickets a page shows are decoded in full.
//!
//!    A walk stops after limit + 1 matches or after [`SCAN_LIMIT`] index entries; then the
//!    page says `scanned_limit_hit` and its `next` cursor continues the walk where it
//!    stopped ("refine the filter, or look further"). Every set that is walked holds more
//!    than [`IN_MEMORY_LIMIT`] tickets, so an independent filter matches at least that share
//!    of the tenant: a 50-row page of a 100,000-ticket tenant then needs ~2,500 entries at
//!    most. The limit bites when filters are combined or correlate with the sort order.
//!    The two limits are balanced: reading N records for memory costs about as much as
//!    walking N entries (0.4–1 µs each, measured by `tests/perf.rs`), and
//!    √(page × tenant) ≈ 2,000 is where walking and sorting in memory break even for a
//!    100,000-ticket tenant.
//!
//! The customer-name sort keeps no names in cursors (they end up in URLs and logs): its
//! cursor holds the ticket number, and resuming reads that ticket's indexed name.

use std::fmt;
use std::ops::Bound;
use std::str::FromStr;

use jiff::Timestamp;
use redb::{AccessGuard, ReadableTable, StorageError};
use serde::Deserialize;

use super::indexes::{Index, KeyParts, number_of, status_code, ticket_key, time_key};
use super::{StatusV1, Stored, decode_stored, ticket_counts};
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::ticket::{Status, Ticket};
use crate::store::access::{self, BadValue, Tx, dangling};
use crate::store::error::StoreError;
use crate::store::keys::{Key, KeyError, KeyReader, PrefixRange};
use crate::store::tables::{TICKETS, name};

/// Most index entries (or records) one page examines: about 5 ms of work optimised, so a
/// page that walks to the limit still meets the 10 ms budget.
pub const SCAN_LIMIT: usize = 10_000;
/// Largest filter set that is sorted in memory rather than walked in sort order.
pub const IN_MEMORY_LIMIT: usize = 2_000;
/// Largest page; bigger `limit`s are cut to it (and 0 counts as 1).
pub const MAX_PAGE: usize = 500;

#[derive(Debug, Clone, Copy)]
struct Limits {
    scan: usize,
    in_memory: usize,
}

const LIMITS: Limits = Limits {
    scan: SCAN_LIMIT,
    in_memory: IN_MEMORY_LIMIT,
};

/// The order of a supporter tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TabOrder {
    /// Longest waiting first.
    Hot,
    /// Most urgent priority first, then longest waiting.
    Priority,
    /// Newest ticket first.
    Newest,
}

/// The column ticket management sorts by; ties go by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    #[default]
    Number,
    Created,
    Updated,
    /// The customer's name, ignoring case.
    Customer,
    /// In `Status::as_u8` order (new, open, waiting, resolved, closed).
    Status,
    /// Most urgent first when ascending.
    Priority,
}

/// A ticket-management query. The default lists every ticket outside the trash by number,
/// oldest first; set `descending` for newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    /// Any of these; empty = every status (never the trash, see [`trash_page`]).
    pub statuses: Vec<Status>,
    pub number: Option<u64>,
    pub customer: Option<AccountId>,
    /// `Some(None)` = unassigned.
    pub assignee: Option<Option<AccountId>>,
    pub priority: Option<PriorityId>,
    pub topic: Option<TopicId>,
    /// Created at or after.
    pub created_from: Option<Timestamp>,
    /// Created before (exclusive: pass the start of the day after the last one shown).
    pub created_to: Option<Timestamp>,
    /// Restricts to these numbers: the hits of a free-text search of this tenant.
    pub numbers: Option<Vec<u64>>,
    pub sort: SortKey,
    pub descending: bool,
    /// A cursor of a page of this listing; one of another listing (sort, direction, tenant)
    /// is ignored, so the first page is shown.
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

impl ListQuery {
    fn matches(&self, t: &Row<'_>) -> bool {
        t.deleted.is_none()
            && (self.statuses.is_empty() || self.statuses.contains(&Status::from(t.status)))
            && self.customer.is_none_or(|c| t.customer == c.0)
            && self.assignee.is_none_or(|a| t.assignee == a.map(|a| a.0))
            && self.priority.is_none_or(|p| t.priority == Some(p.0))
            && self.topic.is_none_or(|x| t.topic == Some(x.0))
            && self
                .created_from
                .is_none_or(|f| t.created_at_ns >= f.as_nanosecond())
            && self
                .created_to
                .is_none_or(|e| t.created_at_ns < e.as_nanosecond())
    }

    /// The filters with a `(tenant, value, number)` index, as (index, prefix).
    fn equality_filters(&self, tenant: TenantId) -> Vec<(Index, Key)> {
        let under = |v: u64| Key::tenant(tenant.0).u64(v);
        let mut out = Vec::new();
        if let Some(c) = self.customer {
            out.push((Index::Customer, under(c.0)));
        }
        if let Some(a) = self.assignee {
            out.push((Index::Assignee, under(a.map_or(0, |a| a.0))));
        }
        if let Some(p) = self.priority {
            out.push((Index::PriorityId, under(p.0)));
        }
        if let Some(x) = self.topic {
            out.push((Index::Topic, under(x.0)));
        }
        out
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    pub tickets: Vec<Ticket>,
    /// The page after this one, if there may be one.
    pub next: Option<Cursor>,
    /// The page before this one, if this is not the first.
    pub prev: Option<Cursor>,
    /// The page stopped after [`SCAN_LIMIT`] entries with fewer matches than asked for:
    /// there may be more further on (`next` continues); the filter is worth refining.
    pub scanned_limit_hit: bool,
}

/// A listing, as recorded in a cursor so that one listing's cursor never steers another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Listing {
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
    fn at(
        listing: Listing,
        descending: bool,
        before: bool,
        pos: &[u8],
    ) -> Result<Cursor, StoreError> {
        let key = if listing == Listing::Sort(SortKey::Customer) {
            let corrupt = |e: KeyError| e.in_table(Index::CustomerName.name());
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
struct Resume {
    before: bool,
    pos: Vec<u8>,
}

/// The open `TICKETS` table, shared by a listing so a write transaction opens it once.
trait TicketsTable: ReadableTable<&'static [u8], &'static [u8]> {}
impl<T: ReadableTable<&'static [u8], &'static [u8]>> TicketsTable for T {}

trait SetIndex: ReadableTable<&'static [u8], ()> {}
impl<T: ReadableTable<&'static [u8], ()>> SetIndex for T {}

fn load_from(
    tickets: &impl TicketsTable,
    tenant: TenantId,
    number: u64,
) -> Result<Option<Stored>, StoreError> {
    match tickets.get(ticket_key(tenant, number).as_bytes())? {
        Some(v) => Ok(Some(decode_stored(v.value())?)),
        None => Ok(None),
    }
}

/// The columns of a stored ticket that listings filter and sort by, read in place.
///
/// A listing tests many more tickets than it shows, and decoding each in full (body and
/// solution copied into fresh `String`s, UTF-8 checked) was most of the cost of a page at a
/// million tickets. This view mirrors `TicketV1` field by field (postcard stores fields by
/// position, without names) but takes text as borrowed bytes, which postcard lays out
/// exactly like `str`: a rejected ticket costs no allocation and no UTF-8 check. Only
/// the tickets a page shows are decoded in full. When the ticket record gains a version,
/// this view must learn it too; `row_view_reads_what_the_record_holds` fails until it does.
#[derive(Deserialize)]
enum RowRecord<'a> {
    #[serde(borrow)]
    V1(Row<'a>),
}

/// See [`RowRecord`]; fields a listing never looks at are only skipped over.
#[derive(Deserialize)]
struct Row<'a> {
    tenant: u64,
    number: u64,
    _subject: &'a [u8],
    _body: &'a [u8],
    customer: u64,
    _created_by: u64,
    assignee: Option<u64>,
    priority: Option<u64>,
    topic: Option<u64>,
    status: StatusV1,
    created_at_ns: i128,
    updated_at_ns: i128,
    waiting_since_ns: i128,
    #[serde(borrow)]
    _solution: Option<&'a [u8]>,
    deleted: Option<(i128, u64)>,
    _message_count: u32,
    _attachment_count: u32,
    priority_rank: u32,
    customer_name_key: &'a [u8],
}

fn corrupt_row(detail: String) -> StoreError {
    StoreError::Corrupt {
        table: name::TICKETS,
        detail,
    }
}

/// Reads the [`Row`] of a stored ticket, as strictly as the full decoding would.
fn decode_row(bytes: &[u8]) -> Result<Row<'_>, StoreError> {
    let (record, rest) = postcard::take_from_bytes::<RowRecord<'_>>(bytes)
        .map_err(|e| corrupt_row(format!("undecodable record: {e}")))?;
    if !rest.is_empty() {
        return Err(corrupt_row(format!(
            "{} unexpected bytes after the record",
            rest.len()
        )));
    }
    match record {
        RowRecord::V1(row) => Ok(row),
    }
}

impl Row<'_> {
    /// The row's index-key columns; only listings sorted in memory need them.
    fn key_parts(&self) -> Result<KeyParts<'_>, StoreError> {
        let time = |ns| access::timestamp(ns).map_err(|BadValue(d)| corrupt_row(d));
        Ok(KeyParts {
            tenant: self.tenant,
            number: self.number,
            status: self.status.into(),
            created_at: time(self.created_at_ns)?,
            updated_at: time(self.updated_at_ns)?,
            waiting_since: time(self.waiting_since_ns)?,
            priority_rank: self.priority_rank,
            customer_name: std::str::from_utf8(self.customer_name_key)
                .map_err(|e| corrupt_row(format!("customer name key: {e}")))?,
            priority: self.priority,
            customer: self.customer,
            assignee: self.assignee,
            topic: self.topic,
        })
    }
}

/// Whether a listing takes a ticket, judged from its [`Row`].
type Accept<'a> = &'a dyn Fn(&Row<'_>) -> bool;

/// A ticket looked up for a listing.
// Returned by value and consumed at once: boxing the ticket would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Looked {
    Missing,
    Rejected,
    Taken(Stored),
}

/// Reads ticket `number`; decodes it in full only if `accept` takes it.
fn look_up(
    tickets: &impl TicketsTable,
    tenant: TenantId,
    number: u64,
    accept: Accept<'_>,
) -> Result<Looked, StoreError> {
    let Some(v) = tickets.get(ticket_key(tenant, number).as_bytes())? else {
        return Ok(Looked::Missing);
    };
    let bytes = v.value();
    if accept(&decode_row(bytes)?) {
        Ok(Looked::Taken(decode_stored(bytes)?))
    } else {
        Ok(Looked::Rejected)
    }
}

/// The position `cursor` resumes from, or `None` (start over) if it belongs to another
/// listing, direction, tenant or tab, or names a ticket that is gone (customer sort).
fn resume_point(
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
            Some(s) => Index::CustomerName.key(&s.ticket, &s.snapshot).into_bytes(),
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

/// What a page asks of a scan: walk direction, the exclusive start, how many matches.
struct Want<'a> {
    reverse: bool,
    after: Option<&'a [u8]>,
    count: usize,
}

impl Want<'_> {
    fn beyond(&self, pos: &[u8]) -> bool {
        self.after
            .is_none_or(|a| if self.reverse { pos < a } else { pos > a })
    }
}

/// Matches in walk order with their positions; `stopped_at` is set when the scan limit
/// ended the walk, at the last position examined.
#[derive(Default)]
struct Found {
    items: Vec<(Vec<u8>, Ticket)>,
    stopped_at: Option<Vec<u8>>,
}

/// Turns a scan into a page with next/previous cursors.
fn paginate(
    listing: Listing,
    descending: bool,
    resume: Option<Resume>,
    limit: usize,
    mut scan: impl FnMut(&Want<'_>) -> Result<Found, StoreError>,
) -> Result<ListPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let cursor = |before: bool, pos: Option<Vec<u8>>| {
        pos.map(|p| Cursor::at(listing, descending, before, &p))
            .transpose()
    };
    if let Some(Resume { before: true, pos }) = &resume {
        let found = scan(&Want {
            reverse: !descending,
            after: Some(pos),
            count: limit + 1,
        })?;
        let more = found.items.len() > limit;
        if more || found.stopped_at.is_some() {
            let mut items = found.items;
            items.truncate(limit);
            let prev = if more {
                items.last().map(|(p, _)| p.clone())
            } else {
                found.stopped_at.clone()
            };
            items.reverse();
            // Entries between the last shown and `pos` were examined and did not match.
            let next = items.last().map(|(p, _)| p.clone()).or(found.stopped_at);
            return Ok(ListPage {
                next: cursor(false, next)?,
                prev: cursor(true, prev)?,
                scanned_limit_hit: !more,
                tickets: items.into_iter().map(|(_, t)| t).collect(),
            });
        }
        // Fewer than a page before `pos`: show the first page, full, instead.
        return paginate(listing, descending, None, limit, scan);
    }
    let after = resume.map(|r| r.pos);
    let found = scan(&Want {
        reverse: descending,
        after: after.as_deref(),
        count: limit + 1,
    })?;
    let more = found.items.len() > limit;
    let mut items = found.items;
    items.truncate(limit);
    let next = if more {
        items.last().map(|(p, _)| p.clone())
    } else {
        found.stopped_at.clone()
    };
    let prev = after.map(|a| items.first().map_or(a, |(p, _)| p.clone()));
    Ok(ListPage {
        next: cursor(false, next)?,
        prev: cursor(true, prev)?,
        scanned_limit_hit: !more && found.stopped_at.is_some(),
        tickets: items.into_iter().map(|(_, t)| t).collect(),
    })
}

type Bounds<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// `range` cut to the keys beyond `after` in walk direction; `None` if nothing is left.
fn clip<'a>(range: &'a PrefixRange, reverse: bool, after: Option<&'a [u8]>) -> Option<Bounds<'a>> {
    let start = range.start.as_slice();
    let end = range.end.as_deref();
    let mut lower = Bound::Included(start);
    let mut upper = end.map_or(Bound::Unbounded, Bound::Excluded);
    if let Some(a) = after {
        if reverse {
            if a <= start {
                return None;
            }
            if end.is_none_or(|e| a < e) {
                upper = Bound::Excluded(a);
            }
        } else {
            if end.is_some_and(|e| a >= e) {
                return None;
            }
            if a >= start {
                lower = Bound::Excluded(a);
            }
        }
    }
    Some((lower, upper))
}

type Entry<'a, V> = Result<(AccessGuard<'a, &'static [u8]>, AccessGuard<'a, V>), StorageError>;

/// Feeds keys to `visit` until it returns `false`; returns whether to go on.
fn feed<'a, V: redb::Value + 'static>(
    entries: impl Iterator<Item = Entry<'a, V>>,
    visit: &mut impl FnMut(&[u8]) -> Result<bool, StoreError>,
) -> Result<bool, StoreError> {
    for entry in entries {
        if !visit(entry?.0.value())? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Visits the keys of `ranges` (ascending, disjoint) in walk direction, beyond `after`.
fn walk<V: redb::Value + 'static>(
    table: &impl ReadableTable<&'static [u8], V>,
    ranges: &[PrefixRange],
    reverse: bool,
    after: Option<&[u8]>,
    mut visit: impl FnMut(&[u8]) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut ordered: Vec<&PrefixRange> = ranges.iter().collect();
    if reverse {
        ordered.reverse();
    }
    for range in ordered {
        let Some(bounds) = clip(range, reverse, after) else {
            continue;
        };
        let entries = table.range::<&[u8]>(bounds)?;
        let go_on = if reverse {
            feed(entries.rev(), &mut visit)?
        } else {
            feed(entries, &mut visit)?
        };
        if !go_on {
            break;
        }
    }
    Ok(())
}

/// How a walked index's keys map to the listing's positions.
#[derive(Debug, Clone)]
enum Positions {
    /// The listing's own index: a key is its position.
    Same,
    /// A `(tenant, value, number)` index walked for the by-number listing.
    ByNumber { tenant: TenantId, prefix: Key },
}

impl Positions {
    fn pos(&self, key: &[u8], number: u64) -> Vec<u8> {
        match self {
            Positions::Same => key.to_vec(),
            Positions::ByNumber { tenant, .. } => ticket_key(*tenant, number).into_bytes(),
        }
    }

    fn index_key(&self, pos: &[u8], table: &'static str) -> Result<Vec<u8>, StoreError> {
        match self {
            Positions::Same => Ok(pos.to_vec()),
            Positions::ByNumber { prefix, .. } => {
                let number = number_of(pos).map_err(|e| e.in_table(table))?;
                Ok(prefix.clone().u64(number).into_bytes())
            }
        }
    }
}

/// An index walk: the table, its name, the ranges to visit and how keys map to positions.
struct Driver<'a, D> {
    table: &'a D,
    name: &'static str,
    ranges: Vec<PrefixRange>,
    positions: Positions,
}

/// Filters checked by point reads into their index, as (open index, prefixes): a ticket
/// passes a probe if the index holds it under any of the prefixes (several statuses), and
/// passes the filters if it passes every probe. A probe reads one small, densely packed
/// index page, far cheaper than the ticket's record, so rejects never reach the records.
type Probes<'a, P> = [(&'a P, Vec<Key>)];

fn no_probes<P>(_like: &P) -> Vec<(&P, Vec<Key>)> {
    Vec::new()
}

fn passes<P: SetIndex>(probes: &Probes<'_, P>, number: u64) -> Result<bool, StoreError> {
    for (index, prefixes) in probes {
        let mut held = false;
        for prefix in prefixes {
            if index.get(prefix.clone().u64(number).as_bytes())?.is_some() {
                held = true;
                break;
            }
        }
        if !held {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Walks an index, probes filters, reads the records of what passes.
#[allow(clippy::too_many_arguments)]
fn scan_index<D, V, P>(
    driver: &Driver<'_, D>,
    probes: &Probes<'_, P>,
    tickets: &impl TicketsTable,
    tenant: TenantId,
    accept: Accept<'_>,
    limit: usize,
    want: &Want<'_>,
) -> Result<Found, StoreError>
where
    D: ReadableTable<&'static [u8], V>,
    V: redb::Value + 'static,
    P: SetIndex,
{
    let bound = want
        .after
        .map(|p| driver.positions.index_key(p, driver.name))
        .transpose()?;
    let mut found = Found::default();
    let mut examined = 0usize;
    let mut last: Option<Vec<u8>> = None;
    walk(
        driver.table,
        &driver.ranges,
        want.reverse,
        bound.as_deref(),
        |key| {
            if examined >= limit {
                found.stopped_at = last.take();
                return Ok(false);
            }
            examined += 1;
            let number = number_of(key).map_err(|e| e.in_table(driver.name))?;
            let pos = driver.positions.pos(key, number);
            if passes(probes, number)? {
                match look_up(tickets, tenant, number, accept)? {
                    Looked::Taken(s) => found.items.push((pos.clone(), s.ticket)),
                    Looked::Rejected => {}
                    Looked::Missing => return Err(dangling(driver.name)),
                }
            }
            last = Some(pos);
            Ok(found.items.len() < want.count)
        },
    )?;
    Ok(found)
}

/// The position of a stored ticket in a management listing.
fn position(sort: SortKey, row: &Row<'_>) -> Result<Vec<u8>, StoreError> {
    let index = match sort {
        SortKey::Number => return Ok(Key::tenant(row.tenant).u64(row.number).into_bytes()),
        SortKey::Created => Index::Created,
        SortKey::Updated => Index::Updated,
        SortKey::Customer => Index::CustomerName,
        SortKey::Status => Index::Status,
        SortKey::Priority => Index::Priority,
    };
    Ok(index.key_of(&row.key_parts()?).into_bytes())
}

/// Lists a known set of tickets (`numbers` ascending, no duplicates) in memory. Numbers
/// without a ticket are skipped: search hits may be older than a purge.
#[allow(clippy::too_many_arguments)]
fn scan_numbers(
    numbers: &[u64],
    sort: SortKey,
    tickets: &impl TicketsTable,
    tenant: TenantId,
    accept: Accept<'_>,
    limit: usize,
    want: &Want<'_>,
) -> Result<Found, StoreError> {
    let mut found = Found::default();
    if sort == SortKey::Number {
        // Positions are known without reading: read only as far as the page needs.
        let ordered: Box<dyn Iterator<Item = &u64>> = if want.reverse {
            Box::new(numbers.iter().rev())
        } else {
            Box::new(numbers.iter())
        };
        let mut examined = 0usize;
        let mut last = None;
        for &n in ordered {
            let pos = ticket_key(tenant, n).into_bytes();
            if !want.beyond(&pos) {
                continue;
            }
            if examined >= limit {
                found.stopped_at = last;
                break;
            }
            examined += 1;
            if let Looked::Taken(s) = look_up(tickets, tenant, n, accept)? {
                found.items.push((pos.clone(), s.ticket));
                if found.items.len() >= want.count {
                    break;
                }
            }
            last = Some(pos);
        }
        return Ok(found);
    }
    // Sort positions from the rows; decode in full only the tickets the page shows.
    let mut all = Vec::new();
    for &n in numbers {
        if let Some(v) = tickets.get(ticket_key(tenant, n).as_bytes())? {
            let row = decode_row(v.value())?;
            if accept(&row) {
                all.push((position(sort, &row)?, n));
            }
        }
    }
    all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if want.reverse {
        all.reverse();
    }
    for (pos, n) in all
        .into_iter()
        .filter(|(p, _)| want.beyond(p))
        .take(want.count)
    {
        // Read in this same snapshot a moment ago, so it cannot have gone.
        let s = load_from(tickets, tenant, n)?.ok_or_else(|| dangling(name::TICKETS))?;
        found.items.push((pos, s.ticket));
    }
    Ok(found)
}

/// The ticket numbers under `ranges` of an index, ascending and unique.
fn numbers_in(
    index: &impl SetIndex,
    name: &'static str,
    ranges: &[PrefixRange],
) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    for range in ranges {
        for entry in index.range::<&[u8]>(range.bounds())? {
            out.push(number_of(entry?.0.value()).map_err(|e| e.in_table(name))?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// How many entries `ranges` hold, counting no further than `upto`.
fn count_upto(
    index: &impl SetIndex,
    ranges: &[PrefixRange],
    upto: usize,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for range in ranges {
        for entry in index.range::<&[u8]>(range.bounds())?.take(upto - n) {
            entry?;
            n += 1;
        }
        if n >= upto {
            break;
        }
    }
    Ok(n)
}

/// A set of candidate tickets a plan starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The i-th equality filter.
    Filter(usize),
    /// The status set (in `TICKET_BY_STATUS`).
    Statuses,
    /// The created range (in `TICKET_BY_CREATED`), when sorting by something else.
    Created,
}

/// A candidate set and its size (exact, or capped at the in-memory limit + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    source: Source,
    size: usize,
    /// Its index is `(tenant, value, number)`: walking it yields number order.
    by_number: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Walk the sort's own index.
    Walk,
    /// Walk a `(tenant, value, number)` index in number order (sort by number only).
    ByNumber(Source),
    /// Read the whole (small) set and sort it in memory.
    InMemory(Source),
}

fn choose(sort: SortKey, candidates: &[Candidate], in_memory: usize) -> Plan {
    let smallest = candidates.iter().min_by_key(|c| c.size);
    if sort == SortKey::Number {
        let ordered = candidates
            .iter()
            .filter(|c| c.by_number)
            .min_by_key(|c| c.size);
        if let Some(c) = smallest
            && !c.by_number
            && c.size <= in_memory
            && ordered.is_none_or(|o| c.size < o.size)
        {
            return Plan::InMemory(c.source);
        }
        return ordered.map_or(Plan::Walk, |o| Plan::ByNumber(o.source));
    }
    match smallest {
        Some(c) if c.size <= in_memory => Plan::InMemory(c.source),
        _ => Plan::Walk,
    }
}

/// The part of `TICKET_BY_CREATED` the created filter allows (`None` without one).
fn created_range(tenant: TenantId, q: &ListQuery) -> Option<Vec<PrefixRange>> {
    if q.created_from.is_none() && q.created_to.is_none() {
        return None;
    }
    let all = Key::tenant(tenant.0).prefix_range();
    // Keys hold microseconds; the record check is exact to the nanosecond.
    let start = q.created_from.map_or(all.start.clone(), |f| {
        Key::tenant(tenant.0).u64(time_key(f)).into_bytes()
    });
    let end = match q.created_to.map(|t| time_key(t).checked_add(1)) {
        Some(Some(e)) => Some(Key::tenant(tenant.0).u64(e).into_bytes()),
        _ => all.end,
    };
    if end.as_ref().is_some_and(|e| *e <= start) {
        Some(Vec::new())
    } else {
        Some(vec![PrefixRange { start, end }])
    }
}

/// The ranges of the sort's own index that can hold matches.
fn walk_ranges(tenant: TenantId, q: &ListQuery, statuses: &[Status]) -> Vec<PrefixRange> {
    let all = Key::tenant(tenant.0).prefix_range();
    match q.sort {
        SortKey::Status if !statuses.is_empty() => statuses
            .iter()
            .map(|&s| Key::tenant(tenant.0).u64(status_code(s)).prefix_range())
            .collect(),
        SortKey::Created => created_range(tenant, q).unwrap_or_else(|| vec![all]),
        _ => vec![all],
    }
}

/// A page of ticket management (see the module docs for how it is answered).
pub fn list_tickets(r: &impl Tx, tenant: TenantId, q: &ListQuery) -> Result<ListPage, StoreError> {
    list_with(r, tenant, q, LIMITS)
}

fn list_with(
    r: &impl Tx,
    tenant: TenantId,
    q: &ListQuery,
    limits: Limits,
) -> Result<ListPage, StoreError> {
    let tickets = r.table(TICKETS)?;
    let accept = |t: &Row<'_>| q.matches(t);
    if let Some(number) = q.number {
        let mut page = ListPage::default();
        if q.numbers.as_ref().is_none_or(|ns| ns.contains(&number))
            && let Looked::Taken(s) = look_up(&tickets, tenant, number, &accept)?
        {
            page.tickets.push(s.ticket);
        }
        return Ok(page);
    }
    let listing = Listing::Sort(q.sort);
    let resume = resume_point(
        &tickets,
        tenant,
        listing,
        q.descending,
        q.cursor.as_ref(),
        None,
    )?;

    if let Some(given) = &q.numbers {
        let truncated = given.len() > limits.scan;
        let mut numbers: Vec<u64> = given.iter().copied().take(limits.scan).collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut found = paginate(listing, q.descending, resume, q.limit, |want| {
            scan_numbers(
                &numbers,
                q.sort,
                &tickets,
                tenant,
                &accept,
                limits.scan,
                want,
            )
        })?;
        found.scanned_limit_hit |= truncated;
        return Ok(found);
    }

    let filters = q.equality_filters(tenant);
    let handles = filters
        .iter()
        .map(|(index, _)| r.table(index.table()))
        .collect::<Result<Vec<_>, _>>()?;
    let sizes = handles
        .iter()
        .zip(&filters)
        .map(|(h, (_, prefix))| count_upto(h, &[prefix.prefix_range()], limits.in_memory + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let mut statuses = q.statuses.clone();
    statuses.sort_unstable();
    statuses.dedup();
    let status_size = if statuses.is_empty() {
        None
    } else {
        let counts = ticket_counts(r, tenant)?.by_status;
        let total = statuses
            .iter()
            .filter_map(|s| counts.get(usize::from(s.as_u8())))
            .fold(0u64, |sum, n| sum.saturating_add(*n));
        Some(usize::try_from(total).unwrap_or(usize::MAX))
    };
    let status_ranges = || -> Vec<PrefixRange> {
        statuses
            .iter()
            .map(|&s| Key::tenant(tenant.0).u64(status_code(s)).prefix_range())
            .collect()
    };
    // Walking another index, a status filter is probed in the status index: most
    // statuses are a small share of a tenant, and without the probe every entry walked
    // past would cost a read of its record.
    let status_index = r.table(Index::Status.table())?;
    let status_probe = (!statuses.is_empty() && statuses.len() < Status::ALL.len()).then(|| {
        let prefixes = statuses
            .iter()
            .map(|&s| Key::tenant(tenant.0).u64(status_code(s)))
            .collect::<Vec<_>>();
        (&status_index, prefixes)
    });
    let probes_except = |skip: Option<usize>, with_status: bool| -> Vec<(&_, Vec<Key>)> {
        handles
            .iter()
            .zip(&filters)
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .map(|(_, (h, (_, prefix)))| (h, vec![prefix.clone()]))
            .chain(status_probe.clone().filter(|_| with_status))
            .collect()
    };

    let mut candidates: Vec<Candidate> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| Candidate {
            source: Source::Filter(i),
            size,
            by_number: true,
        })
        .collect();
    if let Some(size) = status_size {
        candidates.push(Candidate {
            source: Source::Statuses,
            size,
            by_number: statuses.len() == 1,
        });
    }
    // Sorting by created, the range already bounds the walk; otherwise it is a set.
    let created = created_range(tenant, q).filter(|_| q.sort != SortKey::Created);
    let created_index = match &created {
        Some(ranges) => {
            let index = r.table(Index::Created.table())?;
            candidates.push(Candidate {
                source: Source::Created,
                size: count_upto(&index, ranges, limits.in_memory + 1)?,
                by_number: false,
            });
            Some(index)
        }
        None => None,
    };

    match choose(q.sort, &candidates, limits.in_memory) {
        Plan::ByNumber(source) => {
            let (table, index, prefix, probes) = match source {
                Source::Filter(i) => {
                    let (index, prefix) = filters.get(i).cloned().ok_or_else(bad_plan)?;
                    (
                        handles.get(i).ok_or_else(bad_plan)?,
                        index,
                        prefix,
                        probes_except(Some(i), true),
                    )
                }
                Source::Statuses => {
                    let status = statuses.first().copied().ok_or_else(bad_plan)?;
                    let prefix = Key::tenant(tenant.0).u64(status_code(status));
                    (
                        &status_index,
                        Index::Status,
                        prefix,
                        probes_except(None, false),
                    )
                }
                Source::Created => return Err(bad_plan()),
            };
            let driver = Driver {
                table,
                name: index.name(),
                ranges: vec![prefix.prefix_range()],
                positions: Positions::ByNumber { tenant, prefix },
            };
            paginate(listing, q.descending, resume, q.limit, |want| {
                scan_index(
                    &driver,
                    &probes,
                    &tickets,
                    tenant,
                    &accept,
                    limits.scan,
                    want,
                )
            })
        }
        Plan::InMemory(source) => {
            let numbers = match source {
                Source::Filter(i) => {
                    let (index, prefix) = filters.get(i).ok_or_else(bad_plan)?;
                    let table = handles.get(i).ok_or_else(bad_plan)?;
                    numbers_in(table, index.name(), &[prefix.prefix_range()])?
                }
                Source::Statuses => {
                    numbers_in(&status_index, Index::Status.name(), &status_ranges())?
                }
                Source::Created => {
                    let (Some(table), Some(ranges)) = (&created_index, &created) else {
                        return Err(bad_plan());
                    };
                    numbers_in(table, Index::Created.name(), ranges)?
                }
            };
            paginate(listing, q.descending, resume, q.limit, |want| {
                scan_numbers(
                    &numbers,
                    q.sort,
                    &tickets,
                    tenant,
                    &accept,
                    limits.scan,
                    want,
                )
            })
        }
        Plan::Walk => {
            // Sorted by status, the walk covers only the requested statuses already.
            let probes = probes_except(None, q.sort != SortKey::Status);
            let ranges = walk_ranges(tenant, q, &statuses);
            let index = match q.sort {
                SortKey::Number => None,
                SortKey::Created => Some(Index::Created),
                SortKey::Updated => Some(Index::Updated),
                SortKey::Customer => Some(Index::CustomerName),
                SortKey::Status => Some(Index::Status),
                SortKey::Priority => Some(Index::Priority),
            };
            match index {
                None => {
                    let driver = Driver {
                        table: &tickets,
                        name: name::TICKETS,
                        ranges,
                        positions: Positions::Same,
                    };
                    paginate(listing, q.descending, resume, q.limit, |want| {
                        scan_index(
                            &driver,
                            &probes,
                            &tickets,
                            tenant,
                            &accept,
                            limits.scan,
                            want,
                        )
                    })
                }
                Some(index) => {
                    // A write transaction refuses to open a table twice.
                    let opened;
                    let table = if index == Index::Status {
                        &status_index
                    } else {
                        opened = r.table(index.table())?;
                        &opened
                    };
                    let driver = Driver {
                        table,
                        name: index.name(),
                        ranges,
                        positions: Positions::Same,
                    };
                    paginate(listing, q.descending, resume, q.limit, |want| {
                        scan_index(
                            &driver,
                            &probes,
                            &tickets,
                            tenant,
                            &accept,
                            limits.scan,
                            want,
                        )
                    })
                }
            }
        }
    }
}

fn bad_plan() -> StoreError {
    StoreError::Internal("ticket list plan names a set it cannot use".into())
}

/// A page of a supporter tab: the tickets in `status`, in `order`.
pub fn tab_page(
    r: &impl Tx,
    tenant: TenantId,
    status: Status,
    order: TabOrder,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<ListPage, StoreError> {
    let (index, descending) = match order {
        TabOrder::Hot => (Index::StatusWait, false),
        TabOrder::Priority => (Index::StatusPriority, false),
        TabOrder::Newest => (Index::Status, true),
    };
    let prefix = Key::tenant(tenant.0).u64(status_code(status));
    index_page(
        r,
        tenant,
        (Listing::Tab(order), descending),
        index,
        prefix,
        Some(status),
        cursor,
        limit,
    )
}

/// A page of the trash, newest ticket first.
pub fn trash_page(
    r: &impl Tx,
    tenant: TenantId,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<ListPage, StoreError> {
    let prefix = Key::tenant(tenant.0);
    index_page(
        r,
        tenant,
        (Listing::Trash, true),
        Index::Trash,
        prefix,
        None,
        cursor,
        limit,
    )
}

/// A page of one index prefix in index order, unfiltered.
#[allow(clippy::too_many_arguments)]
fn index_page(
    r: &impl Tx,
    tenant: TenantId,
    (listing, descending): (Listing, bool),
    index: Index,
    prefix: Key,
    tab_status: Option<Status>,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<ListPage, StoreError> {
    let tickets = r.table(TICKETS)?;
    let resume = resume_point(&tickets, tenant, listing, descending, cursor, tab_status)?;
    let table = r.table(index.table())?;
    let driver = Driver {
        table: &table,
        name: index.name(),
        ranges: vec![prefix.prefix_range()],
        positions: Positions::Same,
    };
    let in_trash = index == Index::Trash;
    let accept = move |t: &Row<'_>| t.deleted.is_some() == in_trash;
    let probes = no_probes(&table);
    paginate(listing, descending, resume, limit, |want| {
        scan_index(
            &driver,
            &probes,
            &tickets,
            tenant,
            &accept,
            usize::MAX,
            want,
        )
    })
}

/// A customer's own tickets outside the trash, newest first, optionally only in `statuses`.
pub fn customer_tickets(
    r: &impl Tx,
    tenant: TenantId,
    customer: AccountId,
    statuses: &[Status],
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<ListPage, StoreError> {
    let q = ListQuery {
        statuses: statuses.to_vec(),
        customer: Some(customer),
        sort: SortKey::Number,
        descending: true,
        cursor: cursor.cloned(),
        limit,
        ..ListQuery::default()
    };
    list_tickets(r, tenant, &q)
}

#[cfg(test)]
pub(super) mod testing {
    //! Lets tests force each plan with small limits.
    use super::*;

    pub(in crate::store::tickets) fn list_with_limits(
        r: &impl Tx,
        tenant: TenantId,
        q: &ListQuery,
        scan: usize,
        in_memory: usize,
    ) -> Result<ListPage, StoreError> {
        list_with(r, tenant, q, Limits { scan, in_memory })
    }

    /// The plan for candidate sets given as (kind, size), kind being "filter",
    /// "status", "statuses" or "created".
    pub(in crate::store::tickets) fn plan_for(
        sort: SortKey,
        sets: &[(&str, usize)],
        in_memory: usize,
    ) -> String {
        let candidates: Vec<Candidate> = sets
            .iter()
            .enumerate()
            .map(|(i, &(kind, size))| Candidate {
                source: match kind {
                    "filter" => Source::Filter(i),
                    "created" => Source::Created,
                    _ => Source::Statuses,
                },
                size,
                by_number: matches!(kind, "filter" | "status"),
            })
            .collect();
        format!("{:?}", choose(sort, &candidates, in_memory))
    }
}

#[cfg(test)]
mod row_tests {
    use super::super::{TicketRecord, to_record};
    use super::*;
    use crate::domain::ids::{AccountId, PriorityId, TopicId};
    use crate::store::record::encode_current;
    use crate::store::tickets::indexes::Snapshot;

    fn variants() -> Vec<(Ticket, Snapshot)> {
        let at = |us: i64| Timestamp::from_microsecond(us).unwrap();
        let plain = Ticket {
            tenant: TenantId(7),
            number: 300,
            subject: "Drucker \u{0} druckt nicht".into(),
            body: "Ä".repeat(2_000),
            customer: AccountId(11),
            created_by: AccountId(12),
            assignee: Some(AccountId(13)),
            priority: Some(PriorityId(4)),
            topic: Some(TopicId(5)),
            status: Status::Waiting,
            created_at: at(1_767_225_600_123_456),
            updated_at: at(1_767_225_700_000_001),
            waiting_since: at(1_767_225_650_000_000),
            solution: Some("neu gestartet".into()),
            deleted: None,
            message_count: 3,
            attachment_count: 2,
        };
        let mut bare = plain.clone();
        bare.subject = String::new();
        bare.body = String::new();
        bare.assignee = None;
        bare.priority = None;
        bare.topic = None;
        bare.solution = None;
        bare.status = Status::New;
        bare.created_at = at(-5_000_000);
        bare.number = u64::MAX;
        let mut trashed = plain.clone();
        trashed.deleted = Some((at(1_767_300_000_000_000), AccountId(2)));
        vec![
            (
                plain.clone(),
                Snapshot::new(&plain, 2, "  Müller\u{0}Anna "),
            ),
            (bare.clone(), Snapshot::new(&bare, 9, "")),
            (trashed.clone(), Snapshot::new(&trashed, u32::MAX, "x")),
        ]
    }

    #[test]
    fn row_view_reads_what_the_record_holds() {
        for (t, s) in variants() {
            let bytes = encode_current::<TicketRecord>(name::TICKETS, to_record(&t, &s)).unwrap();
            let row = decode_row(&bytes).unwrap();
            assert_eq!(row.key_parts().unwrap(), KeyParts::of(&t, &s));
            assert_eq!(row.deleted.is_some(), t.deleted.is_some());
            for index in Index::ALL {
                assert_eq!(
                    index.key_of(&row.key_parts().unwrap()),
                    index.key(&t, &s),
                    "{index:?}"
                );
            }
            let q = ListQuery {
                statuses: vec![t.status],
                customer: Some(t.customer),
                assignee: Some(t.assignee),
                priority: t.priority,
                topic: t.topic,
                created_from: Some(t.created_at),
                created_to: Some(
                    t.created_at
                        .checked_add(jiff::SignedDuration::from_nanos(1))
                        .unwrap(),
                ),
                ..ListQuery::default()
            };
            assert_eq!(
                q.matches(&row),
                t.deleted.is_none(),
                "the row matches itself"
            );
            let narrower = ListQuery {
                created_from: Some(
                    t.created_at
                        .checked_add(jiff::SignedDuration::from_nanos(1))
                        .unwrap(),
                ),
                ..q
            };
            assert!(!narrower.matches(&row));
        }
    }

    #[test]
    fn damaged_rows_are_refused_naming_the_table() {
        let (t, s) = variants().remove(0);
        let bytes = encode_current::<TicketRecord>(name::TICKETS, to_record(&t, &s)).unwrap();
        let mut longer = bytes.clone();
        longer.push(0);
        for bad in [&bytes[..bytes.len() / 2], &longer[..], &[9u8, 1, 2][..]] {
            let err = decode_row(bad).err().unwrap();
            assert!(
                matches!(
                    err,
                    StoreError::Corrupt {
                        table: name::TICKETS,
                        ..
                    }
                ),
                "{err}"
            );
        }
    }
}
