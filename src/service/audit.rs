//! The audit log: who did what, when, from where. Entries are written in the same
//! transaction as the change they describe, so the log never disagrees with the data.

use jiff::Timestamp;

use super::authz;
use super::{ServiceResult, Services};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::caller::{Caller, Identity};
use crate::domain::ids::{AccountId, TenantId};
use crate::store::WriteTx;
use crate::store::{StoreError, accounts as store_accounts, audit as store_audit};

/// One entry to append; `seq` is assigned by storage.
#[derive(Debug, Clone)]
pub struct Entry {
    pub tenant: TenantId,
    pub kind: AuditKind,
    pub actor: Option<AccountId>,
    pub subject: String,
    pub detail: String,
    pub client_addr: String,
}

impl Entry {
    pub fn new(tenant: TenantId, kind: AuditKind, actor: Option<AccountId>) -> Entry {
        Entry {
            tenant,
            kind,
            actor,
            subject: String::new(),
            detail: String::new(),
            client_addr: String::new(),
        }
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Entry {
        self.subject = subject.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Entry {
        self.detail = detail.into();
        self
    }

    pub fn from_addr(mut self, addr: &str) -> Entry {
        self.client_addr = addr.to_owned();
        self
    }
}

pub fn append(w: &WriteTx, entry: &Entry, at: Timestamp) -> Result<u64, StoreError> {
    store_audit::append_audit(
        w,
        &AuditEvent {
            tenant: entry.tenant,
            seq: 0,
            at,
            kind: entry.kind,
            actor: entry.actor,
            subject: entry.subject.clone(),
            detail: entry.detail.clone(),
            client_addr: entry.client_addr.clone(),
        },
    )
}

/// A page of the log, newest first, with the actor's display name.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<(AuditEvent, Option<String>)>,
    /// Pass as `before` to get the next (older) page.
    pub next_before: Option<u64>,
}

pub const PAGE_SIZE: usize = 50;

impl Services {
    /// The tenant's log, for its admins.
    pub async fn tenant_audit(
        &self,
        caller: &Caller,
        kind: Option<AuditKind>,
        before: Option<u64>,
    ) -> ServiceResult<AuditPage> {
        let caller = authz::tenant_admin(caller)?;
        self.audit_page(caller.tenant, kind, before).await
    }

    /// The instance log, for the operator.
    pub async fn instance_audit(
        &self,
        who: &Identity,
        kind: Option<AuditKind>,
        before: Option<u64>,
    ) -> ServiceResult<AuditPage> {
        authz::operator(who)?;
        self.audit_page(TenantId::INSTANCE, kind, before).await
    }

    async fn audit_page(
        &self,
        tenant: TenantId,
        kind: Option<AuditKind>,
        before: Option<u64>,
    ) -> ServiceResult<AuditPage> {
        let page = self
            .store
            .read(move |r| {
                let events = store_audit::list_audit(r, tenant, kind, None, before, PAGE_SIZE + 1)?;
                let mut named = Vec::with_capacity(events.len());
                for e in events {
                    let name = match e.actor {
                        Some(a) => store_accounts::get_account(r, a)?.map(|acc| acc.name),
                        None => None,
                    };
                    named.push((e, name));
                }
                Ok(named)
            })
            .await?;
        let mut events = page;
        let next_before = if events.len() > PAGE_SIZE {
            events.truncate(PAGE_SIZE);
            events.last().map(|(e, _)| e.seq)
        } else {
            None
        };
        Ok(AuditPage {
            events,
            next_before,
        })
    }
}
