//! Personal API tokens. Only the SHA-256 of a token's secret is stored; requests find their
//! token through that hash.

use crate::store::WriteTx;
use jiff::Timestamp;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::Store;
use super::access::{self, BadValue, Tx, dangling, versioned_v1};
use super::accounts::get_account;
use super::error::StoreError;
use super::keys::Key;
use super::tables::{API_TOKENS, TOKEN_BY_HASH, name};
use crate::domain::ids::{AccountId, TenantId, TokenId};
use crate::domain::tokens::ApiToken;

const SEQUENCE: &str = "api_tokens";
const INSTANCE: u64 = TenantId::INSTANCE.0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum ApiTokenRecord {
    V1(ApiTokenV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ApiTokenV1 {
    id: u64,
    account: u64,
    name: String,
    secret_hash: [u8; 32],
    created_at_ns: i128,
    expires_at_ns: Option<i128>,
    revoked: bool,
    last_used_ns: Option<i128>,
}

versioned_v1!(ApiTokenRecord, ApiTokenV1);

impl From<&ApiToken> for ApiTokenV1 {
    fn from(t: &ApiToken) -> Self {
        ApiTokenV1 {
            id: t.id.0,
            account: t.account.0,
            name: t.name.clone(),
            secret_hash: t.secret_hash,
            created_at_ns: access::nanos(t.created_at),
            expires_at_ns: t.expires_at.map(access::nanos),
            revoked: t.revoked,
            last_used_ns: t.last_used.map(access::nanos),
        }
    }
}

impl TryFrom<ApiTokenV1> for ApiToken {
    type Error = BadValue;

    fn try_from(r: ApiTokenV1) -> Result<Self, BadValue> {
        Ok(ApiToken {
            id: TokenId(r.id),
            account: AccountId(r.account),
            name: r.name,
            secret_hash: r.secret_hash,
            created_at: access::timestamp(r.created_at_ns)?,
            expires_at: access::opt_timestamp(r.expires_at_ns)?,
            revoked: r.revoked,
            last_used: access::opt_timestamp(r.last_used_ns)?,
        })
    }
}

fn key(account: AccountId, id: TokenId) -> Key {
    Key::tenant(INSTANCE).u64(account.0).u64(id.0)
}

fn hash_key(secret_hash: &[u8; 32]) -> Key {
    Key::tenant(INSTANCE).bytes(secret_hash)
}

/// Creates a token for an existing account. `Conflict("token")` if the hash is already in use,
/// which only a broken random source could cause.
pub fn create_token(
    w: &WriteTx,
    account: AccountId,
    name: &str,
    secret_hash: [u8; 32],
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<ApiToken, StoreError> {
    get_account(w, account)?.ok_or(StoreError::NotFound)?;
    if hash_owner(w, &secret_hash)?.is_some() {
        return Err(StoreError::Conflict("token".into()));
    }
    let token = ApiToken {
        id: TokenId(Store::next_id(w, SEQUENCE)?),
        account,
        name: name.to_owned(),
        secret_hash,
        created_at: now,
        expires_at,
        revoked: false,
        last_used: None,
    };
    w.open_table(TOKEN_BY_HASH)?
        .insert(hash_key(&secret_hash).as_bytes(), (account.0, token.id.0))?;
    write(w, &token)?;
    Ok(token)
}

/// Overwrites an existing token (revoke, record use); `NotFound` otherwise.
pub fn put_token(w: &WriteTx, token: &ApiToken) -> Result<(), StoreError> {
    let old = get_token(w, token.account, token.id)?.ok_or(StoreError::NotFound)?;
    if old.secret_hash != token.secret_hash {
        if hash_owner(w, &token.secret_hash)?.is_some() {
            return Err(StoreError::Conflict("token".into()));
        }
        let mut index = w.open_table(TOKEN_BY_HASH)?;
        index.remove(hash_key(&old.secret_hash).as_bytes())?;
        index.insert(
            hash_key(&token.secret_hash).as_bytes(),
            (token.account.0, token.id.0),
        )?;
    }
    write(w, token)
}

/// One token of one account; the account is part of the key so nobody reaches another
/// person's token by guessing an id.
pub fn get_token(
    r: &impl Tx,
    account: AccountId,
    id: TokenId,
) -> Result<Option<ApiToken>, StoreError> {
    access::get_record::<ApiTokenRecord, _>(r, API_TOKENS, name::API_TOKENS, &key(account, id))
}

/// The token whose secret hashes to `secret_hash`, revoked and expired ones included (the
/// caller decides what they may still do).
pub fn token_by_hash(r: &impl Tx, secret_hash: &[u8; 32]) -> Result<Option<ApiToken>, StoreError> {
    let Some((account, id)) = hash_owner(r, secret_hash)? else {
        return Ok(None);
    };
    get_token(r, account, id)?
        .ok_or_else(|| dangling(name::TOKEN_BY_HASH))
        .map(Some)
}

/// Every token of an account, oldest first.
pub fn tokens_of_account(r: &impl Tx, account: AccountId) -> Result<Vec<ApiToken>, StoreError> {
    access::list_records::<ApiTokenRecord, _>(
        r,
        API_TOKENS,
        name::API_TOKENS,
        &Key::tenant(INSTANCE).u64(account.0),
    )
}

fn hash_owner(
    r: &impl Tx,
    secret_hash: &[u8; 32],
) -> Result<Option<(AccountId, TokenId)>, StoreError> {
    let index = r.table(TOKEN_BY_HASH)?;
    let owner = index.get(hash_key(secret_hash).as_bytes())?.map(|v| {
        let (account, id) = v.value();
        (AccountId(account), TokenId(id))
    });
    Ok(owner)
}

fn write(w: &WriteTx, token: &ApiToken) -> Result<(), StoreError> {
    access::put_record::<ApiTokenRecord>(
        w,
        API_TOKENS,
        name::API_TOKENS,
        &key(token.account, token.id),
        token.into(),
    )
}
