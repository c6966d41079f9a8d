//! Signing in and out, invitations, and password changes.

use super::audit::{self, Entry};
use super::ratelimit::Limit;
use super::{Checks, ServiceError, ServiceResult, Services, hash_secret, passwords};
use crate::domain::accounts::{Account, Membership};
use crate::domain::audit::AuditKind;
use crate::domain::caller::{AuthMethod, Caller, Identity};
use crate::domain::ids::TenantId;
use crate::domain::role::Role;
use crate::domain::sessions::Session;
use crate::domain::tenants::Tenant;
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::store::accounts::{self as store_accounts, NewAccount};
use crate::store::{invitations as store_invitations, tenants as store_tenants};

/// What a sign-in attempt led to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in: the cookie secret and where the person may go.
    SignedIn {
        secret: String,
        account: Account,
        tenants: Vec<(Tenant, Role)>,
    },
    /// Unknown email, wrong password, or no usable membership: one answer for all.
    Failed,
    /// Correct password, but every tenant of the account is suspended.
    Suspended,
}

/// A person signed in, as resolved from a session cookie.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
}

impl SignedIn {
    pub fn identity(&self) -> Identity {
        Identity {
            account: self.account.id,
            operator: self.account.operator,
            via: AuthMethod::Session,
        }
    }
}

fn limit_key_addr(addr: &str) -> String {
    format!("addr:{addr}")
}

fn limit_key_account(email: &str, addr: &str) -> String {
    format!("acct:{}|{addr}", email.trim().to_lowercase())
}

fn limit_key_account_wide(email: &str) -> String {
    format!("acct-all:{}", email.trim().to_lowercase())
}

impl Services {
    /// Refuses early when the address (or this account from this address) has used up
    /// its allowance; the refusal itself counts, so hammering does not help.
    fn check_rate(&self, keys: &[(String, Limit)]) -> ServiceResult<()> {
        let now = self.now();
        for (key, limit) in keys {
            if let Some(wait) = self.limiter.blocked_for(key, *limit, now) {
                return Err(ServiceError::RateLimited(wait));
            }
        }
        Ok(())
    }

    /// Refuses when this account has failed too often from this address, or from all
    /// addresses together.
    fn check_account_rate(&self, email: &str, addr: &str) -> ServiceResult<()> {
        self.check_rate(&[
            (limit_key_account(email, addr), self.limits.per_account),
            (limit_key_account_wide(email), self.limits.account_wide()),
        ])
    }

    /// Counts a wrong password for this account from this address.
    fn record_account_failure(&self, email: &str, addr: &str) {
        let now = self.now();
        self.limiter.record(
            &limit_key_account(email, addr),
            self.limits.per_account,
            now,
        );
        self.limiter.record(
            &limit_key_account_wide(email),
            self.limits.account_wide(),
            now,
        );
    }

    /// Counts an attempt against the per-address limit of a public endpoint.
    pub fn count_public_attempt(&self, addr: &str) -> ServiceResult<()> {
        let key = limit_key_addr(addr);
        self.check_rate(&[(key.clone(), self.limits.per_address)])?;
        self.limiter
            .record(&key, self.limits.per_address, self.now());
        Ok(())
    }

