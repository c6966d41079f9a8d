//! Backups: a logical dump of every table taken inside one read transaction, plus the
//! referenced attachments, as one tar+zstd archive (docs/backup.md); validating such an
//! archive, staging it into a fresh directory, and swapping it into the data directory.
//!
//! This module is the file work over `store` and `blobs`; the tables' logical dump and load
//! stay in [`crate::store::dump`], and service orchestrates backups of a running instance.
//!
//! * [`write`]: produce an archive from an open [`Store`](crate::store::Store) while writers
//!   keep going.
//! * [`read`]: validate an archive entry by entry, refusing anything but exactly what
//!   [`write`] produces, and bound what it may unpack to.
//! * [`stage`]: load a validated archive as a new database file and blob store.
//! * [`swap`]: put staged data in place with a roll-forward journal, so a crash at any point
//!   leaves either the old or the new data complete.
//!
//! The search index is never part of an archive; it is rebuilt from the restored records.

pub mod format;
pub mod read;
pub mod snapshots;
pub mod stage;
pub mod swap;
pub mod write;

use std::path::PathBuf;

use crate::blobs::BlobError;
use crate::store::StoreError;

pub use format::{FORMAT_VERSION, Manifest};

/// Points where a test makes restore fail, to prove that each one leaves complete data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// Tables written to the staging file, blobs not yet.
    AfterTables,
    /// Every archive entry staged, nothing checked yet.
    AfterEntries,
    /// Records decoded and checked.
    AfterCheck,
    /// Search index built in the staging directory.
    AfterIndex,
    /// The journal is written: from here on the restore rolls forward.
    AfterJournal,
    /// The live item with this index (see [`swap::ITEMS`]) moved aside.
    AfterMoveOld(usize),
    /// The staged item with this index moved into place.
    AfterMoveNew(usize),
    /// Everything in place, the journal not yet removed.
    BeforeCleanup,
}

/// Test hook: which [`FailPoint`] (if any) should fail.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hooks {
    pub fail_at: Option<FailPoint>,
}

impl Hooks {
    pub fn check(&self, point: FailPoint) -> Result<(), BackupError> {
        if self.fail_at == Some(point) {
            return Err(BackupError::Injected(point));
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The destination stopped accepting data (client gone, disk full).
    #[error("writing the archive failed: {0}")]
    Output(#[source] std::io::Error),
    /// The archive is not exactly what this format allows; `entry` names where.
    #[error("archive refused at {entry}: {detail}")]
    Invalid { entry: String, detail: String },
    /// The archive would unpack to more than the limit or the free space allows; `entry` is
    /// the first one past the bound.
    #[error("archive refused at {entry}: {detail}")]
    TooLarge { entry: String, detail: String },
    #[error(
        "attachment {hash} is damaged (its content no longer matches its name); \
         run `supportbox verify` on the data directory"
    )]
    CorruptBlob { hash: String },
    #[error("attachment {hash} was deleted while the backup ran; take the backup again")]
    VanishedBlob { hash: String },
    #[error("attachments: {0}")]
    Blob(#[from] BlobError),
    #[error(
        "the database holds tables this version does not know ({0}); refusing an incomplete backup"
    )]
    UnknownTables(String),
    #[error("the restored data fails its checks: {0}")]
    Check(String),
    #[error("restore stopped by the test hook at {0:?}")]
    Injected(FailPoint),
}

impl BackupError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(entry: impl Into<String>, detail: impl Into<String>) -> BackupError {
        BackupError::Invalid {
            entry: entry.into(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests;
