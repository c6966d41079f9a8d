//! Lists of tickets: the supporter queues (three working tabs with live counts), ticket
//! management over all of the tenant's tickets, and the customer's "My requests". Tables
//! sort by their column headers, keep their state in the URL and become cards on phones.

use jiff::Timestamp;
use maud::{Markup, html};

use super::data::{ListFilter, MyFilter};
use super::{labelled_input, labelled_select, status_text, with_query};
use crate::domain::accounts::Account;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::read::{RowPage, TabCounts};
use crate::domain::role::Role;
use crate::domain::ticket::{Status, Tab};
use crate::views::parts::{tenant_base, tenant_nav};
use crate::views::{PageCtx, layout};

mod table;

use table::{Col, Sorting, effective_sort, next_link, table};

/// The name a tab's count has in the live `counts` event.
fn count_key(tab: Tab) -> &'static str {
    match tab {
        Tab::New => "new",
        Tab::CustomerWaiting => "customer_waiting",
        Tab::SupportWaiting => "support_waiting",
    }
}

fn count_of(counts: &TabCounts, tab: Tab) -> u64 {
    match tab {
        Tab::New => counts.new,
        Tab::CustomerWaiting => counts.customer_waiting,
        Tab::SupportWaiting => counts.support_waiting,
    }
}

/// The four tabs of "Requests"; `current` is `None` on ticket management. The counts
/// carry `data-count` so app.js can update them from the live events.
fn tabs(ctx: &PageCtx, counts: &TabCounts, current: Option<Tab>) -> Markup {
    let base = tenant_base(ctx);
    html! {
        nav.subnav.queue-tabs aria-label=(ctx.t("queue.tabs_label"))
            data-live={ (base) "/events" }
            data-live-list=[current.map(count_key)]
            data-live-text=(ctx.t("live.list_changed"))
            data-live-reload=(ctx.t("live.reload")) {
            ul {
                @for tab in Tab::ALL {
                    li {
                        a href={ (base) "/queue/" (tab.code()) } aria-current=[(current == Some(tab)).then_some("page")] {
                            (ctx.t(&format!("tab.{}", tab.code())))
                            " "
                            span.count data-count=(count_key(tab)) { (count_of(counts, tab)) }
                        }
                    }
                }
                li {
                    a href={ (base) "/tickets" } aria-current=[current.is_none().then_some("page")] {
                        (ctx.t("tab.manage"))
                    }
                }
            }
        }
    }
}

/// `/t/{slug}/queue/{tab}`: one working tab, longest waiting first by default.
/// `order` is `hot`, `priority` or `newest` (anything else reads as `hot`).
pub fn queue(
    ctx: &PageCtx,
    now: Timestamp,
    tab: Tab,
    order: &str,
    counts: &TabCounts,
    page: &RowPage,
) -> Markup {
    let title = ctx.t(&format!("tab.{}", tab.code())).to_owned();
    let path = format!("{}/queue/{}", tenant_base(ctx), tab.code());
    let order = match order {
        "priority" | "newest" => order,
        _ => "hot",
    };
    let order_param = if order == "hot" { "" } else { order };
    let mut cols = vec![
        Col::Number,
        Col::Subject,
        Col::Customer,
        Col::Status,
        Col::Priority,
    ];
    if tab != Tab::New {
        cols.push(Col::Assignee);
    }
    cols.push(Col::Topic);
    cols.push(Col::Waiting);
    let next = page
        .next
        .as_deref()
        .map(|after| with_query(&path, &[("order", order_param), ("after", after)]));
    let empty_key = match tab {
        Tab::New => "queue.empty_new",
        Tab::CustomerWaiting => "queue.empty_customer_waiting",
        Tab::SupportWaiting => "queue.empty_support_waiting",
    };
    layout::page(
        ctx,
        &title,
        html! {
            h1 { (ctx.t("queue.title")) }
            (tabs(ctx, counts, Some(tab)))
            div.list-head {
                h2.visually-hidden { (title) }
                nav.sort-links aria-label=(ctx.t("queue.sort_label")) {
                    span { (ctx.t("queue.sort_label")) ": " }
                    @for (key, label_key) in [("hot", "queue.order_hot"), ("priority", "queue.order_priority"), ("newest", "queue.order_newest")] {
                        @let href = with_query(&path, &[("order", if key == "hot" { "" } else { key })]);
                        a.chip-link href=(href) aria-current=[(key == order).then_some("true")] { (ctx.t(label_key)) }
                    }
                }
                @if tab == Tab::New {
                    a.button.secondary href={ (tenant_base(ctx)) "/tickets/new-for-customer" } { (ctx.t("queue.new_for_customer")) }
                }
            }
            @if page.truncated {
                p.notice-text role="status" { (ctx.t("tickets.truncated")) }
            }
            @if page.rows.is_empty() {
                p.empty { (ctx.t(empty_key)) }
            } @else {
                (table(ctx, now, &page.rows, &cols, true, None))
            }
            (next_link(ctx, next, None))
        },
    )
}

