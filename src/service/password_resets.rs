//! Password reset: a tenant admin (for a member of their organisation) or the operator (for
//! anyone) issues a one-time link, which the person uses to choose a new password. Every
//! reset ends all sessions of the account (docs/security.md, "Password reset").

use jiff::Timestamp;

use super::audit::{self, Entry};
use super::passwords;
use super::{Checks, ServiceError, ServiceResult, Services, authz, hash_secret, new_secret};
use crate::domain::accounts::Account;
use crate::domain::audit::AuditKind;
use crate::domain::caller::{Caller, Identity};
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::password_resets::{PasswordReset, RESET_VALIDITY};
use crate::domain::validate;
use crate::store::access::Tx;
use crate::store::{StoreError, accounts as store_accounts, password_resets as store_resets};

/// Who may use a link, as the reset page shows it.
#[derive(Debug, Clone)]
pub struct ResetFor {
    pub email: String,
}

/// The fingerprint a link is bound to: any later password change gives another one.
fn fingerprint(account: &Account) -> [u8; 32] {
    hash_secret(&account.password_hash)
}

/// Whether the account still belongs to the tenant that issued the link, enabled.
fn still_member(r: &impl Tx, reset: &PasswordReset) -> Result<bool, StoreError> {
    if reset.tenant == TenantId::INSTANCE {
        return Ok(true);
    }
    Ok(
        store_accounts::get_membership(r, reset.tenant, reset.account)?
            .is_some_and(|m| !m.disabled),
    )
}

/// A link that does not work any more, for whatever reason: one answer for all of them.
fn dead_link() -> ServiceError {
    ServiceError::NotFound
}

impl Services {
    /// A tenant admin's reset link for a member of their organisation; returns the secret
    /// for `/reset/{secret}`.
    pub async fn issue_member_reset(
        &self,
        caller: &Caller,
        account: AccountId,
        addr: &str,
    ) -> ServiceResult<String> {
        let admin = authz::tenant_admin(caller)?;
        if account == admin.account {
            // Their own password they change under Account, knowing the current one.
            return Err(ServiceError::invalid("reset", "own_account"));
        }
        let tenant = admin.tenant;
        let member = self
            .store
            .read(move |r| store_accounts::get_membership(r, tenant, account))
            .await?
            .ok_or(ServiceError::NotFound)?;
        if member.disabled {
            return Err(ServiceError::invalid("reset", "member_disabled"));
        }
        self.issue_reset(tenant, admin.account, account, addr).await
    }

    /// The operator's reset link for any account.
    pub async fn issue_operator_reset(
        &self,
        who: &Identity,
        account: AccountId,
        addr: &str,
    ) -> ServiceResult<String> {
        let operator = authz::operator(who)?;
        self.issue_reset(TenantId::INSTANCE, operator.account, account, addr)
            .await
    }

    async fn issue_reset(
        &self,
        tenant: TenantId,
        by: AccountId,
        account: AccountId,
        addr: &str,
    ) -> ServiceResult<String> {
        let (secret, token_hash) = new_secret();
        let now = self.now();
        let expires_at = now.checked_add(RESET_VALIDITY)?;
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                let target =
                    store_accounts::get_account(w, account)?.ok_or(StoreError::NotFound)?;
                store_resets::put_reset(
                    w,
                    &PasswordReset {
                        token_hash,
                        account,
                        tenant,
                        issued_by: by,
                        created_at: now,
                        expires_at,
                        password_fingerprint: fingerprint(&target),
                        used: false,
                    },
                )?;
                let entry = Entry::new(tenant, AuditKind::PasswordResetIssued, Some(by))
                    .subject(target.email)
                    .from_addr(&addr);
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await?;
        Ok(secret)
    }

    /// The account a live link is for; [`ServiceError::NotFound`] for a dead one.
    async fn live_reset(&self, secret: &str) -> ServiceResult<Account> {
        let hash = hash_secret(secret);
        let now = self.now();
        self.store
            .read(move |r| {
                let Some(reset) = store_resets::reset_by_hash(r, &hash)? else {
                    return Ok(None);
                };
                let Some(account) = store_accounts::get_account(r, reset.account)? else {
                    return Ok(None);
                };
                let live = reset
                    .check(now, &fingerprint(&account), still_member(r, &reset)?)
                    .is_ok();
                Ok(live.then_some(account))
            })
            .await?
            .ok_or_else(dead_link)
    }

    /// Whom a live link is for; [`ServiceError::NotFound`] for a link that does not work.
    pub async fn reset_link(&self, secret: &str) -> ServiceResult<ResetFor> {
        let account = self.live_reset(secret).await?;
        Ok(ResetFor {
            email: account.email,
        })
    }

    /// Sets the new password through a live link, uses the link up and ends every session
    /// of the account. The person signs in with the new password afterwards.
    pub async fn reset_password(
        &self,
        secret: &str,
        new: &str,
        confirm: &str,
        addr: &str,
    ) -> ServiceResult<Account> {
        let account = self.live_reset(secret).await?;
        let mut checks = Checks::default();
        checks.check(validate::password(
            "password",
            new,
            &[&account.email, &account.name],
        ));
        if new != confirm {
            checks.fail("password_confirm", "password_mismatch");
        }
        checks.finish()?;
        let hash = passwords::hash(new.to_owned()).await?;
        let token_hash = hash_secret(secret);
        let now: Timestamp = self.now();
        let addr = addr.to_owned();
        let changed = self
            .store
            .write(move |w| {
                // Checked again inside the write: a second use racing this one loses here.
                let Some(mut reset) = store_resets::reset_by_hash(w, &token_hash)? else {
                    return Ok(None);
                };
                let Some(mut account) = store_accounts::get_account(w, reset.account)? else {
                    return Ok(None);
                };
                let enabled = still_member(w, &reset)?;
                if reset.check(now, &fingerprint(&account), enabled).is_err() {
                    return Ok(None);
                }
                reset.used = true;
                store_resets::put_reset(w, &reset)?;
                account.password_hash = hash.clone();
                account.must_change_password = false;
                store_accounts::put_account(w, &account)?;
                let entry = Entry::new(
                    TenantId::INSTANCE,
                    AuditKind::PasswordChanged,
                    Some(account.id),
                )
                .subject(account.email.clone())
                .detail("reset link")
                .from_addr(&addr);
                audit::append(w, &entry, now)?;
                Ok(Some(account))
            })
            .await?
            .ok_or_else(dead_link)?;
        self.sessions.end_all_of(changed.id).await?;
        Ok(changed)
    }
}
