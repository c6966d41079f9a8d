//! Staging an archive: its rows loaded into a fresh database file and its blobs into a fresh
//! blob store in a directory of its own, every record decoded and checked, ready for the
//! swap. [`super::read`] walks and checks the archive; this is what consumes it.

use std::collections::HashSet;
use std::fs::DirBuilder;
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::format::{self, Manifest};
use super::read::{DataLimit, Sink, check_data_size, read_error, walk};
use super::{BackupError, FailPoint, Hooks};
use crate::blobs::BlobStore;
use crate::datadir::DB_FILE;
use crate::store::dump::catalogue::{self, CATALOGUE, Table};
use crate::store::dump::{self, StagingDb, check};
use crate::store::{SCHEMA_VERSION, Store};

/// Rows buffered before they are written in one transaction.
const ROWS_PER_TXN: usize = 50_000;
const BYTES_PER_TXN: usize = 64 * 1024 * 1024;

/// Kept free on the filesystem a restore stages into, so that a restore never fills the
/// disk the running instance writes to.
const FREE_SPACE_MARGIN: u64 = 512 * 1024 * 1024;

/// Loads rows into a fresh database file and blobs into a fresh blob store.
struct Stager {
    db: StagingDb,
    blobs: BlobStore,
    dir: PathBuf,
    limit: DataLimit,
    pending: Vec<(Vec<u8>, Vec<u8>)>,
    pending_bytes: usize,
    tables_done: usize,
    tables_total: usize,
    hooks: Hooks,
}

impl Stager {
    fn flush(&mut self, table: &'static str, def: Table) -> Result<(), BackupError> {
        self.db.load(table, def, &self.pending)?;
        self.pending.clear();
        self.pending_bytes = 0;
        Ok(())
    }
}

impl Sink for Stager {
    fn manifest(&mut self, m: &Manifest) -> Result<(), BackupError> {
        check_data_size(m, self.limit.max_bytes, "the configured limit")?;
        let free = fs4::available_space(&self.dir).map_err(|e| BackupError::io(&self.dir, e))?;
        check_data_size(
            m,
            free.saturating_sub(FREE_SPACE_MARGIN),
            "the free space of the data directory's filesystem, keeping 512 MiB",
        )
    }

    fn row(
        &mut self,
        table: &'static str,
        def: Table,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), BackupError> {
        self.pending_bytes += key.len() + value.len();
        self.pending.push((key, value));
        if self.pending.len() >= ROWS_PER_TXN || self.pending_bytes >= BYTES_PER_TXN {
            self.flush(table, def)?;
        }
        Ok(())
    }

    fn table_done(&mut self, table: &'static str, def: Table) -> Result<(), BackupError> {
        self.flush(table, def)?;
        self.tables_done += 1;
        if self.tables_done == self.tables_total {
            self.hooks.check(FailPoint::AfterTables)?;
        }
        Ok(())
    }

    fn blob(&mut self, hash: [u8; 32], size: u64, data: &mut dyn Read) -> Result<(), BackupError> {
        let name = format::blob_entry_name(&hash);
        let stored = self
            .blobs
            .ingest_blocking(data, size)
            .map_err(|e| match e {
                crate::blobs::BlobError::Stream(e) => read_error(&name, e),
                crate::blobs::BlobError::TooLarge { .. } => {
                    BackupError::invalid(&name, "is larger than declared")
                }
                other => other.into(),
            })?;
        if stored.hash != hash {
            return Err(BackupError::invalid(
                name,
                "its content does not match its name: the archive is damaged",
            ));
        }
        Ok(())
    }
}

/// A validated archive in its own directory, ready to be swapped in. Dropping it removes
/// the directory unless [`Staged::keep`] was called (the swap does that once its journal
/// owns the directory).
#[derive(Debug)]
pub struct Staged {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Things worth telling the operator that do not make the archive unusable.
    pub warnings: Vec<String>,
    keep: bool,
}

impl Staged {
    pub fn db_path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }

    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.keep {
            remove_dir(&self.dir);
        }
    }
}

fn remove_dir(dir: &Path) {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(path = %dir.display(), error = %e, "cannot remove a staging directory");
        }
    }
}

/// Validates `input` and stages it in `dir` (which must not exist yet): a complete database
/// file with every record decoded and checked, and every attachment verified. On any
/// failure `dir` is removed again and nothing else was touched.
pub fn stage(
    input: impl Read,
    dir: &Path,
    hooks: Hooks,
    limit: DataLimit,
) -> Result<Staged, BackupError> {
    DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(|e| BackupError::io(dir, e))?;
    let mut staged = Staged {
        dir: dir.to_owned(),
        manifest: Manifest {
            format: String::new(),
            format_version: 0,
            app_version: String::new(),
            created_at: String::new(),
            schema_version: 0,
            entries: Vec::new(),
            counts: Default::default(),
            missing_blobs: Vec::new(),
        },
        warnings: Vec::new(),
        keep: false,
    };
    let db_path = staged.db_path();
    let db = StagingDb::create(&db_path)?;
    let mut stager = Stager {
        db,
        blobs: BlobStore::new(dir)?,
        dir: dir.to_owned(),
        limit,
        pending: Vec::new(),
        pending_bytes: 0,
        tables_done: 0,
        tables_total: 0,
        hooks,
    };
    // Known only once the manifest is read; until then AfterTables cannot fire.
    stager.tables_total = CATALOGUE.len();
    let manifest = walk(input, &mut stager)?;
    if stager.tables_done != manifest.counts.len() {
        return Err(BackupError::Check("not every table was restored".into()));
    }
    let Stager { db, blobs, .. } = stager;
    db.finish()?;
    hooks.check(FailPoint::AfterEntries)?;

    let store = Store::open(&db_path)?;
    let problems = check::check_records(&store)?;
    let counts = store.read_blocking(catalogue::counts_in)?;
    let mut problems = problems;
    if manifest.schema_version == SCHEMA_VERSION {
        for (table, n) in counts {
            if manifest.counts.get(table) != Some(&n) {
                problems.push(format!(
                    "{table}: {n} rows restored, the manifest says {:?}",
                    manifest.counts.get(table)
                ));
            }
        }
    }
    let missing: HashSet<&str> = manifest.missing_blobs.iter().map(String::as_str).collect();
    for hash in store.read_blocking(dump::referenced_blobs)? {
        let hex = hex::encode(hash);
        match blobs.open_blocking(&hash) {
            Ok(_) => {}
            Err(crate::blobs::BlobError::NotFound) if missing.contains(hex.as_str()) => {
                staged.warnings.push(format!(
                    "attachment {hex} was already missing when the backup was taken"
                ));
            }
            Err(crate::blobs::BlobError::NotFound) => {
                problems.push(format!(
                    "attachment {hex} is referenced but not in the archive"
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    drop(store);
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
        return Err(BackupError::Check(format!(
            "{} problem(s): {}",
            problems.len(),
            shown.join("; ")
        )));
    }
    hooks.check(FailPoint::AfterCheck)?;
    staged.manifest = manifest;
    Ok(staged)
}

/// Everything [`stage`] checks, in a temporary directory under `scratch` that is removed
/// afterwards: the thorough check of an archive file.
pub fn verify_archive_deep(
    input: impl Read,
    scratch: &Path,
    limit: DataLimit,
) -> Result<Staged, BackupError> {
    let dir = scratch.join(format!(
        ".verify-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    stage(input, &dir, Hooks::default(), limit)
}
