//! What the operator's backup pages and API ask for. Each function narrows the identity to
//! the operator before anything else, so http only says who is asking.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OwnedRwLockReadGuard;

use super::{BackupState, RestoreError, RestoreReport, restore_online, snapshot_for_download};
use crate::backup::snapshots::{self, SnapshotInfo};
use crate::backup::write::Snapshot;
use crate::backup::{Hooks, swap};
use crate::domain::caller::Identity;
use crate::service::{ServiceError, ServiceResult, Services, authz};

/// The backups page: the snapshots on disk and the data kept from before restores.
#[derive(Debug, Clone)]
pub struct BackupOverview {
    pub snapshots: Vec<SnapshotInfo>,
    pub previous: Vec<String>,
}

/// A consistent archive of the running instance for download; the guard keeps restores out
/// until the archive is written.
pub async fn download(
    who: &Identity,
    services: &Services,
    state: &BackupState,
    data_dir: &Path,
) -> Result<(Snapshot, OwnedRwLockReadGuard<()>), RestoreError> {
    authz::operator(who)?;
    snapshot_for_download(services, state, data_dir).await
}

/// Restores an uploaded archive into the running instance.
pub async fn restore<R>(
    who: &Identity,
    services: &Services,
    state: &Arc<BackupState>,
    data_dir: &Path,
    body: R,
    own_requests: usize,
) -> Result<RestoreReport, RestoreError>
where
    R: Read + Send + 'static,
{
    authz::operator(who)?;
    restore_online(
        services,
        state,
        data_dir,
        body,
        own_requests,
        Hooks::default(),
    )
    .await
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
    who: &Identity,
    services: &Services,
    state: &BackupState,
    data_dir: &Path,
) -> ServiceResult<SnapshotInfo> {
    authz::operator(who)?;
    super::snapshot_now(
        &services.store,
        &services.blobs,
        state,
        data_dir,
        services.now(),
    )
    .await
    .map_err(ServiceError::from)
}

/// Where snapshot `name` lies; only names the snapshot list would show are accepted.
pub fn snapshot_file(who: &Identity, data_dir: &Path, name: &str) -> ServiceResult<PathBuf> {
    authz::operator(who)?;
    snapshots::path_of(data_dir, name).ok_or(ServiceError::NotFound)
}