    /// A new API token for whoever proves the account's password, for integrations that
    /// have no browser session: limited and audited like a sign-in, and the same refusal
    /// (`password: wrong_password`) for an unknown address as for a wrong password.
    pub async fn create_token_with_password(
        &self,
        email: &str,
        password: &str,
        name: &str,
        expires: &str,
        addr: &str,
    ) -> ServiceResult<(crate::domain::tokens::ApiToken, String)> {
        self.check_account_rate(email, addr)?;
        self.count_public_attempt(addr)?;
        let lookup = email.trim().to_lowercase();
        let found = self
            .store
            .read(move |r| store_accounts::account_by_email(r, &lookup))
            .await?;
        let stored_hash = found
            .as_ref()
            .map(|a| a.password_hash.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(passwords::decoy_hash);
        let password_ok = passwords::verify(password.to_owned(), stored_hash).await;
        let Some(account) = found.filter(|_| password_ok) else {
            self.record_account_failure(email, addr);
            return Err(ServiceError::invalid("password", "wrong_password"));
        };
        self.limiter.clear(&limit_key_account(email, addr));
        let who = Identity {
            account: account.id,
            operator: account.operator,
            via: AuthMethod::Session,
        };
        self.create_token(&who, name, expires, addr).await
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        addr: &str,
        user_agent: &str,
    ) -> ServiceResult<LoginOutcome> {
        self.check_account_rate(email, addr)?;
        self.count_public_attempt(addr)?;

        let email_normalised = email.trim().to_lowercase();
        let lookup = email_normalised.clone();
        let found = self
            .store
            .read(move |r| {
                let Some(account) = store_accounts::account_by_email(r, &lookup)? else {
                    return Ok(None);
                };
                let mut tenants = Vec::new();
                for m in store_accounts::memberships_of_account(r, account.id)? {
                    if let Some(t) = store_tenants::get_tenant(r, m.tenant)? {
                        tenants.push((t, m));
                    }
                }
                Ok(Some((account, tenants)))
            })
            .await?;
        // Every path verifies one hash, so unknown and known emails take the same time.
        let stored_hash = found
            .as_ref()
            .map(|(a, _)| a.password_hash.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(passwords::decoy_hash);
        let password_ok = passwords::verify(password.to_owned(), stored_hash).await;

        let usable = found
            .filter(|_| password_ok)
            .and_then(|(account, tenants)| {
                let enabled: Vec<(Tenant, Membership)> =
                    tenants.into_iter().filter(|(_, m)| !m.disabled).collect();
                (account.operator || !enabled.is_empty()).then_some((account, enabled))
            });
        let now = self.now();
        let Some((account, enabled)) = usable else {
            self.record_account_failure(email, addr);
            let detail = email_normalised.chars().take(100).collect::<String>();
            let entry = Entry::new(TenantId::INSTANCE, AuditKind::SignInFailed, None)
                .subject(detail)
                .from_addr(addr);
            self.store
                .write(move |w| audit::append(w, &entry, now).map(|_| ()))
                .await?;
            return Ok(LoginOutcome::Failed);
        };
        let active: Vec<(Tenant, Role)> = enabled
            .iter()
            .filter(|(t, _)| !t.suspended)
            .map(|(t, m)| (t.clone(), m.role))
            .collect();
        if active.is_empty() && !account.operator {
            return Ok(LoginOutcome::Suspended);
        }
        self.limiter.clear(&limit_key_account(email, addr));
        let first_tenant = (active.len() == 1).then(|| active[0].0.id);
        let secret = self
            .sessions
            .create(account.id, first_tenant, user_agent)
            .await?;
        let entries: Vec<Entry> = std::iter::once(TenantId::INSTANCE)
            .chain(active.iter().map(|(t, _)| t.id))
            .map(|tenant| {
                Entry::new(tenant, AuditKind::SignedIn, Some(account.id))
                    .subject(account.email.clone())
                    .from_addr(addr)
            })
            .collect();
        self.store
            .write(move |w| {
                for e in &entries {
                    audit::append(w, e, now)?;
                }
                Ok(())
            })
            .await?;
        Ok(LoginOutcome::SignedIn {
            secret,
            account,
            tenants: active,
        })
    }

    /// The signed-in person behind a session cookie, if the session is alive.
    pub async fn signed_in(&self, secret: &str) -> ServiceResult<Option<SignedIn>> {
        let Some(session) = self.sessions.resolve(secret).await? else {
            return Ok(None);
        };
        let account_id = session.account;
        let Some(account) = self
            .store
            .read(move |r| store_accounts::get_account(r, account_id))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SignedIn { session, account }))
    }

