//! redb storage: table catalogue, keys, versioned records, migrations and the single writer.
//!
//! [`Store`] is the only door to the database file. Writes are closures queued to one writer
//! thread and group-committed (see `writer.rs`); reads run on a fresh snapshot on tokio's blocking
//! pool, so nothing blocking runs on async workers and reads never wait on a write.
//!
//! Opening never overwrites an existing file: a file that is not a readable Supportbox
//! database is refused with [`StoreError::Damaged`] and left exactly as it was, and a file
//! from a newer Supportbox with [`StoreError::NewerSchema`].

pub mod access;
pub mod accounts;
pub mod audit;
pub mod catalog;
mod damage;
pub mod disk;
pub mod dump;
pub mod error;
pub mod generation;
pub mod invitations;
pub mod keys;
pub mod migrate;
mod overlay;
pub mod password_resets;
pub mod record;
pub mod sessions;
pub mod settings;
pub mod tables;
pub mod tenants;
pub mod tickets;
pub mod tokens;
mod txn;
mod writer;

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use redb::{Database, DatabaseError, ReadableDatabase, ReadableTable, StorageError};

use crate::clock::{Clock, SystemClock};

pub use error::StoreError;
pub use migrate::SCHEMA_VERSION;
pub use txn::{ReadTx, WriteTx};
use writer::Writer;

/// Handle to the open database. Cheap to clone; the file closes when the last clone drops.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// Replaced as a whole by [`Store::reopen`] (online restore) and by the healer after a
    /// failed write, so every clone of the handle moves to the new file at once; `None`
    /// while the healer reopens the file.
    open: RwLock<Option<Arc<OpenFile>>>,
    path: PathBuf,
    schema_version: u32,
    damage: Arc<damage::Damage>,
    disk: Arc<disk::Disk>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.disk.stop();
    }
}

struct OpenFile {
    // Declared first so it drops (and joins the writer thread) before `db`.
    writer: Writer,
    db: Arc<Database>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("schema_version", &self.inner.schema_version)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The schema version this binary reads and writes.
    pub const SCHEMA_VERSION: u32 = migrate::SCHEMA_VERSION;

    /// Opens `db_path`, creating and initialising it if (and only if) it does not exist.
    ///
    /// Blocks on file I/O; call it at startup or from `spawn_blocking`.
    pub fn open(db_path: &Path) -> Result<Store, StoreError> {
        Self::open_with_clock(db_path, &SystemClock)
    }

    /// [`Store::open`] with the clock that stamps a newly created file.
    pub fn open_with_clock(db_path: &Path, clock: &dyn Clock) -> Result<Store, StoreError> {
        if !db_path.try_exists()? {
            create_initialised(db_path, clock)?;
        }
        let damage = Arc::new(damage::Damage::new(db_path));
        let disk = Arc::new(disk::Disk::new(db_path));
        let (open, schema_version) = open_file(db_path, clock, &damage, &disk)?;
        tracing::info!(path = %db_path.display(), schema_version, "database open");
        let inner = Arc::new(Inner {
            open: RwLock::new(Some(Arc::new(open))),
            path: db_path.to_owned(),
            schema_version,
            damage,
            disk: Arc::clone(&disk),
        });
        let weak = Arc::downgrade(&inner);
        disk::spawn_healer(disk, move || {
            weak.upgrade().map(|inner| inner.reopen_in_place())
        })?;
        Ok(Store { inner })
    }

