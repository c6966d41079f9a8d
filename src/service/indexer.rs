//! The search indexer: one task that follows the store's outbox and keeps the tantivy
//! index in step (docs/search.md, "Outbox and indexer"). It commits about every 200 ms
//! while work is flowing, records the last applied outbox sequence in the commit, replays
//! the gap after a restart, and rebuilds everything from redb when the index was missing,
//! damaged or of another schema version.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{ServiceError, ServiceResult};
use crate::domain::ids::TenantId;
use crate::search::{MessageDoc, OpenState, SearchIndex, TicketDoc};
use crate::store::tickets::{self as store_tickets, OutboxOp};
use crate::store::{Store, StoreError, generation, tenants as store_tenants};

/// Outbox entries applied per commit at most.
const BATCH: usize = 2_000;
/// How long changes may wait before they are committed (findable within a second).
const COMMIT_INTERVAL: Duration = Duration::from_millis(200);
/// Tickets read per transaction during a rebuild.
const REBUILD_PAGE: usize = 1_000;

/// The document for a ticket as it is now, or `None` when it is gone or in the trash.
fn load_doc(store: &Store, tenant: TenantId, number: u64) -> Result<Option<TicketDoc>, StoreError> {
    store.read_blocking(|r| {
        let Some(ticket) = store_tickets::get_ticket(r, tenant, number)? else {
            return Ok(None);
        };
        if ticket.deleted.is_some() {
            return Ok(None);
        }
        let messages = store_tickets::list_messages(r, tenant, number)?
            .into_iter()
            // Message 1 is the original report, already indexed as the ticket body.
            .filter(|m| m.seq > 1)
            .map(|m| MessageDoc {
                seq: m.seq,
                visibility: m.visibility,
                body: m.body,
            })
            .collect();
        Ok(Some(TicketDoc {
            tenant,
            number,
            customer: ticket.customer,
            status: ticket.status,
            subject: ticket.subject,
            body: ticket.body,
            updated_micros: ticket.updated_at.as_microsecond(),
            messages,
        }))
    })
}

/// Applies every pending outbox entry; returns how many were applied. Blocking.
fn catch_up(store: &Store, index: &SearchIndex) -> ServiceResult<usize> {
    let mut applied = 0;
    loop {
        let after = index.last_applied_seq();
        let entries = store.read_blocking(|r| store_tickets::outbox_after(r, after, BATCH))?;
        let Some(last) = entries.last().map(|e| e.seq) else {
            return Ok(applied);
        };
        for entry in &entries {
            match (entry.op, load_doc(store, entry.tenant, entry.id)?) {
                (OutboxOp::Upsert, Some(doc)) => index.upsert(&doc)?,
                _ => index.delete(entry.tenant, entry.id)?,
            }
        }
        index.commit(last)?;
        applied += entries.len();
        // The index holds everything up to `last`; redb need not keep those entries.
        store.write_blocking(move |w| store_tickets::trim_outbox(w, last))?;
    }
}

/// Empties the index for a rebuild of `store`'s database, at once and durably, so searches
/// never show text of data a restore replaced and a crash means another rebuild. Blocking.
pub fn begin_rebuild(store: &Store, index: &SearchIndex) -> ServiceResult<()> {
    let generation = store.read_blocking(generation::read)?;
    index.begin_rebuild(generation)?;
    Ok(())
}

/// Refills an empty index from redb. Blocking.
pub fn rebuild(store: &Store, index: &SearchIndex) -> ServiceResult<u64> {
    rebuild_counting(store, index, &std::sync::atomic::AtomicU64::new(0))
}

/// [`rebuild`], counting the tickets indexed so far into `progress` for whoever shows it.
pub fn rebuild_counting(
    store: &Store,
    index: &SearchIndex,
    progress: &std::sync::atomic::AtomicU64,
) -> ServiceResult<u64> {
    let result = (|| {
        begin_rebuild(store, index)?;
        let head = store.read_blocking(store_tickets::outbox_head)?;
        let tenants = store.read_blocking(store_tenants::list_tenants)?;
        let mut count = 0u64;
        for tenant in tenants {
            let mut after = 0;
            loop {
                let page = store.read_blocking(|r| {
                    store_tickets::tickets_after(r, tenant.id, after, REBUILD_PAGE)
                })?;
                let Some(last) = page.last().map(|t| t.number) else {
                    break;
                };
                for ticket in page {
                    if let Some(doc) = load_doc(store, tenant.id, ticket.number)? {
                        index.upsert(&doc)?;
                        count += 1;
                    }
                }
                progress.store(count, std::sync::atomic::Ordering::Relaxed);
                after = last;
            }
        }
        // Everything up to `head` is in; later entries are replayed by the normal loop.
        index.commit(head)?;
        Ok(count)
    })();
    index.set_rebuilding(false);
    result
}

/// Opens the index of `store`'s database; the reason is set when it must be rebuilt
/// (`rebuild`, or [`run`] with the reason).
pub fn open(dir: &std::path::Path, store: &Store) -> ServiceResult<(SearchIndex, Option<String>)> {
    let generation = store.read_blocking(generation::read)?;
    let (index, state) = SearchIndex::open(dir, generation)?;
    match state {
        OpenState::Ready { .. } => Ok((index, None)),
        OpenState::NeedsRebuild { reason } => Ok((index, Some(reason))),
    }
}

/// Runs until `stop` fires: waits for a wake-up (or the interval), then catches up.
pub async fn run(
    store: Store,
    index: SearchIndex,
    wake: Arc<Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    rebuild_reason: Option<String>,
) {
    if let Some(reason) = rebuild_reason {
        tracing::warn!(%reason, "rebuilding the search index from the database");
        let (s, i) = (store.clone(), index.clone());
        match tokio::task::spawn_blocking(move || rebuild(&s, &i)).await {
            Ok(Ok(n)) => tracing::info!(tickets = n, "search index rebuilt"),
            Ok(Err(e)) => tracing::error!(error = %e, "search index rebuild failed"),
            Err(e) => tracing::error!(error = %e, "search index rebuild panicked"),
        }
    }
    loop {
        let (s, i) = (store.clone(), index.clone());
        match tokio::task::spawn_blocking(move || catch_up(&s, &i)).await {
            Ok(Ok(_)) => {}
            // The store reports a full disk once itself and heals it; indexing resumes with it.
            Ok(Err(ServiceError::Store(StoreError::DiskFull | StoreError::Reopening))) => {
                tracing::debug!("search indexing waits for the store to write again");
            }
            Ok(Err(e)) => tracing::error!(error = %e, "search indexing failed; retrying"),
            Err(e) => tracing::error!(error = %e, "search indexing panicked; retrying"),
        }
        tokio::select! {
            _ = wake.notified() => {
                // Let a burst of writes gather into one commit.
                tokio::time::sleep(COMMIT_INTERVAL).await;
            }
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Applies everything pending right now (tests and tools use it instead of waiting).
pub async fn sync_now(store: &Store, index: &SearchIndex) -> ServiceResult<usize> {
    let (s, i) = (store.clone(), index.clone());
    tokio::task::spawn_blocking(move || catch_up(&s, &i)).await?
}
