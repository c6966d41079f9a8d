//! Read models: what the ticket pages show, assembled by the services from several
//! records and already filtered for the caller's role (internal entries removed for
//! customers). Views render them; they never fetch anything themselves.

use std::ops::Range;

use super::accounts::Account;
use super::catalog::{Priority, Topic};
use super::ticket::{HistoryEntry, Message, Status, Ticket};

/// The ticket page.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub customer: Option<Account>,
    pub created_by: Option<Account>,
    pub assignee: Option<Account>,
    pub priority: Option<Priority>,
    /// The topic as assigned, even if it was renamed, deactivated or deleted since.
    pub topic: Option<Topic>,
    /// The thread; message 1 is the original report.
    pub messages: Vec<(Message, Option<Account>)>,
    pub history: Vec<(HistoryEntry, Option<Account>)>,
    /// Staff only: colleagues a ticket can be assigned to.
    pub staff: Vec<Account>,
    pub priorities: Vec<Priority>,
    /// Topics a picker may offer (active, not deleted).
    pub topics: Vec<Topic>,
}

/// One line of a queue, list or "My requests".
#[derive(Debug, Clone)]
pub struct TicketRow {
    pub ticket: Ticket,
    pub customer_name: String,
    pub assignee_name: Option<String>,
    pub priority: Option<Priority>,
    pub topic_name: Option<String>,
}

/// Tickets per working tab, kept incrementally by storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TabCounts {
    pub new: u64,
    pub customer_waiting: u64,
    pub support_waiting: u64,
    pub resolved: u64,
    pub closed: u64,
    pub trash: u64,
}

impl TabCounts {
    pub fn of(&self, status: Status) -> u64 {
        match status {
            Status::New => self.new,
            Status::Open => self.customer_waiting,
            Status::Waiting => self.support_waiting,
            Status::Resolved => self.resolved,
            Status::Closed => self.closed,
        }
    }
}

/// A page of rows with keyset cursors (opaque strings for URLs).
#[derive(Debug, Clone, Default)]
pub struct RowPage {
    pub rows: Vec<TicketRow>,
    /// Continue after the last row.
    pub next: Option<String>,
    /// The scan stopped at its bound before filling the page: the filter should be
    /// narrowed rather than the result trusted as complete.
    pub truncated: bool,
}

/// Where a search hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitPlace {
    Ticket,
    Message { seq: u32 },
}

/// A search result, with the matching passage and the ranges to highlight.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub number: u64,
    pub subject: String,
    pub status: Status,
    pub place: HitPlace,
    pub snippet: String,
    pub highlights: Vec<Range<usize>>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchOutcome {
    pub hits: Vec<SearchHit>,
    /// The index is being rebuilt: results may be incomplete, and the page says so.
    pub rebuilding: bool,
}
