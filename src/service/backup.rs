//! Backup and restore use cases (docs/backup.md): offline commands on a locked data
//! directory, online backup and restore for the running server, scheduled snapshots, and
//! the maintenance state that keeps requests out while a restore swaps the data.
//!
//! Online restore, step by step (see docs/backup.md, "Restore"):
//!
//! 1. the upload is validated and staged into `restore-staging-<time>/` while the instance
//!    keeps serving (a bad archive stops here and changes nothing);
//! 2. maintenance: every new request gets 503 with Retry-After; requests already running
//!    are given a few seconds to finish;
//! 3. the writer commits what is queued and stops; the journalled swap puts the staged
//!    database and blobs in place (the previous data goes to `pre-restore-<time>/`);
//! 4. the store reopens the restored file, cached settings are reloaded, maintenance ends;
//! 5. the live search index is rebuilt from the restored records in the background, and
//!    searches say so until it is done.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use super::{ServiceError, Services, indexer};
use crate::blobs::BlobStore;
use crate::clock::SharedClock;
use crate::datadir::{DataDir, DataDirError, INDEX_DIR};
pub use crate::domain::backup::RestorePhase;
use crate::store::backup::read::{self, Staged};
use crate::store::backup::write::{self, Snapshot};
use crate::store::backup::{BackupError, FailPoint, Hooks, Manifest, check, snapshots, swap};
use crate::store::{Store, StoreError, tickets as store_tickets};

/// How long a restore waits for running requests before it swaps anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Seconds clients are told to wait during maintenance.
pub const RETRY_AFTER_SECS: u64 = 30;
/// The first scheduled snapshot after a start waits this long, so a start stays quick.
const FIRST_SNAPSHOT_DELAY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("attachments: {0}")]
    Blob(#[from] crate::blobs::BlobError),
    #[error("another backup or restore is running; try again when it has finished")]
    Busy,
    #[error("the upload is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("no database in {0}")]
    NoDatabase(PathBuf),
    /// The swap passed its commit point but could not be finished; the next start will.
    #[error(
        "the restore could not be finished while running ({0}); restart Supportbox to finish it"
    )]
    NeedsRestart(String),
}

impl RestoreError {
    /// Whether the archive itself was refused (as opposed to the server failing).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RestoreError::Backup(BackupError::Invalid { .. } | BackupError::Check(_))
        )
    }
}

/// The backup configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSettings {
    /// Hours between scheduled snapshots; 0 turns them off.
    pub schedule_hours: u64,
    /// Snapshots kept; older ones are removed after each new one.
    pub keep: usize,
    /// Largest archive accepted by the restore endpoint.
    pub restore_upload_bytes: u64,
}

/// Shared by every request: maintenance flag, requests in flight, the job lock.
pub struct BackupState {
    pub settings: BackupSettings,
    maintenance: AtomicBool,
    in_flight: AtomicUsize,
    /// Backups share it, a restore holds it alone: a swap never happens under a running
    /// backup, and two restores never overlap.
    jobs: Arc<RwLock<()>>,
    phase: std::sync::Mutex<RestorePhase>,
    /// Progress of the index rebuild after a restore, read by [`BackupState::phase`].
    rebuild_progress: Arc<AtomicU64>,
}

