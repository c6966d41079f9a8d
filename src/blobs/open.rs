//! Opening a stored blob without ever following a link out of the blob directory: what lies
//! under `blobs/` is only a regular file Supportbox wrote. A symbolic link placed there (in
//! place of a blob or of one of its fan-out directories), a directory, a FIFO or a device is
//! refused as if the blob were missing, and logged once (docs/security.md, "Uploads").

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{BlobError, not_found_or_io};

/// Opens the blob file at `path` (`<root>/ab/cd/<hash>`) for reading.
pub(super) fn open_stored(path: &Path) -> Result<File, BlobError> {
    let fan_out = [path.parent(), path.parent().and_then(Path::parent)];
    for dir in fan_out.into_iter().flatten() {
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(foreign(dir)),
            Err(e) => return Err(not_found_or_io(dir, e)),
        }
    }
    // O_NOFOLLOW fails on a link in place of the blob itself; O_NONBLOCK keeps a FIFO
    // placed there from blocking the open (it has no effect on regular files).
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                foreign(path)
            } else {
                not_found_or_io(path, e)
            }
        })?;
    let meta = file.metadata().map_err(|e| BlobError::io(path, e))?;
    if !meta.is_file() {
        return Err(foreign(path));
    }
    Ok(file)
}

fn foreign(path: &Path) -> BlobError {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            path = %path.display(),
            "the blob store holds something that is not a file Supportbox wrote (a link?); \
             refusing to read it, and further ones without logging"
        );
    }
    BlobError::NotFound
}
