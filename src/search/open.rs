//! Opening the index directory: use it if it is complete and of this schema version,
//! otherwise clear it and start empty so the caller rebuilds from redb.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::indexer::IndexWriterOptions;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyError};

use super::collector::NumberColumns;
use super::query::Analyzers;
use super::schema::{self, SCHEMA_VERSION, VERSION_FILE};
use super::{Inner, SearchError, SearchIndex};

/// The budget after which the writer flushes a segment to disk. One indexing thread keeps
/// that budget the whole bound on its memory (docs/performance.md, "Memory") and is plenty
/// for helpdesk-sized documents.
const WRITER_MEMORY_BYTES: usize = 50_000_000;
/// Merges run in the background; two keep up with indexing on a 2-core machine without
/// starving request handling.
const MERGE_THREADS: usize = 2;
const LOCK_RETRIES: usize = 20;
const LOCK_RETRY_PAUSE: Duration = Duration::from_millis(25);

/// What the caller must do after [`SearchIndex::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// Replay the outbox after this sequence.
    Ready { last_applied_seq: u64 },
    /// The directory now holds an empty index: refill it from redb.
    NeedsRebuild { reason: String },
}

enum Inspection {
    Usable {
        index: Index,
        reader: IndexReader,
        seq: u64,
    },
    Stale(String),
}

fn open_reader(index: &Index) -> tantivy::Result<IndexReader> {
    // Reloads happen explicitly after each commit, so a search right after `commit`
    // sees its documents, and no file watcher thread is needed.
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
}

/// Errors that mean "this directory is not a usable index" become `Stale`; only I/O on
/// the directory itself is fatal.
fn inspect(dir: &Path, generation: u128) -> Result<Inspection, SearchError> {
    if !dir.join("meta.json").exists() {
        return Ok(Inspection::Stale("no index yet".into()));
    }
    match schema::read_version(dir)? {
        None => return Ok(Inspection::Stale("no schema version stamp".into())),
        Some(v) if v != SCHEMA_VERSION.to_string() => {
            return Ok(Inspection::Stale(format!(
                "schema version {v:?}, this build uses {SCHEMA_VERSION}"
            )));
        }
        Some(_) => {}
    }
    let index = match Index::open_in_dir(dir) {
        Ok(index) => index,
        Err(e) => return Ok(Inspection::Stale(format!("unreadable index: {e}"))),
    };
    if index.schema() != schema::build_schema().0 {
        return Ok(Inspection::Stale("fields differ from this build".into()));
    }
    let payload = match index.load_metas() {
        Ok(meta) => meta.payload,
        Err(e) => return Ok(Inspection::Stale(format!("unreadable index: {e}"))),
    };
    let seq = match payload.as_deref().and_then(schema::Payload::decode) {
        Some(schema::Payload::Complete {
            seq,
            generation: of,
        }) if of == generation => seq,
        Some(schema::Payload::Complete { .. }) => {
            return Ok(Inspection::Stale(
                "the index belongs to another database generation (the database was restored)"
                    .into(),
            ));
        }
        None if payload
            .as_deref()
            .is_some_and(|p| p.starts_with("outbox_seq=")) =>
        {
            return Ok(Inspection::Stale(
                "the index records no database generation (an older build wrote it)".into(),
            ));
        }
        Some(schema::Payload::Rebuilding { .. }) | None => {
            return Ok(Inspection::Stale("no completed commit".into()));
        }
    };
    schema::register_analyzers(&index);
    match open_reader(&index) {
        Ok(reader) => Ok(Inspection::Usable { index, reader, seq }),
        Err(e) => Ok(Inspection::Stale(format!("damaged index: {e}"))),
    }
}

/// tantivy's own files: `meta.json`, `.managed.json`, `<segment uuid>.<ext>`, temporary
/// `.tmp…` files, plus our stamp. Lock files stay (we hold one); anything else stays too,
/// so a misconfigured path can never cost someone unrelated files.
fn is_index_file(name: &str) -> bool {
    let segment_file = name
        .split('.')
        .next()
        .is_some_and(|stem| stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()));
    segment_file
        || name == "meta.json"
        || name == ".managed.json"
        || name.starts_with(".tmp")
        || name.starts_with(VERSION_FILE)
}

fn clear(dir: &Path) -> Result<(), SearchError> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() && entry.file_name().to_str().is_some_and(is_index_file) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn lock_error(e: LockError) -> SearchError {
    match e {
        LockError::LockBusy => SearchError::Busy,
        LockError::IoError(e) => SearchError::Io(std::io::Error::other(e.to_string())),
    }
}

/// A child process forked by another thread holds a copy of the lock file descriptor
/// until it execs; a few short retries ride that out, while a real second writer still
/// fails.
fn retry_busy<T>(mut attempt: impl FnMut() -> Result<T, SearchError>) -> Result<T, SearchError> {
    for _ in 0..LOCK_RETRIES {
        match attempt() {
            // Waiting out another process's descriptor: there is no event to wait for.
            #[allow(clippy::disallowed_methods)]
            Err(SearchError::Busy) => std::thread::sleep(LOCK_RETRY_PAUSE),
            other => return other,
        }
    }
    attempt()
}

impl SearchIndex {
    /// Opens the index in `dir` (created if missing), which must be dedicated to it, for
    /// the database of `generation`. Anything unusable (missing, damaged, another schema
    /// version, a rebuild that never committed, an index of another database generation)
    /// is cleared and replaced by an empty index, reported as `NeedsRebuild`.
    /// Blocking; fails with [`SearchError::Busy`] if another writer holds the index.
    pub fn open(dir: &Path, generation: u128) -> Result<(SearchIndex, OpenState), SearchError> {
        fs::create_dir_all(dir)?;
        let directory = MmapDirectory::open(dir).map_err(TantivyError::from)?;
        // Held while inspecting and clearing, so a second process never wipes an index
        // that the first one is writing.
        let guard = retry_busy(|| {
            directory
                .acquire_lock(&INDEX_WRITER_LOCK)
                .map_err(lock_error)
        })?;
        let (index, reader, state) = match inspect(dir, generation)? {
            Inspection::Usable { index, reader, seq } => (
                index,
                reader,
                OpenState::Ready {
                    last_applied_seq: seq,
                },
            ),
            Inspection::Stale(reason) => {
                clear(dir)?;
                let index = Index::create_in_dir(dir, schema::build_schema().0)?;
                schema::register_analyzers(&index);
                schema::write_version(dir)?;
                let reader = open_reader(&index)?;
                (index, reader, OpenState::NeedsRebuild { reason })
            }
        };
        drop(guard);
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY_BYTES)
            .num_worker_threads(1)
            .num_merge_threads(MERGE_THREADS)
            .build();
        let writer = retry_busy(|| {
            index
                .writer_with_options(options.clone())
                .map_err(|e| match e {
                    TantivyError::LockFailure(LockError::LockBusy, _) => SearchError::Busy,
                    e => SearchError::Tantivy(e),
                })
        })?;
        let seq = match state {
            OpenState::Ready { last_applied_seq } => last_applied_seq,
            OpenState::NeedsRebuild { .. } => 0,
        };
        let (_, fields) = schema::build_schema();
        let inner = Inner {
            reader,
            writer: Mutex::new(writer),
            fields,
            analyzers: Analyzers::new(),
            numbers: NumberColumns::default(),
            last_applied: AtomicU64::new(seq),
            generation: Mutex::new(generation),
            rebuilding: AtomicBool::new(false),
        };
        Ok((
            SearchIndex {
                inner: Arc::new(inner),
            },
            state,
        ))
    }
}
