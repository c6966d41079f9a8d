//! Liveness facts for `/healthz`.

use crate::store::{Store, StoreError};

/// Whether the database answers a read on a fresh snapshot.
pub async fn database_readable(store: &Store) -> Result<(), StoreError> {
    store.check_readable().await
}
