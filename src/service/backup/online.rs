//! Backup and restore of the running instance: downloads, scheduled snapshots, and the
//! online restore described in the module docs of [`super`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use crate::backup::stage::{self, Staged};
use crate::backup::write::{self, Snapshot};
use crate::backup::{BackupError, Hooks, snapshots, swap};
use crate::blobs::BlobStore;
use crate::clock::SharedClock;
use crate::datadir::INDEX_DIR;
use crate::service::{Services, indexer};
use crate::store::Store;

use super::*;

/// Takes a consistent snapshot of the running instance for a download. The returned guard
/// must live until the archive is written (it keeps restores out meanwhile).
pub async fn snapshot_for_download(
    services: &Services,
    state: &BackupState,
    data_dir: &Path,
) -> Result<(Snapshot, OwnedRwLockReadGuard<()>), RestoreError> {
    let slot = state.try_backup_slot().ok_or(RestoreError::Busy)?;
    let (store, blobs) = (services.store.clone(), services.blobs.clone());
    let work_root = snapshots::backups_dir(data_dir);
    let now = services.now();
    let snapshot =
        tokio::task::spawn_blocking(move || write::take_snapshot(&store, &blobs, &work_root, now))
            .await
            .map_err(join_error)??;
    Ok((snapshot, slot))
}

/// Writes a scheduled (or operator-requested) snapshot and applies the retention limit.
pub async fn snapshot_now(
    store: &Store,
    blobs: &BlobStore,
    state: &BackupState,
    data_dir: &Path,
    now: Timestamp,
) -> Result<snapshots::SnapshotInfo, RestoreError> {
    let _slot = Arc::clone(&state.jobs).read_owned().await;
    let (store, blobs, dir) = (store.clone(), blobs.clone(), data_dir.to_owned());
    let keep = state.settings.keep.max(1);
    tokio::task::spawn_blocking(move || {
        let info = snapshots::write_snapshot(&store, &blobs, &dir, now)?;
        let removed = snapshots::prune(&dir, keep)?;
        if !removed.is_empty() {
            tracing::info!(removed = removed.len(), "removed old snapshots");
        }
        Ok::<_, RestoreError>(info)
    })
    .await
    .map_err(join_error)?
}

/// When the next scheduled snapshot is due: one interval after the newest, but never
/// sooner than `delay` from now (so a start, or a long pause, does not snapshot at once).
pub fn next_due(
    now: Timestamp,
    newest: Option<Timestamp>,
    interval: Duration,
    delay: Duration,
) -> Timestamp {
    let soonest = now
        .checked_add(jiff::SignedDuration::try_from(delay).unwrap_or_default())
        .unwrap_or(now);
    let after_newest = newest.and_then(|t| {
        t.checked_add(jiff::SignedDuration::try_from(interval).unwrap_or_default())
            .ok()
    });
    match after_newest {
        Some(t) if t > soonest => t,
        _ => soonest,
    }
}

