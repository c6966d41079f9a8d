//! A person's own account: profile and personal API tokens.

use jiff::Timestamp;

use super::audit::{self, Entry};
use super::{Checks, ServiceError, ServiceResult, Services, hash_secret, new_secret};
use crate::domain::accounts::Account;
use crate::domain::audit::AuditKind;
use crate::domain::caller::{AuthMethod, Identity};
use crate::domain::ids::{TenantId, TokenId};
use crate::domain::lang::Lang;
use crate::domain::tokens::ApiToken;
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::store::{StoreError, accounts as store_accounts, tokens as store_tokens};

/// API tokens are shown once as `sbt_` + 64 hex digits; the prefix makes leaked tokens
/// easy to find with secret scanners.
pub const TOKEN_PREFIX: &str = "sbt_";

impl Services {
    pub async fn account(&self, who: &Identity) -> ServiceResult<Account> {
        let id = who.account;
        self.store
            .read(move |r| store_accounts::get_account(r, id))
            .await?
            .ok_or(ServiceError::NotFound)
    }

    pub async fn update_profile(
        &self,
        who: &Identity,
        name: &str,
        phone: &str,
        lang: &str,
    ) -> ServiceResult<Account> {
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", name, MAX_NAME_CHARS));
        let phone = checks.check(validate::phone("phone", phone));
        let lang = match lang.trim() {
            "" => Some(None),
            code => match Lang::from_tag(code) {
                Some(l) if l.code() == code => Some(Some(l)),
                _ => {
                    checks.fail("lang", "invalid_choice");
                    None
                }
            },
        };
        checks.finish()?;
        let (Some(name), Some(phone), Some(lang)) = (name, phone, lang) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let id = who.account;
        self.store
            .write(move |w| {
                let mut account =
                    store_accounts::get_account(w, id)?.ok_or(StoreError::NotFound)?;
                account.name = name.clone();
                account.phone = phone.clone();
                account.lang = lang;
                store_accounts::put_account(w, &account)?;
                Ok(account)
            })
            .await
            .map_err(ServiceError::from)
    }

    /// Remembers the language chosen in the switcher on the account, so it follows the
    /// person to other devices.
    pub async fn set_language(&self, who: &Identity, lang: Lang) -> ServiceResult<()> {
        let id = who.account;
        self.store
            .write(move |w| {
                let mut account =
                    store_accounts::get_account(w, id)?.ok_or(StoreError::NotFound)?;
                if account.lang != Some(lang) {
                    account.lang = Some(lang);
                    store_accounts::put_account(w, &account)?;
                }
                Ok(())
            })
            .await
            .map_err(ServiceError::from)
    }

    pub async fn tokens(&self, who: &Identity) -> ServiceResult<Vec<ApiToken>> {
        let id = who.account;
        let mut tokens = self
            .store
            .read(move |r| store_tokens::tokens_of_account(r, id))
            .await?;
        tokens.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        Ok(tokens)
    }

    /// Creates a token and returns it with its secret, which is never shown again.
    pub async fn create_token(
        &self,
        who: &Identity,
        name: &str,
        expires: &str,
        addr: &str,
    ) -> ServiceResult<(ApiToken, String)> {
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", name, MAX_NAME_CHARS));
        let now = self.now();
        let expires_at = match expires.trim() {
            "" => Some(None),
            date => match date.parse::<jiff::civil::Date>() {
                Ok(d) => {
                    // Valid through the whole chosen day (UTC).
                    let end = d
                        .tomorrow()
                        .ok()
                        .and_then(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
                        .map(|z| z.timestamp());
                    match end {
                        Some(ts) if ts > now => Some(Some(ts)),
                        _ => {
                            checks.fail("expires", "date_past");
                            None
                        }
                    }
                }
                Err(_) => {
                    checks.fail("expires", "invalid_date");
                    None
                }
            },
        };
        checks.finish()?;
        let (Some(name), Some(expires_at)) = (name, expires_at) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let (raw, _) = new_secret();
        let secret = format!("{TOKEN_PREFIX}{raw}");
        let hash = hash_secret(&secret);
        let account = who.account;
        let entry = Entry::new(TenantId::INSTANCE, AuditKind::TokenCreated, Some(account))
            .subject(name.clone())
            .from_addr(addr);
        let token = self
            .store
            .write(move |w| {
                let token = store_tokens::create_token(w, account, &name, hash, expires_at, now)?;
                audit::append(w, &entry, now)?;
                Ok(token)
            })
            .await?;
        Ok((token, secret))
    }

    pub async fn revoke_token(&self, who: &Identity, id: TokenId, addr: &str) -> ServiceResult<()> {
        let account = who.account;
        let now = self.now();
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                let mut token = store_tokens::tokens_of_account(w, account)?
                    .into_iter()
                    .find(|t| t.id == id)
                    .ok_or(StoreError::NotFound)?;
                if !token.revoked {
                    token.revoked = true;
                    store_tokens::put_token(w, &token)?;
                    audit::append(
                        w,
                        &Entry::new(TenantId::INSTANCE, AuditKind::TokenRevoked, Some(account))
                            .subject(token.name.clone())
                            .from_addr(&addr),
                        now,
                    )?;
                }
                Ok(())
            })
            .await
            .map_err(ServiceError::from)
    }

    /// The account behind a bearer token, when the token is live. Usage time is not
    /// written per request (reads never write); it is recorded at most hourly.
    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> ServiceResult<Option<(Account, Identity)>> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() != TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        let hash = hash_secret(secret);
        let now: Timestamp = self.now();
        let found = self
            .store
            .read(move |r| {
                let Some(token) = store_tokens::token_by_hash(r, &hash)? else {
                    return Ok(None);
                };
                let account = store_accounts::get_account(r, token.account)?;
                Ok(account.map(|a| (token, a)))
            })
            .await?;
        let Some((token, account)) = found else {
            return Ok(None);
        };
        if token.revoked || token.expires_at.is_some_and(|e| now >= e) {
            return Ok(None);
        }
        let stale = token
            .last_used
            .is_none_or(|t| now.duration_since(t) > jiff::SignedDuration::from_hours(1));
        if stale {
            let id = token.id;
            let owner = token.account;
            self.store
                .write(move |w| {
                    if let Some(mut t) = store_tokens::tokens_of_account(w, owner)?
                        .into_iter()
                        .find(|t| t.id == id)
                    {
                        t.last_used = Some(now);
                        store_tokens::put_token(w, &t)?;
                    }
                    Ok(())
                })
                .await?;
        }
        let identity = Identity {
            account: account.id,
            operator: account.operator,
            via: AuthMethod::ApiToken,
        };
        Ok(Some((account, identity)))
    }
}
