//! The operator's work: tenants, licence limits, instance settings.

use jiff::Timestamp;

use super::admin_members::{self, ADMIN_EMAIL_FIELD, AdminAdded, NewAdmin};
use super::audit::{self, Entry};
use super::authz;
use super::{Checks, ServiceError, ServiceResult, Services};
use crate::domain::audit::AuditKind;
use crate::domain::caller::Identity;
use crate::domain::ids::TenantId;
use crate::domain::settings::InstanceSettings;
use crate::domain::tenants::Tenant;
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::store::WriteTx;
use crate::store::{
    StoreError, accounts as store_accounts, catalog as store_catalog, settings as store_settings,
    tenants as store_tenants,
};

/// The priorities every new tenant starts with: name, colour, rank, response target.
const DEFAULT_PRIORITIES: [(&str, &str, u32, Option<u32>); 4] = [
    ("Kritisch / Critical", "#b42318", 1, Some(60)),
    ("Hoch / High", "#c4320a", 2, Some(4 * 60)),
    ("Normal", "#1f5fbf", 3, Some(24 * 60)),
    ("Niedrig / Low", "#4a5568", 4, None),
];

/// Creates a tenant with its default priorities, inside the caller's transaction.
pub fn create_tenant_in(
    w: &WriteTx,
    slug: &str,
    name: &str,
    licence_limit: u32,
    now: Timestamp,
) -> Result<Tenant, StoreError> {
    let tenant = store_tenants::create_tenant(w, slug, name, licence_limit, now)?;
    for (name, colour, rank, target) in DEFAULT_PRIORITIES {
        store_catalog::create_priority(w, tenant.id, name, colour, rank, target)?;
    }
    Ok(tenant)
}

/// A tenant with the figures the operator's list shows.
#[derive(Debug, Clone)]
pub struct TenantSummary {
    pub tenant: Tenant,
    pub members: usize,
    pub online: usize,
}

/// Values of the tenant form.
#[derive(Debug, Clone, Default)]
pub struct TenantInput {
    pub name: String,
    pub slug: String,
    pub licence_limit: String,
    /// Only when creating: the first admin (an existing account, or whom to invite).
    pub admin_email: String,
}

fn parse_limit(checks: &mut Checks, value: &str) -> Option<u32> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Some(0);
    }
    match trimmed.parse::<u32>() {
        Ok(n) if n <= 1_000_000 => Some(n),
        _ => {
            checks.fail("licence_limit", "invalid_number");
            None
        }
    }
}

impl Services {
    pub async fn list_tenants(&self, who: &Identity) -> ServiceResult<Vec<TenantSummary>> {
        authz::operator(who)?;
        let tenants = self
            .store
            .read(|r| {
                let mut out = Vec::new();
                for t in store_tenants::list_tenants(r)? {
                    let members = store_accounts::members_of_tenant(r, t.id)?.len();
                    out.push((t, members));
                }
                Ok(out)
            })
            .await?;
        Ok(tenants
            .into_iter()
            .map(|(tenant, members)| TenantSummary {
                online: self.sessions.online_in(tenant.id).len(),
                tenant,
                members,
            })
            .collect())
    }

    pub async fn tenant_summary(
        &self,
        who: &Identity,
        id: TenantId,
    ) -> ServiceResult<TenantSummary> {
        self.list_tenants(who)
            .await?
            .into_iter()
            .find(|s| s.tenant.id == id)
            .ok_or(ServiceError::NotFound)
    }

