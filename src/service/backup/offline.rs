//! Backup, restore, reindex and verify on a data directory no server has open (the
//! `supportbox` subcommands of docs/backup.md).

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::indexer;
use crate::backup::read;
use crate::backup::stage::{self, Staged};
use crate::backup::write::{self};
use crate::backup::{BackupError, FailPoint, Hooks, Manifest, snapshots, swap};
use crate::blobs::BlobStore;
use crate::datadir::{DataDir, INDEX_DIR};
use crate::store::dump::check;
use crate::store::{Store, tickets as store_tickets};

use super::*;

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
    // A backup only reads; a refused or failed one must leave the file as it was.
    let store = Store::open_unchanged(&dir.db_path(), false)?;
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
    let (index, _) = indexer::open(&staged.dir.join(INDEX_DIR), &store)?;
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
    limit: read::DataLimit,
) -> Result<RestoreReport, RestoreError> {
    let dir = DataDir::open(data_dir)?;
    recover_at_start(dir.root())?;
    let staging = swap::staging_dir(dir.root(), now)?;
    let mut staged = stage::stage(archive, &staging, hooks, limit)?;
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
    let (index, _) = indexer::open(&dir.root().join(INDEX_DIR), &store)?;
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
pub fn verify(
    path: &Path,
    quick: bool,
    scratch: &Path,
    limit: read::DataLimit,
) -> Result<VerifyReport, RestoreError> {
    let mut report = VerifyReport::default();
    if path.is_dir() {
        verify_data_dir(path, &mut report)?;
        return Ok(report);
    }
    let file = std::fs::File::open(path).map_err(|e| BackupError::io(path, e))?;
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    let result = if quick {
        read::verify_archive(input, limit).map(|m| (m, Vec::new()))
    } else {
        stage::verify_archive_deep(input, scratch, limit)
            .map(|s| (s.manifest.clone(), s.warnings.clone()))
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
    // redb's integrity check first: a damaged page is named here rather than met as a
    // failure somewhere inside the record checks. The file is left as it was either way.
    let store = match Store::open_unchanged(&dir.db_path(), true) {
        Ok(store) => store,
        Err(e @ crate::store::StoreError::Damaged { .. }) => {
            report.problems.push(e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    report.problems.extend(check::check_records(&store)?);
    let blobs = BlobStore::new(dir.root())?;
    let referenced = store.read_blocking(crate::store::dump::referenced_blobs)?;
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
    let counts = store.read_blocking(crate::store::dump::catalogue::counts_in)?;
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