    /// Opens an existing file for reading while leaving it byte for byte as it is: whatever
    /// redb writes while opening (the repair after an unclean shutdown, a migration, the
    /// integrity check's commit) stays in memory (docs/storage.md, "Opening without
    /// writing"). Writes through the handle fail with [`StoreError::WriterGone`].
    ///
    /// With `check_integrity`, redb verifies the checksum of every page of the committed trees
    /// first; damage comes back as [`StoreError::Damaged`]. Blocking.
    pub fn open_unchanged(db_path: &Path, check_integrity: bool) -> Result<Store, StoreError> {
        let file = File::open(db_path)?;
        let backend = overlay::Overlay::new(file)?;
        let damage = Arc::new(damage::Damage::new(db_path));
        let opened = damage::catch_panic_in_redb(|| {
            let mut db = Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create_with_backend(backend)?;
            // Not `set_check_integrity_on_open`: that hides whether the check had to fall back
            // to the previous commit, which is damage `verify` must report.
            if check_integrity && !db.check_integrity()? {
                return Err(DatabaseError::Storage(StorageError::Corrupted(
                    "its newest commit failed the integrity check".into(),
                )));
            }
            Ok(db)
        });
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(classify_open_error(db_path, e)),
            Err(damage::RedbPanicked) => return Err(panicked_while_reading(db_path)),
        };
        let schema_version =
            damage::catch_panic_in_redb(|| migrate::prepare(&db, &init_info(&SystemClock)))
                .map_err(|damage::RedbPanicked| panicked_while_reading(db_path))?
                .map_err(|e| damaged_if_corrupt(db_path, e))?;
        Ok(Store {
            inner: Arc::new(Inner {
                open: RwLock::new(Some(Arc::new(OpenFile {
                    writer: Writer::none(),
                    db: Arc::new(db),
                }))),
                path: db_path.to_owned(),
                schema_version,
                damage,
                disk: Arc::new(disk::Disk::new(db_path)),
            }),
        })
    }

    /// Opens the file now at [`Store::path`] and makes every clone of this handle use it;
    /// the file opened before stays readable for transactions already running. For online
    /// restore, after [`Store::shutdown`] and after the restored file was moved into place.
    /// Blocking.
    pub fn reopen(&self) -> Result<(), StoreError> {
        let open = self.inner.open_again()?;
        self.inner.install(Some(Arc::new(open)));
        self.inner.damage.clear();
        self.inner.disk.set(disk::DiskState::Writable);
        tracing::info!(path = %self.inner.path.display(), "database reopened");
        Ok(())
    }

    /// The open file, or the reason there is none right now (it is being reopened).
    fn current(&self) -> Result<Arc<OpenFile>, StoreError> {
        self.inner.current()
    }

    /// Runs `cmd` in the writer's next transaction; resolves only after that transaction is
    /// durably committed (or with the error that kept `cmd` out of it).
    ///
    /// `cmd` may run more than once (when another command of its batch fails, the batch is
    /// re-run without that one), so it must not have effects outside the transaction.
    pub async fn write<R: Send + 'static>(
        &self,
        cmd: impl FnMut(&WriteTx) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.write_checked(cmd).await
    }

    /// [`Store::write`] for synchronous callers (CLI tools, tests). Must not be called from
    /// async code: it blocks the thread and tokio panics if that thread drives a runtime.
    pub fn write_blocking<R: Send + 'static>(
        &self,
        cmd: impl FnMut(&WriteTx) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        if let Some(refused) = self.inner.disk.refusal() {
            return Err(refused);
        }
        self.current()?.writer.write_blocking(cmd)
    }

    /// [`Store::write`] for commands that decide by business rules: the command fails with
    /// the caller's own error type (a refusal, a record that is not there), which reaches the
    /// caller unchanged and, like any failure, leaves the command's writes out of the commit.
    pub async fn write_checked<R, E>(
        &self,
        cmd: impl FnMut(&WriteTx) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if let Some(refused) = self.inner.disk.refusal() {
            return Err(E::from(refused));
        }
        let open = self.current().map_err(E::from)?;
        open.writer.write(cmd).await
    }

    /// Runs `f` on a fresh read snapshot on the blocking pool.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&ReadTx) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }

    /// [`Store::read`] for reads that decide by business rules (may this caller see this
    /// record?): `f` fails with the caller's own error type, which reaches it unchanged.
    pub async fn read_checked<R, E>(
        &self,
        f: impl FnOnce(&ReadTx) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            store.inner.damage.guard(|| {
                let txn = ReadTx::new(store.current()?.db.begin_read().map_err(StoreError::from)?);
                f(&txn)
            })
        })
        .await
        .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }

    /// Runs `f` on a fresh read snapshot on the current thread.
    pub fn read_blocking<R>(
        &self,
        f: impl FnOnce(&ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.inner
            .damage
            .guard(|| {
                let txn = ReadTx::new(self.current()?.db.begin_read()?);
                f(&txn)
            })
            .map_err(|e| self.inner.damage.check(e))
    }

    /// Whether the store can write, or is waiting for room after a failed write
    /// (`/readyz`, the operator's pages).
    pub fn disk_state(&self) -> disk::DiskState {
        self.inner.disk.state()
    }

    /// Whether a store operation has met a damaged page since the file was opened
    /// (`/healthz`, `/readyz`).
    pub fn is_damaged(&self) -> bool {
        self.inner.damage.is_found()
    }

    /// For `/healthz`: proves a read transaction can start and the schema row is readable.
    pub async fn check_readable(&self) -> Result<(), StoreError> {
        self.read(|txn| {
            let meta = txn.open_table(tables::META)?;
            match migrate::read_schema_version(&meta)? {
                Some(_) => Ok(()),
                None => Err(StoreError::Corrupt {
                    table: tables::name::META,
                    detail: "the schema version row is missing".into(),
                }),
            }
        })
        .await
    }

    /// The schema version of the open file (always [`Store::SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> u32 {
        self.inner.schema_version
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Issues the next id of `sequence` (the first is 1) inside the caller's transaction, so
    /// the id is only consumed if that transaction commits.
    pub fn next_id(txn: &WriteTx, sequence: &str) -> Result<u64, StoreError> {
        let mut table = txn.open_table(tables::SEQUENCES)?;
        let last = table.get(sequence)?.map_or(0, |v| v.value());
        let next = last
            .checked_add(1)
            .ok_or_else(|| StoreError::Internal(format!("sequence {sequence} is exhausted")))?;
        table.insert(sequence, next)?;
        Ok(next)
    }

    /// Commits everything queued so far, then stops the writer; later writes fail with
    /// [`StoreError::WriterGone`]. Reads keep working until the last clone drops.
    pub async fn shutdown(&self) {
        if let Ok(open) = self.current() {
            open.writer.shutdown().await;
        }
    }

    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.current().map_or(0, |open| open.writer.queued())
    }

    /// How many write transactions the writer has committed (group-commit metrics, tests).
    pub fn commit_count(&self) -> u64 {
        self.current().map_or(0, |open| open.writer.commit_count())
    }
}

