//! Listing tickets: the supporter tabs, ticket management, a customer's tickets, the trash.
//!
//! Every listing is keyset-paginated over a total order of byte keys (its "positions"):
//! the keys of the index that sorts it, which all end with the ticket number, so ties
//! fall back to number order. The sort indexes of ticket management put the status first
//! (`(tenant, status, value, number)`); there a position is the key without its status,
//! `(tenant, value, number)`, so that the ranges of several statuses merge into one order
//! and a cursor does not depend on which statuses a page shows. A [`Cursor`] names a
//! position and whether the page goes after it (next) or before it (previous); it only
//! resumes, it never grants anything.
//!
//! # How ticket management answers a [`ListQuery`]
//!
//! 1. `number` set: one point read.
//! 2. `numbers` set (free-text hits, already of this tenant): those tickets only, filtered
//!    and sorted in memory. At most [`SCAN_LIMIT`] of them are considered (the first ones
//!    given); more sets `scanned_limit_hit`. Sorting by number loads only what the page
//!    needs; other sorts load all of them, so searches should pass ≤ [`IN_MEMORY_LIMIT`].
//! 3. Otherwise the candidate sets are sized: the status set (sorting by number only)
//!    exactly from the kept counts; each equality filter (customer, assignee, priority,
//!    topic) and the created range (when sorting by something else, within the statuses
//!    shown) by counting index entries up to [`IN_MEMORY_LIMIT`] + 1. Then:
//!    * sorted by number, and some set's index is (tenant, value, number)-ordered (the four
//!      equality filters, or a single status): walk the smallest of those in number order,
//!      exact and as short as that filter allows; unless an unordered set (several statuses,
//!      the created range) is smaller still and small enough for memory;
//!    * else, if the smallest set holds ≤ [`IN_MEMORY_LIMIT`] tickets: read that set, filter
//!      and sort it in memory;
//!    * else walk the sort's own index in the requested direction. Every sort but by
//!      number has a `(tenant, status, …)` index, so the walk reads only the ranges of the
//!      statuses shown (all five without a status filter), merged into position order, and
//!      only the created part of each when sorting by created: a status filter alone makes
//!      a page one range read of about limit + 1 entries. Sorting by number walks
//!      `TICKETS`, and a status filter is probed in `TICKET_BY_STATUS`. Equality filters
//!      are checked by a point probe into their index before a record is read, so most
//!      rejected entries cost one lookup in a small index, not a record read. Records are
//!      first read as a row view (no text decoded); only the tickets a page shows are
//!      decoded in full.
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

mod cursor;
mod plan;
mod row;
mod scan;

use jiff::Timestamp;

pub use self::cursor::{Cursor, CursorError};
use self::cursor::{Listing, resume_point};
use self::plan::{
    Candidate, Plan, Source, choose, created_ranges, in_scope, status_ranges, walk_ranges,
};
use self::row::{Looked, Row, look_up};
use self::scan::{
    Driver, Positions, count_upto, no_probes, numbers_in, paginate, scan_index, scan_numbers,
};
use super::indexes::{Index, status_code};
use super::ticket_counts;
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::ticket::list::{SortKey, TabOrder};
use crate::domain::ticket::{Status, Ticket};
use crate::store::access::Tx;
use crate::store::error::StoreError;
use crate::store::keys::Key;
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
    let scope = in_scope(&statuses);
    // Every sort but by number walks a `(tenant, status, …)` index over the ranges of the
    // statuses shown only: there the status filter is exact, so it is no candidate set.
    let by_number = q.sort == SortKey::Number;
    let status_size = if statuses.is_empty() || !by_number {
        None
    } else {
        let counts = ticket_counts(r, tenant)?.by_status;
        let total = statuses
            .iter()
            .filter_map(|s| counts.get(usize::from(s.as_u8())))
            .fold(0u64, |sum, n| sum.saturating_add(*n));
        Some(usize::try_from(total).unwrap_or(usize::MAX))
    };
    // Sorted by number, walking `TICKETS` or an equality filter's index, a status filter
    // is probed in the status index: most statuses are a small share of a tenant, and
    // without the probe every entry walked past would cost a read of its record.
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
    let created = created_ranges(tenant, q, &scope).filter(|_| q.sort != SortKey::Created);
    let created_index = match &created {
        Some(ranges) => {
            let index = r.table(Index::StatusCreated.table())?;
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
                Source::Statuses => numbers_in(
                    &status_index,
                    Index::Status.name(),
                    &status_ranges(tenant, &statuses),
                )?,
                Source::Created => {
                    let (Some(table), Some(ranges)) = (&created_index, &created) else {
                        return Err(bad_plan());
                    };
                    numbers_in(table, Index::StatusCreated.name(), ranges)?
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
            // Walking a status-first index covers only the requested statuses already.
            let probes = probes_except(None, by_number);
            let ranges = walk_ranges(tenant, q, &scope);
            let index = match q.sort {
                SortKey::Number => None,
                SortKey::Created => Some(Index::StatusCreated),
                SortKey::Updated => Some(Index::StatusUpdated),
                SortKey::Customer => Some(Index::StatusCustomerName),
                SortKey::Status => Some(Index::Status),
                SortKey::Priority => Some(Index::StatusRank),
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
                        positions: if index.sorts_within_status() {
                            Positions::WithoutStatus
                        } else {
                            Positions::Same
                        },
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
