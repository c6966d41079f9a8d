//! Producing an archive.
//!
//! [`take_snapshot`] dumps every table into files of a private work directory inside ONE read
//! transaction, so the archive is the database as of one commit, whatever writers do
//! meanwhile; the same transaction names the referenced blobs. The transaction ends before
//! any byte of the archive is written, so a slow download never holds back redb's page
//! reuse. [`Snapshot::write_to`] then writes the tar+zstd stream: the manifest (whose hashes
//! are known by then), the table files, and the blobs, each re-hashed on the way out so
//! that a damaged attachment fails the backup instead of ending up in it.

use crate::store::ReadTx;
use std::fs::{DirBuilder, File};
use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

use super::BackupError;
use super::format::{
    Entry, FORMAT_NAME, FORMAT_VERSION, HashingReader, HashingWriter, MANIFEST, Manifest,
    RecordWriter, blob_entry_name, table_entry_name,
};
use crate::blobs::{BlobError, BlobStore};
use crate::store::Store;
use crate::store::dump::{
    self,
    catalogue::{self, CATALOGUE},
};

/// Input per compression job. zstd's default for level 3 is 8 MiB, and its buffers for two
/// workers then held about 67 MB while a scheduled snapshot ran, a third of the server's
/// memory budget (docs/performance.md, "Memory"); 1 MiB jobs hold a fraction of that and
/// still keep every worker busy.
const ZSTD_JOB_BYTES: u32 = 1 << 20;

/// zstd level: level 3 compresses helpdesk text about 4:1 at several hundred MB/s per core.
const ZSTD_LEVEL: i32 = 3;
const COPY_BUF: usize = 256 * 1024;

/// A private scratch directory, removed with everything in it when dropped.
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Creates `<root>/.work-<unique>` (0700); `root` is created when missing.
    pub fn create(root: &Path) -> Result<WorkDir, BackupError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| BackupError::io(root, e))?;
        let unique: u64 = rand::random();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!(".work-{}-{unique:016x}-{n}", std::process::id()));
        DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| BackupError::io(&path, e))?;
        Ok(WorkDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot remove a backup work directory");
        }
    }
}

/// Whether `name` is a work directory left behind by a crash (removed at start).
pub fn is_work_dir_name(name: &str) -> bool {
    name.starts_with(".work-")
}

/// A consistent dump waiting to be written out.
pub struct Snapshot {
    work: WorkDir,
    manifest: Manifest,
    blobs: BlobStore,
}

impl Snapshot {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Bytes of stored data the archive will hold (before compression).
    pub fn data_bytes(&self) -> u64 {
        self.manifest.entries.iter().map(|e| e.bytes).sum()
    }

    /// Writes the archive to `out`; returns `out` after the zstd frame is complete.
    pub fn write_to<W: Write>(self, out: W) -> Result<W, BackupError> {
        let mut encoder = zstd::Encoder::new(out, ZSTD_LEVEL).map_err(BackupError::Output)?;
        encoder
            .include_checksum(true)
            .map_err(BackupError::Output)?;
        let workers = std::thread::available_parallelism()
            .map(|n| n.get().min(4))
            .unwrap_or(1);
        if workers > 1 {
            // Compression on worker threads keeps it off the path that reads and hashes.
            encoder
                .multithread(workers as u32)
                .map_err(BackupError::Output)?;
            encoder
                .set_parameter(zstd::stream::raw::CParameter::JobSize(ZSTD_JOB_BYTES))
                .map_err(BackupError::Output)?;
        }
        let mut tar = tar::Builder::new(encoder);
        tar.mode(tar::HeaderMode::Deterministic);
        let mtime = self
            .manifest
            .created_at
            .parse::<Timestamp>()
            .map(|t| t.as_second().max(0) as u64)
            .unwrap_or(0);
        let manifest = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|e| BackupError::Output(std::io::Error::other(e)))?;
        append(
            &mut tar,
            MANIFEST,
            manifest.len() as u64,
            mtime,
            manifest.as_slice(),
        )?;
        for entry in &self.manifest.entries {
            if let Some(table) = entry.name.strip_prefix("tables/") {
                let path = self.work.path().join(table);
                let file = File::open(&path).map_err(|e| BackupError::io(&path, e))?;
                append(
                    &mut tar,
                    &entry.name,
                    entry.bytes,
                    mtime,
                    BufReader::new(file),
                )?;
            } else if let Some(hex) = entry.name.strip_prefix("blobs/") {
                self.append_blob(&mut tar, entry, hex, mtime)?;
            }
        }
        let encoder = tar.into_inner().map_err(BackupError::Output)?;
        let mut out = encoder.finish().map_err(BackupError::Output)?;
        out.flush().map_err(BackupError::Output)?;
        Ok(out)
    }

    fn append_blob<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        entry: &Entry,
        hex: &str,
        mtime: u64,
    ) -> Result<(), BackupError> {
        let hash = crate::blobs::parse_hash(hex)
            .ok_or_else(|| BackupError::CorruptBlob { hash: hex.into() })?;
        let (file, size) = match self.blobs.open_blocking(&hash) {
            Ok(found) => found,
            Err(BlobError::NotFound) => {
                return Err(BackupError::VanishedBlob { hash: hex.into() });
            }
            Err(e) => return Err(e.into()),
        };
        if size != entry.bytes {
            return Err(BackupError::CorruptBlob { hash: hex.into() });
        }
        let mut reader = HashingReader::new(file.take(size));
        append(tar, &entry.name, size, mtime, &mut reader)?;
        let (digest, read) = reader.finish();
        if read != size || digest != hash {
            return Err(BackupError::CorruptBlob { hash: hex.into() });
        }
        Ok(())
    }
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> Result<(), BackupError> {
    let mut header = tar::Header::new_ustar();
    header
        .set_path(name)
        .map_err(|e| BackupError::invalid(name, e.to_string()))?;
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    tar.append(&header, data).map_err(BackupError::Output)
}

