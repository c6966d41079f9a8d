//! Attachment storage: content-addressed, immutable files under `<data_dir>/blobs/`.
//!
//! A blob lives at `blobs/ab/cd/<sha256 hex>`. Writers stream into `blobs/tmp/`, fsync,
//! then rename into place and fsync the directory, so a crash leaves at worst a leftover
//! temp file (removed by [`BlobStore::clean_temp`] at start), never a partial blob under
//! its final name. Identical content is stored once; records refer to blobs by hash and
//! the last reference to go calls [`BlobStore::remove`].
//!
//! Size limits are counted on the bytes actually received, so a lying or missing
//! `Content-Length` changes nothing. The content type is sniffed from the first 8 KiB and
//! never taken from the client; see [`is_inline_safe`] for what may be shown in place.

mod names;
mod open;
mod sniff;

pub use names::{content_disposition, sanitize_filename};
pub use sniff::is_inline_safe;

use std::fs::{DirBuilder, File};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_util::bytes::Bytes;

pub use crate::datadir::BLOBS_DIR;
const TMP_DIR: &str = "tmp";
const READ_BUF: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the file exceeds the size limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("blob store {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The incoming stream failed (client went away, malformed body): not a disk problem.
    #[error("reading the upload failed: {0}")]
    Stream(#[source] std::io::Error),
    #[error("blob not found")]
    NotFound,
    #[error("blob {hash} is corrupt: its content no longer matches its hash")]
    Corrupt { hash: String },
}

impl BlobError {
    fn io(path: &Path, source: std::io::Error) -> BlobError {
        BlobError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// True for "no space left" and "quota exceeded", which the HTTP layer reports as
    /// 507 rather than a generic failure.
    pub fn is_storage_full(&self) -> bool {
        match self {
            BlobError::Io { source, .. } => matches!(
                source.kind(),
                ErrorKind::StorageFull | ErrorKind::QuotaExceeded
            ),
            _ => false,
        }
    }
}

/// What a finished ingest produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub hash: [u8; 32],
    pub size: u64,
    /// Sniffed from the content; `application/octet-stream` when unknown.
    pub mime: String,
}

impl StoredBlob {
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// Parses the 64-character lowercase hex form used in blob file names.
pub fn parse_hash(hex_str: &str) -> Option<[u8; 32]> {
    if hex_str.len() != 64 || hex_str.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_str, &mut out).ok()?;
    Some(out)
}

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: Arc<PathBuf>,
}