fn manage_pairs<'a>(f: &'a ListFilter, sort: &'a str, dir: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("q", f.q.as_str()),
        ("status", f.status.as_str()),
        ("number", f.number.as_str()),
        ("customer", f.customer.as_str()),
        ("priority", f.priority.as_str()),
        ("assignee", f.assignee.as_str()),
        ("mine", f.mine.as_str()),
        ("topic", f.topic.as_str()),
        ("from", f.from.as_str()),
        ("to", f.to.as_str()),
        ("sort", sort),
        ("dir", dir),
    ]
}

/// How many filters are set, for the folded filter box's badge.
fn active_filters(f: &ListFilter) -> usize {
    [
        &f.q,
        &f.status,
        &f.number,
        &f.customer,
        &f.priority,
        &f.assignee,
        &f.mine,
        &f.topic,
        &f.from,
        &f.to,
    ]
    .iter()
    .filter(|v| !v.trim().is_empty())
    .count()
}

fn filtered(f: &ListFilter) -> bool {
    active_filters(f) > 0
}

const MANAGE_SORTS: [&str; 6] = [
    "number", "created", "updated", "customer", "status", "priority",
];

/// What Ticket management shows: the list page and, around it, the tab counts and the
/// choices of its filters.
#[derive(Debug, Clone, Copy)]
pub struct ManageView<'a> {
    pub now: Timestamp,
    pub counts: &'a TabCounts,
    pub filter: &'a ListFilter,
    pub page: &'a RowPage,
    pub priorities: &'a [Priority],
    pub topics: &'a [Topic],
    pub staff: &'a [Account],
}

