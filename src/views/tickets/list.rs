//! Lists of tickets: the supporter queues (three working tabs with live counts), ticket
//! management over all of the tenant's tickets, and the customer's "My requests". Tables
//! sort by their column headers, keep their state in the URL and become cards on phones.

use jiff::Timestamp;
use maud::{Markup, html};

use super::data::{ListFilter, MyFilter};
use super::{labelled_input, labelled_select, status_badge, status_text, ticket_href, with_query};
use crate::domain::accounts::Account;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::read::{RowPage, TabCounts, TicketRow};
use crate::domain::role::Role;
use crate::domain::ticket::{Status, Tab};
use crate::views::parts::{priority_chip, tenant_base, tenant_nav};
use crate::views::time::relative;
use crate::views::{PageCtx, layout};

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

/// A column of a ticket table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
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
struct Sorting<'a> {
    sort: &'a str,
    dir: &'a str,
    href: &'a dyn Fn(&str, &str) -> String,
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
fn effective_sort<'a>(sort: &'a str, dir: &'a str, allowed: &[&str]) -> (&'a str, &'a str) {
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

fn table(
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

fn next_link(ctx: &PageCtx, href: Option<String>, first: Option<String>) -> Markup {
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

/// `/t/{slug}/tickets`: every ticket of the tenant, filtered and sorted by the query
/// string. `status=trash` (offered to tenant admins) lists the trash.
#[allow(clippy::too_many_arguments)]
pub fn manage(
    ctx: &PageCtx,
    now: Timestamp,
    counts: &TabCounts,
    filter: &ListFilter,
    page: &RowPage,
    priorities: &[Priority],
    topics: &[Topic],
    staff: &[Account],
) -> Markup {
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
mod tests {
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::lang::Lang;
    use crate::views::test_support::{assert_labelled, user_ctx};
    use crate::views::tickets::fixtures::{account, now, priority, row, topic};

    fn counts() -> TabCounts {
        TabCounts {
            new: 3,
            customer_waiting: 5,
            support_waiting: 7,
            ..TabCounts::default()
        }
    }

    fn page(next: Option<&str>) -> RowPage {
        RowPage {
            rows: vec![
                row(42, Status::Waiting, "<script>alert(1)</script>"),
                row(7, Status::New, "Drucker"),
            ],
            next: next.map(str::to_owned),
            truncated: false,
        }
    }

    #[test]
    fn queues_show_tabs_with_live_counts_orders_and_rows() {
        for lang in Lang::ALL {
            let c = user_ctx(lang, Some(Role::Supporter));
            let html = queue(
                &c,
                now(),
                Tab::SupportWaiting,
                "priority",
                &counts(),
                &page(Some("c/1")),
            )
            .into_string();
            assert!(html.contains("data-count=\"new\">3<"));
            assert!(html.contains("data-count=\"customer_waiting\">5<"));
            assert!(html.contains("data-count=\"support_waiting\">7<"));
            assert!(html.contains("data-live=\"/t/acme/events\""));
            assert!(html.contains("data-live-list=\"support_waiting\""));
            assert!(
                html.contains("<a href=\"/t/acme/queue/support-waiting\" aria-current=\"page\">")
            );
            assert!(html.contains("href=\"/t/acme/tickets\""));
            assert!(html.contains(
                "href=\"/t/acme/queue/support-waiting?order=priority\" aria-current=\"true\""
            ));
            assert!(html.contains("href=\"/t/acme/queue/support-waiting?order=newest\""));
            assert!(
                html.contains("href=\"/t/acme/queue/support-waiting\">"),
                "hot is the plain URL"
            );
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(!html.contains("<script>alert"));
            assert!(html.contains("href=\"/t/acme/tickets/42\""));
            assert!(html.contains("badge st-waiting"));
            assert!(html.contains("Carla &lt;Customer&gt;"));
            assert!(html.contains("class=\"wide-only\""));
            assert!(html.contains("href=\"/t/acme/queue/support-waiting?order=priority&amp;after=c%2F1\" rel=\"next\""), "{html}");
        }
        let de = user_ctx(Lang::De, Some(Role::Supporter));
        let html = queue(&de, now(), Tab::New, "", &counts(), &RowPage::default()).into_string();
        assert!(
            html.contains("Neue Anfragen")
                && html.contains("Kunde wartet")
                && html.contains("Support wartet")
                && html.contains("Ticket-Management")
        );
        assert!(html.contains("Keine neuen Anfragen"));
        assert!(html.contains("href=\"/t/acme/tickets/new-for-customer\""));
        assert!(
            html.contains(
                "<a class=\"chip-link\" href=\"/t/acme/queue/new\" aria-current=\"true\">"
            ),
            "hot by default"
        );
        assert!(!html.contains("rel=\"next\""));
        let html = queue(
            &de,
            now(),
            Tab::CustomerWaiting,
            "hot",
            &counts(),
            &RowPage::default(),
        )
        .into_string();
        assert!(html.contains("Gerade wartet kein Kunde"));
    }

    #[test]
    fn management_filters_sorts_and_pages_through_the_url() {
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let filter = ListFilter {
            q: "drucker & co".into(),
            status: "open".into(),
            mine: "1".into(),
            from: "2025-01-01".into(),
            sort: "customer".into(),
            dir: "asc".into(),
            after: "x".into(),
            ..ListFilter::default()
        };
        let staff = vec![account(AccountId(20), "Sam")];
        let mut p = page(Some("n9"));
        p.truncated = true;
        let html = manage(
            &c,
            now(),
            &counts(),
            &filter,
            &p,
            &[priority(1, "Urgent")],
            &[topic(1, "Printers")],
            &staff,
        )
        .into_string();
        assert_labelled(&html);
        assert!(html.contains(
            "<form class=\"filter ticket-filter\" method=\"get\" action=\"/t/acme/tickets\""
        ));
        for name in [
            "q", "number", "status", "customer", "priority", "assignee", "topic", "from", "to",
            "mine",
        ] {
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
        }
        assert!(html.contains("value=\"drucker &amp; co\""));
        assert!(html.contains("type=\"checkbox\" name=\"mine\" value=\"1\" checked"));
        assert!(html.contains("<option value=\"open\" selected>Accepted</option>"));
        assert!(
            html.contains("value=\"trash\""),
            "admins can list the trash"
        );
        assert!(html.contains("type=\"hidden\" name=\"sort\" value=\"customer\""));
        // The sorted column flips, the others start in their natural direction; the
        // filters stay and the cursor goes.
        assert!(html.contains("aria-sort=\"ascending\""));
        assert!(html.contains("href=\"/t/acme/tickets?q=drucker+%26+co&amp;status=open&amp;mine=1&amp;from=2025-01-01&amp;sort=customer&amp;dir=desc\""), "{html}");
        assert!(html.contains("sort=number&amp;dir=desc\""));
        assert!(html.contains("sort=priority&amp;dir=asc\""));
        assert!(html.contains("▲"));
        assert!(html.contains("sort=customer&amp;dir=asc&amp;after=n9\" rel=\"next\""));
        assert!(html.contains("First page"));
        assert!(html.contains("may be incomplete"));
        assert!(html.contains("Reset filters"));
        let sup = user_ctx(Lang::De, Some(Role::Supporter));
        let html = manage(
            &sup,
            now(),
            &counts(),
            &ListFilter::default(),
            &RowPage::default(),
            &[],
            &[],
            &[],
        )
        .into_string();
        assert_labelled(&html);
        assert!(!html.contains("value=\"trash\""));
        assert!(html.contains("Noch keine Tickets"));
        let html = manage(
            &sup,
            now(),
            &counts(),
            &ListFilter::default(),
            &page(None),
            &[],
            &[],
            &[],
        )
        .into_string();
        assert!(
            html.contains("aria-sort=\"descending\""),
            "number, newest first by default"
        );
        assert!(html.contains("href=\"/t/acme/tickets?sort=number&amp;dir=asc\""));
        assert!(
            html.contains(
                "<a href=\"/t/acme/tickets\" aria-current=\"page\">Ticket-Management</a>"
            )
        );
        let filtered = ListFilter {
            number: "5".into(),
            ..ListFilter::default()
        };
        let html = manage(
            &sup,
            now(),
            &counts(),
            &filtered,
            &RowPage::default(),
            &[],
            &[],
            &[],
        )
        .into_string();
        assert!(html.contains("Kein Ticket passt"));
    }

    #[test]
    fn my_requests_group_by_status_in_the_customers_words() {
        for lang in Lang::ALL {
            let c = user_ctx(lang, Some(Role::Customer));
            let filter = MyFilter {
                status: "waiting".into(),
                q: "tön<er>".into(),
                ..MyFilter::default()
            };
            let html = my_requests(&c, now(), &filter, &page(Some("k"))).into_string();
            assert_labelled(&html);
            assert!(html.contains("class=\"button report\" href=\"/t/acme/tickets/new\""));
            assert!(html.contains("href=\"/t/acme/my?status=waiting&amp;q=t%C3%B6n%3Cer%3E\" aria-current=\"true\""), "{html}");
            assert!(
                html.contains("href=\"/t/acme/my?q=t%C3%B6n%3Cer%3E\""),
                "the All chip"
            );
            assert!(html.contains("type=\"hidden\" name=\"status\" value=\"waiting\""));
            assert!(html.contains("&lt;script&gt;"));
            assert!(html.contains("sort=number&amp;dir=asc"));
            assert!(html.contains("after=k\" rel=\"next\""));
            assert!(
                !html.contains("Question to you") && !html.contains("Rückfrage"),
                "customer wording"
            );
        }
        let c = user_ctx(Lang::En, Some(Role::Customer));
        let html = my_requests(&c, now(), &MyFilter::default(), &page(None)).into_string();
        assert!(html.contains("Support is waiting for you") && html.contains("Submitted"));
        assert!(
            html.contains("Waiting for you")
                && html.contains("Accepted")
                && html.contains("Resolved")
                && html.contains("Closed")
        );
        let html = my_requests(&c, now(), &MyFilter::default(), &RowPage::default()).into_string();
        assert!(
            html.contains("<a href=\"/t/acme/tickets/new\">No requests yet — report a problem</a>")
        );
        let html = my_requests(
            &user_ctx(Lang::De, Some(Role::Customer)),
            now(),
            &MyFilter {
                number: "9".into(),
                ..MyFilter::default()
            },
            &RowPage::default(),
        )
        .into_string();
        assert!(html.contains("Keine Anfrage passt"));
        assert!(html.contains("Meine Anfragen") && html.contains("Problem melden"));
    }

    #[test]
    fn the_menu_leads_to_the_ticket_areas_by_role() {
        let hrefs = |role| -> Vec<(String, &'static str)> {
            crate::views::layout::nav_items(&user_ctx(Lang::En, Some(role)))
                .into_iter()
                .map(|i| (i.href, i.label_key))
                .collect()
        };
        assert_eq!(
            hrefs(Role::Customer),
            [
                ("/t/acme/".to_owned(), "nav.home"),
                ("/t/acme/my".to_owned(), "nav.my_requests"),
                ("/t/acme/search".to_owned(), "nav.search"),
            ]
        );
        assert_eq!(
            hrefs(Role::Supporter),
            [
                ("/t/acme/".to_owned(), "nav.home"),
                ("/t/acme/my".to_owned(), "nav.my_requests"),
                ("/t/acme/queue/new".to_owned(), "nav.requests"),
                ("/t/acme/search".to_owned(), "nav.search"),
                ("/t/acme/settings/".to_owned(), "nav.administration"),
            ]
        );
        let mut c = user_ctx(Lang::De, Some(Role::Customer));
        c.current_path = "/t/acme/my?status=new".into();
        let html = layout::page(&c, "T", maud::html! {}).into_string();
        assert!(html.contains("<a href=\"/t/acme/my\" aria-current=\"page\">Meine Anfragen</a>"));
        assert!(html.contains("<a href=\"/t/acme/search\">Suche</a>"));
        assert!(html.contains("vendor/htmx.min.js"));
        assert!(html.contains("name=\"htmx-config\""));
        assert!(!html.contains("/static/missing/"));
    }
}
