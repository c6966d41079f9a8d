//! Lists of tickets: the supporter tabs, Ticket management, "My requests", search, and
//! the customer picker. Lists read redb indexes; only free text goes to the search index.

use jiff::Timestamp;

use crate::domain::accounts::Account;
use crate::domain::caller::Caller;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::read::{HitPlace, RowPage, SearchHit, SearchOutcome, TabCounts, TicketRow};
use crate::domain::ticket::list::{SortKey, TabOrder};
use crate::domain::ticket::{Status, Tab, Ticket};
use crate::search::{HitKind, Scope, SearchQuery};
use crate::service::authz;
use crate::service::{ServiceError, ServiceResult, Services};
use crate::store::access::Tx;
use crate::store::accounts::{self as store_accounts};
use crate::store::tickets::{self as store_tickets, Cursor, ListPage, ListQuery};
use crate::store::{StoreError, catalog as store_catalog};

pub const PAGE_SIZE: usize = 50;
/// Free-text filters consider at most this many best hits.
const SEARCH_LIMIT: usize = 1_000;

/// Ticket management filters, already parsed from the URL.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub text: String,
    pub statuses: Vec<Status>,
    pub number: Option<u64>,
    pub customer: Option<AccountId>,
    pub priority: Option<PriorityId>,
    /// `Some(None)` = unassigned.
    pub assignee: Option<Option<AccountId>>,
    pub topic: Option<TopicId>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub sort: SortKey,
    pub descending: bool,
    pub cursor: Option<String>,
}

fn decode_cursor(cursor: Option<&str>) -> ServiceResult<Option<Cursor>> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => Cursor::decode(c)
            .map(Some)
            .map_err(|_| ServiceError::invalid("after", "invalid_choice")),
    }
}

/// Turns a page of tickets into rows with names, in one read transaction.
fn rows(r: &impl Tx, tickets: Vec<Ticket>) -> Result<Vec<TicketRow>, StoreError> {
    let mut out = Vec::with_capacity(tickets.len());
    let mut priorities = Vec::new();
    let mut topics = Vec::new();
    if let Some(first) = tickets.first() {
        priorities = store_catalog::list_priorities(r, first.tenant)?;
        topics = store_catalog::list_topics(r, first.tenant)?;
    }
    // A page names the same few customers and supporters many times over: each account
    // is read and decoded once.
    let mut names: Vec<(AccountId, Option<String>)> = Vec::new();
    let mut name_of = |id: AccountId| -> Result<Option<String>, StoreError> {
        if let Some((_, name)) = names.iter().find(|(a, _)| *a == id) {
            return Ok(name.clone());
        }
        let name = store_accounts::get_account(r, id)?.map(|a| a.name);
        names.push((id, name.clone()));
        Ok(name)
    };
    for ticket in tickets {
        let customer_name = name_of(ticket.customer)?.unwrap_or_default();
        let assignee_name = match ticket.assignee {
            Some(a) => name_of(a)?,
            None => None,
        };
        out.push(TicketRow {
            priority: ticket
                .priority
                .and_then(|p| priorities.iter().find(|x| x.id == p).cloned()),
            topic_name: ticket
                .topic
                .and_then(|t| topics.iter().find(|x| x.id == t).map(|x| x.name.clone())),
            customer_name,
            assignee_name,
            ticket,
        });
    }
    Ok(out)
}

fn tab_counts_in(r: &impl Tx, tenant: TenantId) -> Result<TabCounts, StoreError> {
    let counts = store_tickets::tab_counts(r, tenant)?;
    Ok(TabCounts {
        new: counts[Status::New.as_u8() as usize],
        customer_waiting: counts[Status::Open.as_u8() as usize],
        support_waiting: counts[Status::Waiting.as_u8() as usize],
        resolved: counts[Status::Resolved.as_u8() as usize],
        closed: counts[Status::Closed.as_u8() as usize],
        trash: store_tickets::trash_count(r, tenant)?,
    })
}

/// The enabled supporters and admins of the tenant, by name.
fn staff_in(r: &impl Tx, tenant: TenantId) -> Result<Vec<Account>, StoreError> {
    let mut list = Vec::new();
    for m in store_accounts::members_of_tenant(r, tenant)? {
        if m.role.is_staff()
            && !m.disabled
            && let Some(a) = store_accounts::get_account(r, m.account)?
        {
            list.push(a);
        }
    }
    list.sort_by_key(|a| a.name.to_lowercase());
    Ok(list)
}