/// `/t/{slug}/tickets`: every ticket of the tenant, filtered and sorted by the query
/// string. `status=trash` (offered to tenant admins) lists the trash.
pub fn manage(ctx: &PageCtx, view: &ManageView<'_>) -> Markup {
    let ManageView {
        now,
        counts,
        filter,
        page,
        priorities,
        topics,
        staff,
    } = *view;
    let title = ctx.t("tab.manage");
    let path = format!("{}/tickets", tenant_base(ctx));
    let admin = tenant_nav(ctx).is_some_and(|t| t.role == Role::TenantAdmin);
    let (sort, dir) = effective_sort(&filter.sort, &filter.dir, &MANAGE_SORTS);
    let href = |s: &str, d: &str| with_query(&path, &manage_pairs(filter, s, d));
    let sorting = Sorting {
        sort,
        dir,
        href: &href,
    };
    let next = page.next.as_deref().map(|after| {
        let mut pairs = manage_pairs(filter, &filter.sort, &filter.dir);
        pairs.push(("after", after));
        with_query(&path, &pairs)
    });
    let first = (!filter.after.is_empty())
        .then(|| with_query(&path, &manage_pairs(filter, &filter.sort, &filter.dir)));
    let all = ctx.t("manage.all").to_owned();
    let mut status_options = vec![(String::new(), all.clone())];
    status_options.extend(
        Status::ALL
            .iter()
            .map(|s| (s.code().to_owned(), status_text(ctx, *s, true).to_owned())),
    );
    if admin || filter.status == "trash" {
        status_options.push(("trash".to_owned(), ctx.t("manage.trash").to_owned()));
    }
    let mut priority_options = vec![(String::new(), all.clone())];
    priority_options.extend(
        priorities
            .iter()
            .map(|p| (p.id.to_string(), p.name.clone())),
    );
    let mut assignee_options = vec![(String::new(), ctx.t("manage.anyone").to_owned())];
    assignee_options.extend(staff.iter().map(|a| (a.id.to_string(), a.name.clone())));
    let mut topic_options = vec![(String::new(), all)];
    topic_options.extend(topics.iter().map(|t| (t.id.to_string(), t.name.clone())));
    let cols = [
        Col::Number,
        Col::Subject,
        Col::Customer,
        Col::Status,
        Col::Priority,
        Col::Assignee,
        Col::Created,
        Col::Updated,
    ];
    layout::page(
        ctx,
        title,
        html! {
            h1 { (ctx.t("queue.title")) }
            (tabs(ctx, counts, None))
            // Open as sent, so the filters work without JavaScript; on a phone the script
            // folds them while none is active, so the list is what the person sees first.
            details.filter-box open data-active=(active_filters(filter)) {
                summary {
                    (ctx.t("manage.filters"))
                    @if active_filters(filter) > 0 {
                        " " span.count { (active_filters(filter)) }
                    }
                }
            form.filter.ticket-filter method="get" action=(path) role="search" aria-label=(ctx.t("manage.filter_label")) {
                div.filter-grid {
                    (labelled_input("f-q", "q", ctx.t("manage.q"), "search", &filter.q, None, None))
                    (labelled_input("f-number", "number", ctx.t("field.number"), "text", &filter.number, None, None))
                    (labelled_select("f-status", "status", ctx.t("field.status"), &status_options, &filter.status, None))
                    (labelled_input("f-customer", "customer", ctx.t("field.customer"), "search", &filter.customer, None, None))
                    (labelled_select("f-priority", "priority", ctx.t("field.priority"), &priority_options, &filter.priority, None))
                    (labelled_select("f-assignee", "assignee", ctx.t("field.assignee"), &assignee_options, &filter.assignee, None))
                    (labelled_select("f-topic", "topic", ctx.t("field.topic"), &topic_options, &filter.topic, None))
                    (labelled_input("f-from", "from", ctx.t("field.from"), "date", &filter.from, None, None))
                    (labelled_input("f-to", "to", ctx.t("field.to"), "date", &filter.to, None, None))
                    div.field.checkbox {
                        input #f-mine type="checkbox" name="mine" value="1" checked[!filter.mine.is_empty()];
                        label for="f-mine" { (ctx.t("field.mine")) }
                    }
                }
                @if !filter.sort.is_empty() {
                    input type="hidden" name="sort" value=(filter.sort);
                }
                @if !filter.dir.is_empty() {
                    input type="hidden" name="dir" value=(filter.dir);
                }
                div.actions {
                    button type="submit" { (ctx.t("form.filter")) }
                    @if filtered(filter) {
                        a.button.secondary href=(path) { (ctx.t("manage.reset")) }
                    }
                }
            }
            }
            @if page.truncated {
                p.notice-text role="status" { (ctx.t("tickets.truncated")) }
            }
            @if page.rows.is_empty() {
                @if filtered(filter) {
                    p.empty { (ctx.t("manage.no_match")) " " a href=(path) { (ctx.t("manage.reset")) } }
                } @else {
                    p.empty { (ctx.t("manage.empty")) }
                }
            } @else {
                (table(ctx, now, &page.rows, &cols, true, Some(&sorting)))
            }
            (next_link(ctx, next, first))
        },
    )
}

