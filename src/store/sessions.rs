//! Server-side sessions, keyed by the SHA-256 of the cookie secret.
//!
//! "Last seen" is not written per request: the service keeps it in memory and hands it to
//! [`touch_sessions`] in one batch about once a minute, so page views never write
//! (docs/storage.md, "Sessions").

use crate::store::WriteTx;
use jiff::Timestamp;

use serde::{Deserialize, Serialize};

use super::access::{self, BadValue, Tx, dangling, versioned_v1};
use super::error::StoreError;
use super::keys::{Key, KeyReader};
use super::tables::{SESSION_BY_ACCOUNT, SESSIONS, name};
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::sessions::Session;

const INSTANCE: u64 = TenantId::INSTANCE.0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum SessionRecord {
    V1(SessionV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionV1 {
    id_hash: [u8; 32],
    account: u64,
    created_at_ns: i128,
    last_seen_ns: i128,
    tenant: Option<u64>,
    user_agent: String,
}

versioned_v1!(SessionRecord, SessionV1);

impl From<&Session> for SessionV1 {
    fn from(s: &Session) -> Self {
        SessionV1 {
            id_hash: s.id_hash,
            account: s.account.0,
            created_at_ns: access::nanos(s.created_at),
            last_seen_ns: access::nanos(s.last_seen),
            tenant: s.tenant.map(|t| t.0),
            user_agent: s.user_agent.clone(),
        }
    }
}

impl TryFrom<SessionV1> for Session {
    type Error = BadValue;

    fn try_from(r: SessionV1) -> Result<Self, BadValue> {
        Ok(Session {
            id_hash: r.id_hash,
            account: AccountId(r.account),
            created_at: access::timestamp(r.created_at_ns)?,
            last_seen: access::timestamp(r.last_seen_ns)?,
            tenant: r.tenant.map(TenantId),
            user_agent: r.user_agent,
        })
    }
}

fn key(id_hash: &[u8; 32]) -> Key {
    Key::tenant(INSTANCE).bytes(id_hash)
}

fn by_account_key(account: AccountId, id_hash: &[u8; 32]) -> Key {
    Key::tenant(INSTANCE).u64(account.0).bytes(id_hash)
}

/// Creates or overwrites a session.
pub fn put_session(w: &WriteTx, session: &Session) -> Result<(), StoreError> {
    if let Some(old) = get_session(w, &session.id_hash)?
        && old.account != session.account
    {
        w.open_table(SESSION_BY_ACCOUNT)?
            .remove(by_account_key(old.account, &old.id_hash).as_bytes())?;
    }
    w.open_table(SESSION_BY_ACCOUNT)?.insert(
        by_account_key(session.account, &session.id_hash).as_bytes(),
        (),
    )?;
    write(w, session)
}

pub fn get_session(r: &impl Tx, id_hash: &[u8; 32]) -> Result<Option<Session>, StoreError> {
    access::get_record::<SessionRecord, _>(r, SESSIONS, name::SESSIONS, &key(id_hash))
}

/// Ends one session; returns whether it existed.
pub fn delete_session(w: &WriteTx, id_hash: &[u8; 32]) -> Result<bool, StoreError> {
    let Some(old) = get_session(w, id_hash)? else {
        return Ok(false);
    };
    remove(w, &[(old.id_hash, old.account)])?;
    Ok(true)
}

/// Every session of an account, in no particular order.
pub fn sessions_of_account(r: &impl Tx, account: AccountId) -> Result<Vec<Session>, StoreError> {
    let prefix = Key::tenant(INSTANCE).u64(account.0);
    let keys = access::set_keys(r, SESSION_BY_ACCOUNT, &prefix)?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let hash = hash_of_index_key(&k)?;
        let session = get_session(r, &hash)?.ok_or_else(|| dangling(name::SESSION_BY_ACCOUNT))?;
        out.push(session);
    }
    Ok(out)
}

/// Ends every session of an account; returns how many there were.
pub fn delete_sessions_of_account(w: &WriteTx, account: AccountId) -> Result<usize, StoreError> {
    let prefix = Key::tenant(INSTANCE).u64(account.0);
    let doomed = access::set_keys(w, SESSION_BY_ACCOUNT, &prefix)?
        .iter()
        .map(|k| hash_of_index_key(k).map(|h| (h, account)))
        .collect::<Result<Vec<_>, _>>()?;
    remove(w, &doomed)?;
    Ok(doomed.len())
}

/// Applies a batch of presence updates `(session hash, last seen, tenant)`; returns how many
/// sessions changed.
///
/// Sessions ended since the batch was collected are skipped rather than brought back, and a
/// "last seen" older than the stored one is ignored, so a late batch cannot move time back.
pub fn touch_sessions(
    w: &WriteTx,
    batch: &[([u8; 32], Timestamp, Option<TenantId>)],
) -> Result<usize, StoreError> {
    let mut touched = 0;
    for (hash, seen, tenant) in batch {
        let Some(mut session) = get_session(w, hash)? else {
            continue;
        };
        if *seen < session.last_seen {
            continue;
        }
        session.last_seen = *seen;
        session.tenant = *tenant;
        write(w, &session)?;
        touched += 1;
    }
    Ok(touched)
}

/// Ends sessions idle since before `idle_before` or started before `created_before`; returns
/// how many.
pub fn delete_expired_sessions(
    w: &WriteTx,
    idle_before: Timestamp,
    created_before: Timestamp,
) -> Result<usize, StoreError> {
    let all = access::list_records::<SessionRecord, Session>(
        w,
        SESSIONS,
        name::SESSIONS,
        &Key::tenant(INSTANCE),
    )?;
    let doomed: Vec<([u8; 32], AccountId)> = all
        .into_iter()
        .filter(|s| s.last_seen < idle_before || s.created_at < created_before)
        .map(|s| (s.id_hash, s.account))
        .collect();
    remove(w, &doomed)?;
    Ok(doomed.len())
}

fn remove(w: &WriteTx, sessions: &[([u8; 32], AccountId)]) -> Result<(), StoreError> {
    let mut records = w.open_table(SESSIONS)?;
    let mut index = w.open_table(SESSION_BY_ACCOUNT)?;
    for (hash, account) in sessions {
        records.remove(key(hash).as_bytes())?;
        index.remove(by_account_key(*account, hash).as_bytes())?;
    }
    Ok(())
}

fn hash_of_index_key(k: &[u8]) -> Result<[u8; 32], StoreError> {
    let table = name::SESSION_BY_ACCOUNT;
    let mut reader = KeyReader::new(k);
    reader.tenant().map_err(|e| e.in_table(table))?;
    reader.u64().map_err(|e| e.in_table(table))?;
    let hash = access::read_hash(&mut reader, table)?;
    reader.finish().map_err(|e| e.in_table(table))?;
    Ok(hash)
}

fn write(w: &WriteTx, session: &Session) -> Result<(), StoreError> {
    access::put_record::<SessionRecord>(
        w,
        SESSIONS,
        name::SESSIONS,
        &key(&session.id_hash),
        session.into(),
    )
}
