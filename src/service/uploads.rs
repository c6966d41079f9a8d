//! Files received for tickets: API uploads waiting to be attached by their uploader, and the
//! sweep of files nothing will ever reference.

use crate::domain::ids::{AccountId, TenantId};
use crate::domain::ticket::Attachment;
use crate::service::{ServiceResult, Services};
use crate::store::tickets as store_tickets;

/// API uploads must be attached within this time.
pub const UPLOAD_VALIDITY: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// API uploads not yet attached: by uploader and content hash, with when they arrived.
pub(crate) type PendingUploads =
    std::collections::HashMap<(AccountId, [u8; 32]), (Attachment, jiff::Timestamp)>;

impl Services {
    /// Remembers an API upload for its uploader, so only they can attach it (knowing a
    /// blob's hash must never be enough to attach, and so read, someone else's file).
    pub fn register_upload(&self, account: AccountId, attachment: Attachment) -> String {
        let id = hex::encode(attachment.hash);
        let now = self.now();
        let mut pending = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, (_, at)| now.duration_since(*at) < UPLOAD_VALIDITY);
        pending.insert((account, attachment.hash), (attachment, now));
        id
    }

    /// The caller's own pending upload with this id, if any.
    pub fn claim_upload(&self, account: AccountId, id: &str) -> Option<Attachment> {
        let hash = crate::blobs::parse_hash(id)?;
        let now = self.now();
        let pending = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        pending
            .get(&(account, hash))
            .filter(|(_, at)| now.duration_since(*at) < UPLOAD_VALIDITY)
            .map(|(a, _)| a.clone())
    }

    /// Removes files nothing will ever reference: API uploads never attached within
    /// [`UPLOAD_VALIDITY`] (also those forgotten by a restart) and files of forms that
    /// were cut off before their record was written. A blob is only considered once it is
    /// older than the validity, so uploads in progress and forms about to commit keep
    /// theirs. Returns how many files it removed.
    pub async fn sweep_abandoned_uploads(&self) -> ServiceResult<usize> {
        let now = self.now();
        let pending: std::collections::HashSet<[u8; 32]> = {
            let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
            uploads.retain(|_, (_, at)| now.duration_since(*at) < UPLOAD_VALIDITY);
            uploads.keys().map(|(_, hash)| *hash).collect()
        };
        let blobs = self.blobs.clone();
        let old_enough = tokio::task::spawn_blocking(
            move || -> Result<Vec<[u8; 32]>, crate::blobs::BlobError> {
                let mut old = Vec::new();
                for hash in blobs.list()? {
                    if pending.contains(&hash) {
                        continue;
                    }
                    // A time the clock cannot express counts as new: keep the file.
                    let received =
                        jiff::Timestamp::try_from(blobs.received_at(&hash)?).unwrap_or(now);
                    if now.duration_since(received) >= UPLOAD_VALIDITY {
                        old.push(hash);
                    }
                }
                Ok(old)
            },
        )
        .await??;
        let unreferenced = self
            .store
            .read(move |r| {
                let mut out = Vec::new();
                for hash in old_enough {
                    if !store_tickets::blob_referenced(r, &hash)? {
                        out.push(hash);
                    }
                }
                Ok(out)
            })
            .await?;
        let mut removed = 0;
        for hash in unreferenced {
            match self.blobs.remove(&hash).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not remove an abandoned upload"),
            }
        }
        Ok(removed)
    }

    /// Removes blobs an abandoned upload wrote, unless some record references them (the
    /// same file may be attached elsewhere: blobs are shared by content).
    pub async fn forget_unused_blobs(&self, hashes: Vec<[u8; 32]>) {
        self.drop_unreferenced_blobs(TenantId::INSTANCE, hashes)
            .await;
    }

    pub(super) async fn drop_unreferenced_blobs(&self, tenant: TenantId, hashes: Vec<[u8; 32]>) {
        let pending: std::collections::HashSet<[u8; 32]> = {
            let uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
            uploads.keys().map(|(_, hash)| *hash).collect()
        };
        // An API upload waiting to be attached needs its file even if this form was refused.
        for hash in hashes.into_iter().filter(|h| !pending.contains(h)) {
            let still_used = self
                .store
                .read(move |r| store_tickets::blob_referenced(r, &hash))
                .await
                .unwrap_or(true);
            if !still_used && let Err(e) = self.blobs.remove(&hash).await {
                tracing::warn!(error = %e, tenant = tenant.0, "could not remove an unreferenced attachment");
            }
        }
    }
}
