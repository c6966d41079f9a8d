//! The integrity pass: decode every record of every table through the entity modules' own
//! readers (so exactly the code that serves requests judges the bytes), check that index
//! tables point at records that exist, and that every table holds no rows those readers
//! cannot reach. Used by `verify` and by restore before anything is swapped in.
//!
//! Problems are collected, not returned at the first one, so `verify` can show all of them.

use crate::store::ReadTx;
use std::collections::BTreeMap;

use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::domain::ids::{AccountId, PriorityId, TenantId, TokenId, TopicId};
use crate::store::keys::{KeyError, KeyReader};
use crate::store::tables::{self, name};
use crate::store::{
    Store, StoreError, accounts, audit, catalog, generation, invitations, migrate, password_resets,
    sessions, settings, tenants, tickets, tokens,
};

/// Rows read per page where a reader pages.
const PAGE: usize = 1_000;

struct Report {
    problems: Vec<String>,
}

impl Report {
    /// Runs one check; a failure becomes a problem naming the table.
    fn run(&mut self, table: &str, check: impl FnOnce() -> Result<(), StoreError>) {
        if let Err(e) = check() {
            let text = e.to_string();
            if text.contains(table) {
                self.problems.push(text);
            } else {
                self.problems.push(format!("{table}: {text}"));
            }
        }
    }

    fn expect_rows(&mut self, table: &str, decoded: u64, rows: u64) {
        if decoded != rows {
            self.problems.push(format!(
                "{table}: {rows} rows, but only {decoded} belong to a record this version can reach"
            ));
        }
    }
}

fn corrupt(table: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: detail.into(),
    }
}

/// Calls `f` with every key of a `&[u8]`-keyed table.
fn each_key<V: redb::Value + 'static>(
    txn: &ReadTx,
    def: TableDefinition<'static, &'static [u8], V>,
    mut f: impl FnMut(&[u8], V::SelfType<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let table = txn.open_table(def)?;
    for row in table.iter()? {
        let (k, v) = row?;
        f(k.value(), v.value())?;
    }
    Ok(())
}

fn rows<V: redb::Value + 'static>(
    txn: &ReadTx,
    def: TableDefinition<'static, &'static [u8], V>,
) -> Result<u64, StoreError> {
    Ok(txn.open_table(def)?.len()?)
}

