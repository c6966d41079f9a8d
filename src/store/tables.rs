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
    pub const TICKETS: &str = "tickets";
    pub const TICKET_MESSAGES: &str = "ticket_messages";
    pub const TICKET_HISTORY: &str = "ticket_history";
    pub const TICKET_BY_STATUS_WAIT: &str = "ticket_by_status_wait";
    pub const TICKET_BY_STATUS_PRIORITY: &str = "ticket_by_status_priority";
    pub const TICKET_BY_STATUS_CREATED: &str = "ticket_by_status_created";
    pub const TICKET_BY_STATUS_UPDATED: &str = "ticket_by_status_updated";
    pub const TICKET_BY_STATUS_CUSTOMER_NAME: &str = "ticket_by_status_customer_name";
    pub const TICKET_BY_STATUS: &str = "ticket_by_status";
    pub const TICKET_BY_STATUS_RANK: &str = "ticket_by_status_rank";
    pub const TICKET_BY_PRIORITY_ID: &str = "ticket_by_priority_id";
    pub const TICKET_BY_CUSTOMER: &str = "ticket_by_customer";
    pub const TICKET_BY_ASSIGNEE: &str = "ticket_by_assignee";
    pub const TICKET_BY_TOPIC: &str = "ticket_by_topic";
    pub const TICKET_TRASH: &str = "ticket_trash";
    pub const TICKET_COUNTS: &str = "ticket_counts";
    pub const ATTACHMENT_REFS: &str = "attachment_refs";
    pub const OUTBOX: &str = "outbox";
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

// Tickets (`crate::store::tickets`). Every key ends with the ticket number, and every index
// entry is written in the same transaction as the record by `tickets` alone. Timestamps in
// keys are microseconds with the sign bit flipped, so they sort as signed numbers. "None"
// ids (no assignee, priority, topic) are stored as 0, which no real id uses.

/// `(tenant, number) → TicketRecord`, trashed tickets included. Also the "by number" index:
/// newest first is a reverse scan.
pub const TICKETS: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::TICKETS);

/// `(tenant, number, seq) → MessageRecord`: a ticket's thread in order.
pub const TICKET_MESSAGES: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new(name::TICKET_MESSAGES);

/// `(tenant, number, seq) → HistoryRecord`: a ticket's changes in order.
pub const TICKET_HISTORY: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new(name::TICKET_HISTORY);

/// `(tenant, status, waiting since, number) → ()`: a tab, longest waiting first.
pub const TICKET_BY_STATUS_WAIT: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS_WAIT);

/// `(tenant, status, priority rank, waiting since, number) → ()`: a tab, most urgent first.
/// The rank is a snapshot kept in the ticket record (see `tickets::TicketIndexKeys`).
pub const TICKET_BY_STATUS_PRIORITY: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS_PRIORITY);

// The four sort indexes below put the status before the sort value (schema 2): a page of
// one status is one range read, and a page of several statuses merges their ranges
// (`tickets::list`). They replaced `(tenant, value, number)` indexes that made a status
// filter walk past every ticket of the other statuses.

/// `(tenant, status, created, number) → ()` for tickets not in the trash.
pub const TICKET_BY_STATUS_CREATED: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS_CREATED);

/// `(tenant, status, updated, number) → ()` for tickets not in the trash.
pub const TICKET_BY_STATUS_UPDATED: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS_UPDATED);

/// `(tenant, status, lower-cased customer name snapshot, number) → ()` for tickets not in
/// the trash.
pub const TICKET_BY_STATUS_CUSTOMER_NAME: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS_CUSTOMER_NAME);

/// `(tenant, status, number) → ()` for tickets not in the trash.
pub const TICKET_BY_STATUS: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS);

/// `(tenant, status, priority rank snapshot, number) → ()` for tickets not in the trash:
/// sorting.
pub const TICKET_BY_STATUS_RANK: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_STATUS_RANK);

/// `(tenant, priority id, number) → ()` for tickets not in the trash: filtering and finding
/// the tickets to re-rank when a priority's rank changes, whatever their rank snapshot.
pub const TICKET_BY_PRIORITY_ID: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_PRIORITY_ID);

/// `(tenant, customer, number) → ()` for tickets not in the trash.
pub const TICKET_BY_CUSTOMER: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_CUSTOMER);

/// `(tenant, assignee, number) → ()` for tickets not in the trash.
pub const TICKET_BY_ASSIGNEE: TableDefinition<&[u8], ()> =
    TableDefinition::new(name::TICKET_BY_ASSIGNEE);

/// `(tenant, topic, number) → ()` for tickets not in the trash.
pub const TICKET_BY_TOPIC: TableDefinition<&[u8], ()> = TableDefinition::new(name::TICKET_BY_TOPIC);

/// `(tenant, number) → ()` for trashed tickets, which are in no other index.
pub const TICKET_TRASH: TableDefinition<&[u8], ()> = TableDefinition::new(name::TICKET_TRASH);

