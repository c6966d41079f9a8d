//! Use cases. Services take who is asking (a [`Caller`](crate::domain::caller::Caller) or
//! an [`Identity`](crate::domain::caller::Identity)), check what they may do, and call
//! storage. They know nothing of HTTP or HTML.

pub mod accounts;
pub mod admin;
pub mod admin_members;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod catalog;
pub mod customers;
pub mod demo;
pub mod health;
pub mod indexer;
pub mod password_resets;
pub mod passwords;
pub mod ratelimit;
pub mod sessions;
pub mod setup;
pub mod tickets;
pub mod uploads;
pub mod users;

use std::time::Duration;

use crate::domain::validate::FieldError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing, or outside what the caller may see (existence does not leak).
    #[error("not found")]
    NotFound,
    /// Signed in, but the action is not allowed (used where the page itself is visible).
    #[error("not allowed")]
    Forbidden,
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// Valid input that a business rule declines (the last priority cannot be deleted); shown
    /// next to the field it concerns, like a validation error.
    #[error("refused: {0:?}")]
    Refused(FieldError),
    #[error("too many attempts; retry after {0:?}")]
    RateLimited(Duration),
    /// Never `StoreError::NotFound`: the conversion below turns that into [`ServiceError::NotFound`].
    #[error("storage: {0}")]
    Store(StoreError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    /// A blocking task (search, hashing, file work) panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A date computed from the clock left jiff's range (a clock far off, never user input).
    #[error("date arithmetic: {0}")]
    Time(#[from] jiff::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &'static str, key: &'static str) -> ServiceError {
        ServiceError::Invalid(vec![FieldError::new(field, key)])
    }
}

/// The one place where a missing record becomes "not found" for the caller.
impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            other => ServiceError::Store(other),
        }
    }
}

impl From<FieldError> for ServiceError {
    fn from(e: FieldError) -> Self {
        ServiceError::Invalid(vec![e])
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Collects every field error of a form before giving up, so a person sees all problems
/// at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn fail(&mut self, field: &'static str, key: &'static str) {
        self.0.push(FieldError::new(field, key));
    }

    pub fn finish(self) -> ServiceResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.0))
        }
    }
}

/// Random secrets for sessions, invitations, setup links and API tokens: 256 bits from
/// the operating system's CSPRNG (through rand's thread generator), hex-encoded.
pub fn new_secret() -> (String, [u8; 32]) {
    let raw: [u8; 32] = rand::random();
    let secret = hex::encode(raw);
    (secret.clone(), hash_secret(&secret))
}

/// Stored form of a secret: SHA-256, so a copy of the database grants nothing.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).into()
}

/// A ticket changed; open pages of the tenant may want to refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketEvent {
    pub tenant: crate::domain::ids::TenantId,
    pub number: u64,
}

/// Everything the use cases need, shared by all requests.
pub struct Services {
    pub store: crate::store::Store,
    pub clock: crate::clock::SharedClock,
    pub sessions: sessions::SessionManager,
    pub limiter: ratelimit::RateLimiter,
    pub limits: ratelimit::LoginLimits,
    pub blobs: crate::blobs::BlobStore,
    pub search: crate::search::SearchIndex,
    /// Ticket changes, for live pages (SSE).
    pub events: tokio::sync::broadcast::Sender<TicketEvent>,
    /// Wakes the search indexer after a write.
    pub indexer_wake: std::sync::Arc<tokio::sync::Notify>,
    /// API uploads not yet attached, by uploader.
    pub(crate) uploads: std::sync::Mutex<uploads::PendingUploads>,
    setup: std::sync::Mutex<Option<setup::SetupToken>>,
}

impl Services {
    /// Loads instance settings once; they are cached in memory afterwards.
    pub fn new(
        store: crate::store::Store,
        clock: crate::clock::SharedClock,
        limits: ratelimit::LoginLimits,
        blobs: crate::blobs::BlobStore,
        search: crate::search::SearchIndex,
    ) -> ServiceResult<Services> {
        let settings = store.read_blocking(crate::store::settings::get_instance_settings)?;
        let (events, _) = tokio::sync::broadcast::channel(256);
        Ok(Services {
            sessions: sessions::SessionManager::new(store.clone(), clock.clone(), settings),
            store,
            clock,
            limiter: ratelimit::RateLimiter::new(),
            limits,
            blobs,
            search,
            events,
            indexer_wake: std::sync::Arc::new(tokio::sync::Notify::new()),
            uploads: std::sync::Mutex::new(uploads::PendingUploads::new()),
            setup: std::sync::Mutex::new(None),
        })
    }

    /// Brings the search index up to date now, instead of waiting for the indexer task.
    pub async fn sync_search(&self) -> ServiceResult<usize> {
        indexer::sync_now(&self.store, &self.search).await
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
