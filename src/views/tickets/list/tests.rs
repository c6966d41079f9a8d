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
        assert!(html.contains("<a href=\"/t/acme/queue/support-waiting\" aria-current=\"page\">"));
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
        assert!(
            html.contains(
                "href=\"/t/acme/queue/support-waiting?order=priority&amp;after=c%2F1\" rel=\"next\""
            ),
            "{html}"
        );
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
        html.contains("<a class=\"chip-link\" href=\"/t/acme/queue/new\" aria-current=\"true\">"),
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
        &ManageView {
            now: now(),
            counts: &counts(),
            filter: &filter,
            page: &p,
            priorities: &[priority(1, "Urgent")],
            topics: &[topic(1, "Printers")],
            staff: &staff,
        },
    )
    .into_string();
    assert_labelled(&html);
    assert!(html.contains(
        "<form class=\"filter ticket-filter\" method=\"get\" action=\"/t/acme/tickets\""
    ));
    for name in [
        "q", "number", "status", "customer", "priority", "assignee", "topic", "from", "to", "mine",
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
        &ManageView {
            now: now(),
            counts: &counts(),
            filter: &ListFilter::default(),
            page: &RowPage::default(),
            priorities: &[],
            topics: &[],
            staff: &[],
        },
    )
    .into_string();
    assert_labelled(&html);
    assert!(!html.contains("value=\"trash\""));
    assert!(html.contains("Noch keine Tickets"));
    let html = manage(
        &sup,
        &ManageView {
            now: now(),
            counts: &counts(),
            filter: &ListFilter::default(),
            page: &page(None),
            priorities: &[],
            topics: &[],
            staff: &[],
        },
    )
    .into_string();
    assert!(
        html.contains("aria-sort=\"descending\""),
        "number, newest first by default"
    );
    assert!(html.contains("href=\"/t/acme/tickets?sort=number&amp;dir=asc\""));
    assert!(
        html.contains("<a href=\"/t/acme/tickets\" aria-current=\"page\">Ticket-Management</a>")
    );
    let filtered = ListFilter {
        number: "5".into(),
        ..ListFilter::default()
    };
    let html = manage(
        &sup,
        &ManageView {
            now: now(),
            counts: &counts(),
            filter: &filtered,
            page: &RowPage::default(),
            priorities: &[],
            topics: &[],
            staff: &[],
        },
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
        assert!(
            html.contains(
                "href=\"/t/acme/my?status=waiting&amp;q=t%C3%B6n%3Cer%3E\" aria-current=\"true\""
            ),
            "{html}"
        );
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