/// Takes snapshots on schedule until `stop` fires.
pub async fn run_scheduler(
    store: Store,
    blobs: BlobStore,
    clock: SharedClock,
    state: Arc<BackupState>,
    data_dir: PathBuf,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let hours = state.settings.schedule_hours;
    if hours == 0 {
        tracing::info!("scheduled snapshots are off");
        return;
    }
    let interval = Duration::from_secs(hours * 3600);
    loop {
        let dir = data_dir.clone();
        let newest = tokio::task::spawn_blocking(move || snapshots::list(&dir))
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|list| list.first().and_then(|s| s.created_at));
        let now = clock.now();
        let due = next_due(now, newest, interval, FIRST_SNAPSHOT_DELAY);
        let wait = due.duration_since(now).unsigned_abs();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        match snapshot_now(&store, &blobs, &state, &data_dir, clock.now()).await {
            Ok(info) => tracing::info!(
                name = %info.name,
                bytes = info.size,
                verified = info.check.as_ref().is_some_and(|c| c.ok),
                "snapshot written"
            ),
            Err(e) => {
                tracing::error!(error = %e, "scheduled snapshot failed; retrying in an hour");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }
}

/// A reader that fails once more than `limit` bytes went through, remembering why.
struct Limited<R> {
    inner: R,
    left: u64,
    exceeded: Arc<AtomicBool>,
}

impl<R: std::io::Read> std::io::Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.exceeded.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other("the upload exceeds the size limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Restores an uploaded archive into the running instance (see the module docs).
/// `body` is read on a blocking thread; `own_requests` is how many in-flight requests
/// belong to the caller (its own upload), which the drain does not wait for.
pub async fn restore_online<R>(
    services: &Services,
    state: &Arc<BackupState>,
    data_dir: &Path,
    body: R,
    own_requests: usize,
    hooks: Hooks,
) -> Result<RestoreReport, RestoreError>
where
    R: std::io::Read + Send + 'static,
{
    let slot = state.try_restore_slot().ok_or(RestoreError::Busy)?;
    let started = services.now();
    state.set_phase(RestorePhase::Staging { started });
    let result = restore_with_slot(services, state, data_dir, body, own_requests, hooks).await;
    match &result {
        Ok(report) => {
            state.set_phase(RestorePhase::Rebuilding {
                restored_at: services.now(),
                tickets: report.manifest.counts.get("tickets").copied().unwrap_or(0),
                indexed: 0,
            });
            spawn_rebuild(services, state, report, slot);
        }
        Err(e) => {
            state.set_phase(RestorePhase::Failed {
                at: services.now(),
                error: e.to_string(),
            });
        }
    }
    result
}

async fn restore_with_slot<R>(
    services: &Services,
    state: &BackupState,
    data_dir: &Path,
    body: R,
    own_requests: usize,
    hooks: Hooks,
) -> Result<RestoreReport, RestoreError>
where
    R: std::io::Read + Send + 'static,
{
    let limit = state.settings.restore_upload_bytes;
    let exceeded = Arc::new(AtomicBool::new(false));
    let input = Limited {
        inner: body,
        left: limit,
        exceeded: Arc::clone(&exceeded),
    };
    let dir = data_dir.to_owned();
    let now = services.now();
    let data_limit = state.settings.restore_data;
    let staged = tokio::task::spawn_blocking(move || {
        let staging = swap::staging_dir(&dir, now)?;
        stage::stage(
            std::io::BufReader::with_capacity(1 << 20, input),
            &staging,
            hooks,
            data_limit,
        )
    })
    .await
    .map_err(join_error)?;
    let mut staged = match staged {
        Ok(s) => s,
        Err(_) if exceeded.load(Ordering::SeqCst) => return Err(RestoreError::TooLarge(limit)),
        Err(e) => return Err(e.into()),
    };
    // The index stays where it is (the search index object keeps it open) and is rebuilt
    // in place; removing the staged one keeps the swap from moving it.
    let staged_index = staged.dir.join(INDEX_DIR);
    if staged_index.exists() {
        std::fs::remove_dir_all(&staged_index).map_err(|e| BackupError::io(&staged_index, e))?;
    }

    state.maintenance.store(true, Ordering::SeqCst);
    state.set_phase(RestorePhase::Swapping { started: now });
    state.drain(own_requests).await;
    services.store.shutdown().await;
    services.search.set_rebuilding(true);
    let dir = data_dir.to_owned();
    let swapped = tokio::task::spawn_blocking(move || {
        let result = swap::install(&dir, &mut staged, now, hooks);
        (result, staged)
    })
    .await
    .map_err(join_error);
    let mut outcome = finish_swap(services, data_dir, swapped).await;
    if outcome.is_ok() {
        // Before anyone can search again: the index still holds the replaced data.
        let (store, search) = (services.store.clone(), services.search.clone());
        let emptied = tokio::task::spawn_blocking(move || indexer::begin_rebuild(&store, &search))
            .await
            .map_err(join_error);
        if let Err(e) = emptied.and_then(|r| r.map_err(RestoreError::from)) {
            outcome = Err(RestoreError::NeedsRestart(format!(
                "the search index could not be emptied for its rebuild: {e}"
            )));
        }
    }
    match &outcome {
        Err(RestoreError::NeedsRestart(_)) => {
            // Serving the old or a half-swapped file is not an option; stay in maintenance.
            tracing::error!("restore could not finish; the instance stays in maintenance");
        }
        _ => state.maintenance.store(false, Ordering::SeqCst),
    }
    if outcome.is_err() {
        services.search.set_rebuilding(false);
    }
    outcome
}

async fn finish_swap(
    services: &Services,
    data_dir: &Path,
    swapped: Result<(Result<Option<PathBuf>, BackupError>, Staged), RestoreError>,
) -> Result<RestoreReport, RestoreError> {
    let store = services.store.clone();
    let dir = data_dir.to_owned();
    let (result, staged) = match swapped {
        Ok(pair) => pair,
        Err(e) => return Err(RestoreError::NeedsRestart(e.to_string())),
    };
    let committed = data_dir.join(swap::JOURNAL).exists();
    let previous = match result {
        Ok(previous) => previous,
        Err(e) if !committed => {
            // Nothing live was touched: go back to the old file.
            tokio::task::spawn_blocking(move || store.reopen())
                .await
                .map_err(join_error)?
                .map_err(|re| RestoreError::NeedsRestart(re.to_string()))?;
            return Err(e.into());
        }
        Err(e) => {
            tracing::warn!(error = %e, "the swap stopped after its commit point; finishing it");
            let dir2 = dir.clone();
            tokio::task::spawn_blocking(move || swap::recover(&dir2))
                .await
                .map_err(join_error)?
                .map_err(|re| RestoreError::NeedsRestart(re.to_string()))?
        }
    };
    tokio::task::spawn_blocking(move || store.reopen())
        .await
        .map_err(join_error)?
        .map_err(|e| RestoreError::NeedsRestart(e.to_string()))?;
    let settings = services
        .store
        .read(crate::store::settings::get_instance_settings)
        .await?;
    services.sessions.set_settings(settings);
    tracing::warn!(
        previous = ?previous,
        "backup restored into the running instance; rebuilding the search index"
    );
    Ok(RestoreReport {
        manifest: staged.manifest.clone(),
        previous,
        indexed: 0,
        warnings: staged.warnings.clone(),
    })
}

fn spawn_rebuild(
    services: &Services,
    state: &Arc<BackupState>,
    report: &RestoreReport,
    slot: OwnedRwLockWriteGuard<()>,
) {
    let (store, search, clock) = (
        services.store.clone(),
        services.search.clone(),
        services.clock.clone(),
    );
    let state = Arc::clone(state);
    let (previous, warnings) = (
        report
            .previous
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        report.warnings.clone(),
    );
    let restored_at = clock.now();
    let progress = Arc::clone(&state.rebuild_progress);
    progress.store(0, Ordering::Relaxed);
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(move || {
            indexer::rebuild_counting(&store, &search, &progress)
        })
        .await;
        let phase = match result {
            Ok(Ok(indexed)) => {
                tracing::info!(tickets = indexed, "search index rebuilt after the restore");
                RestorePhase::Done {
                    restored_at,
                    previous,
                    indexed,
                    warnings,
                }
            }
            Ok(Err(e)) => RestorePhase::Failed {
                at: clock.now(),
                error: format!(
                    "the data is restored, but rebuilding the search index failed: {e}; run `supportbox reindex`"
                ),
            },
            Err(e) => RestorePhase::Failed {
                at: clock.now(),
                error: format!("the search index rebuild stopped: {e}"),
            },
        };
        state.set_phase(phase);
        drop(slot);
    });
}