/// How long the healer waits for running transactions to let go of the old handle before it
/// gives the handle back and tries again later (a backup download holds a snapshot for as
/// long as it streams).
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Inner {
    fn current(&self) -> Result<Arc<OpenFile>, StoreError> {
        self.open
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Reopening)
    }

    fn install(&self, open: Option<Arc<OpenFile>>) -> Option<Arc<OpenFile>> {
        std::mem::replace(
            &mut *self.open.write().unwrap_or_else(|e| e.into_inner()),
            open,
        )
    }

    fn open_again(&self) -> Result<OpenFile, StoreError> {
        let (open, schema_version) = open_file(&self.path, &SystemClock, &self.damage, &self.disk)?;
        if schema_version != self.schema_version {
            return Err(StoreError::Internal(format!(
                "reopened schema version {schema_version}, expected {}",
                self.schema_version
            )));
        }
        Ok(open)
    }

    /// After a failed write: closes the file once nothing uses it any more and opens it again
    /// (docs/storage.md, "A full disk"). redb allows one handle per file, so the old one must
    /// be gone first; meanwhile every operation gets [`StoreError::Reopening`]. Blocking; runs
    /// on the healer thread.
    fn reopen_in_place(&self) -> Result<(), StoreError> {
        self.disk.set(disk::DiskState::Reopening);
        if let Some(mut old) = self.install(None) {
            let started = std::time::Instant::now();
            loop {
                match Arc::try_unwrap(old) {
                    // Joins the writer thread, then closes the file.
                    Ok(file) => break drop(file),
                    Err(shared) if started.elapsed() < DRAIN_WAIT => {
                        old = shared;
                        // Waiting for other threads to finish their transactions: there is no
                        // event to wait for.
                        #[allow(clippy::disallowed_methods)]
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(shared) => {
                        self.install(Some(shared));
                        self.disk.set(disk::DiskState::Full);
                        return Err(StoreError::Conflict(
                            "transactions still running; the reopen is tried again".into(),
                        ));
                    }
                }
            }
        }
        match self.open_again() {
            Ok(open) => {
                self.install(Some(Arc::new(open)));
                self.disk.set(disk::DiskState::Writable);
                Ok(())
            }
            Err(e) => {
                self.disk.set(disk::DiskState::Full);
                Err(e)
            }
        }
    }
}

fn open_file(
    db_path: &Path,
    clock: &dyn Clock,
    damage: &Arc<damage::Damage>,
    disk: &Arc<disk::Disk>,
) -> Result<(OpenFile, u32), StoreError> {
    refuse_newer_without_writing(db_path)?;
    let db = open_existing(db_path)?;
    let init = init_info(clock);
    let schema_version =
        migrate::prepare(&db, &init).map_err(|e| damaged_if_corrupt(db_path, e))?;
    let db = Arc::new(db);
    let writer = Writer::spawn(Arc::clone(&db), Arc::clone(damage), Arc::clone(disk))?;
    Ok((OpenFile { writer, db }, schema_version))
}

