//! What the operator's backup pages and API ask for. Each function narrows the identity to
//! the operator before anything else, so http only says who is asking, and each leaves a
//! line in the instance's audit log: who, when, from where, how large, and how it ended.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OwnedRwLockReadGuard;

use super::{BackupState, RestoreError, RestoreReport, restore_online, snapshot_for_download};
use crate::backup::snapshots::{self, SnapshotInfo};
use crate::backup::write::Snapshot;
use crate::backup::{Hooks, swap};
use crate::domain::audit::AuditKind;
use crate::domain::caller::Identity;
use crate::domain::ids::TenantId;
use crate::service::audit::{self, Entry};
use crate::service::{ServiceError, ServiceResult, Services, authz};

/// The backups page: the snapshots on disk and the data kept from before restores.
#[derive(Debug, Clone)]
pub struct BackupOverview {
    pub snapshots: Vec<SnapshotInfo>,
    pub previous: Vec<String>,
}

/// Who asked for a backup operation, and from where, for its audit line.
#[derive(Debug, Clone)]
pub struct Requester {
    pub who: Identity,
    pub addr: String,
}

impl Requester {
    fn entry(&self, kind: AuditKind, subject: &str, detail: String) -> Entry {
        Entry::new(TenantId::INSTANCE, kind, Some(self.who.account))
            .subject(subject)
            .detail(detail)
            .from_addr(&self.addr)
    }

    /// Writes the audit line. A failure to write it is logged, not returned: the operation
    /// it describes has already happened (or failed) by then.
    async fn record(&self, services: &Services, kind: AuditKind, subject: &str, detail: String) {
        let entry = self.entry(kind, subject, detail);
        let now = services.now();
        let written = services
            .store
            .write(move |w| audit::append(w, &entry, now).map(|_| ()))
            .await;
        if let Err(e) = written {
            tracing::error!(error = %e, kind = kind.code(), "cannot write the audit line of a backup operation");
        }
    }

    /// [`Requester::record`] from a blocking thread (the end of a streamed download).
    pub fn record_blocking(
        &self,
        services: &Services,
        kind: AuditKind,
        subject: &str,
        detail: String,
    ) {
        let entry = self.entry(kind, subject, detail);
        let now = services.now();
        let written = services
            .store
            .write_blocking(move |w| audit::append(w, &entry, now).map(|_| ()));
        if let Err(e) = written {
            tracing::error!(error = %e, kind = kind.code(), "cannot write the audit line of a backup operation");
        }
    }
}

/// How an operation ended, for the `detail` of its audit line.
fn outcome<T, E: std::fmt::Display>(result: &Result<T, E>, done: String) -> String {
    match result {
        Ok(_) => done,
        Err(e) => format!("failed: {e}"),
    }
}

/// A consistent archive of the running instance for download; the guard keeps restores out
/// until the archive is written. The download's audit line is written when the stream ends
/// ([`Requester::record_blocking`] with [`AuditKind::BackupDownloaded`]); one that cannot
/// start is recorded here.
pub async fn download(
    by: &Requester,
    services: &Services,
    state: &BackupState,
    data_dir: &Path,
) -> Result<(Snapshot, OwnedRwLockReadGuard<()>), RestoreError> {
    authz::operator(&by.who)?;
    let result = snapshot_for_download(services, state, data_dir).await;
    if let Err(e) = &result {
        let detail = format!("failed: {e}");
        by.record(services, AuditKind::BackupDownloaded, "", detail)
            .await;
    }
    result
}

/// Restores an uploaded archive into the running instance. The audit line of a restore that
/// succeeded goes into the restored data, so the log there says who put it in place.
pub async fn restore<R>(
    by: &Requester,
    services: &Services,
    state: &Arc<BackupState>,
    data_dir: &Path,
    body: R,
    own_requests: usize,
) -> Result<RestoreReport, RestoreError>
where
    R: Read + Send + 'static,
{
    authz::operator(&by.who)?;
    let result = restore_online(
        services,
        state,
        data_dir,
        body,
        own_requests,
        Hooks::default(),
    )
    .await;
    let (kind, subject) = match &result {
        Ok(report) => (AuditKind::Restored, report.manifest.created_at.clone()),
        Err(_) => (AuditKind::RestoreFailed, String::new()),
    };
    let detail = outcome(
        &result,
        result.as_ref().map(restore_detail).unwrap_or_default(),
    );
    by.record(services, kind, &subject, detail).await;
    result
}

fn restore_detail(report: &RestoreReport) -> String {
    let bytes: u64 = report.manifest.entries.iter().map(|e| e.bytes).sum();
    let tickets = report.manifest.counts.get("tickets").copied().unwrap_or(0);
    format!("{tickets} tickets, {bytes} bytes of data")
}

pub async fn overview(who: &Identity, data_dir: &Path) -> ServiceResult<BackupOverview> {
    authz::operator(who)?;
    let dir = data_dir.to_owned();
    tokio::task::spawn_blocking(move || {
        Ok::<_, ServiceError>(BackupOverview {
            snapshots: snapshots::list(&dir)?,
            previous: swap::previous_dirs(&dir),
        })
    })
    .await?
}

/// A snapshot now, outside the schedule, with the retention limit applied.
pub async fn snapshot_on_request(
    by: &Requester,
    services: &Services,
    state: &BackupState,
    data_dir: &Path,
) -> ServiceResult<SnapshotInfo> {
    authz::operator(&by.who)?;
    let result = super::snapshot_now(
        &services.store,
        &services.blobs,
        state,
        data_dir,
        services.now(),
    )
    .await;
    let subject = result.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let detail = outcome(
        &result,
        result
            .as_ref()
            .map(|s| format!("{} bytes", s.size))
            .unwrap_or_default(),
    );
    by.record(services, AuditKind::SnapshotTaken, &subject, detail)
        .await;
    result.map_err(ServiceError::from)
}

/// Where snapshot `name` lies and how large it is; only names the snapshot list would show
/// are accepted. The download is recorded when it is handed out.
pub async fn snapshot_file(
    by: &Requester,
    services: &Services,
    data_dir: &Path,
    name: &str,
) -> ServiceResult<(PathBuf, u64)> {
    authz::operator(&by.who)?;
    let path = snapshots::path_of(data_dir, name).ok_or(ServiceError::NotFound)?;
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|_| ServiceError::NotFound)?
        .len();
    let detail = format!("{size} bytes");
    by.record(services, AuditKind::SnapshotDownloaded, name, detail)
        .await;
    Ok((path, size))
}
