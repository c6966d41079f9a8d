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
}

/// `name → bytes`: instance-wide metadata. Holds the schema-version row
/// ([`crate::store::migrate::SCHEMA_VERSION_KEY`]) and the instance record
/// ([`crate::store::migrate::INSTANCE_KEY`]). Not tenant-scoped: it describes the file itself.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new(name::META);

/// `sequence name → last issued id`: counters for ids, bumped inside the write transaction
/// that uses the id (see [`crate::store::Store::next_id`]). Per-tenant sequences put the tenant
/// into the name so one tenant's numbering never depends on another's.
pub const SEQUENCES: TableDefinition<&str, u64> = TableDefinition::new(name::SEQUENCES);

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
