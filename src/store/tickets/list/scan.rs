//! Scans behind every listing: index walks with probes, known sets sorted in memory, and
//! turning what a scan found into a page with cursors.

use std::ops::Bound;

use redb::{AccessGuard, ReadableTable, StorageError};

use super::cursor::{Cursor, Listing, Resume};
use super::row::{Accept, Looked, Row, SetIndex, TicketsTable, decode_row, load_from, look_up};
use super::{ListPage, MAX_PAGE, SortKey};
use crate::domain::ids::TenantId;
use crate::domain::ticket::Ticket;
use crate::store::access::dangling;
use crate::store::error::StoreError;
use crate::store::keys::{Key, PrefixRange};
use crate::store::tables::name;
use crate::store::tickets::indexes::{
    Index, after_status, key_at, number_of, position_of, ticket_key,
};

/// What a page asks of a scan: walk direction, the exclusive start, how many matches.
pub(super) struct Want<'a> {
    pub(super) reverse: bool,
    pub(super) after: Option<&'a [u8]>,
    pub(super) count: usize,
}

impl Want<'_> {
    pub(super) fn beyond(&self, pos: &[u8]) -> bool {
        self.after
            .is_none_or(|a| if self.reverse { pos < a } else { pos > a })
    }
}

/// Matches in walk order with their positions; `stopped_at` is set when the scan limit
/// ended the walk, at the last position examined.
#[derive(Default)]
pub(super) struct Found {
    pub(super) items: Vec<(Vec<u8>, Ticket)>,
    pub(super) stopped_at: Option<Vec<u8>>,
}

/// Turns a scan into a page with next/previous cursors.
pub(super) fn paginate(
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
pub(super) fn walk<V: redb::Value + 'static>(
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

/// Visits the keys of status-first `ranges` (one per status) in the order of their
/// positions, beyond position `after`: a merge of one range read per status. Positions of
/// one tenant compare as the keys' bytes after the status, and no two ranges hold the same
/// ticket, so no two heads tie.
fn walk_merged<V: redb::Value + 'static>(
    table: &impl ReadableTable<&'static [u8], V>,
    ranges: &[PrefixRange],
    reverse: bool,
    (after, name): (Option<&[u8]>, &'static str),
    mut visit: impl FnMut(&[u8]) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut streams = Vec::with_capacity(ranges.len());
    for range in ranges {
        let bound = after
            .map(|a| key_at(a, &range.start))
            .transpose()
            .map_err(|e| e.in_table(name))?;
        if let Some(bounds) = clip(range, reverse, bound.as_deref()) {
            streams.push(table.range::<&[u8]>(bounds)?);
        }
    }
    let mut heads = streams
        .iter_mut()
        .map(|s| step(s, reverse))
        .collect::<Result<Vec<_>, _>>()?;
    loop {
        let mut best: Option<(usize, &[u8])> = None;
        for (i, head) in heads.iter().enumerate() {
            let Some(key) = head else { continue };
            let tail = after_status(key.value());
            let better = best.is_none_or(|(_, b)| if reverse { tail > b } else { tail < b });
            if better {
                best = Some((i, tail));
            }
        }
        let Some((i, _)) = best else {
            return Ok(());
        };
        let (Some(head), Some(stream)) = (heads.get_mut(i), streams.get_mut(i)) else {
            return Ok(());
        };
        if let Some(key) = head.take()
            && !visit(key.value())?
        {
            return Ok(());
        }
        *head = step(stream, reverse)?;
    }
}

type KeyGuard<'a> = AccessGuard<'a, &'static [u8]>;

/// The next key of a range in walk direction.
fn step<'a, V: redb::Value + 'static>(
    range: &mut redb::Range<'a, &'static [u8], V>,
    reverse: bool,
) -> Result<Option<KeyGuard<'a>>, StoreError> {
    let entry = if reverse {
        range.next_back()
    } else {
        range.next()
    };
    Ok(entry.transpose()?.map(|(k, _)| k))
}

/// How a walked index's keys map to the listing's positions.
#[derive(Debug, Clone)]
pub(super) enum Positions {
    /// The listing's own index: a key is its position.
    Same,
    /// A `(tenant, value, number)` index walked for the by-number listing.
    ByNumber { tenant: TenantId, prefix: Key },
    /// A `(tenant, status, value, number)` index: its ranges (one per status) are merged,
    /// and a key's position leaves the status out ([`position_of`]).
    WithoutStatus,
}

