//! Ticket management: every filter against what the records say, sorting by the links of
//! the column headers, keyset pagination over more than one page, filter state in the
//! URL, and a clear 400 for a broken cursor or filter.

use std::collections::BTreeSet;

use poem::http::StatusCode;
use supportbox::domain::ids::PriorityId;
use supportbox::domain::ticket::{Status, Ticket};
use supportbox::service::tickets::{Command, NewTicket};

use super::{Desk, acme_caller, create, new_ticket, priority_id, ticket};
use crate::support::{Browser, Page, TestApp, arrange};

const TICKETS: u64 = 65;

/// 65 tickets over four days: Carl's and Cleo's, some with topics, accepted by Sam or
/// Sara with a priority, some resolved or closed.
async fn many_tickets(app: &TestApp) -> Vec<Ticket> {
    let acme = app.fx().acme.clone();
    let printers = arrange::create_topic(app, &acme, "Printers").await.id;
    let network = arrange::create_topic(app, &acme, "Network").await.id;
    let high = PriorityId(priority_id(app, "High").await);
    let low = PriorityId(priority_id(app, "Low").await);
    let (carl, cleo) = (acme_caller(app, 0), acme_caller(app, 1));
    let (sam, sara) = (acme_caller(app, 2), acme_caller(app, 3));
    for i in 1..=TICKETS {
        let who = if i % 3 == 0 { &cleo } else { &carl };
        let topic = match (i % 5, i % 7) {
            (0, _) => Some(printers),
            (_, 0) => Some(network),
            _ => None,
        };
        let t = create(
            app,
            who,
            NewTicket {
                topic,
                ..new_ticket(&format!("Problem number {i}"), "Details follow.")
            },
        )
        .await;
        assert_eq!(t.number, i);
        app.advance_minutes(60);
    }
    let act = |caller, n, command| async move {
        app.state.services.act(&caller, n, command).await.unwrap();
    };
    for i in 1..=TICKETS {
        match i % 4 {
            1 => {
                act(sam.clone(), i, accept(high)).await;
                if i % 8 == 1 {
                    act(sam.clone(), i, resolve()).await;
                }
            }
            2 => {
                act(sara.clone(), i, accept(low)).await;
                if i % 12 == 2 {
                    act(sara.clone(), i, Command::Close).await;
                }
            }
            3 => act(sam.clone(), i, Command::Close).await,
            _ => {}
        }
    }
    let mut all = Vec::new();
    for i in 1..=TICKETS {
        all.push(ticket(app, i).await);
    }
    all
}

fn accept(priority: PriorityId) -> Command {
    Command::Accept {
        priority,
        assignee: None,
    }
}

fn resolve() -> Command {
    Command::Resolve {
        solution: "Done.".to_owned(),
    }
}

/// Every ticket number a management URL lists, following "Next page" links; checks that
/// no page repeats a ticket and that the next link keeps the filters.
async fn all_pages(app: &TestApp, who: &Browser, url: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut next = Some(url.to_owned());
    let mut pages = 0;
    while let Some(url) = next {
        let page = who.get(app, &url).await;
        page.assert_ok();
        for n in page.ticket_numbers() {
            assert!(!out.contains(&n), "#{n} twice, at {url}");
            out.push(n);
        }
        next = page.link_to("Next page →");
        if let Some(next) = &next {
            let (_, query) = url.split_once('?').unwrap_or((&url, ""));
            for pair in query.split('&').filter(|p| !p.starts_with("after=")) {
                if !pair.is_empty() {
                    assert!(next.contains(pair), "{next} lost {pair}");
                }
            }
            assert!(next.contains("after="), "{next}");
        }
        pages += 1;
        assert!(pages < 10, "endless paging at {url}");
    }
    out
}

fn numbers(all: &[Ticket], keep: impl Fn(&Ticket) -> bool) -> BTreeSet<u64> {
    all.iter().filter(|t| keep(t)).map(|t| t.number).collect()
}

fn set(v: Vec<u64>) -> BTreeSet<u64> {
    v.into_iter().collect()
}

