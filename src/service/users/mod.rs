//! Tenant administration of people: list, invite, create, change role, disable, sessions.

mod edit;
pub mod list;

pub use edit::MemberDetails;

use jiff::{SignedDuration, Timestamp};

use super::audit::{self, Entry};
use super::authz;
use super::{Checks, ServiceError, ServiceResult, Services, new_secret, passwords};
use crate::domain::accounts::{Account, Membership};
use crate::domain::audit::AuditKind;
use crate::domain::caller::{Caller, TenantAdmin};
use crate::domain::ids::AccountId;
use crate::domain::invitations::Invitation;
use crate::domain::role::Role;
use crate::domain::sessions::Session;
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::store::accounts::{self as store_accounts, NewAccount};
use crate::store::{StoreError, invitations as store_invitations};

/// Invitation links stay valid this long (the issue allows at most 7 days).
pub const INVITATION_VALIDITY: SignedDuration = SignedDuration::from_hours(7 * 24);

/// A member of the tenant as the admin sees them.
#[derive(Debug, Clone)]
pub struct Member {
    pub account: Account,
    pub membership: Membership,
    pub online: bool,
}

fn parse_role(checks: &mut Checks, value: &str) -> Option<Role> {
    let role = Role::parse(value.trim());
    if role.is_none() {
        checks.fail("role", "invalid_choice");
    }
    role
}

impl Services {
    /// Members of the caller's tenant whose name, email or phone contains `query`.
    pub async fn list_members(&self, caller: &Caller, query: &str) -> ServiceResult<Vec<Member>> {
        let caller = authz::tenant_admin(caller)?;
        let tenant = caller.tenant;
        let needle = query.trim().to_lowercase();
        let rows = self
            .store
            .read(move |r| {
                let mut rows = Vec::new();
                for m in store_accounts::members_of_tenant(r, tenant)? {
                    if let Some(a) = store_accounts::get_account(r, m.account)? {
                        let hit = needle.is_empty()
                            || a.name.to_lowercase().contains(&needle)
                            || a.email.contains(&needle)
                            || a.phone.contains(&needle);
                        if hit {
                            rows.push((a, m));
                        }
                    }
                }
                Ok(rows)
            })
            .await?;
        let online: Vec<AccountId> = self
            .sessions
            .online_in(tenant)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let mut members: Vec<Member> = rows
            .into_iter()
            .map(|(account, membership)| Member {
                online: online.contains(&account.id),
                account,
                membership,
            })
            .collect();
        members.sort_by(|a, b| {
            a.account
                .name
                .to_lowercase()
                .cmp(&b.account.name.to_lowercase())
        });
        Ok(members)
    }

    pub async fn member(
        &self,
        caller: &Caller,
        account: AccountId,
    ) -> ServiceResult<(Member, Vec<Session>)> {
        let caller = authz::tenant_admin(caller)?;
        let tenant = caller.tenant;
        let (account, membership) = self
            .store
            .read(move |r| {
                let m = store_accounts::get_membership(r, tenant, account)?;
                let a = store_accounts::get_account(r, account)?;
                Ok(m.zip(a))
            })
            .await?
            .map(|(m, a)| (a, m))
            .ok_or(ServiceError::NotFound)?;
        let sessions = self.sessions.sessions_of(account.id).await?;
        let online = self
            .sessions
            .online_in(tenant)
            .iter()
            .any(|(a, _)| *a == account.id);
        Ok((
            Member {
                account,
                membership,
                online,
            },
            sessions,
        ))
    }

