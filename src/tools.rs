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
    #[error("{0}")]
    Backup(#[from] crate::service::backup::RestoreError),
    /// `verify` found problems (already printed).
    #[error("{0} problem(s) found")]
    Problems(usize),
}

/// What to do instead when the server holds the data directory.
fn while_running(e: crate::service::backup::RestoreError, what: &str) -> ToolError {
    use crate::datadir::DataDirError;
    use crate::service::backup::RestoreError;
    match e {
        RestoreError::DataDir(DataDirError::Locked { path }) => ToolError::Join(format!(
            "{} is in use by a running Supportbox, and {what} needs it stopped. While it runs, \
             download a backup with an operator's API token:\n  curl -H \"Authorization: Bearer sbt_…\" \
             --cacert ca.pem https://HOST:8443/api/v1/admin/backup -o backup.tar.zst\n\
             or copy the newest snapshot from {}",
            path.display(),
            path.join(crate::backup::snapshots::BACKUPS_DIR).display()
        )),
        other => other.into(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ToolError> + Send + 'static,
) -> Result<T, ToolError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ToolError::Join(e.to_string()))?
}

/// `supportbox backup --out FILE` (server stopped).
pub async fn backup(config: &Config, out: &std::path::Path) -> Result<(), ToolError> {
    let (dir, out) = (config.data_dir.clone(), out.to_owned());
    blocking(move || {
        let started = std::time::Instant::now();
        let manifest = crate::service::backup::backup_offline(&dir, &out, SystemClock.now())
            .map_err(|e| while_running(e, "an offline backup"))?;
        let bytes: u64 = manifest.entries.iter().map(|e| e.bytes).sum();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "Wrote {}: {} tickets, {} attachments, {bytes} bytes of data in {secs:.1} s ({:.0} MB/s).",
            out.display(),
            manifest.counts.get("tickets").copied().unwrap_or(0),
            manifest.entries.iter().filter(|e| e.name.starts_with("blobs/")).count(),
            bytes as f64 / 1e6 / secs.max(1e-6),
        );
        for hash in &manifest.missing_blobs {
            println!("warning: attachment {hash} is missing from the data directory");
        }
        Ok(())
    })
    .await
}

/// `supportbox restore FILE` (server stopped).
pub async fn restore(config: &Config, file: &std::path::Path) -> Result<(), ToolError> {
    let (dir, file) = (config.data_dir.clone(), file.to_owned());
    let limit = crate::backup::read::DataLimit {
        max_bytes: config.restore_data_bytes,
    };
    blocking(move || {
        let input = std::fs::File::open(&file).map_err(|e| {
            crate::service::backup::RestoreError::from(crate::backup::BackupError::Io {
                path: file.clone(),
                source: e,
            })
        })?;
        let report = crate::service::backup::restore_offline(
            &dir,
            std::io::BufReader::with_capacity(1 << 20, input),
            crate::backup::Hooks::default(),
            SystemClock.now(),
            limit,
        )
        .map_err(|e| while_running(e, "a restore"))?;
        println!(
            "Restored the backup of {} ({} tickets) and rebuilt the search index ({} tickets).",
            report.manifest.created_at,
            report.manifest.counts.get("tickets").copied().unwrap_or(0),
            report.indexed
        );
        match &report.previous {
            Some(p) => println!(
                "The previous data is kept in {}; delete it when no longer needed.",
                p.display()
            ),
            None => println!("The data directory held no data before."),
        }
        for w in &report.warnings {
            println!("warning: {w}");
        }
        Ok(())
    })
    .await
}

/// `supportbox verify DATA_DIR|BACKUP_FILE`: prints what it checked and every problem.
pub async fn verify(config: &Config, path: &std::path::Path, quick: bool) -> Result<(), ToolError> {
    let path = path.to_owned();
    let limit = crate::backup::read::DataLimit {
        max_bytes: config.restore_data_bytes,
    };
    blocking(move || {
        let report = crate::service::backup::verify(&path, quick, &std::env::temp_dir(), limit)
            .map_err(|e| while_running(e, "verifying the data directory"))?;
        for note in &report.notes {
            println!("{note}");
        }
        for problem in &report.problems {
            println!("PROBLEM: {problem}");
        }
        if report.problems.is_empty() {
            println!("OK: {}", path.display());
            Ok(())
        } else {
            Err(ToolError::Problems(report.problems.len()))
        }
    })
    .await
}

/// `supportbox reindex` (server stopped).
pub async fn reindex(config: &Config) -> Result<(), ToolError> {
    let dir = config.data_dir.clone();
    blocking(move || {
        let started = std::time::Instant::now();
        let n = crate::service::backup::reindex_offline(&dir)
            .map_err(|e| while_running(e, "reindexing"))?;
        println!(
            "Rebuilt the search index: {n} tickets in {:.1} s.",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })
    .await
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
        let (index, _) = indexer::open(&dir.root().join(crate::datadir::INDEX_DIR), &store)?;
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
