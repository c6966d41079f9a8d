//! The one catalogue of redb tables.
//!
//! Every table Supportbox stores is declared here and nowhere else, so the file's layout can be
//! read in one place and a name cannot be used twice by accident. Constants name what they map,
//! `KEY_TO_VALUE` / `X_BY_Y` style (e.g. a future `TICKET_BY_STATUS`), and each doc comment
//! starts with `key → value`. Tenant-scoped tables use `&[u8]` keys built
//! with [`crate::store::keys::Key`], whose first component is always the tenant id, and values
//! that are versioned records (see [`crate::store::record`]).
//!
//! A table's key and value types are part of the file format: changing them needs a new table
//! and a migration step (see [`crate::store::migrate`]), never an edit in place.

use redb::TableDefinition;

/// Table names as `&'static str`, for error messages (`StoreError::Corrupt { table, .. }`):
/// `TableHandle::name` only lends the name for the definition's borrow.
pub mod name {
    pub const META: &str = "meta";
    pub const SEQUENCES: &str = "sequences";
    pub const TENANTS: &str = "tenants";
    pub const TENANT_BY_SLUG: &str = "tenant_by_slug";
    pub const ACCOUNTS: &str = "accounts";
    pub const ACCOUNT_BY_EMAIL: &str = "account_by_email";
    pub const OPERATOR_ACCOUNTS: &str = "operator_accounts";
    pub const MEMBERSHIPS: &str = "memberships";
    pub const MEMBERSHIP_BY_ACCOUNT: &str = "membership_by_account";
    pub const PRIORITIES: &str = "priorities";
    pub const TOPICS: &str = "topics";
    pub const SESSIONS: &str = "sessions";
    pub const SESSION_BY_ACCOUNT: &str = "session_by_account";
    pub const API_TOKENS: &str = "api_tokens";
    pub const TOKEN_BY_HASH: &str = "token_by_hash";
    pub const INVITATIONS: &str = "invitations";
    pub const INVITATION_BY_HASH: &str = "invitation_by_hash";
    pub const AUDIT_EVENTS: &str = "audit_events";
    pub const AUDIT_BY_KIND: &str = "audit_by_kind";
    pub const AUDIT_BY_ACTOR: &str = "audit_by_actor";
    pub const SETTINGS: &str = "settings";
}

/// `name → bytes`: instance-wide metadata. Holds the schema-version row
/// ([`crate::store::migrate::SCHEMA_VERSION_KEY`]) and the instance record
/// ([`crate::store::migrate::INSTANCE_KEY`]). Not tenant-scoped: it describes the file itself.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new(name::META);

/// `sequence name → last issued id`: counters for ids, bumped inside the write transaction
/// that uses the id (see [`crate::store::Store::next_id`]). Per-tenant sequences put the tenant
/// into the name so one tenant's numbering never depends on another's.
pub const SEQUENCES: TableDefinition<&str, u64> = TableDefinition::new(name::SEQUENCES);

// Tenancy, accounts and their satellites. `INSTANCE` below is tenant 0
// (`crate::domain::ids::TenantId::INSTANCE`), the owner of instance-wide rows. Index tables
// are written in the same transaction as the record they point to, by the entity module that
// owns the record (`crate::store::tenants`, `accounts`, …), and nowhere else.

/// `(tenant) → TenantRecord`.
pub const TENANTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::TENANTS);

/// `(INSTANCE, slug) → tenant id`: unique slugs, URL lookup and the by-slug listing.
pub const TENANT_BY_SLUG: TableDefinition<&[u8], u64> = TableDefinition::new(name::TENANT_BY_SLUG);

/// `(INSTANCE, account) → AccountRecord`.
pub const ACCOUNTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::ACCOUNTS);

/// `(INSTANCE, lower-cased email) → account id`: unique emails and sign-in lookup.
pub const ACCOUNT_BY_EMAIL: TableDefinition<&[u8], u64> =
    TableDefinition::new(name::ACCOUNT_BY_EMAIL);

/// `(INSTANCE, account) → ()` for every operator, so "is the instance set up?" reads one row
/// instead of every account.
pub const OPERATOR_ACCOUNTS: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::OPERATOR_ACCOUNTS);

/// `(tenant, account) → MembershipRecord`.
pub const MEMBERSHIPS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::MEMBERSHIPS);

/// `(INSTANCE, account, tenant) → ()`: the tenants an account belongs to.
pub const MEMBERSHIP_BY_ACCOUNT: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::MEMBERSHIP_BY_ACCOUNT);

/// `(tenant, priority) → PriorityRecord`.
pub const PRIORITIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::PRIORITIES);

/// `(tenant, topic) → TopicRecord`.
pub const TOPICS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::TOPICS);

/// `(INSTANCE, SHA-256 of the session secret) → SessionRecord`.
pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::SESSIONS);

/// `(INSTANCE, account, session hash) → ()`: an account's sessions, to list or end them all.
pub const SESSION_BY_ACCOUNT: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::SESSION_BY_ACCOUNT);

/// `(INSTANCE, account, token) → ApiTokenRecord`.
pub const API_TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::API_TOKENS);

/// `(INSTANCE, SHA-256 of the token secret) → (account, token)`: authenticating API calls.
pub const TOKEN_BY_HASH: TableDefinition<&[u8], (u64, u64)> =
    TableDefinition::new(name::TOKEN_BY_HASH);

/// `(tenant, SHA-256 of the invitation secret) → InvitationRecord`.
pub const INVITATIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::INVITATIONS);

/// `(INSTANCE, invitation hash) → tenant id`: the invitation link carries no tenant.
pub const INVITATION_BY_HASH: TableDefinition<&[u8], u64> =
    TableDefinition::new(name::INVITATION_BY_HASH);

/// `(tenant, desc seq) → AuditRecord`: newest first is a forward scan.
pub const AUDIT_EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::AUDIT_EVENTS);

/// `(tenant, kind tag, desc seq) → ()`: the log filtered by kind without reading other kinds.
pub const AUDIT_BY_KIND: TableDefinition<&[u8], ()> = TableDefinition::new(name::AUDIT_BY_KIND);

/// `(tenant, actor, desc seq) → ()`: the log filtered by who acted.
pub const AUDIT_BY_ACTOR: TableDefinition<&[u8], ()> = TableDefinition::new(name::AUDIT_BY_ACTOR);

/// `(tenant, setting name) → settings record`; instance settings live under `INSTANCE`.
pub const SETTINGS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::SETTINGS);

#[cfg(test)]
mod tests {
    use super::*;
    use redb::TableHandle;

    #[test]
    fn names_match_definitions_and_are_unique() {
        let declared = [
            (META.name(), name::META),
            (SEQUENCES.name(), name::SEQUENCES),
        ];
        for (definition, constant) in declared {
            assert_eq!(definition, constant);
        }
        let mut names: Vec<&str> = declared.iter().map(|d| d.1).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), declared.len());
    }
}