fn init_info(clock: &dyn Clock) -> migrate::InitInfo {
    migrate::InitInfo {
        created_at_us: clock.now().as_microsecond(),
        app_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Builds a complete, initialised database beside `path` and only then links it into place,
/// so a crash or a full disk during creation never leaves a half-made file at `path` (which
/// the next start would have to refuse as damaged).
fn create_initialised(path: &Path, clock: &dyn Clock) -> Result<(), StoreError> {
    let staging = staging_path(path);
    // A leftover from a creation that crashed; it never held data.
    match fs::remove_file(&staging) {
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let built = (|| {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&staging)?;
        let db =
            Database::builder().create_with_backend(redb::backends::FileBackend::new(file)?)?;
        migrate::prepare(&db, &init_info(clock))?;
        db.close()?;
        Ok::<(), StoreError>(())
    })();
    let placed = built.and_then(|()| {
        // A hard link never replaces an existing file, unlike rename.
        match fs::hard_link(&staging, path) {
            Ok(()) => Ok(()),
            // Someone created it meanwhile; open theirs rather than overwrite it.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            // File systems without hard links: the existence check was moments ago.
            Err(_) if !path.try_exists()? => Ok(fs::rename(&staging, path)?),
            Err(e) => Err(e.into()),
        }
    });
    let _ = fs::remove_file(&staging);
    placed?;
    sync_dir(path)?;
    tracing::info!(path = %path.display(), "created a new database");
    Ok(())
}

fn staging_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".creating");
    path.with_file_name(name)
}

/// Makes the new directory entry durable, so an acknowledged first write cannot vanish with it.
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// redb's own page cache, held in anonymous memory. Its default (1 GiB) let the process
/// grow to gigabytes under read load at a million tickets, far over the memory budget
/// (docs/performance.md, "Memory"); the kernel's page cache keeps the file's hot pages
/// anyway, so a cache this size costs little speed.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Refuses a file of a newer schema before anything is written to it.
/// A refused start must leave the file byte for byte as it was, but opening it writable
/// already writes (redb marks the file in use, and repairs it after an unclean shutdown), so
/// the schema version is read first through redb's read-only handle, or, for a file that
/// needs recovery (which the read-only handle refuses), through the in-memory overlay that
/// repairs without touching the file (docs/storage.md, "Opening without writing"). A file
/// neither can read is left to the writable open, which reports the damage.
fn refuse_newer_without_writing(path: &Path) -> Result<(), StoreError> {
    let read_only = catch_unwind(AssertUnwindSafe(|| redb::ReadOnlyDatabase::open(path)));
    let found = match read_only {
        Ok(Ok(db)) => migrate::refuse_newer(&db),
        // Opening prepares the schema, which refuses a newer one.
        _ => Store::open_unchanged(path, false).map(drop),
    };
    match found {
        Err(e @ StoreError::NewerSchema { .. }) => Err(e),
        _ => Ok(()),
    }
}

fn open_existing(path: &Path) -> Result<Database, StoreError> {
    // redb documents that opening a file corrupted outside redb may panic instead of
    // returning an error; either way the answer is the same.
    match catch_unwind(AssertUnwindSafe(|| {
        Database::builder().set_cache_size(CACHE_BYTES).open(path)
    })) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(classify_open_error(path, e)),
        Err(_) => Err(panicked_while_reading(path)),
    }
}

fn panicked_while_reading(path: &Path) -> StoreError {
    StoreError::Damaged {
        path: path.to_owned(),
        detail: "the storage engine failed while reading it".into(),
    }
}

fn classify_open_error(path: &Path, e: DatabaseError) -> StoreError {
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_owned(),
        detail,
    };
    match e {
        // redb reports "not a redb file" (wrong magic number, empty file) as InvalidData, and
        // a file cut short as UnexpectedEof.
        DatabaseError::Storage(StorageError::Io(io))
            if matches!(io.kind(), ErrorKind::InvalidData | ErrorKind::UnexpectedEof) =>
        {
            damaged(io.to_string())
        }
        DatabaseError::Storage(StorageError::Corrupted(detail)) => damaged(detail),
        DatabaseError::UpgradeRequired(v) => {
            damaged(format!("unsupported redb file format version {v}"))
        }
        DatabaseError::RepairAborted => damaged("it needs a repair that did not finish".into()),
        other => other.into(),
    }
}

fn damaged_if_corrupt(path: &Path, e: StoreError) -> StoreError {
    let detail = match &e {
        StoreError::Corrupt { detail, .. } => detail.clone(),
        StoreError::Redb(r) if matches!(**r, redb::Error::Corrupted(_)) => r.to_string(),
        _ => return e,
    };
    StoreError::Damaged {
        path: path.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod entity_tests;
