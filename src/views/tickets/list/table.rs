//! The sortable ticket table every list shares: its columns, the header links that sort
//! it (state kept in the URL), its cells, and the link to the next page.

use jiff::Timestamp;
use maud::{Markup, html};

use super::super::{status_badge, ticket_href};
use crate::domain::read::TicketRow;
use crate::views::PageCtx;
use crate::views::parts::priority_chip;
use crate::views::time::relative;

/// A column of a ticket table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Col {
    Number,
    Subject,
    Customer,
    Status,
    Priority,
    Assignee,
    Topic,
    Waiting,
    Created,
    Updated,
}

impl Col {
    fn label_key(self) -> &'static str {
        match self {
            Col::Number => "tickets.col_number",
            Col::Subject => "tickets.col_subject",
            Col::Customer => "tickets.col_customer",
            Col::Status => "tickets.col_status",
            Col::Priority => "tickets.col_priority",
            Col::Assignee => "tickets.col_assignee",
            Col::Topic => "tickets.col_topic",
            Col::Waiting => "tickets.col_waiting",
            Col::Created => "tickets.col_created",
            Col::Updated => "tickets.col_updated",
        }
    }

    fn sort_key(self) -> Option<&'static str> {
        match self {
            Col::Number => Some("number"),
            Col::Customer => Some("customer"),
            Col::Status => Some("status"),
            Col::Priority => Some("priority"),
            Col::Created => Some("created"),
            Col::Updated => Some("updated"),
            Col::Subject | Col::Assignee | Col::Topic | Col::Waiting => None,
        }
    }

    /// Columns a phone's card leaves out: the card shows number, subject, status,
    /// priority and age.
    fn wide_only(self) -> bool {
        matches!(
            self,
            Col::Customer | Col::Assignee | Col::Topic | Col::Created
        )
    }
}

/// Numbers and dates read newest first; names, statuses and priorities A→Z / most
/// urgent first.
fn default_dir(sort: &str) -> &'static str {
    match sort {
        "customer" | "status" | "priority" => "asc",
        _ => "desc",
    }
}

/// The sort state of a table and how to link to another one.
pub(super) struct Sorting<'a> {
    pub(super) sort: &'a str,
    pub(super) dir: &'a str,
    pub(super) href: &'a dyn Fn(&str, &str) -> String,
}

impl Sorting<'_> {
    /// The link of a column header: the current column flips its direction, another
    /// starts in its natural one.
    fn toggle(&self, key: &str) -> String {
        let dir = if key == self.sort {
            if self.dir == "asc" { "desc" } else { "asc" }
        } else {
            default_dir(key)
        };
        (self.href)(key, dir)
    }
}

/// The effective sort of a list: the requested one if allowed, else number descending.
pub(super) fn effective_sort<'a>(
    sort: &'a str,
    dir: &'a str,
    allowed: &[&str],
) -> (&'a str, &'a str) {
    let sort = if allowed.contains(&sort) {
        sort
    } else {
        "number"
    };
    let dir = match dir {
        "asc" | "desc" => dir,
        _ => default_dir(sort),
    };
    (sort, dir)
}

pub(super) fn table(
    ctx: &PageCtx,
    now: Timestamp,
    rows: &[TicketRow],
    cols: &[Col],
    staff: bool,
    sorting: Option<&Sorting<'_>>,
) -> Markup {
    html! {
        div.table-wrap {
            table.responsive.tickets {
                thead { tr {
                    @for col in cols {
                        @let label = ctx.t(col.label_key());
                        @let active = sorting.filter(|s| Some(s.sort) == col.sort_key());
                        th.wide-only[col.wide_only()] scope="col"
                            aria-sort=[active.map(|s| if s.dir == "asc" { "ascending" } else { "descending" })] {
                            @match (sorting, col.sort_key()) {
                                (Some(s), Some(key)) => {
                                    a.sort href=(s.toggle(key)) {
                                        (label)
                                        @if let Some(a) = active {
                                            " " span aria-hidden="true" { @if a.dir == "asc" { "▲" } @else { "▼" } }
                                        }
                                    }
                                }
                                _ => { (label) }
                            }
                        }
                    }
                } }
                tbody {
                    @for row in rows {
                        tr { @for col in cols { (cell(ctx, now, row, *col, staff)) } }
                    }
                }
            }
        }
    }
}

fn cell(ctx: &PageCtx, now: Timestamp, row: &TicketRow, col: Col, staff: bool) -> Markup {
    let t = &row.ticket;
    let label = ctx.t(col.label_key());
    let href = ticket_href(ctx, t.number);
    html! {
        @match col {
            Col::Number => {
                th scope="row" data-label=(label) { a href=(href) { "#" (t.number) } }
            }
            Col::Subject => {
                td.subject data-label=(label) { a href=(href) { (t.subject) } }
            }
            Col::Customer => { td.wide-only data-label=(label) { (row.customer_name) } }
            Col::Status => { td data-label=(label) { (status_badge(ctx, t.status, staff)) } }
            Col::Priority => {
                td data-label=(label) {
                    @match &row.priority {
                        Some(p) => { (priority_chip(&p.name, &p.colour)) }
                        None => { span.hint { (ctx.t("ticket.no_priority")) } }
                    }
                }
            }
            Col::Assignee => {
                td.wide-only data-label=(label) {
                    @match &row.assignee_name {
                        Some(name) => { (name) }
                        None => { span.hint { (ctx.t("ticket.unassigned")) } }
                    }
                }
            }
            Col::Topic => {
                td.wide-only data-label=(label) {
                    @match &row.topic_name {
                        Some(name) => { (name) }
                        None => { span.hint { (ctx.t("tickets.no_topic")) } }
                    }
                }
            }
            Col::Waiting => { td data-label=(label) { (relative(ctx, now, t.waiting_since)) } }
            Col::Created => { td.wide-only data-label=(label) { (relative(ctx, now, t.created_at)) } }
            Col::Updated => { td data-label=(label) { (relative(ctx, now, t.updated_at)) } }
        }
    }
}

pub(super) fn next_link(ctx: &PageCtx, href: Option<String>, first: Option<String>) -> Markup {
    html! {
        @if href.is_some() || first.is_some() {
            p.pager {
                @if let Some(first) = first {
                    a.button.secondary href=(first) { "⇤ " (ctx.t("tickets.first_page")) }
                    " "
                }
                @if let Some(href) = href {
                    a.button.secondary href=(href) rel="next" { (ctx.t("tickets.next_page")) " →" }
                }
            }
        }
    }
}
