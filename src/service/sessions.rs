//! Server-side sessions and presence. The cookie holds a random secret; redb holds its
//! hash. "Last seen" lives in memory and is flushed in batches at most once a minute, so a
//! page view never writes to disk (docs/storage.md, "Sessions").

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use jiff::{SignedDuration, Timestamp};

use super::{ServiceResult, hash_secret, new_secret};
use crate::clock::SharedClock;
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::sessions::Session;
use crate::domain::settings::InstanceSettings;
use crate::store::{Store, sessions as store_sessions};

/// A person counts as "signed in now" when seen within this span.
pub const ONLINE_WINDOW: SignedDuration = SignedDuration::from_mins(5);

#[derive(Debug, Clone, Copy)]
struct Seen {
    account: AccountId,
    at: Timestamp,
    tenant: Option<TenantId>,
    /// Changed since the last flush.
    dirty: bool,
}

pub struct SessionManager {
    store: Store,
    clock: SharedClock,
    seen: Mutex<HashMap<[u8; 32], Seen>>,
    settings: RwLock<InstanceSettings>,
}

impl SessionManager {
    pub fn new(store: Store, clock: SharedClock, settings: InstanceSettings) -> SessionManager {
        SessionManager {
            store,
            clock,
            seen: Mutex::new(HashMap::new()),
            settings: RwLock::new(settings),
        }
    }

    pub fn settings(&self) -> InstanceSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_settings(&self, settings: InstanceSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// Starts a session and returns the secret for the cookie.
    pub async fn create(
        &self,
        account: AccountId,
        tenant: Option<TenantId>,
        user_agent: &str,
    ) -> ServiceResult<String> {
        let (secret, hash) = new_secret();
        let now = self.clock.now();
        let session = Session {
            id_hash: hash,
            account,
            created_at: now,
            last_seen: now,
            tenant,
            user_agent: user_agent.chars().take(200).collect(),
        };
        self.store
            .write(move |w| store_sessions::put_session(w, &session))
            .await?;
        self.mark_seen(hash, account, tenant, now);
        Ok(secret)
    }

    /// The live session for a cookie secret, or `None` when unknown or expired. Expired
    /// sessions are removed at the next flush.
    pub async fn resolve(&self, secret: &str) -> ServiceResult<Option<Session>> {
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = hash_secret(secret);
        let Some(mut session) = self
            .store
            .read(move |r| store_sessions::get_session(r, &hash))
            .await?
        else {
            return Ok(None);
        };
        if let Some(seen) = self.seen_of(&hash) {
            session.last_seen = session.last_seen.max(seen.at);
            session.tenant = seen.tenant.or(session.tenant);
        }
        let now = self.clock.now();
        if self.is_expired(&session, now) {
            return Ok(None);
        }
        Ok(Some(session))
    }

    fn is_expired(&self, session: &Session, now: Timestamp) -> bool {
        let settings = self.settings();
        let idle = SignedDuration::from_mins(i64::from(settings.session_idle_minutes));
        let absolute = SignedDuration::from_hours(i64::from(settings.session_absolute_hours));
        now.duration_since(session.last_seen) > idle
            || now.duration_since(session.created_at) > absolute
    }

    /// Records activity in memory only.
    pub fn mark_seen(
        &self,
        hash: [u8; 32],
        account: AccountId,
        tenant: Option<TenantId>,
        at: Timestamp,
    ) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.insert(
            hash,
            Seen {
                account,
                at,
                tenant,
                dirty: true,
            },
        );
    }

    fn seen_of(&self, hash: &[u8; 32]) -> Option<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(hash)
            .copied()
    }

    pub async fn end(&self, hash: [u8; 32]) -> ServiceResult<()> {
        self.forget(|h, _| *h == hash);
        self.store
            .write(move |w| store_sessions::delete_session(w, &hash))
            .await?;
        Ok(())
    }

    /// Ends every session of an account (sign-out everywhere, password change, disable).
    pub async fn end_all_of(&self, account: AccountId) -> ServiceResult<usize> {
        self.forget(|_, s| s.account == account);
        Ok(self
            .store
            .write(move |w| store_sessions::delete_sessions_of_account(w, account))
            .await?)
    }

    /// Ends every session of an account except one (password change keeps the current).
    pub async fn end_others_of(&self, account: AccountId, keep: [u8; 32]) -> ServiceResult<()> {
        let sessions = self.sessions_of(account).await?;
        for s in sessions.into_iter().filter(|s| s.id_hash != keep) {
            self.end(s.id_hash).await?;
        }
        Ok(())
    }

    pub async fn sessions_of(&self, account: AccountId) -> ServiceResult<Vec<Session>> {
        let mut sessions = self
            .store
            .read(move |r| store_sessions::sessions_of_account(r, account))
            .await?;
        let now = self.clock.now();
        for s in &mut sessions {
            if let Some(seen) = self.seen_of(&s.id_hash) {
                s.last_seen = s.last_seen.max(seen.at);
            }
        }
        sessions.retain(|s| !self.is_expired(s, now));
        sessions.sort_by_key(|s| std::cmp::Reverse(s.last_seen));
        Ok(sessions)
    }

    fn forget(&self, pred: impl Fn(&[u8; 32], &Seen) -> bool) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|h, s| !pred(h, s));
    }

    /// Accounts seen in `tenant` within [`ONLINE_WINDOW`], with when they were last seen.
    pub fn online_in(&self, tenant: TenantId) -> Vec<(AccountId, Timestamp)> {
        let now = self.clock.now();
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut latest: HashMap<AccountId, Timestamp> = HashMap::new();
        for s in seen.values() {
            if s.tenant == Some(tenant) && now.duration_since(s.at) <= ONLINE_WINDOW {
                let entry = latest.entry(s.account).or_insert(s.at);
                *entry = (*entry).max(s.at);
            }
        }
        let mut list: Vec<_> = latest.into_iter().collect();
        list.sort_by_key(|(_, seen)| std::cmp::Reverse(*seen));
        list
    }

    /// Writes pending "last seen" times in one transaction and removes expired sessions.
    /// Called about once a minute by a background task, and at shutdown.
    pub async fn flush(&self) -> ServiceResult<()> {
        let now = self.clock.now();
        let batch: Vec<([u8; 32], Timestamp, Option<TenantId>)> = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let batch = seen
                .iter_mut()
                .filter(|(_, s)| s.dirty)
                .map(|(h, s)| {
                    s.dirty = false;
                    (*h, s.at, s.tenant)
                })
                .collect();
            // Entries older than the idle limit matter neither for presence nor expiry.
            let keep = SignedDuration::from_mins(i64::from(self.settings().session_idle_minutes))
                .max(ONLINE_WINDOW);
            seen.retain(|_, s| now.duration_since(s.at) <= keep);
            batch
        };
        let settings = self.settings();
        let idle_before = now
            .checked_sub(SignedDuration::from_mins(i64::from(
                settings.session_idle_minutes,
            )))
            .unwrap_or(now);
        let created_before = now
            .checked_sub(SignedDuration::from_hours(i64::from(
                settings.session_absolute_hours,
            )))
            .unwrap_or(now);
        self.store
            .write(move |w| {
                store_sessions::touch_sessions(w, &batch)?;
                store_sessions::delete_expired_sessions(w, idle_before, created_before)?;
                Ok(())
            })
            .await?;
        Ok(())
    }
}
