//! Invitations to join a tenant. Stored under their tenant; the link a person follows carries
//! only the secret, so an index maps its hash back to the tenant.

use crate::store::WriteTx;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::access::{self, BadValue, RoleV1, Tx, dangling, versioned_v1};
use super::error::StoreError;
use super::keys::Key;
use super::tables::{INVITATION_BY_HASH, INVITATIONS, name};
use super::tenants::get_tenant;
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::invitations::Invitation;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum InvitationRecord {
    V1(InvitationV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InvitationV1 {
    token_hash: [u8; 32],
    tenant: u64,
    email: String,
    role: RoleV1,
    invited_by: u64,
    created_at_ns: i128,
    expires_at_ns: i128,
    used: bool,
}

versioned_v1!(InvitationRecord, InvitationV1);

impl From<&Invitation> for InvitationV1 {
    fn from(i: &Invitation) -> Self {
        InvitationV1 {
            token_hash: i.token_hash,
            tenant: i.tenant.0,
            email: i.email.clone(),
            role: i.role.into(),
            invited_by: i.invited_by.0,
            created_at_ns: access::nanos(i.created_at),
            expires_at_ns: access::nanos(i.expires_at),
            used: i.used,
        }
    }
}

impl TryFrom<InvitationV1> for Invitation {
    type Error = BadValue;

    fn try_from(r: InvitationV1) -> Result<Self, BadValue> {
        Ok(Invitation {
            token_hash: r.token_hash,
            tenant: TenantId(r.tenant),
            email: r.email,
            role: r.role.into(),
            invited_by: AccountId(r.invited_by),
            created_at: access::timestamp(r.created_at_ns)?,
            expires_at: access::timestamp(r.expires_at_ns)?,
            used: r.used,
        })
    }
}

fn key(tenant: TenantId, token_hash: &[u8; 32]) -> Key {
    Key::tenant(tenant.0).bytes(token_hash)
}

fn hash_key(token_hash: &[u8; 32]) -> Key {
    Key::tenant(TenantId::INSTANCE.0).bytes(token_hash)
}

/// Creates or overwrites an invitation of an existing tenant. `Conflict("invitation")` if the
/// hash already belongs to another tenant's invitation, which only a broken random source
/// could cause.
pub fn put_invitation(w: &WriteTx, invitation: &Invitation) -> Result<(), StoreError> {
    get_tenant(w, invitation.tenant)?.ok_or(StoreError::NotFound)?;
    let hash = &invitation.token_hash;
    if tenant_of(w, hash)?.is_some_and(|t| t != invitation.tenant) {
        return Err(StoreError::Conflict("invitation".into()));
    }
    w.open_table(INVITATION_BY_HASH)?
        .insert(hash_key(hash).as_bytes(), invitation.tenant.0)?;
    access::put_record::<InvitationRecord>(
        w,
        INVITATIONS,
        name::INVITATIONS,
        &key(invitation.tenant, hash),
        invitation.into(),
    )
}

/// The invitation a link's secret hashes to, used and expired ones included.
pub fn invitation_by_hash(
    r: &impl Tx,
    token_hash: &[u8; 32],
) -> Result<Option<Invitation>, StoreError> {
    let Some(tenant) = tenant_of(r, token_hash)? else {
        return Ok(None);
    };
    access::get_record::<InvitationRecord, _>(
        r,
        INVITATIONS,
        name::INVITATIONS,
        &key(tenant, token_hash),
    )?
    .ok_or_else(|| dangling(name::INVITATION_BY_HASH))
    .map(Some)
}

/// Every invitation of the tenant, used and expired ones included, newest first.
pub fn invitations_of_tenant(r: &impl Tx, tenant: TenantId) -> Result<Vec<Invitation>, StoreError> {
    let mut list = access::list_records::<InvitationRecord, Invitation>(
        r,
        INVITATIONS,
        name::INVITATIONS,
        &Key::tenant(tenant.0),
    )?;
    list.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.email.cmp(&b.email))
    });
    Ok(list)
}

/// Withdraws an invitation; returns whether it existed.
pub fn delete_invitation(w: &WriteTx, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
    let Some(tenant) = tenant_of(w, token_hash)? else {
        return Ok(false);
    };
    w.open_table(INVITATION_BY_HASH)?
        .remove(hash_key(token_hash).as_bytes())?;
    w.open_table(INVITATIONS)?
        .remove(key(tenant, token_hash).as_bytes())?;
    Ok(true)
}

fn tenant_of(r: &impl Tx, token_hash: &[u8; 32]) -> Result<Option<TenantId>, StoreError> {
    let index = r.table(INVITATION_BY_HASH)?;
    let tenant = index
        .get(hash_key(token_hash).as_bytes())?
        .map(|v| TenantId(v.value()));
    Ok(tenant)
}