impl BlobStore {
    /// Opens (creating 0700 where missing) `<data_dir>/blobs/` and its `tmp/`.
    /// Blocking; meant for start-up.
    pub fn new(data_dir: &Path) -> Result<BlobStore, BlobError> {
        let root = data_dir.join(BLOBS_DIR);
        let tmp = root.join(TMP_DIR);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&tmp)
            .map_err(|e| BlobError::io(&tmp, e))?;
        Ok(BlobStore {
            root: Arc::new(root),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    fn path_of(&self, hash: &[u8; 32]) -> PathBuf {
        let name = hex::encode(hash);
        self.root.join(&name[0..2]).join(&name[2..4]).join(&name)
    }

    /// Streams `stream` into the store, enforcing `limit` on the bytes received.
    /// If the future is dropped midway (client gone) the temp file is removed as well.
    pub async fn ingest<S>(&self, mut stream: S, limit: u64) -> Result<StoredBlob, BlobError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
    {
        let store = self.clone();
        let (mut guard, std_file) = tokio::task::spawn_blocking(move || store.create_temp())
            .await
            .map_err(|e| BlobError::io(&self.tmp_dir(), std::io::Error::other(e)))??;
        guard.on_async_thread = true;
        let mut file = tokio::fs::File::from_std(std_file);
        let mut tally = Tally::new(limit);
        let outcome = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(BlobError::Stream)?;
                tally.take(&chunk)?;
                file.write_all(&chunk)
                    .await
                    .map_err(|e| BlobError::io(guard.path(), e))?;
            }
            file.flush()
                .await
                .map_err(|e| BlobError::io(guard.path(), e))?;
            file.sync_all()
                .await
                .map_err(|e| BlobError::io(guard.path(), e))
        }
        .await;
        drop(file);
        if let Err(err) = outcome {
            // Removed here rather than left to the guard so that the temp file is gone by
            // the time the caller sees the error; the guard stays armed until then in case
            // this future is dropped while waiting.
            let _ = tokio::fs::remove_file(guard.path()).await;
            guard.disarm();
            return Err(err);
        }
        guard.on_async_thread = false;
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.finalize(guard, tally))
            .await
            .map_err(|e| BlobError::io(&self.tmp_dir(), std::io::Error::other(e)))?
    }

    /// Like [`BlobStore::ingest`] for data already in memory (tests, demo data).
    pub async fn ingest_bytes(&self, data: &[u8], limit: u64) -> Result<StoredBlob, BlobError> {
        if data.len() as u64 > limit {
            return Err(BlobError::TooLarge { limit });
        }
        let store = self.clone();
        let data = data.to_vec();
        tokio::task::spawn_blocking(move || store.ingest_blocking(data.as_slice(), limit))
            .await
            .map_err(|e| BlobError::io(&self.tmp_dir(), std::io::Error::other(e)))?
    }

    /// Blocking ingest from a reader, for blocking contexts such as restoring a backup
    /// archive. Read errors are reported as [`BlobError::Stream`].
    pub fn ingest_blocking<R: Read>(
        &self,
        mut reader: R,
        limit: u64,
    ) -> Result<StoredBlob, BlobError> {
        let (guard, mut file) = self.create_temp()?;
        let mut tally = Tally::new(limit);
        let mut buf = vec![0u8; READ_BUF];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(BlobError::Stream(e)),
            };
            let chunk = &buf[..n];
            tally.take(chunk)?;
            file.write_all(chunk)
                .map_err(|e| BlobError::io(guard.path(), e))?;
        }
        file.sync_all()
            .map_err(|e| BlobError::io(guard.path(), e))?;
        drop(file);
        self.finalize(guard, tally)
    }

    /// Opens a blob for streaming it out; returns the file and its size.
    pub async fn open(&self, hash: &[u8; 32]) -> Result<(tokio::fs::File, u64), BlobError> {
        let store = self.clone();
        let hash = *hash;
        let (file, size) = tokio::task::spawn_blocking(move || store.open_blocking(&hash))
            .await
            .map_err(|e| BlobError::io(&self.root, std::io::Error::other(e)))??;
        Ok((tokio::fs::File::from_std(file), size))
    }

    /// Blocking counterpart of [`BlobStore::open`], for writers of backup archives.
    pub fn open_blocking(&self, hash: &[u8; 32]) -> Result<(File, u64), BlobError> {
        let path = self.path_of(hash);
        let file = open::open_stored(&path)?;
        let size = file.metadata().map_err(|e| BlobError::io(&path, e))?.len();
        Ok((file, size))
    }

    /// Reads a whole blob into memory and checks it against its hash. For small blobs
    /// only: more than `max` bytes gives [`BlobError::TooLarge`].
    pub async fn read_verified(&self, hash: &[u8; 32], max: u64) -> Result<Vec<u8>, BlobError> {
        let store = self.clone();
        let hash = *hash;
        tokio::task::spawn_blocking(move || {
            let (file, size) = store.open_blocking(&hash)?;
            if size > max {
                return Err(BlobError::TooLarge { limit: max });
            }
            let path = store.path_of(&hash);
            let mut data = Vec::new();
            file.take(max.saturating_add(1))
                .read_to_end(&mut data)
                .map_err(|e| BlobError::io(&path, e))?;
            if data.len() as u64 > max {
                return Err(BlobError::TooLarge { limit: max });
            }
            if <[u8; 32]>::from(Sha256::digest(&data)) != hash {
                return Err(BlobError::Corrupt {
                    hash: hex::encode(hash),
                });
            }
            Ok(data)
        })
        .await
        .map_err(|e| BlobError::io(&self.root, std::io::Error::other(e)))?
    }

    pub async fn exists(&self, hash: &[u8; 32]) -> Result<bool, BlobError> {
        let path = self.path_of(hash);
        tokio::fs::try_exists(&path)
            .await
            .map_err(|e| BlobError::io(&path, e))
    }

    /// Deletes a blob once nothing refers to it any more. Returns whether it existed, so
    /// a purge that is retried after a crash does not fail.
    pub async fn remove(&self, hash: &[u8; 32]) -> Result<bool, BlobError> {
        let path = self.path_of(hash);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(BlobError::io(&path, e)),
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || match path.parent() {
            Some(dir) => sync_dir(dir),
            None => Ok(()),
        })
        .await
        .map_err(|e| BlobError::io(&store.root, std::io::Error::other(e)))??;
        Ok(true)
    }

    /// Re-hashes a stored blob: `Ok(false)` when its content no longer matches its name.
    /// Blocking; for backup, verify and maintenance jobs.
    pub fn verify(&self, hash: &[u8; 32]) -> Result<bool, BlobError> {
        let path = self.path_of(hash);
        let mut file = open::open_stored(&path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; READ_BUF];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(BlobError::io(&path, e)),
            }
        }
        Ok(<[u8; 32]>::from(hasher.finalize()) == *hash)
    }

    /// Every stored blob's hash, sorted. Files that do not follow the naming scheme are
    /// skipped, not reported. Blocking; for backups and orphan sweeps.
    pub fn list(&self) -> Result<Vec<[u8; 32]>, BlobError> {
        let mut out = Vec::new();
        for first in fanout_dirs(&self.root)? {
            for second in fanout_dirs(&first)? {
                let prefix = format!(
                    "{}{}",
                    file_name_str(&first).unwrap_or_default(),
                    file_name_str(&second).unwrap_or_default()
                );
                let entries = std::fs::read_dir(&second).map_err(|e| BlobError::io(&second, e))?;
                for entry in entries {
                    let entry = entry.map_err(|e| BlobError::io(&second, e))?;
                    let name = entry.file_name();
                    let Some(hash) = name.to_str().and_then(parse_hash) else {
                        continue;
                    };
                    let is_file = entry
                        .file_type()
                        .map_err(|e| BlobError::io(&entry.path(), e))?
                        .is_file();
                    if is_file && name.to_str().is_some_and(|n| n.starts_with(&prefix)) {
                        out.push(hash);
                    }
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// When the blob was last received (stored, or uploaded again with the same content).
    /// Blocking.
    pub fn received_at(&self, hash: &[u8; 32]) -> Result<std::time::SystemTime, BlobError> {
        let path = self.path_of(hash);
        std::fs::metadata(&path)
            .and_then(|meta| meta.modified())
            .map_err(|e| BlobError::io(&path, e))
    }

    /// Removes what interrupted ingests left in `tmp/`. Call at start, before any ingest
    /// runs, since it would also remove files being written. Returns how many it removed.
    pub fn clean_temp(&self) -> Result<usize, BlobError> {
        let tmp = self.tmp_dir();
        let mut removed = 0;
        let entries = std::fs::read_dir(&tmp).map_err(|e| BlobError::io(&tmp, e))?;
        for entry in entries {
            let path = entry.map_err(|e| BlobError::io(&tmp, e))?.path();
            let result = match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&path),
                Ok(_) => std::fs::remove_file(&path),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(BlobError::io(&path, e)),
            }
        }
        Ok(removed)
    }

    fn create_temp(&self) -> Result<(TempGuard, File), BlobError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tmp = self.tmp_dir();
        let unique: u64 = rand::random();
        let mut attempt = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = tmp.join(format!("{}-{unique:016x}-{n}.part", std::process::id()));
            // create_new: never write into a file some other writer owns.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => {
                    let guard = TempGuard {
                        path: Some(path),
                        on_async_thread: false,
                    };
                    return Ok((guard, file));
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(BlobError::io(&path, e)),
            }
        }
    }

    /// Moves a complete, fsynced temp file to its content address. Blocking.
    fn finalize(&self, mut guard: TempGuard, tally: Tally) -> Result<StoredBlob, BlobError> {
        let blob = tally.finish();
        let final_path = self.path_of(&blob.hash);
        let tmp_path = guard.path().to_owned();
        match std::fs::metadata(&final_path) {
            // Same hash and same size: the same content is already stored.
            Ok(meta) if meta.is_file() && meta.len() == blob.size => {
                guard.disarm();
                std::fs::remove_file(&tmp_path).map_err(|e| BlobError::io(&tmp_path, e))?;
                // Freshly received again: the sweep of abandoned uploads judges a blob by
                // its age, and this one is about to be referenced.
                // File times are the file system's own clock, which the sweep compares with.
                #[allow(clippy::disallowed_methods)]
                let touched = std::time::SystemTime::now();
                File::open(&final_path)
                    .and_then(|f| f.set_modified(touched))
                    .map_err(|e| BlobError::io(&final_path, e))?;
                return Ok(blob);
            }
            // A damaged copy (wrong size) is replaced by the good one below.
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(BlobError::io(&final_path, e)),
        }
        let dir = self.create_fanout(&blob.hash)?;
        // Read-only as a reminder that blobs are never modified in place.
        std::fs::set_permissions(&tmp_path, std::fs::Permissions::from_mode(0o400))
            .map_err(|e| BlobError::io(&tmp_path, e))?;
        std::fs::rename(&tmp_path, &final_path).map_err(|e| BlobError::io(&final_path, e))?;
        guard.disarm();
        sync_dir(&dir)?;
        Ok(blob)
    }

    /// Creates `ab/` and `ab/cd/` as needed, fsyncing each parent whose entries changed so
    /// that the directories survive a crash together with the blob renamed into them.
    fn create_fanout(&self, hash: &[u8; 32]) -> Result<PathBuf, BlobError> {
        let name = hex::encode(hash);
        let mut dir = self.root.to_path_buf();
        for part in [&name[0..2], &name[2..4]] {
            let parent = dir.clone();
            dir.push(part);
            match DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => sync_dir(&parent)?,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(BlobError::io(&dir, e)),
            }
        }
        Ok(dir)
    }
}

