//! Tenants and their unique slugs.

use crate::store::WriteTx;
use jiff::Timestamp;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::Store;
use super::access::{self, BadValue, Tx, dangling, versioned_v1};
use super::error::StoreError;
use super::keys::{Key, KeyError, KeyReader};
use super::tables::{TENANT_BY_SLUG, TENANTS, name};
use crate::domain::ids::TenantId;
use crate::domain::tenants::Tenant;

const SEQUENCE: &str = "tenants";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum TenantRecord {
    V1(TenantV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TenantV1 {
    id: u64,
    slug: String,
    name: String,
    suspended: bool,
    licence_limit: u32,
    created_at_ns: i128,
}

versioned_v1!(TenantRecord, TenantV1);

impl From<&Tenant> for TenantV1 {
    fn from(t: &Tenant) -> Self {
        TenantV1 {
            id: t.id.0,
            slug: t.slug.clone(),
            name: t.name.clone(),
            suspended: t.suspended,
            licence_limit: t.licence_limit,
            created_at_ns: access::nanos(t.created_at),
        }
    }
}

impl TryFrom<TenantV1> for Tenant {
    type Error = BadValue;

    fn try_from(r: TenantV1) -> Result<Self, BadValue> {
        Ok(Tenant {
            id: TenantId(r.id),
            slug: r.slug,
            name: r.name,
            suspended: r.suspended,
            licence_limit: r.licence_limit,
            created_at: access::timestamp(r.created_at_ns)?,
        })
    }
}

fn key(id: TenantId) -> Key {
    Key::tenant(id.0)
}

fn slug_key(slug: &str) -> Key {
    Key::tenant(TenantId::INSTANCE.0).str(slug)
}

/// Creates a tenant with the next free id (the first is 1; 0 is the instance).
pub fn create_tenant(
    w: &WriteTx,
    slug: &str,
    name: &str,
    licence_limit: u32,
    now: Timestamp,
) -> Result<Tenant, StoreError> {
    if slug_owner(w, slug)?.is_some() {
        return Err(StoreError::Conflict("slug".into()));
    }
    let tenant = Tenant {
        id: TenantId(Store::next_id(w, SEQUENCE)?),
        slug: slug.to_owned(),
        name: name.to_owned(),
        suspended: false,
        licence_limit,
        created_at: now,
    };
    write(w, &tenant)?;
    w.open_table(TENANT_BY_SLUG)?
        .insert(slug_key(slug).as_bytes(), tenant.id.0)?;
    Ok(tenant)
}

/// Overwrites an existing tenant (rename, new slug, suspend, licence). A new slug must be
/// free (`Conflict("slug")`); the old one is released.
pub fn put_tenant(w: &WriteTx, tenant: &Tenant) -> Result<(), StoreError> {
    let old = get_tenant(w, tenant.id)?.ok_or(StoreError::NotFound)?;
    if old.slug != tenant.slug {
        if slug_owner(w, &tenant.slug)?.is_some_and(|owner| owner != tenant.id) {
            return Err(StoreError::Conflict("slug".into()));
        }
        let mut index = w.open_table(TENANT_BY_SLUG)?;
        index.remove(slug_key(&old.slug).as_bytes())?;
        index.insert(slug_key(&tenant.slug).as_bytes(), tenant.id.0)?;
    }
    write(w, tenant)
}

pub fn get_tenant(r: &impl Tx, id: TenantId) -> Result<Option<Tenant>, StoreError> {
    access::get_record::<TenantRecord, _>(r, TENANTS, name::TENANTS, &key(id))
}

pub fn tenant_by_slug(r: &impl Tx, slug: &str) -> Result<Option<Tenant>, StoreError> {
    let Some(id) = slug_owner(r, slug)? else {
        return Ok(None);
    };
    get_tenant(r, id)?
        .ok_or_else(|| dangling(name::TENANT_BY_SLUG))
        .map(Some)
}

/// Every tenant, ordered by slug.
pub fn list_tenants(r: &impl Tx) -> Result<Vec<Tenant>, StoreError> {
    let ids = {
        let index = r.table(TENANT_BY_SLUG)?;
        let range = Key::tenant(TenantId::INSTANCE.0).prefix_range();
        let mut ids = Vec::new();
        for entry in index.range::<&[u8]>(range.bounds())? {
            let (k, id) = entry?;
            // Checks the key's shape so a stray row is reported, not listed.
            let check = || -> Result<(), KeyError> {
                let mut reader = KeyReader::new(k.value());
                reader.tenant()?;
                reader.str()?;
                reader.finish()
            };
            check().map_err(|e| e.in_table(name::TENANT_BY_SLUG))?;
            ids.push(TenantId(id.value()));
        }
        ids
    };
    ids.into_iter()
        .map(|id| get_tenant(r, id)?.ok_or_else(|| dangling(name::TENANT_BY_SLUG)))
        .collect()
}

fn slug_owner(r: &impl Tx, slug: &str) -> Result<Option<TenantId>, StoreError> {
    let index = r.table(TENANT_BY_SLUG)?;
    let owner = index
        .get(slug_key(slug).as_bytes())?
        .map(|v| TenantId(v.value()));
    Ok(owner)
}

fn write(w: &WriteTx, tenant: &Tenant) -> Result<(), StoreError> {
    access::put_record::<TenantRecord>(w, TENANTS, name::TENANTS, &key(tenant.id), tenant.into())
}