/// `(tenant, bucket) → count`: tickets per status (bucket = `Status::as_u8`) outside the
/// trash, and in the trash (bucket 255). Rows at zero are removed.
pub const TICKET_COUNTS: TableDefinition<&[u8], u64> = TableDefinition::new(name::TICKET_COUNTS);

/// `(tenant, SHA-256) → references`: how many message attachments of the tenant name the
/// blob; under `INSTANCE` the sum over all tenants, since blobs are shared by content.
pub const ATTACHMENT_REFS: TableDefinition<&[u8], u64> =
    TableDefinition::new(name::ATTACHMENT_REFS);

/// `(INSTANCE, seq) → OutboxRecord`: searchable changes for the search indexer, in commit
/// order; `seq` comes from the `outbox` sequence, so it never repeats after a trim.
pub const OUTBOX: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name::OUTBOX);

/// Tables of older schema versions: only migrations open them (to read or remove them),
/// and restoring an archive of such a version writes them before the migration runs.
pub mod retired {
    use redb::TableDefinition;

    pub mod name {
        pub const TICKET_BY_CREATED: &str = "ticket_by_created";
        pub const TICKET_BY_UPDATED: &str = "ticket_by_updated";
        pub const TICKET_BY_CUSTOMER_NAME: &str = "ticket_by_customer_name";
        pub const TICKET_BY_PRIORITY: &str = "ticket_by_priority";
    }

    /// Schema 1: `(tenant, created, number) → ()`.
    pub const TICKET_BY_CREATED: TableDefinition<&[u8], ()> =
        TableDefinition::new(name::TICKET_BY_CREATED);
    /// Schema 1: `(tenant, updated, number) → ()`.
    pub const TICKET_BY_UPDATED: TableDefinition<&[u8], ()> =
        TableDefinition::new(name::TICKET_BY_UPDATED);
    /// Schema 1: `(tenant, customer name snapshot, number) → ()`.
    pub const TICKET_BY_CUSTOMER_NAME: TableDefinition<&[u8], ()> =
        TableDefinition::new(name::TICKET_BY_CUSTOMER_NAME);
    /// Schema 1: `(tenant, priority rank snapshot, number) → ()`.
    pub const TICKET_BY_PRIORITY: TableDefinition<&[u8], ()> =
        TableDefinition::new(name::TICKET_BY_PRIORITY);
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::TableHandle;

    #[test]
    fn names_match_definitions_and_are_unique() {
        let declared = [
            (META.name(), name::META),
            (SEQUENCES.name(), name::SEQUENCES),
            (TICKETS.name(), name::TICKETS),
            (TICKET_MESSAGES.name(), name::TICKET_MESSAGES),
            (TICKET_HISTORY.name(), name::TICKET_HISTORY),
            (TICKET_BY_STATUS_WAIT.name(), name::TICKET_BY_STATUS_WAIT),
            (
                TICKET_BY_STATUS_PRIORITY.name(),
                name::TICKET_BY_STATUS_PRIORITY,
            ),
            (
                TICKET_BY_STATUS_CREATED.name(),
                name::TICKET_BY_STATUS_CREATED,
            ),
            (
                TICKET_BY_STATUS_UPDATED.name(),
                name::TICKET_BY_STATUS_UPDATED,
            ),
            (
                TICKET_BY_STATUS_CUSTOMER_NAME.name(),
                name::TICKET_BY_STATUS_CUSTOMER_NAME,
            ),
            (TICKET_BY_STATUS.name(), name::TICKET_BY_STATUS),
            (TICKET_BY_STATUS_RANK.name(), name::TICKET_BY_STATUS_RANK),
            (
                retired::TICKET_BY_CREATED.name(),
                retired::name::TICKET_BY_CREATED,
            ),
            (
                retired::TICKET_BY_UPDATED.name(),
                retired::name::TICKET_BY_UPDATED,
            ),
            (
                retired::TICKET_BY_CUSTOMER_NAME.name(),
                retired::name::TICKET_BY_CUSTOMER_NAME,
            ),
            (
                retired::TICKET_BY_PRIORITY.name(),
                retired::name::TICKET_BY_PRIORITY,
            ),
            (TICKET_BY_PRIORITY_ID.name(), name::TICKET_BY_PRIORITY_ID),
            (TICKET_BY_CUSTOMER.name(), name::TICKET_BY_CUSTOMER),
            (TICKET_BY_ASSIGNEE.name(), name::TICKET_BY_ASSIGNEE),
            (TICKET_BY_TOPIC.name(), name::TICKET_BY_TOPIC),
            (TICKET_TRASH.name(), name::TICKET_TRASH),
            (TICKET_COUNTS.name(), name::TICKET_COUNTS),
            (ATTACHMENT_REFS.name(), name::ATTACHMENT_REFS),
            (OUTBOX.name(), name::OUTBOX),
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