/// Size, hash and type accumulated while the bytes go by.
struct Tally {
    hasher: Sha256,
    size: u64,
    limit: u64,
    prefix: Vec<u8>,
}

impl Tally {
    fn new(limit: u64) -> Tally {
        Tally {
            hasher: Sha256::new(),
            size: 0,
            limit,
            prefix: Vec::with_capacity(sniff::SNIFF_LEN),
        }
    }

    /// Checked before the chunk is written, so nothing beyond the limit reaches disk.
    fn take(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        let size = self.size.saturating_add(chunk.len() as u64);
        if size > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        self.size = size;
        self.hasher.update(chunk);
        let room = sniff::SNIFF_LEN - self.prefix.len();
        self.prefix
            .extend_from_slice(&chunk[..room.min(chunk.len())]);
        Ok(())
    }

    fn finish(self) -> StoredBlob {
        let complete = self.size == self.prefix.len() as u64;
        StoredBlob {
            hash: self.hasher.finalize().into(),
            size: self.size,
            mime: sniff::detect(&self.prefix, complete).to_owned(),
        }
    }
}

/// Removes its temp file when dropped armed: covers early returns and, for the async
/// ingest, a future dropped midway because the client went away.
struct TempGuard {
    path: Option<PathBuf>,
    /// Set while owned by async code, where a blocking unlink must not run in place.
    on_async_thread: bool,
}

