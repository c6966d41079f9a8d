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

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use super::{ServiceError, indexer};
use crate::backup::BackupError;
use crate::datadir::DataDirError;
pub use crate::domain::backup::RestorePhase;
use crate::store::StoreError;

mod offline;
mod online;
pub mod operator;

pub use offline::*;
pub use online::*;

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

/// For the operator's pages, which show failures through the one error page.
impl From<RestoreError> for ServiceError {
    fn from(e: RestoreError) -> Self {
        match e {
            RestoreError::Service(s) => s,
            RestoreError::Backup(b) => ServiceError::Backup(b),
            RestoreError::Store(s) => ServiceError::from(s),
            RestoreError::Blob(b) => ServiceError::Blob(b),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl RestoreError {
    /// Whether the archive itself was refused (as opposed to the server failing).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RestoreError::Backup(
                BackupError::Invalid { .. } | BackupError::TooLarge { .. } | BackupError::Check(_)
            )
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
    /// The most an archive may unpack to.
    pub restore_data: crate::backup::read::DataLimit,
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
#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

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
            restore_data: crate::backup::read::DataLimit::DEFAULT,
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
