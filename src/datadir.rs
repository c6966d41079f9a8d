//! The data directory: created private (0700) when missing, and locked so that exactly one
//! Supportbox process works on it at a time. Two processes on one redb file would each
//! believe they own the writer, so the second one must stop before it touches anything.

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

// The data directory's layout, named once for every layer (the store's restore swaps the
// database, the blobs and the index as a unit).
pub const DB_FILE: &str = "supportbox.redb";
pub const LOCK_FILE: &str = "supportbox.lock";
pub const TLS_DIR: &str = "tls";
pub const BLOBS_DIR: &str = "blobs";
/// The search index; derived from the database, so rebuilt rather than backed up.
pub const INDEX_DIR: &str = "index";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("data directory {path}: cannot create: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("data directory {path}: is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("data directory {path}: not writable: {source}")]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "data directory {path} is in use by another Supportbox process; stop it first or choose another --data-dir"
    )]
    Locked { path: PathBuf },
}

/// An opened, exclusively locked data directory. The lock lasts as long as this value.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Creates the directory (0700) if it is missing, then takes the exclusive lock.
    pub fn open(root: &Path) -> Result<DataDir, DataDirError> {
        match std::fs::metadata(root) {
            Ok(meta) if !meta.is_dir() => {
                return Err(DataDirError::NotADirectory {
                    path: root.to_owned(),
                });
            }
            Ok(_) => {}
            Err(_) => {
                DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(root)
                    .map_err(|source| DataDirError::Create {
                        path: root.to_owned(),
                        source,
                    })?;
            }
        }
        let lock_path = root.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| DataDirError::NotWritable {
                path: root.to_owned(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DataDirError::Locked {
                    path: root.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(DataDirError::NotWritable {
                    path: root.to_owned(),
                    source,
                });
            }
        }
        Ok(DataDir {
            root: root.to_owned(),
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.root.join(TLS_DIR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn missing_directory_is_created_private() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("a/b/data");
        let dir = DataDir::open(&root).unwrap();
        let mode = std::fs::metadata(dir.root()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn second_open_is_refused_while_locked() {
        let parent = tempfile::tempdir().unwrap();
        let first = DataDir::open(parent.path()).unwrap();
        let err = DataDir::open(parent.path()).unwrap_err();
        assert!(matches!(err, DataDirError::Locked { .. }));
        assert!(
            err.to_string()
                .contains("in use by another Supportbox process")
        );
        drop(first);
        DataDir::open(parent.path()).unwrap();
    }

    #[test]
    fn a_file_is_not_a_data_directory() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = DataDir::open(file.path()).unwrap_err();
        assert!(matches!(err, DataDirError::NotADirectory { .. }));
        let err = DataDir::open(&file.path().join("below")).unwrap_err();
        assert!(err.to_string().starts_with("data directory"), "{err}");
    }
}