impl Positions {
    pub(super) fn pos(
        &self,
        key: &[u8],
        number: u64,
        table: &'static str,
    ) -> Result<Vec<u8>, StoreError> {
        match self {
            Positions::Same => Ok(key.to_vec()),
            Positions::ByNumber { tenant, .. } => Ok(ticket_key(*tenant, number).into_bytes()),
            Positions::WithoutStatus => position_of(key).map_err(|e| e.in_table(table)),
        }
    }

    /// The walked index's key at `pos`; status-first ranges map it per range instead.
    pub(super) fn index_key(&self, pos: &[u8], table: &'static str) -> Result<Vec<u8>, StoreError> {
        match self {
            Positions::Same | Positions::WithoutStatus => Ok(pos.to_vec()),
            Positions::ByNumber { prefix, .. } => {
                let number = number_of(pos).map_err(|e| e.in_table(table))?;
                Ok(prefix.clone().u64(number).into_bytes())
            }
        }
    }
}

/// An index walk: the table, its name, the ranges to visit and how keys map to positions.
pub(super) struct Driver<'a, D> {
    pub(super) table: &'a D,
    pub(super) name: &'static str,
    pub(super) ranges: Vec<PrefixRange>,
    pub(super) positions: Positions,
}

/// Filters checked by point reads into their index, as (open index, prefixes): a ticket
/// passes a probe if the index holds it under any of the prefixes (several statuses), and
/// passes the filters if it passes every probe. A probe reads one small, densely packed
/// index page, far cheaper than the ticket's record, so rejects never reach the records.
pub(super) type Probes<'a, P> = [(&'a P, Vec<Key>)];

pub(super) fn no_probes<P>(_like: &P) -> Vec<(&P, Vec<Key>)> {
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
pub(super) fn scan_index<D, V, P>(
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
    let mut found = Found::default();
    let mut examined = 0usize;
    let mut last: Option<Vec<u8>> = None;
    let mut visit = |key: &[u8]| {
        if examined >= limit {
            found.stopped_at = last.take();
            return Ok(false);
        }
        examined += 1;
        let number = number_of(key).map_err(|e| e.in_table(driver.name))?;
        let pos = driver.positions.pos(key, number, driver.name)?;
        if passes(probes, number)? {
            match look_up(tickets, tenant, number, accept)? {
                Looked::Taken(s) => found.items.push((pos.clone(), s.ticket)),
                Looked::Rejected => {}
                Looked::Missing => return Err(dangling(driver.name)),
            }
        }
        last = Some(pos);
        Ok(found.items.len() < want.count)
    };
    if let Positions::WithoutStatus = driver.positions {
        walk_merged(
            driver.table,
            &driver.ranges,
            want.reverse,
            (want.after, driver.name),
            &mut visit,
        )?;
    } else {
        let bound = want
            .after
            .map(|p| driver.positions.index_key(p, driver.name))
            .transpose()?;
        walk(
            driver.table,
            &driver.ranges,
            want.reverse,
            bound.as_deref(),
            &mut visit,
        )?;
    }
    Ok(found)
}

/// The position of a stored ticket in a management listing.
pub(super) fn position(sort: SortKey, row: &Row<'_>) -> Result<Vec<u8>, StoreError> {
    let index = match sort {
        SortKey::Number => return Ok(Key::tenant(row.tenant).u64(row.number).into_bytes()),
        SortKey::Status => Index::Status,
        SortKey::Created => Index::StatusCreated,
        SortKey::Updated => Index::StatusUpdated,
        SortKey::Customer => Index::StatusCustomerName,
        SortKey::Priority => Index::StatusRank,
    };
    let key = index.key_of(&row.key_parts()?).into_bytes();
    if index.sorts_within_status() {
        position_of(&key).map_err(|e| e.in_table(index.name()))
    } else {
        Ok(key)
    }
}

/// Lists a known set of tickets (`numbers` ascending, no duplicates) in memory. Numbers
/// without a ticket are skipped: search hits may be older than a purge.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_numbers(
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
pub(super) fn numbers_in(
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
pub(super) fn count_upto(
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
