//! Scheduled snapshots in `<data_dir>/backups/`: archives named by their time, each with
//! the result of checking it after it was written, and a retention limit.
//!
//! An archive is written as `.partial-<name>`, fsynced, then renamed, so the directory
//! only ever shows complete archives; copying the data directory therefore always carries a
//! consistent recent backup, whatever state the live database file is in.

use std::fs::{DirBuilder, File};
use std::io::{BufReader, BufWriter, ErrorKind, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::BackupError;
use super::read::{DataLimit, verify_archive};
use super::write::{is_work_dir_name, write_archive};
use crate::blobs::BlobStore;
use crate::store::Store;

pub const BACKUPS_DIR: &str = "backups";
const PREFIX: &str = "supportbox-";
const SUFFIX: &str = ".tar.zst";
const CHECK_SUFFIX: &str = ".check.json";
const PARTIAL_PREFIX: &str = ".partial-";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// What checking an archive after writing it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub ok: bool,
    /// RFC 3339.
    pub checked_at: String,
    /// The refusal message when not ok; empty otherwise.
    pub detail: String,
    pub tickets: u64,
    /// Stored bytes the archive holds (before compression).
    pub data_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub created_at: Option<Timestamp>,
    /// `None` when the check has not run (or its result file is missing).
    pub check: Option<CheckResult>,
}

pub fn backups_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(BACKUPS_DIR)
}

/// Whether `name` is exactly a snapshot file name (the only names ever served).
pub fn is_snapshot_name(name: &str) -> bool {
    parse_name(name).is_some()
}

fn parse_name(name: &str) -> Option<Timestamp> {
    let stem = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    // `-n` distinguishes two snapshots within one second.
    let (stamp, n) = match stem.split_once('-') {
        Some((s, n)) => (s, Some(n)),
        None => (stem, None),
    };
    if n.is_some_and(|n| n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if stamp.len() != 16 || !stamp.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let civil = jiff::fmt::strtime::parse(STAMP, stamp)
        .ok()?
        .to_datetime()
        .ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BackupError::io(dir, e))
}

fn check_path(archive: &Path) -> PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_os_string();
    name.push(CHECK_SUFFIX);
    archive.with_file_name(name)
}

/// Writes a snapshot of the open store, checks it, records the result next to it.
pub fn write_snapshot(
    store: &Store,
    blobs: &BlobStore,
    data_dir: &Path,
    now: Timestamp,
) -> Result<SnapshotInfo, BackupError> {
    let dir = backups_dir(data_dir);
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| BackupError::io(&dir, e))?;
    let base = format!("{PREFIX}{}", now.strftime(STAMP));
    let mut name = format!("{base}{SUFFIX}");
    let mut n = 1;
    while dir.join(&name).exists() {
        n += 1;
        name = format!("{base}-{n}{SUFFIX}");
    }
    let path = dir.join(&name);
    let partial = dir.join(format!("{PARTIAL_PREFIX}{name}"));
    let written = (|| {
        let file = File::create(&partial).map_err(|e| BackupError::io(&partial, e))?;
        let (manifest, out) = write_archive(
            store,
            blobs,
            &dir,
            now,
            BufWriter::with_capacity(1 << 20, file),
        )?;
        let file = out
            .into_inner()
            .map_err(|e| BackupError::io(&partial, e.into_error()))?;
        file.sync_all().map_err(|e| BackupError::io(&partial, e))?;
        std::fs::rename(&partial, &path).map_err(|e| BackupError::io(&path, e))?;
        sync_dir(&dir)?;
        Ok::<_, BackupError>(manifest)
    })();
    match written {
        Ok(_) => {}
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let check = check_archive(&path, now);
    if !check.ok {
        tracing::error!(path = %path.display(), detail = %check.detail, "a new snapshot failed its check");
    }
    write_check(&path, &check)?;
    let size = std::fs::metadata(&path)
        .map_err(|e| BackupError::io(&path, e))?
        .len();
    Ok(SnapshotInfo {
        name,
        path,
        size,
        created_at: Some(now),
        check: Some(check),
    })
}