    /// Creates a single-use invitation and returns its secret for the link.
    pub async fn invite(
        &self,
        caller: &Caller,
        email: &str,
        role: &str,
        addr: &str,
    ) -> ServiceResult<String> {
        let caller = authz::tenant_admin(caller)?;
        let mut checks = Checks::default();
        let email = checks.check(validate::email("email", email));
        let role = parse_role(&mut checks, role);
        checks.finish()?;
        let (Some(email), Some(role)) = (email, role) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let (secret, hash) = new_secret();
        let now = self.now();
        let expires_at = now.checked_add(INVITATION_VALIDITY)?;
        let invitation = Invitation {
            token_hash: hash,
            tenant: caller.tenant,
            email: email.clone(),
            role,
            invited_by: caller.account,
            created_at: now,
            expires_at,
            used: false,
        };
        let entry = Entry::new(caller.tenant, AuditKind::UserInvited, Some(caller.account))
            .subject(email)
            .detail(role.code())
            .from_addr(addr);
        self.store
            .write(move |w| {
                store_invitations::put_invitation(w, &invitation)?;
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await?;
        Ok(secret)
    }

    /// Invitations of the caller's tenant that can still be accepted, newest first, with
    /// the name of whoever sent each.
    pub async fn pending_invitations(
        &self,
        caller: &Caller,
    ) -> ServiceResult<Vec<(Invitation, String)>> {
        let caller = authz::tenant_admin(caller)?;
        let (tenant, now) = (caller.tenant, self.now());
        Ok(self
            .store
            .read(move |r| {
                let mut out = Vec::new();
                for inv in store_invitations::invitations_of_tenant(r, tenant)? {
                    if inv.used || inv.expires_at <= now {
                        continue;
                    }
                    let by = store_accounts::get_account(r, inv.invited_by)?
                        .map(|a| a.name)
                        .unwrap_or_default();
                    out.push((inv, by));
                }
                Ok(out)
            })
            .await?)
    }

    /// Withdraws a pending invitation of the caller's tenant, so its link stops working.
    /// `id` is the hex form of the invitation's stored hash (never the secret link).
    pub async fn withdraw_invitation(
        &self,
        caller: &Caller,
        id: &str,
        addr: &str,
    ) -> ServiceResult<()> {
        let caller = authz::tenant_admin(caller)?;
        let hash = crate::blobs::parse_hash(id).ok_or(ServiceError::NotFound)?;
        let (tenant, actor, now) = (caller.tenant, caller.account, self.now());
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                let inv = store_invitations::invitation_by_hash(w, &hash)?
                    .filter(|inv| inv.tenant == tenant && !inv.used)
                    .ok_or(StoreError::NotFound)?;
                store_invitations::delete_invitation(w, &hash)?;
                let entry = Entry::new(tenant, AuditKind::InvitationWithdrawn, Some(actor))
                    .subject(inv.email)
                    .detail(inv.role.code())
                    .from_addr(&addr);
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await
            .map_err(ServiceError::from)
    }

    /// Creates an account with an initial password that must be changed at first sign-in.
    pub async fn create_member(
        &self,
        caller: &Caller,
        name: &str,
        email: &str,
        role: &str,
        initial_password: &str,
        addr: &str,
    ) -> ServiceResult<Account> {
        let caller = authz::tenant_admin(caller)?;
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", name, MAX_NAME_CHARS));
        let email = checks.check(validate::email("email", email));
        let role = parse_role(&mut checks, role);
        checks.check(validate::password(
            "initial_password",
            initial_password,
            &[
                email.as_deref().unwrap_or_default(),
                name.as_deref().unwrap_or_default(),
            ],
        ));
        checks.finish()?;
        let (Some(name), Some(email), Some(role)) = (name, email, role) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let hash = passwords::hash(initial_password.to_owned()).await?;
        let now = self.now();
        let tenant = caller.tenant;
        let entry = Entry::new(tenant, AuditKind::UserCreated, Some(caller.account))
            .subject(email.clone())
            .detail(role.code())
            .from_addr(addr);
        self.store
            .write(move |w| {
                let account = store_accounts::create_account(
                    w,
                    NewAccount {
                        must_change_password: true,
                        ..NewAccount::person(email.clone(), name.clone(), hash.clone())
                    },
                    now,
                )?;
                store_accounts::put_membership(
                    w,
                    &Membership {
                        tenant,
                        account: account.id,
                        role,
                        disabled: false,
                        created_at: now,
                    },
                )?;
                audit::append(w, &entry, now)?;
                Ok(account)
            })
            .await
            .map_err(|e| match e {
                // An existing account joins through an invitation, which it must accept.
                StoreError::Conflict(_) => ServiceError::invalid("email", "taken_email"),
                other => other.into(),
            })
    }

    pub async fn set_role(
        &self,
        caller: &Caller,
        account: AccountId,
        role: &str,
        addr: &str,
    ) -> ServiceResult<()> {
        let caller = authz::tenant_admin(caller)?;
        let mut checks = Checks::default();
        let role = parse_role(&mut checks, role);
        if account == caller.account {
            // An admin demoting themselves could leave the tenant without any admin.
            checks.fail("role", "own_account");
        }
        checks.finish()?;
        let Some(role) = role else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        self.change_membership(caller, account, addr, move |m| {
            let before = m.role;
            m.role = role;
            (before != role).then(|| {
                (
                    AuditKind::RoleChanged,
                    format!("{} → {}", before.code(), role.code()),
                )
            })
        })
        .await
    }

    /// Disables or enables a member; disabling ends every session of the account.
    pub async fn set_disabled(
        &self,
        caller: &Caller,
        account: AccountId,
        disabled: bool,
        addr: &str,
    ) -> ServiceResult<()> {
        let caller = authz::tenant_admin(caller)?;
        if account == caller.account {
            return Err(ServiceError::invalid("role", "own_account"));
        }
        self.change_membership(caller, account, addr, move |m| {
            let changed = m.disabled != disabled;
            m.disabled = disabled;
            let kind = if disabled {
                AuditKind::UserDisabled
            } else {
                AuditKind::UserEnabled
            };
            changed.then(|| (kind, String::new()))
        })
        .await?;
        if disabled {
            self.sessions.end_all_of(account).await?;
        }
        Ok(())
    }

    pub async fn end_member_sessions(
        &self,
        caller: &Caller,
        account: AccountId,
        addr: &str,
    ) -> ServiceResult<usize> {
        let (member, _) = self.member(caller, account).await?;
        let ended = self.sessions.end_all_of(account).await?;
        let now = self.now();
        let entry = Entry::new(
            caller.tenant,
            AuditKind::SessionsEnded,
            Some(caller.account),
        )
        .subject(member.account.email)
        .detail(ended.to_string())
        .from_addr(addr);
        self.store
            .write(move |w| audit::append(w, &entry, now).map(|_| ()))
            .await?;
        Ok(ended)
    }

    /// Only a tenant admin changes memberships, so the capability is the parameter.
    async fn change_membership(
        &self,
        caller: TenantAdmin<'_>,
        account: AccountId,
        addr: &str,
        change: impl Fn(&mut Membership) -> Option<(AuditKind, String)> + Send + 'static,
    ) -> ServiceResult<()> {
        let tenant = caller.tenant;
        let actor = caller.account;
        let addr = addr.to_owned();
        let now: Timestamp = self.now();
        self.store
            .write(move |w| {
                let mut m = store_accounts::get_membership(w, tenant, account)?
                    .ok_or(StoreError::NotFound)?;
                let subject = store_accounts::get_account(w, account)?
                    .map(|a| a.email)
                    .unwrap_or_default();
                if let Some((kind, detail)) = change(&mut m) {
                    store_accounts::put_membership(w, &m)?;
                    audit::append(
                        w,
                        &Entry::new(tenant, kind, Some(actor))
                            .subject(subject)
                            .detail(detail)
                            .from_addr(&addr),
                        now,
                    )?;
                }
                Ok(())
            })
            .await
            .map_err(ServiceError::from)
    }

    /// People of the caller's tenant signed in now, for staff.
    pub async fn online_members(
        &self,
        caller: &Caller,
    ) -> ServiceResult<Vec<(Account, Role, Timestamp)>> {
        let caller = authz::staff(caller)?;
        let tenant = caller.tenant;
        let online = self.sessions.online_in(tenant);
        Ok(self
            .store
            .read(move |r| {
                let mut out = Vec::new();
                for (account, seen) in online {
                    if let (Some(a), Some(m)) = (
                        store_accounts::get_account(r, account)?,
                        store_accounts::get_membership(r, tenant, account)?,
                    ) && !m.disabled
                    {
                        out.push((a, m.role, seen));
                    }
                }
                Ok(out)
            })
            .await?)
    }
}
