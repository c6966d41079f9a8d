//! The store's one error type.
//!
//! Messages name files, tables and versions, never record contents, so they are safe to log;
//! `crate::error` decides what (if anything) reaches a user.

use std::path::PathBuf;
use std::sync::Arc;

/// Everything that can go wrong in `crate::store`.
///
/// `Clone` because one failed commit has to be reported to every command of its batch; the
/// wrapped foreign errors are not `Clone`, so they sit behind an `Arc`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The file is not a readable Supportbox database. It is never rewritten in this case.
    #[error(
        "database file {} is damaged ({detail}); restore a backup (see README: Backup and restore)",
        path.display()
    )]
    Damaged { path: PathBuf, detail: String },

    #[error(
        "database schema version {found} is newer than this Supportbox supports ({supported}); \
         run a newer Supportbox or restore a backup"
    )]
    NewerSchema { found: u32, supported: u32 },

    /// A stored value or key in `table` could not be decoded.
    #[error("corrupt entry in table {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },

    #[error("I/O error: {0}")]
    Io(#[source] Arc<std::io::Error>),

    #[error("storage error: {0}")]
    Redb(#[source] Arc<redb::Error>),

    /// A commit failed on a full disk (or another I/O error); writes are refused until the
    /// store has reopened the file, which it does by itself once there is room.
    #[error("the disk is full; writes resume by themselves once space is freed")]
    DiskFull,

    /// The file is being reopened after a failed write; retry in a moment.
    #[error("the database is being reopened after a storage error")]
    Reopening,

    /// The writer thread has stopped (shutdown, or it died); nothing of this command was written.
    #[error("the database writer has stopped")]
    WriterGone,

    /// The command's precondition no longer holds (e.g. a record changed since it was read).
    #[error("conflict: {0}")]
    Conflict(String),

    #[error("not found")]
    NotFound,

    /// A bug in Supportbox rather than a problem with the file (a command panicked, a value
    /// could not be encoded, a counter overflowed).
    #[error("internal store error: {0}")]
    Internal(String),
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(Arc::new(e))
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        StoreError::Redb(Arc::new(e))
    }
}

// redb has one error type per operation; all of them fold into `redb::Error`, which keeps the
// variant detail (e.g. `TableDoesNotExist`) for callers that match on it.
macro_rules! from_redb {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::from(redb::Error::from(e))
            }
        }
    )*};
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
    redb::SavepointError,
    redb::CompactionError,
);

impl StoreError {
    /// Whether this is redb reporting that a table was never created, which readers of an
    /// optional table treat as "empty".
    pub fn is_missing_table(&self) -> bool {
        matches!(self, StoreError::Redb(e) if matches!(**e, redb::Error::TableDoesNotExist(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_tell_the_operator_what_to_do() {
        let damaged = StoreError::Damaged {
            path: PathBuf::from("/data/supportbox.redb"),
            detail: "not a redb file".into(),
        };
        assert_eq!(
            damaged.to_string(),
            "database file /data/supportbox.redb is damaged (not a redb file); \
             restore a backup (see README: Backup and restore)"
        );
        let newer = StoreError::NewerSchema {
            found: 7,
            supported: 1,
        };
        assert_eq!(
            newer.to_string(),
            "database schema version 7 is newer than this Supportbox supports (1); \
             run a newer Supportbox or restore a backup"
        );
    }

    #[test]
    fn redb_errors_convert_and_keep_their_kind() {
        let e = StoreError::from(redb::TableError::TableDoesNotExist("x".into()));
        assert!(e.is_missing_table());
        assert!(!StoreError::NotFound.is_missing_table());
    }
}