/// Reads an archive file back completely (structure, sizes, every SHA-256).
pub fn check_archive(path: &Path, now: Timestamp) -> CheckResult {
    let result = File::open(path)
        .map_err(|e| BackupError::io(path, e))
        .and_then(|f| {
            // Snapshots are written by this instance; only their bytes are in question.
            verify_archive(BufReader::with_capacity(1 << 20, f), DataLimit::UNLIMITED)
        });
    match result {
        Ok(m) => CheckResult {
            ok: true,
            checked_at: now.to_string(),
            detail: String::new(),
            tickets: m
                .counts
                .get(crate::store::tables::name::TICKETS)
                .copied()
                .unwrap_or(0),
            data_bytes: m.entries.iter().map(|e| e.bytes).sum(),
        },
        Err(e) => CheckResult {
            ok: false,
            checked_at: now.to_string(),
            detail: e.to_string(),
            tickets: 0,
            data_bytes: 0,
        },
    }
}

fn write_check(archive: &Path, check: &CheckResult) -> Result<(), BackupError> {
    let path = check_path(archive);
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_vec_pretty(check)
        .map_err(|e| BackupError::io(&tmp, std::io::Error::other(e)))?;
    let mut file = File::create(&tmp).map_err(|e| BackupError::io(&tmp, e))?;
    file.write_all(&text)
        .map_err(|e| BackupError::io(&tmp, e))?;
    file.sync_all().map_err(|e| BackupError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| BackupError::io(&path, e))
}

fn read_check(archive: &Path) -> Option<CheckResult> {
    let text = std::fs::read(check_path(archive)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Every snapshot, newest first.
pub fn list(data_dir: &Path) -> Result<Vec<SnapshotInfo>, BackupError> {
    let dir = backups_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackupError::io(&dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::io(&dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some(created_at) = parse_name(&name) else {
            continue;
        };
        let meta = entry
            .metadata()
            .map_err(|e| BackupError::io(entry.path(), e))?;
        if !meta.is_file() {
            continue;
        }
        let path = entry.path();
        out.push(SnapshotInfo {
            check: read_check(&path),
            name,
            path,
            size: meta.len(),
            created_at: Some(created_at),
        });
    }
    out.sort_by(|a, b| (b.created_at, &b.name).cmp(&(a.created_at, &a.name)));
    Ok(out)
}

/// The file of snapshot `name`, if it is one.
pub fn path_of(data_dir: &Path, name: &str) -> Option<PathBuf> {
    if !is_snapshot_name(name) {
        return None;
    }
    let path = backups_dir(data_dir).join(name);
    std::fs::symlink_metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| path)
}

/// Removes all but the newest `keep` snapshots; returns the names removed.
pub fn prune(data_dir: &Path, keep: usize) -> Result<Vec<String>, BackupError> {
    let mut removed = Vec::new();
    for old in list(data_dir)?.into_iter().skip(keep) {
        std::fs::remove_file(&old.path).map_err(|e| BackupError::io(&old.path, e))?;
        match std::fs::remove_file(check_path(&old.path)) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                return Err(BackupError::io(check_path(&old.path), e));
            }
            _ => {}
        }
        removed.push(old.name);
    }
    if !removed.is_empty() {
        sync_dir(&backups_dir(data_dir))?;
    }
    Ok(removed)
}

/// Removes what interrupted backups left behind (partial archives, work directories).
/// Call at start, before any backup runs.
pub fn clean_leftovers(data_dir: &Path) -> Result<usize, BackupError> {
    let dir = backups_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(BackupError::io(&dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::io(&dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        let result = if is_work_dir_name(name) || name.starts_with(".verify-") {
            std::fs::remove_dir_all(&path)
        } else if name.starts_with(PARTIAL_PREFIX) {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        match result {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::io(&path, e)),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_is_a_snapshot() {
        let t: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        let name = format!("{PREFIX}{}{SUFFIX}", t.strftime(STAMP));
        assert_eq!(name, "supportbox-20261127T100000Z.tar.zst");
        assert_eq!(parse_name(&name), Some(t));
        assert_eq!(parse_name("supportbox-20261127T100000Z-2.tar.zst"), Some(t));
        for bad in [
            "supportbox-20261127T100000Z.tar.zst.check.json",
            ".partial-supportbox-20261127T100000Z.tar.zst",
            "supportbox-../../etc.tar.zst",
            "supportbox-20261127T100000Z-.tar.zst",
            "supportbox-2026112XT100000Z.tar.zst",
            "other.tar.zst",
        ] {
            assert!(!is_snapshot_name(bad), "{bad}");
        }
    }
}