/// Counts a request as running until dropped.
pub struct InFlight<'a>(&'a BackupState);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BackupState {
    pub fn new(settings: BackupSettings) -> BackupState {
        BackupState {
            settings,
            maintenance: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            jobs: Arc::new(RwLock::new(())),
            phase: std::sync::Mutex::new(RestorePhase::Idle),
            rebuild_progress: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn in_maintenance(&self) -> bool {
        self.maintenance.load(Ordering::SeqCst)
    }

    /// Registers a request; `None` during maintenance (answer 503 instead).
    pub fn enter(&self) -> Option<InFlight<'_>> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = InFlight(self);
        // Checked after counting, so a restore that sees no requests in flight can be
        // sure none slips in unseen.
        (!self.in_maintenance()).then_some(guard)
    }

    pub fn phase(&self) -> RestorePhase {
        let mut phase = self.phase.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let RestorePhase::Rebuilding { indexed, .. } = &mut phase {
            *indexed = self.rebuild_progress.load(Ordering::Relaxed);
        }
        phase
    }

    fn set_phase(&self, phase: RestorePhase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }

    /// A shared job slot for a backup; `None` while a restore runs.
    pub fn try_backup_slot(&self) -> Option<OwnedRwLockReadGuard<()>> {
        Arc::clone(&self.jobs).try_read_owned().ok()
    }

    fn try_restore_slot(&self) -> Option<OwnedRwLockWriteGuard<()>> {
        Arc::clone(&self.jobs).try_write_owned().ok()
    }

    /// Waits until at most `own` requests (the caller's) are still running.
    async fn drain(&self, own: usize) {
        let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
        while self.in_flight.load(Ordering::SeqCst) > own {
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!("requests still running after the drain timeout; swapping anyway");
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn join_error(e: tokio::task::JoinError) -> RestoreError {
    RestoreError::Service(ServiceError::Internal(format!("backup task failed: {e}")))
}

/// Run at start with the data directory locked, before the database is opened: finishes an
/// interrupted restore and removes leftovers of interrupted backups.
pub fn recover_at_start(data_dir: &Path) -> Result<(), BackupError> {
    if let Some(previous) = swap::recover(data_dir)? {
        tracing::warn!(previous = %previous.display(), "an interrupted restore was finished");
    }
    let removed = snapshots::clean_leftovers(data_dir)?;
    if removed > 0 {
        tracing::info!(removed, "removed leftovers of interrupted backups");
    }
    Ok(())
}

/// Locks an existing data directory for an offline command, after finishing what a crash
/// interrupted. Refuses a directory without a database rather than creating one.
fn open_offline(data_dir: &Path) -> Result<DataDir, RestoreError> {
    let dir = DataDir::open(data_dir)?;
    recover_at_start(dir.root())?;
    if !dir.db_path().exists() {
        return Err(RestoreError::NoDatabase(dir.root().to_owned()));
    }
    Ok(dir)
}

/// `supportbox backup --out FILE`: the server must not be running (its lock is needed).
/// Writes `FILE.partial` and renames it, so `FILE` only ever is a complete archive.
pub fn backup_offline(
    data_dir: &Path,
    out: &Path,
    now: Timestamp,
) -> Result<Manifest, RestoreError> {
    let dir = open_offline(data_dir)?;
    let store = Store::open(&dir.db_path())?;
    let blobs = BlobStore::new(dir.root())?;
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = (|| {
        let file = std::fs::File::create(&partial).map_err(|e| BackupError::io(&partial, e))?;
        let (manifest, out_file) = write::write_archive(
            &store,
            &blobs,
            &snapshots::backups_dir(dir.root()),
            now,
            std::io::BufWriter::with_capacity(1 << 20, file),
        )?;
        let file = out_file
            .into_inner()
            .map_err(|e| BackupError::io(&partial, e.into_error()))?;
        file.sync_all().map_err(|e| BackupError::io(&partial, e))?;
        std::fs::rename(&partial, out).map_err(|e| BackupError::io(out, e))?;
        Ok::<_, BackupError>(manifest)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    Ok(written?)
}

/// What a finished restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub manifest: Manifest,
    /// Where the replaced data now lives (`None` for a data directory that had none).
    pub previous: Option<PathBuf>,
    pub indexed: u64,
    pub warnings: Vec<String>,
}

/// Builds the search index of a staged restore inside its staging directory.
fn index_staged(staged: &Staged) -> Result<u64, RestoreError> {
    let store = Store::open(&staged.db_path())?;
    let (index, _) = indexer::open(&staged.dir.join(INDEX_DIR))?;
    let indexed = indexer::rebuild(&store, &index)?;
    // Everything up to the head is in the index; the outbox need not replay it.
    let head = store.read_blocking(store_tickets::outbox_head)?;
    store.write_blocking(move |w| store_tickets::trim_outbox(w, head))?;
    Ok(indexed)
}

/// `supportbox restore FILE` (server stopped): stage and check everything, build the
/// index, then swap. `hooks` makes a chosen step fail (tests).
pub fn restore_offline(
    data_dir: &Path,
    archive: impl std::io::Read,
    hooks: Hooks,
    now: Timestamp,
) -> Result<RestoreReport, RestoreError> {
    let dir = DataDir::open(data_dir)?;
    recover_at_start(dir.root())?;
    let staging = swap::staging_dir(dir.root(), now)?;
    let mut staged = read::stage(archive, &staging, hooks)?;
    let indexed = index_staged(&staged)?;
    hooks.check(FailPoint::AfterIndex)?;
    let previous = swap::install(dir.root(), &mut staged, now, hooks)?;
    tracing::info!(tickets = indexed, "backup restored");
    Ok(RestoreReport {
        manifest: staged.manifest.clone(),
        previous,
        indexed,
        warnings: staged.warnings.clone(),
    })
}

/// `supportbox reindex` (server stopped): rebuilds the search index from the database.
pub fn reindex_offline(data_dir: &Path) -> Result<u64, RestoreError> {
    let dir = open_offline(data_dir)?;
    let store = Store::open(&dir.db_path())?;
    let (index, _) = indexer::open(&dir.root().join(INDEX_DIR))?;
    let indexed = indexer::rebuild(&store, &index)?;
    let head = store.read_blocking(store_tickets::outbox_head)?;
    store.write_blocking(move |w| store_tickets::trim_outbox(w, head))?;
    Ok(indexed)
}

/// What `supportbox verify` found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Anything wrong: the command exits non-zero when this is not empty.
    pub problems: Vec<String>,
    /// Facts worth showing (what was checked, harmless findings).
    pub notes: Vec<String>,
}

/// `supportbox verify DATA_DIR|BACKUP_FILE`. An archive is staged into a scratch directory
/// under `scratch` and every record decoded, unless `quick` (structure and hashes only).
pub fn verify(path: &Path, quick: bool, scratch: &Path) -> Result<VerifyReport, RestoreError> {
    let mut report = VerifyReport::default();
    if path.is_dir() {
        verify_data_dir(path, &mut report)?;
        return Ok(report);
    }
    let file = std::fs::File::open(path).map_err(|e| BackupError::io(path, e))?;
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    let result = if quick {
        read::verify_archive(input).map(|m| (m, Vec::new()))
    } else {
        read::verify_archive_deep(input, scratch).map(|s| (s.manifest.clone(), s.warnings.clone()))
    };
    match result {
        Ok((m, warnings)) => {
            report.notes.push(format!(
                "archive of Supportbox {} taken {} (format {}, schema {}): {} tickets, {} attachments, {} bytes of data",
                m.app_version,
                m.created_at,
                m.format_version,
                m.schema_version,
                m.counts.get(crate::store::tables::name::TICKETS).copied().unwrap_or(0),
                m.entries.iter().filter(|e| e.name.starts_with("blobs/")).count(),
                m.entries.iter().map(|e| e.bytes).sum::<u64>(),
            ));
            report.notes.push(if quick {
                "checked: structure, sizes and SHA-256 of every entry".to_owned()
            } else {
                "checked: structure, sizes, SHA-256 of every entry, every record decoded".to_owned()
            });
            for hash in &m.missing_blobs {
                report.problems.push(format!(
                    "attachment {hash} was already missing from the data directory when this backup was taken"
                ));
            }
            report.notes.extend(warnings);
        }
        Err(e) => report.problems.push(e.to_string()),
    }
    Ok(report)
}

fn verify_data_dir(path: &Path, report: &mut VerifyReport) -> Result<(), RestoreError> {
    let dir = DataDir::open(path)?;
    if dir.root().join(swap::JOURNAL).exists() {
        report
            .problems
            .push("an interrupted restore is pending; start Supportbox to finish it".into());
        return Ok(());
    }
    if !dir.db_path().exists() {
        return Err(RestoreError::NoDatabase(dir.root().to_owned()));
    }
    let store = Store::open(&dir.db_path())?;
    report.problems.extend(check::check_records(&store)?);
    let blobs = BlobStore::new(dir.root())?;
    let referenced = store.read_blocking(write::referenced_blobs)?;
    for hash in &referenced {
        match blobs.verify(hash) {
            Ok(true) => {}
            Ok(false) => report.problems.push(format!(
                "attachment {} is corrupt: its content no longer matches its hash",
                hex::encode(hash)
            )),
            Err(crate::blobs::BlobError::NotFound) => report
                .problems
                .push(format!("attachment {} is missing", hex::encode(hash))),
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    let stored = blobs.list()?;
    let orphans = stored
        .iter()
        .filter(|h| referenced.binary_search(h).is_err())
        .count();
    let counts = store.read_blocking(crate::store::backup::catalogue::counts_in)?;
    let tickets = counts
        .iter()
        .find(|(t, _)| *t == crate::store::tables::name::TICKETS)
        .map_or(0, |(_, n)| *n);
    report.notes.push(format!(
        "checked every record of {} tables ({tickets} tickets) and {} attachments",
        counts.len(),
        referenced.len()
    ));
    if orphans > 0 {
        report.notes.push(format!(
            "{orphans} stored attachment file(s) are referenced by nothing (harmless)"
        ));
    }
    Ok(())
}

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
    let staged = tokio::task::spawn_blocking(move || {
        let staging = swap::staging_dir(&dir, now)?;
        read::stage(
            std::io::BufReader::with_capacity(1 << 20, input),
            &staging,
            hooks,
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
    let outcome = finish_swap(services, data_dir, swapped).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_waits_an_interval_after_the_newest_snapshot() {
        let now: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        let day = Duration::from_secs(86_400);
        let minute = Duration::from_secs(60);
        // None yet: soon after start, not at once.
        assert_eq!(
            next_due(now, None, day, minute),
            "2026-11-27T10:01:00Z".parse().unwrap()
        );
        // A recent one: a day after it.
        let recent: Timestamp = "2026-11-27T08:00:00Z".parse().unwrap();
        assert_eq!(
            next_due(now, Some(recent), day, minute),
            "2026-11-28T08:00:00Z".parse().unwrap()
        );
        // Overdue (the server was down): shortly, not in a burst.
        let old: Timestamp = "2026-11-20T08:00:00Z".parse().unwrap();
        assert_eq!(
            next_due(now, Some(old), day, minute),
            "2026-11-27T10:01:00Z".parse().unwrap()
        );
    }

    #[test]
    fn maintenance_turns_requests_away_but_counts_them_first() {
        let state = BackupState::new(BackupSettings {
            schedule_hours: 24,
            keep: 7,
            restore_upload_bytes: 1,
        });
        let a = state.enter();
        assert!(a.is_some());
        assert_eq!(state.in_flight.load(Ordering::SeqCst), 1);
        state.maintenance.store(true, Ordering::SeqCst);
        assert!(state.enter().is_none());
        assert_eq!(state.in_flight.load(Ordering::SeqCst), 1);
        drop(a);
        assert_eq!(state.in_flight.load(Ordering::SeqCst), 0);
    }
}