#[tokio::test]
async fn every_filter_lists_exactly_the_matching_tickets() {
    let app = TestApp::seeded().await;
    let all = many_tickets(&app).await;
    // Signed in afterwards: the tickets span days, longer than a session lives.
    let desk = Desk::with(app).await;
    let app = &desk.app;
    let acme = app.fx().acme.clone();
    let (cleo, sam, sara) = (
        acme.customers[1].id,
        acme.supporters[0].id,
        acme.supporters[1].id,
    );
    let high = PriorityId(priority_id(app, "High").await);
    let topics = arrange::topics(app, &acme).await;
    let printers = topics.iter().find(|t| t.name == "Printers").unwrap().id;
    let day = |t: &Ticket| t.created_at.to_string()[..10].to_owned();
    let second_day = day(&all[20]);
    let last_day = day(&all[TICKETS as usize - 1]);

    let cases: Vec<(String, BTreeSet<u64>)> = vec![
        ("".into(), numbers(&all, |_| true)),
        (
            "status=new".into(),
            numbers(&all, |t| t.status == Status::New),
        ),
        (
            "status=open".into(),
            numbers(&all, |t| t.status == Status::Open),
        ),
        (
            "status=resolved".into(),
            numbers(&all, |t| t.status == Status::Resolved),
        ),
        (
            "status=closed".into(),
            numbers(&all, |t| t.status == Status::Closed),
        ),
        ("number=17".into(), [17].into()),
        ("number=%2317".into(), [17].into()),
        ("number=999".into(), BTreeSet::new()),
        (
            format!("customer={}", cleo.0),
            numbers(&all, |t| t.customer == cleo),
        ),
        (
            "customer=Cleo".into(),
            numbers(&all, |t| t.customer == cleo),
        ),
        (
            "customer=cleo%40acme.example".into(),
            numbers(&all, |t| t.customer == cleo),
        ),
        ("customer=Nobody+Known".into(), BTreeSet::new()),
        (
            format!("priority={}", high.0),
            numbers(&all, |t| t.priority == Some(high)),
        ),
        (
            format!("assignee={}", sara.0),
            numbers(&all, |t| t.assignee == Some(sara)),
        ),
        (
            "assignee=none".into(),
            numbers(&all, |t| t.assignee.is_none()),
        ),
        ("mine=1".into(), numbers(&all, |t| t.assignee == Some(sam))),
        (
            format!("topic={}", printers.0),
            numbers(&all, |t| t.topic == Some(printers)),
        ),
        (
            format!("from={second_day}&to={second_day}"),
            numbers(&all, |t| day(t) == second_day),
        ),
        (
            format!("from={last_day}"),
            numbers(&all, |t| day(t) >= last_day),
        ),
        (
            format!("to={second_day}"),
            numbers(&all, |t| day(t) <= second_day),
        ),
        (
            format!(
                "status=open&topic={}&customer={}",
                printers.0, acme.customers[0].id.0
            ),
            numbers(&all, |t| {
                t.status == Status::Open
                    && t.topic == Some(printers)
                    && t.customer == acme.customers[0].id
            }),
        ),
        (
            format!("mine=1&status=resolved&priority={}", high.0),
            numbers(&all, |t| {
                t.assignee == Some(sam) && t.status == Status::Resolved && t.priority == Some(high)
            }),
        ),
    ];
    for (query, expected) in &cases {
        let url = if query.is_empty() {
            "/t/acme/tickets".to_owned()
        } else {
            format!("/t/acme/tickets?{query}")
        };
        let found = all_pages(app, &desk.sam, &url).await;
        assert_eq!(&set(found), expected, "{url}");
    }
    // The interesting sets are not trivially empty or full.
    for (query, expected) in &cases[1..5] {
        assert!(!expected.is_empty(), "{query}");
    }
    assert!(cases[15].1.len() > 5 && cases[15].1.len() < 40, "mine");

    // The filter form shows the state it was given, so the URL is the bookmark.
    let page = desk
        .sam
        .get(
            app,
            &format!(
                "/t/acme/tickets?status=open&topic={}&mine=1&number=&from={second_day}",
                printers.0
            ),
        )
        .await;
    page.assert_contains("<option value=\"open\" selected>Accepted</option>");
    page.assert_contains(&format!(
        "<option value=\"{}\" selected>Printers</option>",
        printers.0
    ));
    page.assert_contains("name=\"mine\" value=\"1\" checked");
    page.assert_contains(&format!("value=\"{second_day}\""));
    page.assert_contains("Reset filters");
    // An assignee of another tenant or a stranger's id finds nothing, harmlessly.
    let gus = app.fx().globex.supporters[0].id.0;
    let page = desk
        .sam
        .get(app, &format!("/t/acme/tickets?assignee={gus}"))
        .await;
    page.assert_ok();
    assert!(page.ticket_numbers().is_empty());
}

