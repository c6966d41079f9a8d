//! A commit that failed on an I/O error, usually a full disk, and the reopen that heals it.
//!
//! redb refuses every write after a failed commit ("Previous I/O error occurred. Please close
//! and re-open the database.") while reads of the committed state keep working. So the store
//! records the fault, refuses writes at once with [`StoreError::DiskFull`] (a 503 with
//! `Retry-After`), and a healer thread waits until the data directory's filesystem has room
//! again, then reopens the file in place: new readers and writers get a short
//! [`StoreError::Reopening`] while the old handle drains, and writes resume without a restart
//! (docs/storage.md, "A full disk").

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::StoreError;

/// Free space the filesystem needs before the file is reopened: a reopen (and redb's recovery
/// of the file) needs a little, and resuming writes with less would only fail again at once.
pub const FREE_SPACE_TO_RESUME: u64 = 32 * 1024 * 1024;

/// How often the healer looks at the free space, and retries a reopen that failed.
const POLL: Duration = Duration::from_secs(1);

/// Whether the store can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskState {
    Writable,
    /// A commit failed on an I/O error; writes are refused until there is room again.
    Full,
    /// The file is being reopened after the fault; every operation waits a moment.
    Reopening,
}

#[derive(Debug)]
struct Shared {
    state: DiskState,
    stopped: bool,
}

/// One per store; shared by its writer thread, its handles and the healer.
#[derive(Debug)]
pub(crate) struct Disk {
    shared: Mutex<Shared>,
    changed: Condvar,
    dir: PathBuf,
}

impl Disk {
    pub(crate) fn new(db_path: &Path) -> Disk {
        let dir = match db_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        Disk {
            shared: Mutex::new(Shared {
                state: DiskState::Writable,
                stopped: false,
            }),
            changed: Condvar::new(),
            dir,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // The state is two plain values; one a panicking thread left behind is still valid.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn state(&self) -> DiskState {
        self.lock().state
    }

    pub(crate) fn set(&self, state: DiskState) {
        self.lock().state = state;
        self.changed.notify_all();
    }

    /// Ends the healer (the store is being dropped).
    pub(crate) fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// Turns an I/O failure of a commit into [`StoreError::DiskFull`] and wakes the healer;
    /// other errors pass unchanged.
    pub(crate) fn check(&self, e: StoreError) -> StoreError {
        let Some(full) = write_fault(&e) else {
            return e;
        };
        let mut shared = self.lock();
        if shared.state == DiskState::Writable {
            shared.state = DiskState::Full;
            if full {
                tracing::error!(
                    dir = %self.dir.display(),
                    "the disk is full: writes are refused until space is freed, then resume by themselves"
                );
            } else {
                tracing::error!(
                    error = %e,
                    "a write failed on an I/O error: writes are refused until the database is reopened"
                );
            }
            self.changed.notify_all();
        }
        StoreError::DiskFull
    }

    /// The error for an operation that arrives while the state is not writable.
    pub(crate) fn refusal(&self) -> Option<StoreError> {
        match self.state() {
            DiskState::Writable => None,
            DiskState::Full => Some(StoreError::DiskFull),
            DiskState::Reopening => Some(StoreError::Reopening),
        }
    }

    /// Waits until the store needs healing and the filesystem has room; `false` once stopped.
    fn wait_for_room(&self) -> bool {
        let mut shared = self.lock();
        loop {
            if shared.stopped {
                return false;
            }
            if shared.state == DiskState::Full && self.has_room() {
                return true;
            }
            let timeout = if shared.state == DiskState::Full {
                POLL
            } else {
                // Nothing to do until a commit fails; `check` and `stop` notify.
                Duration::from_secs(3600)
            };
            shared = self
                .changed
                .wait_timeout(shared, timeout)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn has_room(&self) -> bool {
        fs4::available_space(&self.dir).is_ok_and(|free| free >= FREE_SPACE_TO_RESUME)
    }

    fn pause(&self) {
        let shared = self.lock();
        if !shared.stopped {
            let _ = self.changed.wait_timeout(shared, POLL);
        }
    }
}

/// `Some(is_full)` when `e` is an I/O failure after which redb needs the file reopened.
fn write_fault(e: &StoreError) -> Option<bool> {
    match e {
        StoreError::Redb(r) => match &**r {
            redb::Error::Io(io) => Some(is_full(io)),
            redb::Error::PreviousIo => Some(false),
            _ => None,
        },
        StoreError::Io(io) => Some(is_full(io)),
        _ => None,
    }
}

fn is_full(io: &std::io::Error) -> bool {
    io.kind() == ErrorKind::StorageFull || io.kind() == ErrorKind::QuotaExceeded
}

/// Runs `reopen` whenever the store needs healing and there is room, until the store is
/// dropped. `reopen` returns `None` when the store is already gone.
pub(crate) fn spawn_healer(
    disk: Arc<Disk>,
    mut reopen: impl FnMut() -> Option<Result<(), StoreError>> + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("store-healer".into())
        .spawn(move || {
            while disk.wait_for_room() {
                match reopen() {
                    None => return,
                    Some(Ok(())) => tracing::warn!("the database was reopened; writes resume"),
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "reopening the database failed; retrying");
                        disk.pause();
                    }
                }
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_io_failures_need_a_reopen() {
        let disk = Disk::new(Path::new("/tmp/x.redb"));
        assert!(matches!(
            disk.check(StoreError::NotFound),
            StoreError::NotFound
        ));
        assert_eq!(disk.state(), DiskState::Writable);
        let full = StoreError::from(redb::StorageError::Io(std::io::Error::from(
            ErrorKind::StorageFull,
        )));
        assert!(matches!(disk.check(full), StoreError::DiskFull));
        assert_eq!(disk.state(), DiskState::Full);
        assert!(matches!(disk.refusal(), Some(StoreError::DiskFull)));
        let again = StoreError::from(redb::StorageError::PreviousIo);
        assert!(matches!(disk.check(again), StoreError::DiskFull));
    }
}
