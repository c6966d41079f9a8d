//! Putting staged data in place so that a crash at any moment leaves either the old or the
//! new data complete.
//!
//! The data directory holds three restorable items ([`ITEMS`]): the database file, the blob
//! store and the search index. Three renames cannot be one atomic step, so the swap is
//! journalled:
//!
//! 1. the staged directory is complete and durable (written, checked, fsynced);
//! 2. `restore-journal.json` is written atomically (temp file, fsync, rename, fsync): the
//!    commit point. Before it exists nothing live was touched, and the staging directory is
//!    just a leftover; once it exists the restore *will* complete;
//! 3. each live item is renamed into `pre-restore-<time>/`, then the staged one into place;
//! 4. the staging directory and the journal are removed.
//!
//! [`recover`] runs at every start before the database is opened: with a journal present it
//! repeats step 3 and 4, each move skipped when already done, so an interrupted swap always
//! finishes with the new data. Everything stays inside the data directory (one file system,
//! so renames are atomic, and the only place a hardened service may write).

use std::fs::{DirBuilder, File};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::stage::Staged;
use super::{BackupError, FailPoint, Hooks};
use crate::datadir::{BLOBS_DIR, DB_FILE, INDEX_DIR};

/// What a restore replaces, in the order it is swapped.
pub const ITEMS: [&str; 3] = [DB_FILE, BLOBS_DIR, INDEX_DIR];
pub const JOURNAL: &str = "restore-journal.json";
const STAGING_PREFIX: &str = "restore-staging-";
const PREVIOUS_PREFIX: &str = "pre-restore-";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Journal {
    /// Directory names inside the data directory.
    staged: String,
    previous: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::io(path, e)
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

fn exists(path: &Path) -> Result<bool, BackupError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(BackupError::io(path, e)),
    }
}

fn stamp(now: Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A fresh, not yet existing directory `<prefix><time>[-n]` inside `data_dir`.
fn fresh_name(data_dir: &Path, prefix: &str, now: Timestamp) -> Result<String, BackupError> {
    let base = format!("{prefix}{}", stamp(now));
    let mut name = base.clone();
    let mut n = 1;
    while exists(&data_dir.join(&name))? {
        n += 1;
        name = format!("{base}-{n}");
    }
    Ok(name)
}

/// Where to stage a restore: a new directory inside the data directory (not created yet).
pub fn staging_dir(data_dir: &Path, now: Timestamp) -> Result<PathBuf, BackupError> {
    Ok(data_dir.join(fresh_name(data_dir, STAGING_PREFIX, now)?))
}

/// Whether `name` is a directory kept from before a restore (listed for the operator).
pub fn is_previous_dir_name(name: &str) -> bool {
    name.starts_with(PREVIOUS_PREFIX)
}

/// The directories kept from before restores, newest first. Unreadable entries are left
/// out: the list only tells the operator what can be cleaned up.
pub fn previous_dirs(data_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| is_previous_dir_name(n))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.reverse();
    names
}

fn valid_dir_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('/')
        && name != "."
        && name != ".."
        && (name.starts_with(STAGING_PREFIX) || name.starts_with(PREVIOUS_PREFIX))
}

fn read_journal(data_dir: &Path) -> Result<Option<Journal>, BackupError> {
    let path = data_dir.join(JOURNAL);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BackupError::io(&path, e)),
    };
    let journal: Journal = serde_json::from_slice(&text)
        .map_err(|e| BackupError::io(&path, std::io::Error::new(ErrorKind::InvalidData, e)))?;
    if !valid_dir_name(&journal.staged) || !valid_dir_name(&journal.previous) {
        return Err(BackupError::io(
            &path,
            std::io::Error::new(ErrorKind::InvalidData, "names outside the data directory"),
        ));
    }
    Ok(Some(journal))
}

fn write_journal(data_dir: &Path, journal: &Journal) -> Result<(), BackupError> {
    let path = data_dir.join(JOURNAL);
    let tmp = data_dir.join(format!("{JOURNAL}.tmp"));
    let text =
        serde_json::to_vec(journal).map_err(|e| BackupError::io(&tmp, std::io::Error::other(e)))?;
    let mut file = File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(&text).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    sync_dir(data_dir)
}