/// Dumps every table inside one read transaction into a work directory under `work_root`.
pub fn take_snapshot(
    store: &Store,
    blobs: &BlobStore,
    work_root: &Path,
    now: Timestamp,
) -> Result<Snapshot, BackupError> {
    let work = WorkDir::create(work_root)?;
    let dir = work.path().to_owned();
    let blob_store = blobs.clone();
    let result = store.read_blocking(move |txn| {
        let unknown = catalogue::unknown_tables(txn)?;
        if !unknown.is_empty() {
            return Ok(Err(BackupError::UnknownTables(unknown.join(", "))));
        }
        let schema_version = dump::schema_version(txn)?;
        let mut entries = Vec::new();
        let mut counts = std::collections::BTreeMap::new();
        for (table, def) in CATALOGUE {
            let entry = match dump_table(txn, &dir, table, *def) {
                Ok(e) => e,
                Err(e) => return Ok(Err(e)),
            };
            counts.insert((*table).to_owned(), entry.records);
            entries.push(entry);
        }
        let mut missing = Vec::new();
        for hash in dump::referenced_blobs(txn)? {
            match blob_store.open_blocking(&hash) {
                Ok((_, size)) => entries.push(Entry {
                    name: blob_entry_name(&hash),
                    sha256: hex::encode(hash),
                    bytes: size,
                    records: 1,
                }),
                Err(BlobError::NotFound) => missing.push(hex::encode(hash)),
                Err(e) => return Ok(Err(e.into())),
            }
        }
        Ok(Ok(Manifest {
            format: FORMAT_NAME.to_owned(),
            format_version: FORMAT_VERSION,
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            created_at: now.to_string(),
            schema_version,
            entries,
            counts,
            missing_blobs: missing,
        }))
    })??;
    if !result.missing_blobs.is_empty() {
        tracing::warn!(
            missing = result.missing_blobs.len(),
            "referenced attachments are missing from the data directory; the backup lists them"
        );
    }
    Ok(Snapshot {
        work,
        manifest: result,
        blobs: blobs.clone(),
    })
}

fn dump_table(
    txn: &ReadTx,
    dir: &Path,
    table: &str,
    def: catalogue::Table,
) -> Result<Entry, BackupError> {
    let path = dir.join(format!("{table}.bin"));
    let file = File::create(&path).map_err(|e| BackupError::io(&path, e))?;
    let out = HashingWriter::new(BufWriter::with_capacity(COPY_BUF, file));
    let mut writer = RecordWriter::start(out, table).map_err(|e| BackupError::io(&path, e))?;
    let mut io_error = None;
    let dumped = def.dump(txn, &mut |k, v| {
        writer.row(k, v).inspect_err(|e| {
            io_error = Some(std::io::Error::new(e.kind(), e.to_string()));
        })
    });
    if let Some(e) = io_error {
        return Err(BackupError::io(&path, e));
    }
    dumped?;
    let (out, rows) = writer.finish().map_err(|e| BackupError::io(&path, e))?;
    let (buffered, digest, bytes) = out.finish();
    buffered
        .into_inner()
        .map_err(|e| BackupError::io(&path, e.into_error()))?;
    Ok(Entry {
        name: table_entry_name(table),
        sha256: hex::encode(digest),
        bytes,
        records: rows,
    })
}

/// Takes a snapshot and writes the archive to `out` in one go (CLI, scheduled snapshots).
pub fn write_archive<W: Write>(
    store: &Store,
    blobs: &BlobStore,
    work_root: &Path,
    now: Timestamp,
    out: W,
) -> Result<(Manifest, W), BackupError> {
    let snapshot = take_snapshot(store, blobs, work_root, now)?;
    let manifest = snapshot.manifest().clone();
    let out = snapshot.write_to(out)?;
    Ok((manifest, out))
}