/// Parses a key with `parse`, which must consume it completely.
fn parse_key<T>(
    table: &'static str,
    key: &[u8],
    parse: impl FnOnce(&mut KeyReader<'_>) -> Result<T, KeyError>,
) -> Result<T, StoreError> {
    let mut reader = KeyReader::new(key);
    let value = parse(&mut reader).map_err(|e| e.in_table(table))?;
    reader.finish().map_err(|e| e.in_table(table))?;
    Ok(value)
}

fn hash32(table: &'static str, bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt(table, "a hash component that is not 32 bytes"))
}

fn missing(table: &'static str, what: String) -> StoreError {
    corrupt(table, format!("points to {what}, which does not exist"))
}

/// Decodes and cross-checks everything in the database; returns the problems found.
pub fn check_records(store: &Store) -> Result<Vec<String>, StoreError> {
    store.read_blocking(|txn| {
        let mut report = Report {
            problems: Vec::new(),
        };
        check_instance(txn, &mut report);
        let tenant_ids = check_tenants(txn, &mut report);
        check_accounts(txn, &mut report);
        check_tenant_records(txn, &tenant_ids, &mut report);
        check_sessions_and_tokens(txn, &mut report);
        check_audit(txn, &tenant_ids, &mut report);
        check_tickets(txn, &tenant_ids, &mut report);
        Ok(report.problems)
    })
}

fn check_instance(txn: &ReadTx, report: &mut Report) {
    report.run(name::META, || {
        let meta = txn.open_table(tables::META)?;
        migrate::read_schema_version(&meta)?
            .ok_or_else(|| corrupt(name::META, "the schema version row is missing"))?;
        migrate::read_instance(&meta)?
            .ok_or_else(|| corrupt(name::META, "the instance row is missing"))?;
        if migrate::read_schema_version(&meta)? >= Some(3) {
            generation::read_from(&meta)?;
        }
        for row in meta.iter()? {
            let (k, _) = row?;
            let key = k.value();
            if ![
                migrate::SCHEMA_VERSION_KEY,
                migrate::INSTANCE_KEY,
                generation::GENERATION_KEY,
            ]
            .contains(&key)
            {
                return Err(corrupt(name::META, format!("an unknown row {key:?}")));
            }
        }
        Ok(())
    });
    report.run(name::SETTINGS, || {
        settings::get_instance_settings(txn)?;
        let n = rows(txn, tables::SETTINGS)?;
        if n > 1 {
            return Err(corrupt(
                name::SETTINGS,
                format!("{n} rows, this version knows only the instance settings"),
            ));
        }
        Ok(())
    });
}

fn check_tenants(txn: &ReadTx, report: &mut Report) -> Vec<TenantId> {
    let mut ids = Vec::new();
    report.run(name::TENANTS, || {
        each_key(txn, tables::TENANTS, |k, _| {
            let id = TenantId(parse_key(name::TENANTS, k, |r| r.tenant())?);
            let tenant = tenants::get_tenant(txn, id)?
                .ok_or_else(|| corrupt(name::TENANTS, "a row that cannot be read back"))?;
            if tenant.id != id {
                return Err(corrupt(
                    name::TENANTS,
                    format!("tenant {id} stored under another id"),
                ));
            }
            ids.push(id);
            Ok(())
        })
    });
    report.run(name::TENANT_BY_SLUG, || {
        each_key(txn, tables::TENANT_BY_SLUG, |k, v| {
            parse_key(name::TENANT_BY_SLUG, k, |r| {
                r.tenant()?;
                r.str()
            })?;
            match tenants::get_tenant(txn, TenantId(v))? {
                Some(_) => Ok(()),
                None => Err(missing(name::TENANT_BY_SLUG, format!("tenant {v}"))),
            }
        })
    });
    ids
}

fn account_exists(txn: &ReadTx, table: &'static str, id: u64) -> Result<(), StoreError> {
    match accounts::get_account(txn, AccountId(id))? {
        Some(_) => Ok(()),
        None => Err(missing(table, format!("account {id}"))),
    }
}

fn check_accounts(txn: &ReadTx, report: &mut Report) {
    report.run(name::ACCOUNTS, || {
        each_key(txn, tables::ACCOUNTS, |k, _| {
            let (_, id) = parse_key(name::ACCOUNTS, k, |r| Ok((r.tenant()?, r.u64()?)))?;
            let account = accounts::get_account(txn, AccountId(id))?
                .ok_or_else(|| corrupt(name::ACCOUNTS, "a row that cannot be read back"))?;
            if account.id.0 != id {
                return Err(corrupt(
                    name::ACCOUNTS,
                    format!("account {id} stored under another id"),
                ));
            }
            Ok(())
        })
    });
    report.run(name::ACCOUNT_BY_EMAIL, || {
        each_key(txn, tables::ACCOUNT_BY_EMAIL, |k, v| {
            parse_key(name::ACCOUNT_BY_EMAIL, k, |r| {
                r.tenant()?;
                r.str()
            })?;
            account_exists(txn, name::ACCOUNT_BY_EMAIL, v)
        })
    });
    report.run(name::OPERATOR_ACCOUNTS, || {
        each_key(txn, tables::OPERATOR_ACCOUNTS, |k, ()| {
            let (_, id) = parse_key(name::OPERATOR_ACCOUNTS, k, |r| Ok((r.tenant()?, r.u64()?)))?;
            account_exists(txn, name::OPERATOR_ACCOUNTS, id)
        })
    });
    report.run(name::MEMBERSHIP_BY_ACCOUNT, || {
        each_key(txn, tables::MEMBERSHIP_BY_ACCOUNT, |k, ()| {
            let (_, account, tenant) = parse_key(name::MEMBERSHIP_BY_ACCOUNT, k, |r| {
                Ok((r.tenant()?, r.u64()?, r.u64()?))
            })?;
            match accounts::get_membership(txn, TenantId(tenant), AccountId(account))? {
                Some(_) => Ok(()),
                None => Err(missing(
                    name::MEMBERSHIP_BY_ACCOUNT,
                    format!("the membership of account {account} in tenant {tenant}"),
                )),
            }
        })
    });
}

fn check_tenant_records(txn: &ReadTx, tenant_ids: &[TenantId], report: &mut Report) {
    report.run(name::MEMBERSHIPS, || {
        each_key(txn, tables::MEMBERSHIPS, |k, _| {
            let (t, a) = parse_key(name::MEMBERSHIPS, k, |r| Ok((r.tenant()?, r.u64()?)))?;
            accounts::get_membership(txn, TenantId(t), AccountId(a))?;
            account_exists(txn, name::MEMBERSHIPS, a)
        })
    });
    report.run(name::PRIORITIES, || {
        each_key(txn, tables::PRIORITIES, |k, _| {
            let (t, id) = parse_key(name::PRIORITIES, k, |r| Ok((r.tenant()?, r.u64()?)))?;
            catalog::get_priority(txn, TenantId(t), PriorityId(id))?;
            Ok(())
        })
    });
    report.run(name::TOPICS, || {
        each_key(txn, tables::TOPICS, |k, _| {
            let (t, id) = parse_key(name::TOPICS, k, |r| Ok((r.tenant()?, r.u64()?)))?;
            catalog::get_topic(txn, TenantId(t), TopicId(id))?;
            Ok(())
        })
    });
    report.run(name::INVITATIONS, || {
        let mut decoded = 0u64;
        for t in tenant_ids {
            decoded += invitations::invitations_of_tenant(txn, *t)?.len() as u64;
        }
        report_rows(name::INVITATIONS, decoded, rows(txn, tables::INVITATIONS)?)
    });
    report.run(name::INVITATION_BY_HASH, || {
        each_key(txn, tables::INVITATION_BY_HASH, |k, v| {
            let hash = parse_key(name::INVITATION_BY_HASH, k, |r| {
                r.tenant()?;
                r.bytes()
            })?;
            hash32(name::INVITATION_BY_HASH, hash)?;
            if tenant_ids.contains(&TenantId(v)) {
                Ok(())
            } else {
                Err(missing(name::INVITATION_BY_HASH, format!("tenant {v}")))
            }
        })
    });
    report.run(name::PASSWORD_RESETS, || {
        let resets = password_resets::all_resets(txn)?;
        for reset in &resets {
            accounts::get_account(txn, reset.account)?.ok_or_else(|| {
                missing(
                    name::PASSWORD_RESETS,
                    format!("account {}", reset.account.0),
                )
            })?;
        }
        report_rows(
            name::PASSWORD_RESETS,
            resets.len() as u64,
            rows(txn, tables::PASSWORD_RESETS)?,
        )
    });
}

/// A row count mismatch as an error, so it lands in the report under the table's name.
fn report_rows(table: &'static str, decoded: u64, rows: u64) -> Result<(), StoreError> {
    if decoded == rows {
        Ok(())
    } else {
        Err(corrupt(
            table,
            format!("{rows} rows, but only {decoded} belong to a record this version can reach"),
        ))
    }
}

fn check_sessions_and_tokens(txn: &ReadTx, report: &mut Report) {
    report.run(name::SESSIONS, || {
        each_key(txn, tables::SESSIONS, |k, _| {
            let hash = parse_key(name::SESSIONS, k, |r| {
                r.tenant()?;
                r.bytes()
            })?;
            sessions::get_session(txn, &hash32(name::SESSIONS, hash)?)?;
            Ok(())
        })
    });
    report.run(name::SESSION_BY_ACCOUNT, || {
        each_key(txn, tables::SESSION_BY_ACCOUNT, |k, ()| {
            let hash = parse_key(name::SESSION_BY_ACCOUNT, k, |r| {
                r.tenant()?;
                r.u64()?;
                r.bytes()
            })?;
            match sessions::get_session(txn, &hash32(name::SESSION_BY_ACCOUNT, hash)?)? {
                Some(_) => Ok(()),
                None => Err(missing(name::SESSION_BY_ACCOUNT, "a session".into())),
            }
        })
    });
    report.run(name::API_TOKENS, || {
        each_key(txn, tables::API_TOKENS, |k, _| {
            let (_, a, id) = parse_key(name::API_TOKENS, k, |r| {
                Ok((r.tenant()?, r.u64()?, r.u64()?))
            })?;
            tokens::get_token(txn, AccountId(a), TokenId(id))?;
            Ok(())
        })
    });
    report.run(name::TOKEN_BY_HASH, || {
        each_key(txn, tables::TOKEN_BY_HASH, |k, (a, id)| {
            let hash = parse_key(name::TOKEN_BY_HASH, k, |r| {
                r.tenant()?;
                r.bytes()
            })?;
            hash32(name::TOKEN_BY_HASH, hash)?;
            match tokens::get_token(txn, AccountId(a), TokenId(id))? {
                Some(_) => Ok(()),
                None => Err(missing(name::TOKEN_BY_HASH, format!("token {id}"))),
            }
        })
    });
}

fn check_audit(txn: &ReadTx, tenant_ids: &[TenantId], report: &mut Report) {
    report.run(name::AUDIT_EVENTS, || {
        let mut decoded = 0u64;
        for t in std::iter::once(TenantId::INSTANCE).chain(tenant_ids.iter().copied()) {
            let mut before = None;
            loop {
                let page = audit::list_audit(txn, t, None, None, before, PAGE)?;
                let Some(last) = page.last() else { break };
                before = Some(last.seq);
                decoded += page.len() as u64;
                if page.len() < PAGE {
                    break;
                }
            }
        }
        report_rows(
            name::AUDIT_EVENTS,
            decoded,
            rows(txn, tables::AUDIT_EVENTS)?,
        )
    });
    for (def, table) in [
        (tables::AUDIT_BY_KIND, name::AUDIT_BY_KIND),
        (tables::AUDIT_BY_ACTOR, name::AUDIT_BY_ACTOR),
    ] {
        report.run(table, || {
            each_key(txn, def, |k, ()| {
                if k.len() < 16 {
                    return Err(corrupt(table, "a key too short for its components"));
                }
                Ok(())
            })
        });
    }
}

fn check_tickets(txn: &ReadTx, tenant_ids: &[TenantId], report: &mut Report) {
    let (mut tickets_seen, mut messages, mut history) = (0u64, 0u64, 0u64);
    for tenant in tenant_ids {
        report.run(name::TICKETS, || {
            let mut after = 0;
            loop {
                let page = tickets::tickets_after(txn, *tenant, after, PAGE)?;
                let Some(last) = page.last().map(|t| t.number) else {
                    break;
                };
                for t in &page {
                    messages += tickets::list_messages(txn, *tenant, t.number)?.len() as u64;
                    history += tickets::list_history(txn, *tenant, t.number)?.len() as u64;
                }
                tickets_seen += page.len() as u64;
                after = last;
            }
            Ok(())
        });
        match tickets::verify_tickets(txn, *tenant) {
            Ok(found) => report
                .problems
                .extend(found.into_iter().map(|p| format!("tenant {tenant}: {p}"))),
            Err(e) => report.problems.push(format!("tenant {tenant}: {e}")),
        }
    }
    for (table, def, decoded) in [
        (name::TICKETS, tables::TICKETS, tickets_seen),
        (name::TICKET_MESSAGES, tables::TICKET_MESSAGES, messages),
        (name::TICKET_HISTORY, tables::TICKET_HISTORY, history),
    ] {
        match rows(txn, def) {
            Ok(n) => report.expect_rows(table, decoded, n),
            Err(e) => report.problems.push(format!("{table}: {e}")),
        }
    }
    report.run(name::OUTBOX, || {
        let mut after = 0;
        let mut decoded = 0u64;
        loop {
            let page = tickets::outbox_after(txn, after, PAGE)?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            decoded += page.len() as u64;
            after = last;
        }
        report_rows(name::OUTBOX, decoded, rows(txn, tables::OUTBOX)?)
    });
    report.run(name::ATTACHMENT_REFS, || {
        // The instance rows must be the sum of the tenants' rows: they decide when a blob
        // may be deleted.
        let mut sums: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let mut instance: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        each_key(txn, tables::ATTACHMENT_REFS, |k, n| {
            let (t, hash) = parse_key(name::ATTACHMENT_REFS, k, |r| Ok((r.tenant()?, r.bytes()?)))?;
            hash32(name::ATTACHMENT_REFS, hash.clone())?;
            if t == TenantId::INSTANCE.0 {
                instance.insert(hash, n);
            } else {
                *sums.entry(hash).or_insert(0) += n;
            }
            Ok(())
        })?;
        sums.retain(|_, n| *n > 0);
        instance.retain(|_, n| *n > 0);
        if sums != instance {
            return Err(corrupt(
                name::ATTACHMENT_REFS,
                "the instance-wide counts differ from the sum of the tenants' counts",
            ));
        }
        Ok(())
    });
}
