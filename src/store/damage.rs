//! Damage met while the server runs: a page of the file that no longer holds what redb wrote.
//!
//! redb does not verify checksums on ordinary reads; a damaged page makes it panic somewhere
//! inside its B-tree code. Such a panic is caught at the store's door and becomes
//! [`StoreError::Damaged`] (a 503 for that request), the first one is logged once with what to
//! do, and `/healthz` and `/readyz` report the database as damaged from then on. Requests that
//! do not touch the damaged pages keep working (docs/storage.md, "A damaged page").
//!
//! A panic is counted as damage only when it was raised inside redb's own source: a panic in
//! Supportbox's code is a bug and stays a 500, not a reason to tell the operator to restore.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use super::StoreError;

thread_local! {
    /// Set by the panic hook when the panic unwinding this thread began inside redb.
    static REDB_PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// What the operator reads in the log, once.
pub const DAMAGED_MESSAGE: &str = "the database is damaged; restore a backup \
     (supportbox restore BACKUP_FILE, or the operator's Backup page)";

/// Whether damage was met since the file was opened. One per [`super::Store`], kept across
/// clones; a reopened (restored) file starts undamaged.
#[derive(Debug)]
pub(crate) struct Damage {
    found: AtomicBool,
    path: PathBuf,
}

impl Damage {
    pub(crate) fn new(path: &Path) -> Damage {
        install_panic_hook();
        Damage {
            found: AtomicBool::new(false),
            path: path.to_owned(),
        }
    }

    pub(crate) fn is_found(&self) -> bool {
        self.found.load(Ordering::Acquire)
    }

    pub(crate) fn clear(&self) {
        self.found.store(false, Ordering::Release);
    }

    /// Records damage described by `detail` and returns the error for the request that met it.
    pub(crate) fn found(&self, detail: &str) -> StoreError {
        if !self.found.swap(true, Ordering::AcqRel) {
            tracing::error!(path = %self.path.display(), detail, "{DAMAGED_MESSAGE}");
        }
        StoreError::Damaged {
            path: self.path.clone(),
            detail: detail.to_owned(),
        }
    }

    /// Notes damage that redb reported as an error rather than a panic.
    pub(crate) fn check(&self, e: StoreError) -> StoreError {
        match &e {
            StoreError::Redb(r) if matches!(**r, redb::Error::Corrupted(_)) => {
                self.found(&r.to_string())
            }
            _ => e,
        }
    }

    /// Runs `f`; a panic raised inside redb becomes [`StoreError::Damaged`], any other panic
    /// continues to unwind.
    pub(crate) fn guard<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce() -> Result<R, E>,
    ) -> Result<R, E> {
        match catch_panic_in_redb(f) {
            Ok(result) => result,
            Err(RedbPanicked) => Err(E::from(
                self.found("the storage engine failed while reading a page"),
            )),
        }
    }
}

/// The panic unwinding out of [`catch_panic_in_redb`] began inside redb.
pub(crate) struct RedbPanicked;

/// Runs `f`, returning [`RedbPanicked`] when it panicked inside redb and re-raising any
/// other panic.
pub(crate) fn catch_panic_in_redb<T>(f: impl FnOnce() -> T) -> Result<T, RedbPanicked> {
    install_panic_hook();
    REDB_PANICKED.with(|p| p.set(false));
    // Unwind safety: what `f` may leave half-done is redb's in-memory state of a transaction
    // that is dropped with the unwind; redb's shared state is behind its own locks.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Ok(value),
        Err(payload) => {
            if REDB_PANICKED.with(|p| p.replace(false)) {
                Err(RedbPanicked)
            } else {
                resume_unwind(payload)
            }
        }
    }
}

/// Marks panics that begin in redb's source, and keeps them out of stderr: they are
/// reported once, as damage, by [`Damage::found`]; every later request that meets the
/// same page would otherwise print a backtrace.
fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.location().is_some_and(|l| is_redb_source(l.file())) {
                REDB_PANICKED.with(|p| p.set(true));
                tracing::debug!(at = %info, "the storage engine panicked");
                return;
            }
            previous(info);
        }));
    });
}

/// Paths of redb's source as the compiler records them: `…/redb-4.6.0/src/…` from the
/// registry, or a checkout named `redb`.
fn is_redb_source(file: &str) -> bool {
    file.split(['/', '\\'])
        .any(|part| part == "redb" || part.strip_prefix("redb-").is_some_and(is_version))
}

fn is_version(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_redb_source_counts() {
        assert!(is_redb_source(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/redb-4.6.0/src/tree_store/btree.rs"
        ));
        assert!(is_redb_source("/home/x/redb/src/db.rs"));
        assert!(!is_redb_source("src/store/mod.rs"));
        assert!(!is_redb_source("/x/redb-backup/src/a.rs"));
    }

    #[test]
    fn a_panic_outside_redb_is_not_damage() {
        let damage = Damage::new(Path::new("/tmp/x.redb"));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            damage.guard(|| -> Result<(), StoreError> { panic!("a bug") })
        }));
        assert!(result.is_err(), "the panic keeps unwinding");
        assert!(!damage.is_found());
    }
}