/// The priority rank of each listed ticket (unset last).
fn ranks(all: &[Ticket], page: &Page, rank_of: &dyn Fn(Option<PriorityId>) -> u32) -> Vec<u32> {
    page.ticket_numbers()
        .iter()
        .map(|n| rank_of(all.get(*n as usize - 1).and_then(|t| t.priority)))
        .collect()
}

fn is_sorted<T: Ord>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] <= w[1])
}

#[tokio::test]
async fn column_headers_sort_and_pages_follow_keyset_cursors() {
    let app = TestApp::seeded().await;
    let all = many_tickets(&app).await;
    // Signed in afterwards: the tickets span days, longer than a session lives.
    let desk = Desk::with(app).await;
    let app = &desk.app;
    let priorities = arrange::priorities(app, &app.fx().acme).await;
    let rank_of = |p: Option<PriorityId>| {
        p.and_then(|id| priorities.iter().find(|x| x.id == id))
            .map_or(u32::MAX, |x| x.rank)
    };
    let sam = &desk.sam;

    // Default: newest number first, 50 on the first page, the rest on the next.
    let first = sam.get(app, "/t/acme/tickets").await;
    first.assert_ok();
    let numbers = first.ticket_numbers();
    assert_eq!(numbers, (16..=TICKETS).rev().collect::<Vec<_>>());
    first.assert_contains("aria-sort=\"descending\"");
    let next = first.link_to("Next page →").expect("a next page link");
    assert!(next.starts_with("/t/acme/tickets?"), "{next}");
    let second = sam.get(app, &next).await;
    second.assert_ok();
    assert_eq!(second.ticket_numbers(), (1..=15).rev().collect::<Vec<_>>());
    assert!(second.link_to("Next page →").is_none());
    assert_eq!(
        second.link_to("⇤ First page").as_deref(),
        Some("/t/acme/tickets")
    );
    // New tickets arriving meanwhile do not shift a keyset page.
    create(app, &acme_caller(app, 0), new_ticket("Late arrival", "x")).await;
    let again = sam.get(app, &next).await;
    assert_eq!(again.ticket_numbers(), (1..=15).rev().collect::<Vec<_>>());

    // Clicking "No." flips to oldest first.
    let asc = first.link_to("No.").expect("the number header is a link");
    assert_eq!(asc, "/t/acme/tickets?sort=number&dir=asc");
    let page = sam.get(app, &asc).await;
    assert_eq!(page.ticket_numbers(), (1..=50).collect::<Vec<_>>());
    page.assert_contains("aria-sort=\"ascending\"");

    // Clicking "Customer": names A→Z, then Z→A; paging keeps the sort.
    let by_customer = first
        .link_to("Customer")
        .expect("the customer header is a link");
    assert_eq!(by_customer, "/t/acme/tickets?sort=customer&dir=asc");
    let listed = all_pages(app, sam, &by_customer).await;
    assert_eq!(listed.len(), TICKETS as usize + 1);
    let carl = app.fx().acme.customers[0].id;
    let names: Vec<u8> = listed
        .iter()
        .map(|n| match all.get(*n as usize - 1) {
            Some(t) if t.customer != carl => 1,
            _ => 0,
        })
        .collect();
    assert!(is_sorted(&names), "Carl before Cleo: {listed:?}");
    let page = sam.get(app, &by_customer).await;
    let desc = page.link_to("Customer").unwrap();
    assert_eq!(desc, "/t/acme/tickets?sort=customer&dir=desc");
    let page = sam.get(app, &desc).await;
    assert!(page.body.contains("Cleo Customer"));
    let first_row = page.ticket_numbers()[0];
    assert_eq!(
        all[first_row as usize - 1].customer,
        app.fx().acme.customers[1].id
    );

    // Clicking "Priority": most urgent first, unset last.
    let by_priority = first.link_to("Priority").unwrap();
    assert_eq!(by_priority, "/t/acme/tickets?sort=priority&dir=asc");
    let page = sam.get(app, &by_priority).await;
    let r = ranks(&all, &page, &rank_of);
    assert!(is_sorted(&r), "{r:?}");
    assert!(r.first() < r.last(), "{r:?}");

    // Clicking "Status": new, accepted, waiting, resolved, closed.
    let by_status = first.link_to("Status").unwrap();
    let listed = all_pages(app, sam, &by_status).await;
    let order: Vec<u8> = listed
        .iter()
        .filter_map(|n| all.get(*n as usize - 1))
        .map(|t| t.status.as_u8())
        .collect();
    assert!(is_sorted(&order), "{order:?}");

    // Sorting keeps the filters, and a filtered list pages with them.
    let filtered = sam
        .get(app, "/t/acme/tickets?status=closed&sort=created&dir=asc")
        .await;
    let link = filtered.link_to("No.").unwrap();
    assert_eq!(link, "/t/acme/tickets?status=closed&sort=number&dir=desc");
    let carl_id = app.fx().acme.customers[0].id.0;
    let listed = all_pages(
        app,
        sam,
        &format!("/t/acme/tickets?customer={carl_id}&sort=created&dir=asc"),
    )
    .await;
    let expected: Vec<u64> = all
        .iter()
        .filter(|t| t.customer == carl)
        .map(|t| t.number)
        .chain([TICKETS + 1])
        .collect();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn broken_cursors_and_filters_give_a_clear_400_page() {
    let app = TestApp::seeded().await;
    many_tickets(&app).await;
    // Signed in afterwards: the tickets span days, longer than a session lives.
    let desk = Desk::with(app).await;
    let app = &desk.app;
    let first = desk.sam.get(app, "/t/acme/tickets").await;
    let next = first.link_to("Next page →").unwrap();
    let cursor = next.split("after=").nth(1).unwrap().to_owned();
    for url in [
        "/t/acme/tickets?after=garbage".to_owned(),
        "/t/acme/tickets?after=%00%FF".to_owned(),
        format!("/t/acme/tickets?after={}x", cursor),
        format!("/t/acme/tickets?after={}", "A".repeat(5000)),
        "/t/acme/tickets?status=bogus".to_owned(),
        "/t/acme/tickets?number=abc".to_owned(),
        "/t/acme/tickets?from=2026-13-45".to_owned(),
        "/t/acme/tickets?to=yesterday".to_owned(),
        "/t/acme/tickets?priority=high".to_owned(),
        "/t/acme/queue/new?after=garbage".to_owned(),
        "/t/acme/my?after=garbage".to_owned(),
    ] {
        let who = if url.contains("/my") {
            &desk.carl
        } else {
            &desk.sam
        };
        let page = who.get(app, &url).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{url}: {}", page.body);
        page.assert_contains("Request failed");
        page.assert_lacks("panicked");
    }
    // A cursor from one sort order used with another is refused or harmless, never a crash.
    let page = desk
        .sam
        .get(
            app,
            &format!("/t/acme/tickets?sort=customer&after={cursor}"),
        )
        .await;
    assert!(
        page.status == StatusCode::OK || page.status == StatusCode::BAD_REQUEST,
        "{}: {}",
        page.status,
        page.body
    );
    // The server is fine afterwards.
    desk.sam.get(app, "/t/acme/tickets").await.assert_ok();
}

#[tokio::test]
async fn the_working_tabs_put_the_longest_waiting_first_and_page_by_cursor() {
    let app = TestApp::seeded().await;
    let carl = acme_caller(&app, 0);
    for i in 1..=60 {
        create(&app, &carl, new_ticket(&format!("Waiting {i}"), "x")).await;
        app.advance_minutes(1);
    }
    // Accepted in the order 5 (Low), 6 (Critical), 7 (High): 5 waits longest.
    let sam = acme_caller(&app, 2);
    for (n, name) in [(5, "Low"), (6, "Critical"), (7, "High")] {
        let priority = PriorityId(priority_id(&app, name).await);
        app.state
            .services
            .act(&sam, n, accept(priority))
            .await
            .unwrap();
        app.advance_minutes(1);
    }
    let desk = Desk::with(app).await;
    let app = &desk.app;

    // New requests: the oldest first, 50 per page, then the rest.
    let page = desk.sam.get(app, "/t/acme/queue/new").await;
    page.assert_ok();
    assert_eq!(page.tab_count("new"), Some(57));
    assert_eq!(page.tab_count("customer_waiting"), Some(3));
    let first: Vec<u64> = (1..=60).filter(|n| !(5..=7).contains(n)).take(50).collect();
    assert_eq!(page.ticket_numbers(), first);
    let next = page.link_to("Next page →").expect("a second page");
    assert!(next.starts_with("/t/acme/queue/new?after="), "{next}");
    let rest = desk.sam.get(app, &next).await;
    let second: Vec<u64> = (1..=60).filter(|n| !(5..=7).contains(n)).skip(50).collect();
    assert_eq!(rest.ticket_numbers(), second);
    assert!(rest.link_to("Next page →").is_none());
    // Newest first on request.
    let newest = desk
        .sam
        .get(app, &page.link_to("Newest first").unwrap())
        .await;
    assert_eq!(newest.ticket_numbers()[..3], [60, 59, 58]);

    // Customer waiting: longest waiting first by default, most urgent first on request.
    let page = desk.sam.get(app, "/t/acme/queue/customer-waiting").await;
    assert_eq!(page.ticket_numbers(), [5, 6, 7]);
    page.assert_contains("Longest waiting first");
    let by_priority = page.link_to("By priority").unwrap();
    assert_eq!(by_priority, "/t/acme/queue/customer-waiting?order=priority");
    let page = desk.sam.get(app, &by_priority).await;
    assert_eq!(page.ticket_numbers(), [6, 7, 5]);
    let page = desk.sam.get(app, "/t/acme/queue/nonsense").await;
    page.assert_not_found();
}

#[tokio::test]
async fn my_requests_filter_by_number_status_and_text_and_sort_by_column() {
    let app = TestApp::seeded().await;
    let carl = acme_caller(&app, 0);
    for subject in ["Drucker kaputt", "Maus defekt", "Tastatur klemmt"] {
        create(&app, &carl, new_ticket(subject, "Bitte helfen.")).await;
        app.advance_minutes(5);
    }
    create(&app, &acme_caller(&app, 1), new_ticket("Cleo's own", "x")).await;
    let high = PriorityId(priority_id(&app, "High").await);
    app.state
        .services
        .act(&acme_caller(&app, 2), 2, accept(high))
        .await
        .unwrap();
    app.state.services.sync_search().await.unwrap();
    let desk = Desk::with(app).await;
    let (app, carl) = (&desk.app, &desk.carl);

    let all = carl.get(app, "/t/acme/my").await;
    assert_eq!(all.ticket_numbers(), [3, 2, 1]);
    all.assert_lacks("Cleo's own");
    assert_eq!(
        carl.get(app, "/t/acme/my?number=2").await.ticket_numbers(),
        [2]
    );
    assert_eq!(
        carl.get(app, "/t/acme/my?number=4").await.ticket_numbers(),
        Vec::<u64>::new()
    );
    assert_eq!(
        carl.get(app, "/t/acme/my?status=open")
            .await
            .ticket_numbers(),
        [2]
    );
    assert_eq!(
        carl.get(app, "/t/acme/my?status=new")
            .await
            .ticket_numbers(),
        [3, 1]
    );
    assert_eq!(
        carl.get(app, "/t/acme/my?q=drucker").await.ticket_numbers(),
        [1]
    );
    let none = carl.get(app, "/t/acme/my?q=cleo").await;
    assert!(none.ticket_numbers().is_empty());
    none.assert_contains("No request matches.");
    // The column header flips the order; the status group chips keep it.
    let asc = all.link_to("No.").unwrap();
    assert_eq!(asc, "/t/acme/my?sort=number&dir=asc");
    let page = carl.get(app, &asc).await;
    assert_eq!(page.ticket_numbers(), [1, 2, 3]);
    let group = page.link_to("Submitted").unwrap();
    assert_eq!(group, "/t/acme/my?status=new&sort=number&dir=asc");
    assert_eq!(carl.get(app, &group).await.ticket_numbers(), [1, 3]);
}