    /// The caller for a tenant URL: the tenant must exist, not be suspended, and the
    /// account must be an enabled member. Anything else is "not found".
    pub async fn caller_in(
        &self,
        account: &Account,
        slug: &str,
        via: AuthMethod,
    ) -> ServiceResult<(Caller, Tenant)> {
        let slug_owned = slug.to_owned();
        let account_id = account.id;
        let found = self
            .store
            .read(move |r| {
                let Some(tenant) = store_tenants::tenant_by_slug(r, &slug_owned)? else {
                    return Ok(None);
                };
                let membership = store_accounts::get_membership(r, tenant.id, account_id)?;
                Ok(membership.map(|m| (tenant, m)))
            })
            .await?;
        match found {
            Some((tenant, m)) if !tenant.suspended && !m.disabled => Ok((
                Caller {
                    tenant: tenant.id,
                    tenant_slug: tenant.slug.clone(),
                    account: account.id,
                    role: m.role,
                    via,
                },
                tenant,
            )),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// Tenants the account may work in now (enabled membership, tenant not suspended).
    pub async fn tenants_of(&self, account: &Account) -> ServiceResult<Vec<(Tenant, Role)>> {
        let id = account.id;
        Ok(self
            .store
            .read(move |r| {
                let mut list = Vec::new();
                for m in store_accounts::memberships_of_account(r, id)? {
                    if m.disabled {
                        continue;
                    }
                    if let Some(t) = store_tenants::get_tenant(r, m.tenant)?
                        && !t.suspended
                    {
                        list.push((t, m.role));
                    }
                }
                list.sort_by_key(|(t, _)| t.name.to_lowercase());
                Ok(list)
            })
            .await?)
    }

    pub async fn logout(&self, signed_in: &SignedIn, addr: &str) -> ServiceResult<()> {
        self.sessions.end(signed_in.session.id_hash).await?;
        let now = self.now();
        let entry = Entry::new(
            TenantId::INSTANCE,
            AuditKind::SignedOut,
            Some(signed_in.account.id),
        )
        .subject(signed_in.account.email.clone())
        .from_addr(addr);
        self.store
            .write(move |w| audit::append(w, &entry, now).map(|_| ()))
            .await?;
        Ok(())
    }

    /// Changes the password (the current one is required) and ends every other session
    /// of the account; the caller's own session is replaced by a fresh one, whose secret
    /// is returned.
    pub async fn change_password(
        &self,
        signed_in: &SignedIn,
        current: &str,
        new: &str,
        confirm: &str,
        addr: &str,
        user_agent: &str,
    ) -> ServiceResult<String> {
        self.check_account_rate(&signed_in.account.email, addr)?;
        let mut checks = Checks::default();
        let account = &signed_in.account;
        checks.check(validate::password(
            "new_password",
            new,
            &[&account.email, &account.name],
        ));
        if new != confirm {
            checks.fail("password_confirm", "password_mismatch");
        }
        if !passwords::verify(current.to_owned(), signed_in.account.password_hash.clone()).await {
            self.record_account_failure(&signed_in.account.email, addr);
            checks.fail("current_password", "wrong_password");
        } else if current == new {
            checks.fail("new_password", "password_unchanged");
        }
        checks.finish()?;
        let hash = passwords::hash(new.to_owned()).await?;
        let account_id = signed_in.account.id;
        let now = self.now();
        let entry = Entry::new(
            TenantId::INSTANCE,
            AuditKind::PasswordChanged,
            Some(account_id),
        )
        .subject(signed_in.account.email.clone())
        .from_addr(addr);
        self.store
            .write(move |w| {
                let mut account = store_accounts::get_account(w, account_id)?
                    .ok_or(crate::store::StoreError::NotFound)?;
                account.password_hash = hash.clone();
                account.must_change_password = false;
                store_accounts::put_account(w, &account)?;
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await?;
        self.sessions.end_all_of(account_id).await?;
        self.sessions
            .create(account_id, signed_in.session.tenant, user_agent)
            .await
    }

    /// The tenant name and email of a live invitation, for its page.
    pub async fn invitation(&self, token: &str) -> ServiceResult<(Tenant, String, bool)> {
        let hash = hash_secret(token);
        let now = self.now();
        let found = self
            .store
            .read(move |r| {
                let Some(inv) = store_invitations::invitation_by_hash(r, &hash)? else {
                    return Ok(None);
                };
                let tenant = store_tenants::get_tenant(r, inv.tenant)?;
                let existing = store_accounts::account_by_email(r, &inv.email)?.is_some();
                Ok(tenant.map(|t| (inv, t, existing)))
            })
            .await?;
        match found {
            Some((inv, tenant, existing))
                if !inv.used && now < inv.expires_at && !tenant.suspended =>
            {
                Ok((tenant, inv.email, existing))
            }
            _ => Err(ServiceError::NotFound),
        }
    }

    /// Accepts an invitation. A new person chooses a name and password; a person who
    /// already has an account proves it with their password and gains the membership.
    pub async fn accept_invitation(
        &self,
        token: &str,
        name: &str,
        password: &str,
        confirm: &str,
        addr: &str,
    ) -> ServiceResult<(Account, Tenant)> {
        self.count_public_attempt(addr)?;
        let (tenant, email, existing) = self.invitation(token).await?;
        let mut checks = Checks::default();
        let hash = if existing {
            // Joining with an existing account's password is a sign-in: same limits.
            self.check_account_rate(&email, addr)?;
            let lookup = email.clone();
            let account = self
                .store
                .read(move |r| store_accounts::account_by_email(r, &lookup))
                .await?
                .ok_or(ServiceError::NotFound)?;
            if !passwords::verify(password.to_owned(), account.password_hash.clone()).await {
                self.record_account_failure(&email, addr);
                checks.fail("password", "wrong_password");
            }
            checks.finish()?;
            None
        } else {
            checks.check(validate::name("name", name, MAX_NAME_CHARS));
            checks.check(validate::password("password", password, &[&email, name]));
            if password != confirm {
                checks.fail("password_confirm", "password_mismatch");
            }
            checks.finish()?;
            Some(passwords::hash(password.to_owned()).await?)
        };
        let name = name.trim().to_owned();
        let token_hash = hash_secret(token);
        let now = self.now();
        let addr = addr.to_owned();
        let tenant_id = tenant.id;
        let account = self
            .store
            .write(move |w| {
                let mut inv = store_invitations::invitation_by_hash(w, &token_hash)?
                    .ok_or(crate::store::StoreError::NotFound)?;
                if inv.used || now >= inv.expires_at {
                    return Err(crate::store::StoreError::NotFound);
                }
                let account = match (&hash, store_accounts::account_by_email(w, &inv.email)?) {
                    (_, Some(existing)) => existing,
                    (Some(hash), None) => store_accounts::create_account(
                        w,
                        NewAccount::person(inv.email.clone(), name.clone(), hash.clone()),
                        now,
                    )?,
                    (None, None) => return Err(crate::store::StoreError::NotFound),
                };
                let membership = match store_accounts::get_membership(w, tenant_id, account.id)? {
                    Some(mut m) => {
                        m.role = m.role.max(inv.role);
                        m
                    }
                    None => Membership {
                        tenant: tenant_id,
                        account: account.id,
                        role: inv.role,
                        disabled: false,
                        created_at: now,
                    },
                };
                store_accounts::put_membership(w, &membership)?;
                inv.used = true;
                store_invitations::put_invitation(w, &inv)?;
                audit::append(
                    w,
                    &Entry::new(tenant_id, AuditKind::InvitationAccepted, Some(account.id))
                        .subject(account.email.clone())
                        .detail(membership.role.code())
                        .from_addr(&addr),
                    now,
                )?;
                Ok(account)
            })
            .await?;
        Ok((account, tenant))
    }
}
