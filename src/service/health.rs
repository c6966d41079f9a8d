//! Liveness facts for `/healthz`.

use crate::store::disk::DiskState;
use crate::store::{Store, StoreError};

/// Whether the database answers a read on a fresh snapshot.
pub async fn database_readable(store: &Store) -> Result<(), StoreError> {
    store.check_readable().await
}

/// Whether a request has met a damaged page of the database since it was opened: the
/// instance needs a restore (docs/storage.md, "A damaged page").
pub fn database_damaged(store: &Store) -> bool {
    store.is_damaged()
}

/// Whether the database is waiting for room after a commit failed on a full disk, or is
/// being reopened after it (`/readyz`, the operator's pages; docs/storage.md, "A full
/// disk").
pub fn database_disk_full(store: &Store) -> bool {
    store.disk_state() != DiskState::Writable
}

/// The operator's message key for a storage problem that needs them, if there is one.
pub fn storage_alert(store: &Store) -> Option<&'static str> {
    if database_damaged(store) {
        Some("admin.storage_damaged")
    } else if database_disk_full(store) {
        Some("admin.storage_disk_full")
    } else {
        None
    }
}