impl TempGuard {
    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    fn disarm(&mut self) -> PathBuf {
        self.path.take().unwrap_or_default()
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let Some(path) = self.path.take() else {
            return;
        };
        let handle = tokio::runtime::Handle::try_current();
        match handle {
            // Unlinking can block on a busy disk; keep it off async worker threads. If the
            // runtime is shutting down the task may never run: clean_temp catches that.
            Ok(handle) if self.on_async_thread => {
                handle.spawn_blocking(move || {
                    let _ = std::fs::remove_file(path);
                });
            }
            _ => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn not_found_or_io(path: &Path, e: std::io::Error) -> BlobError {
    if e.kind() == ErrorKind::NotFound {
        BlobError::NotFound
    } else {
        BlobError::io(path, e)
    }
}

/// A rename or unlink is durable only once the directory holding it is fsynced.
fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BlobError::io(dir, e))
}

fn file_name_str(path: &Path) -> Option<&str> {
    path.file_name().and_then(|n| n.to_str())
}

/// The two-hex-digit fan-out directories directly under `dir`.
fn fanout_dirs(dir: &Path) -> Result<Vec<PathBuf>, BlobError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| BlobError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BlobError::io(dir, e))?;
        let name = entry.file_name();
        let is_fanout = name.to_str().is_some_and(|n| {
            n.len() == 2 && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
        if is_fanout
            && entry
                .file_type()
                .map_err(|e| BlobError::io(&entry.path(), e))?
                .is_dir()
        {
            out.push(entry.path());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