/// Swaps `staged` into `data_dir`; returns the directory now holding the previous data
/// (`None` when there was none, as in a fresh data directory). The data directory must be
/// locked by the caller and nothing may use the items being replaced.
pub fn install(
    data_dir: &Path,
    staged: &mut Staged,
    now: Timestamp,
    hooks: Hooks,
) -> Result<Option<PathBuf>, BackupError> {
    let staged_name = staged
        .dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| valid_dir_name(n) && staged.dir.parent() == Some(data_dir))
        .ok_or_else(|| {
            BackupError::io(
                &staged.dir,
                std::io::Error::other("the staging directory must be inside the data directory"),
            )
        })?
        .to_owned();
    // Everything inside was fsynced as it was written; the entries of the staging
    // directory itself must be durable before the journal points at them.
    sync_dir(&staged.dir)?;
    let journal = Journal {
        staged: staged_name,
        previous: fresh_name(data_dir, PREVIOUS_PREFIX, now)?,
    };
    write_journal(data_dir, &journal)?;
    // From here on the journal owns the staging directory.
    staged.keep();
    hooks.check(FailPoint::AfterJournal)?;
    roll_forward(data_dir, &journal, hooks)
}

fn roll_forward(
    data_dir: &Path,
    journal: &Journal,
    hooks: Hooks,
) -> Result<Option<PathBuf>, BackupError> {
    let staged = data_dir.join(&journal.staged);
    let previous = data_dir.join(&journal.previous);
    if !exists(&previous)? {
        DirBuilder::new()
            .mode(0o700)
            .create(&previous)
            .map_err(io(&previous))?;
        sync_dir(data_dir)?;
    }
    for (i, item) in ITEMS.iter().enumerate() {
        let new = staged.join(item);
        let live = data_dir.join(item);
        if !exists(&new)? {
            // Moved already, or not part of this restore (an online restore keeps the
            // live index and rebuilds it in place).
            continue;
        }
        if exists(&live)? {
            let mut aside = previous.join(item);
            let mut n = 1;
            while exists(&aside)? {
                n += 1;
                aside = previous.join(format!("{item}.{n}"));
            }
            std::fs::rename(&live, &aside).map_err(io(&live))?;
            sync_dir(&previous)?;
            sync_dir(data_dir)?;
        }
        hooks.check(FailPoint::AfterMoveOld(i))?;
        std::fs::rename(&new, &live).map_err(io(&new))?;
        sync_dir(data_dir)?;
        sync_dir(&staged)?;
        hooks.check(FailPoint::AfterMoveNew(i))?;
    }
    hooks.check(FailPoint::BeforeCleanup)?;
    if exists(&staged)? {
        std::fs::remove_dir_all(&staged).map_err(io(&staged))?;
    }
    let kept = match std::fs::remove_dir(&previous) {
        // Nothing was there before (a fresh data directory): no point keeping it.
        Ok(()) => None,
        Err(_) => Some(previous),
    };
    std::fs::remove_file(data_dir.join(JOURNAL)).map_err(io(data_dir))?;
    sync_dir(data_dir)?;
    Ok(kept)
}

/// Finishes a restore that a crash interrupted after its commit point, and removes
/// staging directories of restores that never reached it. Run at start, with the data
/// directory locked, before anything opens the database. Returns the directory holding the
/// previous data when a restore was finished.
pub fn recover(data_dir: &Path) -> Result<Option<PathBuf>, BackupError> {
    let finished = match read_journal(data_dir)? {
        Some(journal) => {
            tracing::warn!(
                staged = %journal.staged,
                "finishing a restore that was interrupted"
            );
            roll_forward(data_dir, &journal, Hooks::default())?
        }
        None => None,
    };
    let entries = match std::fs::read_dir(data_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(finished),
        Err(e) => return Err(BackupError::io(data_dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(data_dir))?;
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| n.starts_with(STAGING_PREFIX))
            && entry.file_type().map_err(io(data_dir))?.is_dir()
        {
            tracing::info!(path = %entry.path().display(), "removing an unfinished restore");
            std::fs::remove_dir_all(entry.path()).map_err(io(&entry.path()))?;
        }
    }
    Ok(finished)
}