const MY_SORTS: [&str; 4] = ["number", "created", "updated", "status"];

fn my_pairs<'a>(
    f: &'a MyFilter,
    status: &'a str,
    sort: &'a str,
    dir: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("status", status),
        ("q", f.q.as_str()),
        ("number", f.number.as_str()),
        ("sort", sort),
        ("dir", dir),
    ]
}

/// `/t/{slug}/my`: the person's own requests by status group, with a prominent way to
/// report a new problem.
pub fn my_requests(ctx: &PageCtx, now: Timestamp, filter: &MyFilter, page: &RowPage) -> Markup {
    let title = ctx.t("my.title");
    let base = tenant_base(ctx);
    let path = format!("{base}/my");
    let report = format!("{base}/tickets/new");
    let (sort, dir) = effective_sort(&filter.sort, &filter.dir, &MY_SORTS);
    let href = |s: &str, d: &str| with_query(&path, &my_pairs(filter, &filter.status, s, d));
    let sorting = Sorting {
        sort,
        dir,
        href: &href,
    };
    let groups: [(&str, &str); 6] = [
        ("", "my.group_all"),
        ("new", "my.group_new"),
        ("open", "my.group_open"),
        ("waiting", "my.group_waiting"),
        ("resolved", "my.group_resolved"),
        ("closed", "my.group_closed"),
    ];
    let next = page.next.as_deref().map(|after| {
        let mut pairs = my_pairs(filter, &filter.status, &filter.sort, &filter.dir);
        pairs.push(("after", after));
        with_query(&path, &pairs)
    });
    let first = (!filter.after.is_empty()).then(|| {
        with_query(
            &path,
            &my_pairs(filter, &filter.status, &filter.sort, &filter.dir),
        )
    });
    let any_filter = [&filter.status, &filter.q, &filter.number]
        .iter()
        .any(|v| !v.trim().is_empty());
    let cols = [
        Col::Number,
        Col::Subject,
        Col::Status,
        Col::Updated,
        Col::Created,
    ];
    layout::page(
        ctx,
        title,
        html! {
            div.page-head {
                h1 { (title) }
                a.button.report href=(report) { (ctx.t("my.report_button")) }
            }
            nav.status-chips aria-label=(ctx.t("my.groups_label")) {
                ul {
                    @for (code, key) in groups {
                        li {
                            a.chip-link href=(with_query(&path, &my_pairs(filter, code, &filter.sort, &filter.dir)))
                                aria-current=[(filter.status == code).then_some("true")] { (ctx.t(key)) }
                        }
                    }
                }
            }
            form.filter method="get" action=(path) role="search" aria-label=(ctx.t("my.filter_label")) {
                (labelled_input("f-q", "q", ctx.t("my.q"), "search", &filter.q, None, None))
                (labelled_input("f-number", "number", ctx.t("field.number"), "text", &filter.number, None, None))
                @for (name, value) in [("status", &filter.status), ("sort", &filter.sort), ("dir", &filter.dir)] {
                    @if !value.is_empty() {
                        input type="hidden" name=(name) value=(value);
                    }
                }
                button.secondary type="submit" { (ctx.t("form.filter")) }
            }
            @if page.truncated {
                p.notice-text role="status" { (ctx.t("tickets.truncated")) }
            }
            @if page.rows.is_empty() {
                @if any_filter {
                    p.empty { (ctx.t("my.no_match")) " " a href=(path) { (ctx.t("my.show_all")) } }
                } @else {
                    p.empty { a href=(report) { (ctx.t("my.empty")) } }
                }
            } @else {
                // The requester's view: even staff read the customer's words here.
                (table(ctx, now, &page.rows, &cols, false, Some(&sorting)))
            }
            (next_link(ctx, next, first))
        },
    )
}

#[cfg(test)]
mod tests;