    /// Creates a tenant together with its first admin, so that somebody can enter it: the
    /// account of `input.admin_email` becomes its admin, or that address is invited as one.
    pub async fn create_tenant(
        &self,
        who: &Identity,
        input: &TenantInput,
        addr: &str,
    ) -> ServiceResult<(Tenant, AdminAdded)> {
        let operator = authz::operator(who)?;
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", &input.name, MAX_NAME_CHARS));
        let slug = checks.check(validate::slug("slug", &input.slug));
        let limit = parse_limit(&mut checks, &input.licence_limit);
        let admin_email = checks.check(validate::email(ADMIN_EMAIL_FIELD, &input.admin_email));
        checks.finish()?;
        let (Some(name), Some(slug), Some(limit), Some(admin_email)) =
            (name, slug, limit, admin_email)
        else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let now = self.now();
        let entry = Entry::new(
            TenantId::INSTANCE,
            AuditKind::TenantCreated,
            Some(who.account),
        )
        .subject(slug.clone())
        .detail(name.clone())
        .from_addr(addr);
        let admin = NewAdmin::new(admin_email, operator.account, addr, now);
        self.store
            .write(move |w| {
                let tenant = create_tenant_in(w, &slug, &name, limit, now)?;
                audit::append(w, &entry, now)?;
                let added = admin.apply(w, tenant.id)?;
                Ok((tenant, added))
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) if m.contains("slug") => {
                    ServiceError::invalid("slug", "taken_slug")
                }
                other => admin_members::refusal(other),
            })
    }

    /// Renames a tenant and sets its licence limit (the slug stays: URLs keep working).
    pub async fn update_tenant(
        &self,
        who: &Identity,
        id: TenantId,
        input: &TenantInput,
        addr: &str,
    ) -> ServiceResult<Tenant> {
        authz::operator(who)?;
        let mut checks = Checks::default();
        let name = checks.check(validate::name("name", &input.name, MAX_NAME_CHARS));
        let limit = parse_limit(&mut checks, &input.licence_limit);
        checks.finish()?;
        let (Some(name), Some(limit)) = (name, limit) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let now = self.now();
        let actor = who.account;
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                let mut tenant = store_tenants::get_tenant(w, id)?.ok_or(StoreError::NotFound)?;
                let changed = |kind: AuditKind, detail: String| {
                    let entry = Entry::new(TenantId::INSTANCE, kind, Some(actor))
                        .subject(tenant.slug.clone())
                        .detail(detail)
                        .from_addr(&addr);
                    audit::append(w, &entry, now)
                };
                if tenant.name != name {
                    changed(
                        AuditKind::TenantRenamed,
                        format!("{} → {}", tenant.name, name),
                    )?;
                }
                if tenant.licence_limit != limit {
                    changed(
                        AuditKind::LicenceChanged,
                        format!("{} → {}", tenant.licence_limit, limit),
                    )?;
                }
                tenant.name = name.clone();
                tenant.licence_limit = limit;
                store_tenants::put_tenant(w, &tenant)?;
                Ok(tenant)
            })
            .await
            .map_err(ServiceError::from)
    }

    /// Suspends or resumes a tenant. Suspension ends the sessions of people whose only
    /// usable tenant it was at their next request (the membership check fails).
    pub async fn set_tenant_suspended(
        &self,
        who: &Identity,
        id: TenantId,
        suspended: bool,
        addr: &str,
    ) -> ServiceResult<Tenant> {
        authz::operator(who)?;
        let now = self.now();
        let actor = who.account;
        let addr = addr.to_owned();
        self.store
            .write(move |w| {
                let mut tenant = store_tenants::get_tenant(w, id)?.ok_or(StoreError::NotFound)?;
                tenant.suspended = suspended;
                store_tenants::put_tenant(w, &tenant)?;
                let kind = if suspended {
                    AuditKind::TenantSuspended
                } else {
                    AuditKind::TenantResumed
                };
                audit::append(
                    w,
                    &Entry::new(TenantId::INSTANCE, kind, Some(actor))
                        .subject(tenant.slug.clone())
                        .from_addr(&addr),
                    now,
                )?;
                Ok(tenant)
            })
            .await
            .map_err(ServiceError::from)
    }

    pub fn instance_settings(&self, who: &Identity) -> ServiceResult<InstanceSettings> {
        authz::operator(who)?;
        Ok(self.sessions.settings())
    }

    pub async fn update_instance_settings(
        &self,
        who: &Identity,
        instance_name: &str,
        idle_minutes: &str,
        absolute_hours: &str,
        addr: &str,
    ) -> ServiceResult<InstanceSettings> {
        authz::operator(who)?;
        let mut checks = Checks::default();
        let name = checks.check(validate::name(
            "instance_name",
            instance_name,
            MAX_NAME_CHARS,
        ));
        let idle = match idle_minutes.trim().parse::<u32>() {
            Ok(n) if (5..=7 * 24 * 60).contains(&n) => Some(n),
            _ => {
                checks.fail("session_idle_minutes", "invalid_number");
                None
            }
        };
        let absolute = match absolute_hours.trim().parse::<u32>() {
            Ok(n) if (1..=90 * 24).contains(&n) => Some(n),
            _ => {
                checks.fail("session_absolute_hours", "invalid_number");
                None
            }
        };
        checks.finish()?;
        let (Some(name), Some(idle), Some(absolute)) = (name, idle, absolute) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let settings = InstanceSettings {
            instance_name: name,
            session_idle_minutes: idle,
            session_absolute_hours: absolute,
        };
        let now = self.now();
        let entry = Entry::new(
            TenantId::INSTANCE,
            AuditKind::SettingsChanged,
            Some(who.account),
        )
        .detail(format!("idle {idle} min, absolute {absolute} h"))
        .from_addr(addr);
        let stored = settings.clone();
        self.store
            .write(move |w| {
                store_settings::put_instance_settings(w, &stored)?;
                audit::append(w, &entry, now)?;
                Ok(())
            })
            .await?;
        self.sessions.set_settings(settings.clone());
        Ok(settings)
    }
}
