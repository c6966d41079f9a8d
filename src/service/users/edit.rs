//! A tenant admin changes a member's details or removes them from the organisation
//! (docs/architecture.md, "Tenancy").
//!
//! An account is instance-wide, so its name, address and phone are the person's in every
//! organisation. A tenant admin may therefore change them only for an account that belongs
//! to their organisation alone: changing the address of a person who is also in another
//! organisation would let one organisation's admin take over an account the other trusts.

use jiff::Timestamp;

use super::super::audit::{self, Entry};
use super::super::{Checks, ServiceError, ServiceResult, Services, authz};
use crate::domain::audit::AuditKind;
use crate::domain::caller::Caller;
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::store::access::Tx;
use crate::store::{StoreError, accounts as store_accounts};

/// A member's details as the admin typed them.
#[derive(Debug, Clone, Default)]
pub struct MemberDetails {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// Whether the account is this tenant's alone (and not the operator's).
fn only_here(r: &impl Tx, tenant: TenantId, account: AccountId) -> Result<bool, StoreError> {
    let Some(found) = store_accounts::get_account(r, account)? else {
        return Err(StoreError::NotFound);
    };
    let memberships = store_accounts::memberships_of_account(r, account)?;
    Ok(!found.operator && memberships.iter().all(|m| m.tenant == tenant))
}

impl Services {
    /// Whether the caller may change the member's name, address and phone.
    pub async fn member_details_editable(
        &self,
        caller: &Caller,
        account: AccountId,
    ) -> ServiceResult<bool> {
        let admin = authz::tenant_admin(caller)?;
        let tenant = admin.tenant;
        self.store
            .read(move |r| {
                store_accounts::get_membership(r, tenant, account)?.ok_or(StoreError::NotFound)?;
                only_here(r, tenant, account)
            })
            .await
            .map_err(ServiceError::from)
    }

    /// Changes a member's name, address and phone; audited with what changed.
    pub async fn edit_member(
        &self,
        caller: &Caller,
        account: AccountId,
        details: &MemberDetails,
        addr: &str,
    ) -> ServiceResult<()> {
        let admin = authz::tenant_admin(caller)?;
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", &details.name, MAX_NAME_CHARS));
        let email = checks.check(validate::email("email", &details.email));
        let phone = checks.check(validate::phone("phone", &details.phone));
        checks.finish()?;
        let (Some(name), Some(email), Some(phone)) = (name, email, phone) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let (tenant, actor) = (admin.tenant, admin.account);
        let now: Timestamp = self.now();
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                store_accounts::get_membership(w, tenant, account)?.ok_or(StoreError::NotFound)?;
                if !only_here(w, tenant, account)? {
                    return Err(StoreError::Conflict("elsewhere".into()));
                }
                let mut found =
                    store_accounts::get_account(w, account)?.ok_or(StoreError::NotFound)?;
                let mut changed = Vec::new();
                if found.name != name {
                    changed.push("name");
                }
                if found.email != email {
                    changed.push("email");
                }
                if found.phone != phone {
                    changed.push("phone");
                }
                if changed.is_empty() {
                    return Ok(());
                }
                let subject = found.email.clone();
                found.name = name.clone();
                found.email = email.clone();
                found.phone = phone.clone();
                store_accounts::put_account(w, &found)?;
                let entry = Entry::new(tenant, AuditKind::UserEdited, Some(actor))
                    .subject(subject)
                    .detail(changed.join(", "))
                    .from_addr(&addr);
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) if m == "email" => {
                    ServiceError::invalid("email", "taken_email")
                }
                StoreError::Conflict(m) if m == "elsewhere" => {
                    ServiceError::invalid("name", "account_elsewhere")
                }
                other => other.into(),
            })?;
        Ok(())
    }

    /// Removes a member from the caller's organisation and signs them out everywhere. Their
    /// account, tickets and messages stay, shown under their name.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        account: AccountId,
        addr: &str,
    ) -> ServiceResult<()> {
        let admin = authz::tenant_admin(caller)?;
        if account == admin.account {
            // The remover is an admin, so whoever is removed leaves at least that admin.
            return Err(ServiceError::invalid("remove", "own_account"));
        }
        let (tenant, actor) = (admin.tenant, admin.account);
        let now: Timestamp = self.now();
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                let found = store_accounts::get_account(w, account)?.ok_or(StoreError::NotFound)?;
                if !store_accounts::remove_membership(w, tenant, account)? {
                    return Err(StoreError::NotFound);
                }
                let entry = Entry::new(tenant, AuditKind::UserRemoved, Some(actor))
                    .subject(found.email)
                    .from_addr(&addr);
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await?;
        self.sessions.end_all_of(account).await?;
        Ok(())
    }
}
