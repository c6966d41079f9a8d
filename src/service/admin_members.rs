//! The operator and the people of a tenant: who is a member, and admins added to a tenant,
//! first of all when it is created, so no organisation is ever left without anyone who can
//! enter it (docs/architecture.md, "First admin").

use jiff::Timestamp;

use super::audit::{self, Entry};
use super::users::INVITATION_VALIDITY;
use super::{ServiceError, ServiceResult, Services, authz, new_secret};
use crate::domain::accounts::{Account, Membership};
use crate::domain::audit::AuditKind;
use crate::domain::caller::Identity;
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::invitations::Invitation;
use crate::domain::role::Role;
use crate::domain::validate;
use crate::store::{StoreError, WriteTx, accounts as store_accounts, invitations, tenants};

/// The field the admin's address is entered in, on both forms.
pub const ADMIN_EMAIL_FIELD: &str = "admin_email";

/// A member of a tenant as the operator's page lists them.
#[derive(Debug, Clone)]
pub struct TenantMember {
    pub account: Account,
    pub membership: Membership,
}

/// What adding an admin did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAdded {
    /// The address belongs to an account, which is an admin of the tenant from now on.
    Promoted { name: String },
    /// Nobody has the address yet: an invitation to pass on, as the secret of its link
    /// (`/invite/{secret}`), valid once and for [`INVITATION_VALIDITY`].
    Invited { email: String, secret: String },
}

/// Validates the address of a new admin (the field the forms show it next to).
pub(crate) fn admin_email(email: &str) -> ServiceResult<String> {
    validate::email(ADMIN_EMAIL_FIELD, email).map_err(|f| ServiceError::Invalid(vec![f]))
}

/// A prepared admin addition: the secret is drawn before the write, whose command may run
/// more than once.
#[derive(Clone)]
pub(crate) struct NewAdmin {
    email: String,
    secret: String,
    token_hash: [u8; 32],
    by: AccountId,
    addr: String,
    now: Timestamp,
}

impl NewAdmin {
    pub(crate) fn new(email: String, by: AccountId, addr: &str, now: Timestamp) -> NewAdmin {
        let (secret, token_hash) = new_secret();
        NewAdmin {
            email,
            secret,
            token_hash,
            by,
            addr: addr.to_owned(),
            now,
        }
    }

    /// Makes the account of the address an admin of `tenant`, or invites the address as one;
    /// audited in the tenant's log. Inside the caller's transaction.
    pub(crate) fn apply(&self, w: &WriteTx, tenant: TenantId) -> Result<AdminAdded, StoreError> {
        let entry = |kind| {
            Entry::new(tenant, kind, Some(self.by))
                .subject(self.email.clone())
                .detail(Role::TenantAdmin.code())
                .from_addr(&self.addr)
        };
        if let Some(account) = store_accounts::account_by_email(w, &self.email)? {
            let membership = match store_accounts::get_membership(w, tenant, account.id)? {
                Some(m) if m.role == Role::TenantAdmin && !m.disabled => {
                    return Err(StoreError::Conflict("already an admin".into()));
                }
                Some(m) => Membership {
                    role: Role::TenantAdmin,
                    disabled: false,
                    ..m
                },
                None => Membership {
                    tenant,
                    account: account.id,
                    role: Role::TenantAdmin,
                    disabled: false,
                    created_at: self.now,
                },
            };
            store_accounts::put_membership(w, &membership)?;
            audit::append(w, &entry(AuditKind::AdminAdded), self.now)?;
            return Ok(AdminAdded::Promoted { name: account.name });
        }
        let invitation = Invitation {
            token_hash: self.token_hash,
            tenant,
            email: self.email.clone(),
            role: Role::TenantAdmin,
            invited_by: self.by,
            created_at: self.now,
            expires_at: self.now.checked_add(INVITATION_VALIDITY).map_err(|e| {
                StoreError::Internal(format!("invitation expiry out of range: {e}"))
            })?,
            used: false,
        };
        invitations::put_invitation(w, &invitation)?;
        audit::append(w, &entry(AuditKind::UserInvited), self.now)?;
        Ok(AdminAdded::Invited {
            email: self.email.clone(),
            secret: self.secret.clone(),
        })
    }
}

/// "Already an admin" is the operator's mistake, shown next to the field.
pub(crate) fn refusal(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(m) if m == "already an admin" => {
            ServiceError::invalid(ADMIN_EMAIL_FIELD, "already_admin")
        }
        other => other.into(),
    }
}

impl Services {
    /// Every member of `tenant` with their account, admins first, then by name.
    pub async fn tenant_members(
        &self,
        who: &Identity,
        tenant: TenantId,
    ) -> ServiceResult<Vec<TenantMember>> {
        authz::operator(who)?;
        let mut members = self
            .store
            .read(move |r| {
                if tenants::get_tenant(r, tenant)?.is_none() {
                    return Err(StoreError::NotFound);
                }
                let mut rows = Vec::new();
                for membership in store_accounts::members_of_tenant(r, tenant)? {
                    if let Some(account) = store_accounts::get_account(r, membership.account)? {
                        rows.push(TenantMember {
                            account,
                            membership,
                        });
                    }
                }
                Ok(rows)
            })
            .await?;
        members.sort_by_key(|m| {
            (
                m.membership.role != Role::TenantAdmin,
                m.account.name.to_lowercase(),
            )
        });
        Ok(members)
    }

    /// Makes the person with `email` an admin of `tenant`, or invites them as one.
    pub async fn add_tenant_admin(
        &self,
        who: &Identity,
        tenant: TenantId,
        email: &str,
        addr: &str,
    ) -> ServiceResult<AdminAdded> {
        let operator = authz::operator(who)?;
        let email = admin_email(email)?;
        let admin = NewAdmin::new(email, operator.account, addr, self.now());
        self.store
            .write(move |w| {
                if tenants::get_tenant(w, tenant)?.is_none() {
                    return Err(StoreError::NotFound);
                }
                admin.apply(w, tenant)
            })
            .await
            .map_err(refusal)
    }
}