/// See [`Services::manage_context`].
#[derive(Debug, Clone)]
pub struct ManageContext {
    pub counts: TabCounts,
    pub priorities: Vec<Priority>,
    pub topics: Vec<Topic>,
    pub staff: Vec<Account>,
}

fn page(r: &impl Tx, p: ListPage) -> Result<RowPage, StoreError> {
    Ok(RowPage {
        next: p.next.map(|c| c.encode()),
        truncated: p.scanned_limit_hit,
        rows: rows(r, p.tickets)?,
    })
}

/// What a tenant's home page shows: the tab counts for staff, and the caller's own open
/// requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct HomeSummary {
    pub counts: Option<TabCounts>,
    pub open_requests: u64,
}

/// What an open page hears about one changed ticket: staff also get the new tab counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct TicketNews {
    pub counts: Option<TabCounts>,
}

impl Services {
    pub async fn tab_counts(&self, caller: &Caller) -> ServiceResult<TabCounts> {
        let caller = authz::staff(caller)?;
        let tenant = caller.tenant;
        Ok(self.store.read(move |r| tab_counts_in(r, tenant)).await?)
    }

    /// What Ticket management shows around its list: the tab counts and the choices of its
    /// filters, in one read transaction instead of one each (each is a hop to a blocking
    /// thread and back, which cost more than the reads themselves).
    pub async fn manage_context(&self, caller: &Caller) -> ServiceResult<ManageContext> {
        let caller = authz::staff(caller)?;
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| {
                let mut topics = store_catalog::list_topics(r, tenant)?;
                topics.retain(|t| t.active && !t.deleted);
                Ok(ManageContext {
                    counts: tab_counts_in(r, tenant)?,
                    priorities: store_catalog::list_priorities(r, tenant)?,
                    topics,
                    staff: staff_in(r, tenant)?,
                })
            })
            .await?)
    }

    pub async fn tab(
        &self,
        caller: &Caller,
        tab: Tab,
        order: TabOrder,
        cursor: Option<&str>,
    ) -> ServiceResult<RowPage> {
        let caller = authz::staff(caller)?;
        let cursor = decode_cursor(cursor)?;
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| {
                page(
                    r,
                    store_tickets::tab_page(
                        r,
                        tenant,
                        tab.status(),
                        order,
                        cursor.as_ref(),
                        PAGE_SIZE,
                    )?,
                )
            })
            .await?)
    }

    /// The trash, for tenant admins (restore or purge).
    pub async fn trash(&self, caller: &Caller, cursor: Option<&str>) -> ServiceResult<RowPage> {
        let caller = authz::tenant_admin(caller)?;
        let cursor = decode_cursor(cursor)?;
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| {
                page(
                    r,
                    store_tickets::trash_page(r, tenant, cursor.as_ref(), PAGE_SIZE)?,
                )
            })
            .await?)
    }

    /// Ticket management: every ticket of the tenant, filtered and sorted.
    pub async fn manage(&self, caller: &Caller, filter: ListFilter) -> ServiceResult<RowPage> {
        let caller = authz::staff(caller)?;
        let numbers = self
            .text_matches(caller.tenant, Scope::Staff, &filter.text)
            .await?;
        let query = ListQuery {
            statuses: filter.statuses,
            number: filter.number,
            customer: filter.customer,
            assignee: filter.assignee,
            priority: filter.priority,
            topic: filter.topic,
            created_from: filter.created_from,
            created_to: filter.created_to,
            numbers,
            sort: filter.sort,
            descending: filter.descending,
            cursor: decode_cursor(filter.cursor.as_deref())?,
            limit: PAGE_SIZE,
        };
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| page(r, store_tickets::list_tickets(r, tenant, &query)?))
            .await?)
    }

    /// The numbers of the tickets whose text matches `text` within `scope`, to narrow a
    /// listing; `None` when there is no text to search for.
    async fn text_matches(
        &self,
        tenant: TenantId,
        scope: Scope,
        text: &str,
    ) -> ServiceResult<Option<Vec<u64>>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let q = SearchQuery {
            tenant,
            scope,
            text: text.to_owned(),
            limit: SEARCH_LIMIT,
        };
        let index = self.search.clone();
        Ok(Some(
            tokio::task::spawn_blocking(move || index.search_numbers(&q)).await??,
        ))
    }

    pub async fn home_summary(&self, caller: &Caller) -> ServiceResult<HomeSummary> {
        let counts = match caller.as_staff() {
            Some(staff) => Some(self.tab_counts(&staff).await?),
            None => None,
        };
        Ok(HomeSummary {
            counts,
            open_requests: self.open_request_count(caller).await?,
        })
    }

    /// The API's ticket list: every ticket for staff, the caller's own for customers.
    pub async fn ticket_list(&self, caller: &Caller, filter: ListFilter) -> ServiceResult<RowPage> {
        match caller.as_staff() {
            Some(staff) => self.manage(&staff, filter).await,
            None => self.my_requests(caller, filter).await,
        }
    }

    /// `None` when the caller may not see ticket `number`: customers hear only about their
    /// own tickets. Staff hear about every ticket and get the tab counts with it.
    pub async fn ticket_news(
        &self,
        caller: &Caller,
        number: u64,
    ) -> ServiceResult<Option<TicketNews>> {
        if let Some(staff) = caller.as_staff() {
            // A failed count read must not hide the ticket's own news.
            return Ok(Some(TicketNews {
                counts: self.tab_counts(&staff).await.ok(),
            }));
        }
        let caller = caller.clone();
        let visible = self
            .store
            .read_checked(move |r| match super::visible_ticket(r, &caller, number) {
                Ok(_) => Ok(true),
                Err(ServiceError::NotFound) => Ok(false),
                Err(e) => Err(e),
            })
            .await?;
        Ok(visible.then_some(TicketNews::default()))
    }

    /// "My requests": the caller's own tickets (as the customer).
    pub async fn my_requests(
        &self,
        caller: &Caller,
        mut filter: ListFilter,
    ) -> ServiceResult<RowPage> {
        filter.customer = Some(caller.account);
        filter.assignee = None;
        let numbers = self
            .text_matches(caller.tenant, Scope::Customer(caller.account), &filter.text)
            .await?;
        let query = ListQuery {
            statuses: filter.statuses,
            number: filter.number,
            customer: filter.customer,
            numbers,
            sort: filter.sort,
            descending: filter.descending,
            cursor: decode_cursor(filter.cursor.as_deref())?,
            limit: PAGE_SIZE,
            ..ListQuery::default()
        };
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| page(r, store_tickets::list_tickets(r, tenant, &query)?))
            .await?)
    }

    /// How many of the caller's own requests are not resolved or closed yet.
    pub async fn open_request_count(&self, caller: &Caller) -> ServiceResult<u64> {
        let tenant = caller.tenant;
        let account = caller.account;
        let query = ListQuery {
            statuses: vec![Status::New, Status::Open, Status::Waiting],
            customer: Some(account),
            limit: store_tickets::MAX_PAGE,
            ..ListQuery::default()
        };
        Ok(self
            .store
            .read(move |r| {
                Ok(store_tickets::list_tickets(r, tenant, &query)?
                    .tickets
                    .len() as u64)
            })
            .await?)
    }

    /// Free-text search over everything the caller may see.
    pub async fn search_tickets(
        &self,
        caller: &Caller,
        text: &str,
    ) -> ServiceResult<SearchOutcome> {
        if text.trim().is_empty() {
            return Ok(SearchOutcome::default());
        }
        let scope = if caller.role.is_staff() {
            Scope::Staff
        } else {
            Scope::Customer(caller.account)
        };
        let q = SearchQuery {
            tenant: caller.tenant,
            scope,
            text: text.chars().take(500).collect(),
            limit: 50,
        };
        let index = self.search.clone();
        let rebuilding = index.is_rebuilding();
        let results = tokio::task::spawn_blocking(move || index.search(&q)).await??;
        let caller = caller.clone();
        let hits = self
            .store
            .read(move |r| {
                let mut hits = Vec::new();
                for hit in results.hits {
                    // The index may lag behind a just-trashed ticket; redb decides.
                    let Ok(ticket) = super::visible_ticket(r, &caller, hit.number) else {
                        continue;
                    };
                    if ticket.deleted.is_some() {
                        continue;
                    }
                    hits.push(SearchHit {
                        number: hit.number,
                        subject: ticket.subject,
                        status: ticket.status,
                        place: match hit.kind {
                            HitKind::Ticket => HitPlace::Ticket,
                            HitKind::Message { seq } => HitPlace::Message { seq },
                        },
                        snippet: hit.snippet.text,
                        highlights: hit.snippet.highlights,
                    });
                }
                Ok(hits)
            })
            .await?;
        Ok(SearchOutcome { hits, rebuilding })
    }
}
