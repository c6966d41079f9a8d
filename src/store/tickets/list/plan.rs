//! Choosing how ticket management answers a query: the candidate sets and the plan.

use super::{ListQuery, SortKey};
use crate::domain::ids::TenantId;
use crate::domain::ticket::Status;
use crate::store::keys::{Key, PrefixRange};
use crate::store::tickets::indexes::{status_code, time_key};

/// A set of candidate tickets a plan starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The i-th equality filter.
    Filter(usize),
    /// The status set (in `TICKET_BY_STATUS`).
    Statuses,
    /// The created range (in `TICKET_BY_CREATED`), when sorting by something else.
    Created,
}

/// A candidate set and its size (exact, or capped at the in-memory limit + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Candidate {
    pub(super) source: Source,
    pub(super) size: usize,
    /// Its index is `(tenant, value, number)`: walking it yields number order.
    pub(super) by_number: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// Walk the sort's own index.
    Walk,
    /// Walk a `(tenant, value, number)` index in number order (sort by number only).
    ByNumber(Source),
    /// Read the whole (small) set and sort it in memory.
    InMemory(Source),
}

pub(super) fn choose(sort: SortKey, candidates: &[Candidate], in_memory: usize) -> Plan {
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

/// The statuses a listing shows, ascending: the filter's, or every one.
pub(super) fn in_scope(statuses: &[Status]) -> Vec<Status> {
    let mut scope = if statuses.is_empty() {
        Status::ALL.to_vec()
    } else {
        statuses.to_vec()
    };
    scope.sort_unstable();
    scope.dedup();
    scope
}

/// One range per status of `scope` in a `(tenant, status, …)` index.
pub(super) fn status_ranges(tenant: TenantId, scope: &[Status]) -> Vec<PrefixRange> {
    scope
        .iter()
        .map(|&s| Key::tenant(tenant.0).u64(status_code(s)).prefix_range())
        .collect()
}

/// The parts of `TICKET_BY_STATUS_CREATED` the created filter allows, one range per status
/// of `scope` (`None` without a created filter).
pub(super) fn created_ranges(
    tenant: TenantId,
    q: &ListQuery,
    scope: &[Status],
) -> Option<Vec<PrefixRange>> {
    if q.created_from.is_none() && q.created_to.is_none() {
        return None;
    }
    let ranges = scope.iter().filter_map(|&s| {
        let under = Key::tenant(tenant.0).u64(status_code(s));
        let all = under.prefix_range();
        // Keys hold microseconds; the record check is exact to the nanosecond.
        let start = q
            .created_from
            .map_or(all.start, |f| under.clone().u64(time_key(f)).into_bytes());
        let end = match q.created_to.map(|t| time_key(t).checked_add(1)) {
            Some(Some(e)) => Some(under.clone().u64(e).into_bytes()),
            _ => all.end,
        };
        end.as_ref()
            .is_none_or(|e| *e > start)
            .then_some(PrefixRange { start, end })
    });
    Some(ranges.collect())
}

/// The ranges of the sort's own index that can hold matches, for the statuses of `scope`.
pub(super) fn walk_ranges(tenant: TenantId, q: &ListQuery, scope: &[Status]) -> Vec<PrefixRange> {
    match q.sort {
        SortKey::Number => vec![Key::tenant(tenant.0).prefix_range()],
        SortKey::Created => {
            created_ranges(tenant, q, scope).unwrap_or_else(|| status_ranges(tenant, scope))
        }
        SortKey::Status | SortKey::Updated | SortKey::Customer | SortKey::Priority => {
            status_ranges(tenant, scope)
        }
    }
}
