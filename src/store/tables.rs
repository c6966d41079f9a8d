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

use super::dump::catalogue::Table;

/// Declares every table once: `CONST: Kind<Key, Value> = "name";` gives the name in
/// [`name`], the typed definition, and the table's entry in [`ALL`], whose `Kind` fixes how
/// a backup encodes its rows (a kind that does not fit the types does not compile).
macro_rules! tables {
    ($($(#[$doc:meta])* $konst:ident: $kind:ident<$k:ty, $v:ty> = $name:literal;)*) => {
        /// Table names as `&'static str`, for error messages (`StoreError::Corrupt { table, .. }`):
        /// `TableHandle::name` only lends the name for the definition's borrow.
        pub mod name {
            $(pub const $konst: &str = $name;)*
        }

        $($(#[$doc])* pub const $konst: TableDefinition<$k, $v> = TableDefinition::new(name::$konst);)*

        /// Every table of the file, in the order backups hold them.
        pub const ALL: &[(&str, Table)] = &[$((name::$konst, Table::$kind($konst)),)*];
    };
}

tables! {
    /// `name → bytes`: instance-wide metadata. Holds the schema-version row
    /// ([`crate::store::migrate::SCHEMA_VERSION_KEY`]) and the instance record
    /// ([`crate::store::migrate::INSTANCE_KEY`]). Not tenant-scoped: it describes the file itself.
    META: StrBytes<&str, &[u8]> = "meta";

    /// `sequence name → last issued id`: counters for ids, bumped inside the write transaction
    /// that uses the id (see [`crate::store::Store::next_id`]). Per-tenant sequences put the tenant
    /// into the name so one tenant's numbering never depends on another's.
    SEQUENCES: StrU64<&str, u64> = "sequences";

    // Tenancy, accounts and their satellites. `INSTANCE` below is tenant 0
    // (`crate::domain::ids::TenantId::INSTANCE`), the owner of instance-wide rows. Index tables
    // are written in the same transaction as the record they point to, by the entity module that
    // owns the record (`crate::store::tenants`, `accounts`, …), and nowhere else.

    /// `(tenant) → TenantRecord`.
    TENANTS: BytesBytes<&[u8], &[u8]> = "tenants";

    /// `(INSTANCE, slug) → tenant id`: unique slugs, URL lookup and the by-slug listing.
    TENANT_BY_SLUG: BytesU64<&[u8], u64> = "tenant_by_slug";

    /// `(INSTANCE, account) → AccountRecord`.
    ACCOUNTS: BytesBytes<&[u8], &[u8]> = "accounts";

    /// `(INSTANCE, lower-cased email) → account id`: unique emails and sign-in lookup.
    ACCOUNT_BY_EMAIL: BytesU64<&[u8], u64> = "account_by_email";

    /// `(INSTANCE, account) → ()` for every operator, so "is the instance set up?" reads one row
    /// instead of every account.
    OPERATOR_ACCOUNTS: BytesUnit<&[u8], ()> = "operator_accounts";

    /// `(tenant, account) → MembershipRecord`.
    MEMBERSHIPS: BytesBytes<&[u8], &[u8]> = "memberships";

    /// `(INSTANCE, account, tenant) → ()`: the tenants an account belongs to.
    MEMBERSHIP_BY_ACCOUNT: BytesUnit<&[u8], ()> = "membership_by_account";

    /// `(tenant, priority) → PriorityRecord`.
    PRIORITIES: BytesBytes<&[u8], &[u8]> = "priorities";

    /// `(tenant, topic) → TopicRecord`.
    TOPICS: BytesBytes<&[u8], &[u8]> = "topics";

    /// `(INSTANCE, SHA-256 of the session secret) → SessionRecord`.
    SESSIONS: BytesBytes<&[u8], &[u8]> = "sessions";

    /// `(INSTANCE, account, session hash) → ()`: an account's sessions, to list or end them all.
    SESSION_BY_ACCOUNT: BytesUnit<&[u8], ()> = "session_by_account";

    /// `(INSTANCE, account, token) → ApiTokenRecord`.
    API_TOKENS: BytesBytes<&[u8], &[u8]> = "api_tokens";

    /// `(INSTANCE, SHA-256 of the token secret) → (account, token)`: authenticating API calls.
    TOKEN_BY_HASH: BytesPair<&[u8], (u64, u64)> = "token_by_hash";

    /// `(tenant, SHA-256 of the invitation secret) → InvitationRecord`.
    INVITATIONS: BytesBytes<&[u8], &[u8]> = "invitations";

    /// `(INSTANCE, invitation hash) → tenant id`: the invitation link carries no tenant.
    INVITATION_BY_HASH: BytesU64<&[u8], u64> = "invitation_by_hash";

    /// `(tenant, desc seq) → AuditRecord`: newest first is a forward scan.
    AUDIT_EVENTS: BytesBytes<&[u8], &[u8]> = "audit_events";

    /// `(tenant, kind tag, desc seq) → ()`: the log filtered by kind without reading other kinds.
    AUDIT_BY_KIND: BytesUnit<&[u8], ()> = "audit_by_kind";

    /// `(tenant, actor, desc seq) → ()`: the log filtered by who acted.
    AUDIT_BY_ACTOR: BytesUnit<&[u8], ()> = "audit_by_actor";

    /// `(tenant, setting name) → settings record`; instance settings live under `INSTANCE`.
    SETTINGS: BytesBytes<&[u8], &[u8]> = "settings";

    // Tickets (`crate::store::tickets`). Every key ends with the ticket number, and every index
    // entry is written in the same transaction as the record by `tickets` alone. Timestamps in
    // keys are microseconds with the sign bit flipped, so they sort as signed numbers. "None"
    // ids (no assignee, priority, topic) are stored as 0, which no real id uses.

    /// `(tenant, number) → TicketRecord`, trashed tickets included. Also the "by number" index:
    /// newest first is a reverse scan.
    TICKETS: BytesBytes<&[u8], &[u8]> = "tickets";

    /// `(tenant, number, seq) → MessageRecord`: a ticket's thread in order.
    TICKET_MESSAGES: BytesBytes<&[u8], &[u8]> = "ticket_messages";

    /// `(tenant, number, seq) → HistoryRecord`: a ticket's changes in order.
    TICKET_HISTORY: BytesBytes<&[u8], &[u8]> = "ticket_history";

    /// `(tenant, status, waiting since, number) → ()`: a tab, longest waiting first.
    TICKET_BY_STATUS_WAIT: BytesUnit<&[u8], ()> = "ticket_by_status_wait";

    /// `(tenant, status, priority rank, waiting since, number) → ()`: a tab, most urgent first.
    /// The rank is a snapshot kept in the ticket record (see `tickets::TicketIndexKeys`).
    TICKET_BY_STATUS_PRIORITY: BytesUnit<&[u8], ()> = "ticket_by_status_priority";

    // The four sort indexes below put the status before the sort value (schema 2): a page of
    // one status is one range read, and a page of several statuses merges their ranges
    // (`tickets::list`). They replaced `(tenant, value, number)` indexes that made a status
    // filter walk past every ticket of the other statuses.

    /// `(tenant, status, created, number) → ()` for tickets not in the trash.
    TICKET_BY_STATUS_CREATED: BytesUnit<&[u8], ()> = "ticket_by_status_created";

    /// `(tenant, status, updated, number) → ()` for tickets not in the trash.
    TICKET_BY_STATUS_UPDATED: BytesUnit<&[u8], ()> = "ticket_by_status_updated";

    /// `(tenant, status, lower-cased customer name snapshot, number) → ()` for tickets not in
    /// the trash.
    TICKET_BY_STATUS_CUSTOMER_NAME: BytesUnit<&[u8], ()> = "ticket_by_status_customer_name";

    /// `(tenant, status, number) → ()` for tickets not in the trash.
    TICKET_BY_STATUS: BytesUnit<&[u8], ()> = "ticket_by_status";

    /// `(tenant, status, priority rank snapshot, number) → ()` for tickets not in the trash:
    /// sorting.
    TICKET_BY_STATUS_RANK: BytesUnit<&[u8], ()> = "ticket_by_status_rank";

    /// `(tenant, priority id, number) → ()` for tickets not in the trash: filtering and finding
    /// the tickets to re-rank when a priority's rank changes, whatever their rank snapshot.
    TICKET_BY_PRIORITY_ID: BytesUnit<&[u8], ()> = "ticket_by_priority_id";

    /// `(tenant, customer, number) → ()` for tickets not in the trash.
    TICKET_BY_CUSTOMER: BytesUnit<&[u8], ()> = "ticket_by_customer";

    /// `(tenant, assignee, number) → ()` for tickets not in the trash.
    TICKET_BY_ASSIGNEE: BytesUnit<&[u8], ()> = "ticket_by_assignee";

    /// `(tenant, topic, number) → ()` for tickets not in the trash.
    TICKET_BY_TOPIC: BytesUnit<&[u8], ()> = "ticket_by_topic";

    /// `(tenant, number) → ()` for trashed tickets, which are in no other index.
    TICKET_TRASH: BytesUnit<&[u8], ()> = "ticket_trash";

    /// `(tenant, bucket) → count`: tickets per status (bucket = `Status::as_u8`) outside the
    /// trash, and in the trash (bucket 255). Rows at zero are removed.
    TICKET_COUNTS: BytesU64<&[u8], u64> = "ticket_counts";

    /// `(tenant, SHA-256) → references`: how many message attachments of the tenant name the
    /// blob; under `INSTANCE` the sum over all tenants, since blobs are shared by content.
    ATTACHMENT_REFS: BytesU64<&[u8], u64> = "attachment_refs";

    /// `(INSTANCE, seq) → OutboxRecord`: searchable changes for the search indexer, in commit
    /// order; `seq` comes from the `outbox` sequence, so it never repeats after a trim.
    OUTBOX: BytesBytes<&[u8], &[u8]> = "outbox";

    /// `(INSTANCE, SHA-256 of the link secret) → PasswordResetRecord`: one-time password
    /// reset links.
    PASSWORD_RESETS: BytesBytes<&[u8], &[u8]> = "password_resets";
}

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
        let retired = [
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
        ];
        for (definition, constant) in retired {
            assert_eq!(definition, constant);
        }
        assert_eq!(TICKETS.name(), name::TICKETS);
        let mut names: Vec<&str> = ALL.iter().map(|(n, _)| *n).collect();
        names.extend(retired.iter().map(|r| r.1));
        let declared = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), declared, "a table name is used twice");
    }
}
