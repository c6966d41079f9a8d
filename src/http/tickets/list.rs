//! The supporter tabs, Ticket management, "My requests", search, and live updates.

use std::time::Duration;

use futures_util::StreamExt;
use poem::web::sse::{Event, SSE};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::ticket::list::{SortKey, TabOrder};
use crate::domain::ticket::{Status, Tab};
use crate::error::AppError;
use crate::http::session::TenantCaller;
use crate::service::tickets::list::ListFilter as ServiceFilter;
use crate::views::tickets::data::{ListFilter, MyFilter};
use crate::views::{self, PageCtx};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct TabQuery {
    order: String,
    after: String,
}

fn tab_order(code: &str) -> (TabOrder, &'static str) {
    match code {
        "priority" => (TabOrder::Priority, "priority"),
        "newest" => (TabOrder::Newest, "newest"),
        _ => (TabOrder::Hot, "hot"),
    }
}

#[handler]
pub async fn queue(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, tab)): Path<(String, String)>,
    Query(q): Query<TabQuery>,
) -> Result<Response, AppError> {
    let tab = Tab::parse(&tab).ok_or(AppError::NotFound)?;
    let (order, order_code) = tab_order(&q.order);
    let counts = state.services.tab_counts(&tc.caller).await?;
    let page = state
        .services
        .tab(&tc.caller, tab, order, Some(&q.after))
        .await?;
    Ok(
        views::tickets::queue(&ctx, state.services.now(), tab, order_code, &counts, &page)
            .into_response(),
    )
}

fn sort_key(code: &str) -> SortKey {
    match code {
        "created" => SortKey::Created,
        "updated" => SortKey::Updated,
        "customer" => SortKey::Customer,
        "status" => SortKey::Status,
        "priority" => SortKey::Priority,
        _ => SortKey::Number,
    }
}

fn parse_date(value: &str, field: &'static str) -> Result<Option<jiff::Timestamp>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = v
        .parse()
        .map_err(|_| AppError::BadRequest(format!("{field}: not a date (YYYY-MM-DD)")))?;
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| Some(z.timestamp()))
        .map_err(|_| AppError::BadRequest(format!("{field}: date out of range")))
}

fn next_day(ts: Option<jiff::Timestamp>) -> Option<jiff::Timestamp> {
    ts.and_then(|t| t.checked_add(jiff::SignedDuration::from_hours(24)).ok())
}

fn parse_number(value: &str, field: &'static str) -> Result<Option<u64>, AppError> {
    let v = value.trim().trim_start_matches('#');
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<u64>()
        .map(Some)
        .map_err(|_| AppError::BadRequest(format!("{field}: not a number")))
}

fn statuses(code: &str) -> Result<Vec<Status>, AppError> {
    match code.trim() {
        "" => Ok(Vec::new()),
        c => Status::parse(c)
            .map(|s| vec![s])
            .ok_or_else(|| AppError::BadRequest("status: unknown".to_owned())),
    }
}

#[handler]
pub async fn manage(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(f): Query<ListFilter>,
) -> Result<Response, AppError> {
    let services = &state.services;
    let context = services.manage_context(&tc.caller).await?;
    let page = if f.status == "trash" {
        services.trash(&tc.caller, Some(&f.after)).await?
    } else {
        let customer = match f.customer.trim() {
            "" => None,
            c => match c.parse::<u64>() {
                Ok(id) => Some(AccountId(id)),
                // A name, email or phone: the best match, or nobody (an empty list).
                Err(_) => Some(
                    services
                        .find_customers(&tc.caller, c)
                        .await?
                        .first()
                        .map(|a| a.id)
                        .unwrap_or(AccountId(u64::MAX)),
                ),
            },
        };
        let assignee = if !f.mine.is_empty() {
            Some(Some(tc.caller.account))
        } else {
            match f.assignee.trim() {
                "" => None,
                "none" => Some(None),
                a => Some(Some(AccountId(parse_number(a, "assignee")?.unwrap_or(0)))),
            }
        };
        let from = parse_date(&f.from, "from")?;
        let filter = ServiceFilter {
            text: f.q.clone(),
            statuses: statuses(&f.status)?,
            number: parse_number(&f.number, "number")?,
            customer,
            priority: parse_number(&f.priority, "priority")?.map(PriorityId),
            assignee,
            topic: parse_number(&f.topic, "topic")?.map(TopicId),
            created_from: from,
            created_to: next_day(parse_date(&f.to, "to")?),
            sort: sort_key(&f.sort),
            descending: f.dir != "asc",
            cursor: Some(f.after.clone()),
        };
        services.manage(&tc.caller, filter).await?
    };
    let view = views::tickets::ManageView {
        now: services.now(),
        counts: &context.counts,
        filter: &f,
        page: &page,
        priorities: &context.priorities,
        topics: &context.topics,
        staff: &context.staff,
    };
    Ok(views::tickets::manage(&ctx, &view).into_response())
}

#[handler]
pub async fn my_requests(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(f): Query<MyFilter>,
) -> Result<Response, AppError> {
    let filter = ServiceFilter {
        text: f.q.clone(),
        statuses: statuses(&f.status)?,
        number: parse_number(&f.number, "number")?,
        sort: sort_key(&f.sort),
        descending: f.dir != "asc",
        cursor: Some(f.after.clone()),
        ..ServiceFilter::default()
    };
    let page = state.services.my_requests(&tc.caller, filter).await?;
    Ok(views::tickets::my_requests(&ctx, state.services.now(), &f, &page).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
}

#[handler]
pub async fn search(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let outcome = state.services.search_tickets(&tc.caller, &q.q).await?;
    Ok(views::search::results(&ctx, &q.q, &outcome).into_response())
}

/// Live updates for open pages: tab counts for staff, and "ticket N changed" for tickets
/// the person may see. Events carry no content, only what to refresh.
#[handler]
pub async fn events(tc: TenantCaller, state: Data<&AppState>) -> Result<SSE, AppError> {
    let services_state = state.clone();
    let caller = tc.caller.clone();
    let tenant = caller.tenant;
    let rx = state.services.events.subscribe();
    let stream = tokio_stream::wrappers::BroadcastStream::new(rx)
        .filter_map(move |event| {
            let state = services_state.clone();
            let caller = caller.clone();
            async move {
                let event = event.ok().filter(|e| e.tenant == tenant)?;
                let news = state
                    .services
                    .ticket_news(&caller, event.number)
                    .await
                    .ok()
                    .flatten()?;
                let mut out = vec![
                    Event::message(format!("{{\"number\":{}}}", event.number)).event_type("ticket"),
                ];
                if let Some(c) = news.counts {
                    out.push(
                        Event::message(format!(
                            "{{\"new\":{},\"customer_waiting\":{},\"support_waiting\":{}}}",
                            c.new, c.customer_waiting, c.support_waiting
                        ))
                        .event_type("counts"),
                    );
                }
                Some(futures_util::stream::iter(out))
            }
        })
        .flatten();
    Ok(SSE::new(stream).keep_alive(Duration::from_secs(25)))
}
