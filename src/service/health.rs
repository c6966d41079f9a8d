//! Liveness facts for `/healthz`.

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
