//! Offline commands that work on a data directory while no server runs.

use std::sync::Arc;

use crate::blobs::BlobStore;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::datadir::DataDir;
use crate::service::{demo, indexer};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(transparent)]
    DataDir(#[from] crate::datadir::DataDirError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("attachments: {0}")]
    Blobs(#[from] crate::blobs::BlobError),
    #[error("{0}")]
    Service(#[from] crate::service::ServiceError),
    #[error("the task failed: {0}")]
    Join(String),
}

/// `supportbox demo-data`: adds tenants and tickets, indexes them, prints sign-in details.
pub async fn demo_data(config: &Config, tenants: u64, tickets: u64) -> Result<(), ToolError> {
    let config = config.clone();
    tokio::task::spawn_blocking(move || {
        let dir = DataDir::open(&config.data_dir)?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Store::open_with_clock(&dir.db_path(), &*clock)?;
        let blobs = BlobStore::new(dir.root())?;
        let per_tenant = tickets.div_ceil(tenants.max(1));
        let started = std::time::Instant::now();
        let summary = demo::generate(&store, &blobs, tenants as usize, per_tenant, clock.now())?;
        let written = started.elapsed();
        let (index, _) = indexer::open(&dir.root().join(crate::app::INDEX_DIR))?;
        let indexed = indexer::rebuild(&store, &index)?;
        // Everything in the outbox is now in the index.
        let head = store.read_blocking(crate::store::tickets::outbox_head)?;
        store.write_blocking(move |w| crate::store::tickets::trim_outbox(w, head))?;
        println!(
            "Added {} tickets in {} tenants ({:.1} s, indexed {indexed} in {:.1} s).",
            summary.tickets,
            summary.tenants.len(),
            written.as_secs_f64(),
            (started.elapsed() - written).as_secs_f64()
        );
        println!("Password for every demo account: {}", summary.password);
        if let Some(op) = &summary.operator_email {
            println!("  operator:  {op}");
        }
        for (slug, admin, supporter, customer) in &summary.tenants {
            println!("  /t/{slug}/  admin {admin}  supporter {supporter}  customer {customer}");
        }
        Ok(())
    })
    .await
    .map_err(|e| ToolError::Join(e.to_string()))?
}
