//! The audit log: per tenant, numbered by an increasing `seq`, listed newest first.
//!
//! Keys hold the seq descending, so "newest first" and "older than this page" are forward
//! range scans. Filters by kind or actor scan their own index tables, so a rare kind is found
//! without reading the many sign-ins around it.

use crate::store::WriteTx;
use std::ops::Bound;

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::Store;
use super::access::{self, BadValue, SetTable, Tx, dangling, versioned_v1};
use super::error::StoreError;
use super::keys::{Key, KeyReader};
use super::tables::{AUDIT_BY_ACTOR, AUDIT_BY_KIND, AUDIT_EVENTS, name};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::ids::{AccountId, TenantId};

/// Most index entries one [`list_audit`] call reads when it has to filter entries itself
/// (kind *and* actor), so a filter that matches little cannot read the whole log. The page
/// may then hold fewer than `limit` events although older matches exist.
pub const AUDIT_SCAN_LIMIT: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum AuditRecord {
    V1(AuditV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AuditV1 {
    tenant: u64,
    seq: u64,
    at_ns: i128,
    kind: AuditKindV1,
    actor: Option<u64>,
    subject: String,
    detail: String,
    client_addr: String,
}

versioned_v1!(AuditRecord, AuditV1);

/// Declares the stored audit kinds and their mapping to [`AuditKind`] from one list. The
/// list is the storage contract, separate from the domain's on purpose: kinds are encoded by
/// position, in records and (as `kind as u64`) in [`AUDIT_BY_KIND`] keys, so append only,
/// never reorder. A kind missing here fails to compile (the match must be exhaustive).
macro_rules! stored_kinds {
    ($($kind:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        enum AuditKindV1 {
            $($kind,)*
        }

        impl From<AuditKind> for AuditKindV1 {
            fn from(k: AuditKind) -> Self {
                match k { $(AuditKind::$kind => AuditKindV1::$kind,)* }
            }
        }

        impl From<AuditKindV1> for AuditKind {
            fn from(k: AuditKindV1) -> Self {
                match k { $(AuditKindV1::$kind => AuditKind::$kind,)* }
            }
        }
    };
}

stored_kinds!(
    SignedIn,
    SignInFailed,
    SignedOut,
    PasswordChanged,
    RoleChanged,
    UserDisabled,
    UserEnabled,
    UserCreated,
    UserInvited,
    InvitationAccepted,
    SessionsEnded,
    TokenCreated,
    TokenRevoked,
    TenantCreated,
    TenantRenamed,
    TenantSuspended,
    TenantResumed,
    LicenceChanged,
    InstanceSetUp,
    SettingsChanged,
    InvitationWithdrawn,
    BackupDownloaded,
    SnapshotTaken,
    SnapshotDownloaded,
    Restored,
    RestoreFailed,
    AdminAdded,
    PasswordResetIssued,
    UserEdited,
    UserRemoved,
);

impl AuditKindV1 {
    fn tag(self) -> u64 {
        self as u64
    }
}

impl From<&AuditEvent> for AuditV1 {
    fn from(e: &AuditEvent) -> Self {
        AuditV1 {
            tenant: e.tenant.0,
            seq: e.seq,
            at_ns: access::nanos(e.at),
            kind: e.kind.into(),
            actor: e.actor.map(|a| a.0),
            subject: e.subject.clone(),
            detail: e.detail.clone(),
            client_addr: e.client_addr.clone(),
        }
    }
}

impl TryFrom<AuditV1> for AuditEvent {
    type Error = BadValue;

    fn try_from(r: AuditV1) -> Result<Self, BadValue> {
        Ok(AuditEvent {
            tenant: TenantId(r.tenant),
            seq: r.seq,
            at: access::timestamp(r.at_ns)?,
            kind: r.kind.into(),
            actor: r.actor.map(AccountId),
            subject: r.subject,
            detail: r.detail,
            client_addr: r.client_addr,
        })
    }
}

fn sequence(tenant: TenantId) -> String {
    format!("audit/{}", tenant.0)
}

fn key(tenant: TenantId, seq: u64) -> Key {
    Key::tenant(tenant.0).desc_u64(seq)
}

fn kind_prefix(tenant: TenantId, kind: AuditKind) -> Key {
    Key::tenant(tenant.0).u64(AuditKindV1::from(kind).tag())
}

fn actor_prefix(tenant: TenantId, actor: AccountId) -> Key {
    Key::tenant(tenant.0).u64(actor.0)
}

/// Appends `event` to its tenant's log, ignoring `event.seq`; returns the seq it was given.
pub fn append_audit(w: &WriteTx, event: &AuditEvent) -> Result<u64, StoreError> {
    let seq = Store::next_id(w, &sequence(event.tenant))?;
    let event = AuditEvent {
        seq,
        ..event.clone()
    };
    access::put_record::<AuditRecord>(
        w,
        AUDIT_EVENTS,
        name::AUDIT_EVENTS,
        &key(event.tenant, seq),
        (&event).into(),
    )?;
    w.open_table(AUDIT_BY_KIND)?.insert(
        kind_prefix(event.tenant, event.kind)
            .desc_u64(seq)
            .as_bytes(),
        (),
    )?;
    if let Some(actor) = event.actor {
        w.open_table(AUDIT_BY_ACTOR)?.insert(
            actor_prefix(event.tenant, actor).desc_u64(seq).as_bytes(),
            (),
        )?;
    }
    Ok(seq)
}

/// Up to `limit` events of `tenant`, newest first, optionally only of one kind and/or actor,
/// and only older than `before_seq` (the last seq of the previous page).
pub fn list_audit(
    r: &impl Tx,
    tenant: TenantId,
    kind: Option<AuditKind>,
    actor: Option<AccountId>,
    before_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<AuditEvent>, StoreError> {
    list_audit_scanning(r, tenant, kind, actor, before_seq, limit, AUDIT_SCAN_LIMIT)
}

fn list_audit_scanning(
    r: &impl Tx,
    tenant: TenantId,
    kind: Option<AuditKind>,
    actor: Option<AccountId>,
    before_seq: Option<u64>,
    limit: usize,
    max_scan: usize,
) -> Result<Vec<AuditEvent>, StoreError> {
    // Descending keys: the newest seq below `before_seq` is where the scan starts.
    let newest = match before_seq {
        Some(0) => return Ok(Vec::new()),
        Some(b) => Some(b - 1),
        None => None,
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    let page = Page {
        newest,
        limit,
        max_scan,
    };
    match (kind, actor) {
        (None, None) => newest_events(r, tenant, newest, limit),
        (Some(k), None) => {
            let index = (AUDIT_BY_KIND, name::AUDIT_BY_KIND);
            // Every entry of the kind index matches, so the scan limit never cuts it short.
            let page = Page {
                max_scan: usize::MAX,
                ..page
            };
            by_index(r, tenant, index, kind_prefix(tenant, k), page, |_| true)
        }
        (kind, Some(a)) => {
            let index = (AUDIT_BY_ACTOR, name::AUDIT_BY_ACTOR);
            let wanted = |e: &AuditEvent| kind.is_none_or(|k| e.kind == k);
            by_index(r, tenant, index, actor_prefix(tenant, a), page, wanted)
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Page {
    /// The newest seq that may be listed.
    newest: Option<u64>,
    limit: usize,
    max_scan: usize,
}

/// `[prefix + newest, end of prefix)`: the keys under `prefix` at `newest` or older.
fn bounds_from(prefix: &Key, newest: Option<u64>) -> (Vec<u8>, Option<Vec<u8>>) {
    let end = prefix.prefix_range().end;
    let start = match newest {
        Some(seq) => prefix.clone().desc_u64(seq).into_bytes(),
        None => prefix.as_bytes().to_vec(),
    };
    (start, end)
}

fn as_bounds(range: &(Vec<u8>, Option<Vec<u8>>)) -> (Bound<&[u8]>, Bound<&[u8]>) {
    let end = match &range.1 {
        Some(e) => Bound::Excluded(e.as_slice()),
        None => Bound::Unbounded,
    };
    (Bound::Included(range.0.as_slice()), end)
}

fn newest_events(
    r: &impl Tx,
    tenant: TenantId,
    newest: Option<u64>,
    limit: usize,
) -> Result<Vec<AuditEvent>, StoreError> {
    let events = r.table(AUDIT_EVENTS)?;
    let range = bounds_from(&Key::tenant(tenant.0), newest);
    let mut out = Vec::new();
    for entry in events.range::<&[u8]>(as_bounds(&range))?.take(limit) {
        let (_, value) = entry?;
        out.push(access::decode::<AuditRecord, _>(
            name::AUDIT_EVENTS,
            value.value(),
        )?);
    }
    Ok(out)
}

fn by_index(
    r: &impl Tx,
    tenant: TenantId,
    (index, index_name): (SetTable, &'static str),
    prefix: Key,
    page: Page,
    wanted: impl Fn(&AuditEvent) -> bool,
) -> Result<Vec<AuditEvent>, StoreError> {
    let index = r.table(index)?;
    let events = r.table(AUDIT_EVENTS)?;
    let range = bounds_from(&prefix, page.newest);
    let mut out = Vec::new();
    for entry in index.range::<&[u8]>(as_bounds(&range))?.take(page.max_scan) {
        let (k, _) = entry?;
        let seq = seq_of_index_key(k.value()).map_err(|e| e.in_table(index_name))?;
        let row = events.get(key(tenant, seq).as_bytes())?;
        let bytes = row.ok_or_else(|| dangling(index_name))?;
        let event = access::decode::<AuditRecord, AuditEvent>(name::AUDIT_EVENTS, bytes.value())?;
        if wanted(&event) {
            out.push(event);
            if out.len() >= page.limit {
                break;
            }
        }
    }
    Ok(out)
}

fn seq_of_index_key(k: &[u8]) -> Result<u64, super::keys::KeyError> {
    let mut reader = KeyReader::new(k);
    reader.tenant()?;
    reader.u64()?;
    let seq = reader.desc_u64()?;
    reader.finish()?;
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_both_ways_and_tags_match_the_record_encoding() {
        for kind in AuditKind::ALL {
            let stored = AuditKindV1::from(kind);
            assert_eq!(AuditKind::from(stored), kind);
            // The index key uses the same number postcard writes for the variant.
            let bytes = postcard::to_allocvec(&stored).unwrap();
            assert_eq!(u64::from(bytes[0]), stored.tag());
        }
    }

    #[test]
    fn scan_limit_bounds_a_filtered_listing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.redb")).unwrap();
        let at = jiff::Timestamp::from_second(1_767_225_600).unwrap();
        store
            .write_blocking(move |w| {
                for i in 0..30u64 {
                    let kind = if i == 0 {
                        AuditKind::RoleChanged
                    } else {
                        AuditKind::SignedIn
                    };
                    let event = AuditEvent {
                        tenant: TenantId(1),
                        seq: 0,
                        at,
                        kind,
                        actor: Some(AccountId(7)),
                        subject: String::new(),
                        detail: String::new(),
                        client_addr: String::new(),
                    };
                    append_audit(w, &event)?;
                }
                Ok(())
            })
            .unwrap();
        let (kind, actor) = (Some(AuditKind::RoleChanged), Some(AccountId(7)));
        let found = store
            .read_blocking(|r| list_audit_scanning(r, TenantId(1), kind, actor, None, 5, 10))
            .unwrap();
        assert!(found.is_empty(), "the only match is beyond the scan limit");
        let found = store
            .read_blocking(|r| list_audit_scanning(r, TenantId(1), kind, actor, None, 5, 30))
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].seq, 1);
    }
}
