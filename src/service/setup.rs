//! First-run setup: the one-time link logged at start, and the form that creates the
//! operator and the first tenant.

use jiff::{SignedDuration, Timestamp};

use super::audit::{self, Entry};
use super::{Checks, ServiceError, ServiceResult, Services, hash_secret, new_secret, passwords};
use crate::domain::accounts::{Account, Membership};
use crate::domain::audit::AuditKind;
use crate::domain::ids::TenantId;
use crate::domain::role::Role;
use crate::domain::tenants::Tenant;
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::store::accounts::{self as store_accounts, NewAccount};

/// The one-time setup link, alive while no operator exists.
#[derive(Debug, Clone)]
pub struct SetupToken {
    hash: [u8; 32],
    expires_at: Timestamp,
}

pub const SETUP_VALIDITY: SignedDuration = SignedDuration::from_hours(24);

/// Values of the setup form.
#[derive(Debug, Clone, Default)]
pub struct SetupInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
    pub tenant_name: String,
    pub tenant_slug: String,
}

impl Services {
    /// Whether an operator exists (the instance went through first-run setup).
    pub async fn is_set_up(&self) -> ServiceResult<bool> {
        Ok(self.store.read(store_accounts::any_operator).await?)
    }

    /// Creates the setup link when no operator exists yet; `None` once set up. A fresh
    /// link replaces any earlier one (each start logs a new one).
    pub async fn issue_setup_token(&self) -> ServiceResult<Option<String>> {
        if self.store.read(store_accounts::any_operator).await? {
            return Ok(None);
        }
        let (secret, hash) = new_secret();
        let expires_at = self.now().checked_add(SETUP_VALIDITY)?;
        *self.setup.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(SetupToken { hash, expires_at });
        Ok(Some(secret))
    }

    /// Whether `token` is the live setup link.
    pub fn setup_token_valid(&self, token: &str) -> bool {
        let guard = self.setup.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .is_some_and(|t| t.hash == hash_secret(token) && self.now() < t.expires_at)
    }

    /// Creates the operator and the first tenant (the operator is its admin), and uses the
    /// link up.
    pub async fn complete_setup(
        &self,
        token: &str,
        input: SetupInput,
        addr: &str,
    ) -> ServiceResult<(Account, Tenant)> {
        self.count_public_attempt(addr)?;
        if !self.setup_token_valid(token) {
            return Err(ServiceError::NotFound);
        }
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", &input.name, MAX_NAME_CHARS));
        let email = checks.check(validate::email("email", &input.email));
        checks.check(validate::password(
            "password",
            &input.password,
            &[&input.email, &input.name, &input.tenant_name],
        ));
        if input.password != input.password_confirm {
            checks.fail("password_confirm", "password_mismatch");
        }
        let tenant_name = checks.check(validate::name(
            "tenant_name",
            &input.tenant_name,
            MAX_NAME_CHARS,
        ));
        let slug = checks.check(validate::slug("tenant_slug", &input.tenant_slug));
        checks.finish()?;
        let (Some(name), Some(email), Some(tenant_name), Some(slug)) =
            (name, email, tenant_name, slug)
        else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let hash = passwords::hash(input.password.clone()).await?;
        let now = self.now();
        let addr = addr.to_owned();
        let (account, tenant) = self
            .store
            .write_checked(move |w| {
                // Set up already: the setup page no longer exists.
                if store_accounts::any_operator(w)? {
                    return Err(ServiceError::NotFound);
                }
                let account = store_accounts::create_account(
                    w,
                    NewAccount {
                        operator: true,
                        ..NewAccount::person(email.clone(), name.clone(), hash.clone())
                    },
                    now,
                )?;
                let tenant = super::admin::create_tenant_in(w, &slug, &tenant_name, 0, now)?;
                store_accounts::put_membership(
                    w,
                    &Membership {
                        tenant: tenant.id,
                        account: account.id,
                        role: Role::TenantAdmin,
                        disabled: false,
                        created_at: now,
                    },
                )?;
                audit::append(
                    w,
                    &Entry::new(
                        TenantId::INSTANCE,
                        AuditKind::InstanceSetUp,
                        Some(account.id),
                    )
                    .subject(account.email.clone())
                    .from_addr(&addr),
                    now,
                )?;
                audit::append(
                    w,
                    &Entry::new(
                        TenantId::INSTANCE,
                        AuditKind::TenantCreated,
                        Some(account.id),
                    )
                    .subject(tenant.slug.clone())
                    .from_addr(&addr),
                    now,
                )?;
                Ok((account, tenant))
            })
            .await?;
        *self.setup.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok((account, tenant))
    }
}
