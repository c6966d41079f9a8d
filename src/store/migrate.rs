//! Schema version and the migration ladder.
//!
//! The schema version is one row in `META` (`"schema_version"` → 4 bytes, big-endian `u32`).
//! Its format never changes, so every Supportbox version, old or new, can read it. Opening a
//! file then goes:
//!
//! * no tables at all (a file just created) → run every step, write the instance record;
//! * version = [`SCHEMA_VERSION`] → nothing to do, and nothing is written;
//! * older version → run the missing steps in order, all in ONE write transaction, so a crash
//!   or a failing step leaves the file at its old version rather than half-migrated;
//! * newer version → refused with [`StoreError::NewerSchema`]; the file is not touched.
//!
//! To change the schema, append a [`Migration`] with the next `to`; never edit a released step.

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableHandle};

use super::WriteTx;

use super::error::StoreError;
use super::record::{self, InstanceMetaRecord, InstanceMetaV1};
use super::tables::{self, META, SEQUENCES};

/// The `META` row holding the schema version.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";
/// The `META` row holding the [`InstanceMetaRecord`].
pub const INSTANCE_KEY: &str = "instance";

/// One step of the ladder: brings a file from version `to - 1` to `to`.
pub struct Migration {
    pub to: u32,
    pub name: &'static str,
    pub apply: fn(&WriteTx) -> Result<(), StoreError>,
}

/// Every schema change ever made, oldest first; `to` counts up from 1 without gaps.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 1,
        name: "create the meta and sequences tables",
        apply: v1_create_tables,
    },
    Migration {
        to: 2,
        name: "ticket sort indexes keyed by status first",
        apply: v2_status_first_sort_indexes,
    },
    Migration {
        to: 3,
        name: "a database generation the search index is checked against",
        apply: v3_generation,
    },
    Migration {
        to: 4,
        name: "one-time password reset links",
        apply: v4_password_resets,
    },
];

/// The newest schema version this binary reads and writes.
pub const SCHEMA_VERSION: u32 = match MIGRATIONS.last() {
    Some(m) => m.to,
    None => 0,
};

fn v1_create_tables(txn: &WriteTx) -> Result<(), StoreError> {
    // Opening a table in a write transaction creates it.
    txn.open_table(META)?;
    txn.open_table(SEQUENCES)?;
    v1_create_entity_tables(txn)?;
    Ok(())
}

/// Part of v1 (nothing had shipped when they were added), so every file has them and readers
/// can treat a missing table as damage rather than as "empty".
fn v1_create_entity_tables(txn: &WriteTx) -> Result<(), StoreError> {
    use tables::*;
    for records in [
        TENANTS,
        ACCOUNTS,
        MEMBERSHIPS,
        PRIORITIES,
        TOPICS,
        SESSIONS,
        API_TOKENS,
        INVITATIONS,
        AUDIT_EVENTS,
        SETTINGS,
    ] {
        txn.open_table(records)?;
    }
    for by_id in [TENANT_BY_SLUG, ACCOUNT_BY_EMAIL, INVITATION_BY_HASH] {
        txn.open_table(by_id)?;
    }
    for set in [
        OPERATOR_ACCOUNTS,
        MEMBERSHIP_BY_ACCOUNT,
        SESSION_BY_ACCOUNT,
        AUDIT_BY_KIND,
        AUDIT_BY_ACTOR,
    ] {
        txn.open_table(set)?;
    }
    txn.open_table(TOKEN_BY_HASH)?;
    v1_create_ticket_tables(txn)?;
    Ok(())
}

/// Part of v1 like the entity tables: nothing had shipped when tickets were added.
fn v1_create_ticket_tables(txn: &WriteTx) -> Result<(), StoreError> {
    use tables::*;
    for records in [TICKETS, TICKET_MESSAGES, TICKET_HISTORY, OUTBOX] {
        txn.open_table(records)?;
    }
    for set in [
        TICKET_BY_STATUS_WAIT,
        TICKET_BY_STATUS_PRIORITY,
        retired::TICKET_BY_CREATED,
        retired::TICKET_BY_UPDATED,
        retired::TICKET_BY_CUSTOMER_NAME,
        TICKET_BY_STATUS,
        retired::TICKET_BY_PRIORITY,
        TICKET_BY_PRIORITY_ID,
        TICKET_BY_CUSTOMER,
        TICKET_BY_ASSIGNEE,
        TICKET_BY_TOPIC,
        TICKET_TRASH,
    ] {
        txn.open_table(set)?;
    }
    for counter in [TICKET_COUNTS, ATTACHMENT_REFS] {
        txn.open_table(counter)?;
    }
    Ok(())
}

/// Replaces the `(tenant, value, number)` sort indexes by `(tenant, status, value, number)`
/// ones, filled from the ticket records, so that a status filter sorted by another column
/// is one range read instead of a walk past every ticket of the other statuses. The
/// number of index tables stays the same, so a ticket write touches no more B-trees.
fn v2_status_first_sort_indexes(txn: &WriteTx) -> Result<(), StoreError> {
    super::tickets::fill_status_first_indexes(txn)?;
    for old in [
        tables::retired::TICKET_BY_CREATED,
        tables::retired::TICKET_BY_UPDATED,
        tables::retired::TICKET_BY_CUSTOMER_NAME,
        tables::retired::TICKET_BY_PRIORITY,
    ] {
        txn.raw().delete_table(old)?;
    }
    Ok(())
}

fn v3_generation(txn: &WriteTx) -> Result<(), StoreError> {
    super::generation::write_new(txn).map(drop)
}

fn v4_password_resets(txn: &WriteTx) -> Result<(), StoreError> {
    txn.open_table(tables::PASSWORD_RESETS)?;
    Ok(())
}

/// What the caller needs to know about the instance when initialising a fresh file.
pub struct InitInfo {
    pub created_at_us: i64,
    pub app_version: &'static str,
}

/// Brings the database to [`SCHEMA_VERSION`], or refuses it; returns the version it is at.
pub fn prepare(db: &Database, init: &InitInfo) -> Result<u32, StoreError> {
    prepare_with(db, init, MIGRATIONS)
}

fn prepare_with(db: &Database, init: &InitInfo, ladder: &[Migration]) -> Result<u32, StoreError> {
    let newest = ladder.last().map_or(0, |m| m.to);
    // Decide with a read transaction first so that an up-to-date or refused file is not
    // written to at all.
    let found = stored_version(db)?;
    if found > newest {
        return Err(StoreError::NewerSchema {
            found,
            supported: newest,
        });
    }
    if found == newest {
        return Ok(found);
    }

    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    let txn = WriteTx::new(txn);
    for step in ladder.iter().filter(|m| m.to > found) {
        tracing::info!(to = step.to, name = step.name, "migrating database schema");
        (step.apply)(&txn)?;
        write_schema_version(&txn, step.to)?;
    }
    if found == 0 {
        let meta = InstanceMetaV1 {
            created_at_us: init.created_at_us,
            created_by_version: init.app_version.to_owned(),
            created_schema_version: newest,
        };
        let bytes = record::encode_current::<InstanceMetaRecord>(tables::name::META, meta)?;
        txn.open_table(META)?
            .insert(INSTANCE_KEY, bytes.as_slice())?;
    }
    txn.into_inner().commit()?;
    Ok(newest)
}

/// The version stored in the file: 0 for a file without any table (never initialised).
/// Refuses a file written by a newer Supportbox, reading only.
pub fn refuse_newer(db: &impl ReadableDatabase) -> Result<(), StoreError> {
    let newest = MIGRATIONS.last().map_or(0, |m| m.to);
    let found = stored_version(db)?;
    if found > newest {
        return Err(StoreError::NewerSchema {
            found,
            supported: newest,
        });
    }
    Ok(())
}

fn stored_version(db: &impl ReadableDatabase) -> Result<u32, StoreError> {
    let txn = db.begin_read()?;
    let names: Vec<String> = txn.list_tables()?.map(|t| t.name().to_owned()).collect();
    if names.is_empty() {
        return Ok(0);
    }
    if !names.iter().any(|n| n == tables::name::META) {
        // Some other program's redb file: adding our tables to it would mix two applications.
        return Err(StoreError::Corrupt {
            table: tables::name::META,
            detail: "the file is a redb database, but not a Supportbox one".into(),
        });
    }
    read_schema_version(&txn.open_table(META)?)?.ok_or_else(|| StoreError::Corrupt {
        table: tables::name::META,
        detail: "the schema version row is missing".into(),
    })
}

/// Reads the schema-version row from an open `META` table (read or write transaction).
pub fn read_schema_version(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<u32>, StoreError> {
    let Some(row) = meta.get(SCHEMA_VERSION_KEY)? else {
        return Ok(None);
    };
    let bytes: [u8; 4] = row.value().try_into().map_err(|_| StoreError::Corrupt {
        table: tables::name::META,
        detail: "the schema version row is not 4 bytes".into(),
    })?;
    Ok(Some(u32::from_be_bytes(bytes)))
}

/// Overwrites the schema-version row; only the ladder (and tests faking other versions) do this.
pub(crate) fn write_schema_version(txn: &WriteTx, version: u32) -> Result<(), StoreError> {
    txn.open_table(META)?
        .insert(SCHEMA_VERSION_KEY, version.to_be_bytes().as_slice())?;
    Ok(())
}

/// Reads the instance record (created at initialisation).
pub fn read_instance(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<InstanceMetaV1>, StoreError> {
    match meta.get(INSTANCE_KEY)? {
        Some(row) => Ok(Some(record::decode_current::<InstanceMetaRecord>(
            tables::name::META,
            row.value(),
        )?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::TableDefinition;

    const INIT: InitInfo = InitInfo {
        created_at_us: 42,
        app_version: "test",
    };

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("m.redb")).unwrap();
        (dir, db)
    }

    fn version_of(db: &Database) -> Option<u32> {
        let txn = db.begin_read().unwrap();
        read_schema_version(&txn.open_table(META).unwrap()).unwrap()
    }

    #[test]
    fn ladder_counts_up_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.to as usize, i + 1, "step {:?}", m.name);
        }
        assert_eq!(SCHEMA_VERSION as usize, MIGRATIONS.len());
    }

    #[test]
    fn fresh_file_gets_newest_version_and_instance_record() {
        let (_dir, db) = db();
        assert_eq!(prepare(&db, &INIT).unwrap(), SCHEMA_VERSION);
        assert_eq!(version_of(&db), Some(SCHEMA_VERSION));
        let txn = db.begin_read().unwrap();
        let meta = read_instance(&txn.open_table(META).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(meta.created_at_us, 42);
        assert_eq!(meta.created_schema_version, SCHEMA_VERSION);
        txn.open_table(SEQUENCES).unwrap();
        // A second open finds nothing to do.
        assert_eq!(prepare(&db, &INIT).unwrap(), SCHEMA_VERSION);
    }

    const EXTRA: TableDefinition<&str, u64> = TableDefinition::new("extra");

    fn v2_add_row(txn: &WriteTx) -> Result<(), StoreError> {
        // Runs after v1 in the same transaction, so it sees v1's tables.
        txn.open_table(SEQUENCES)?.get("nothing")?;
        txn.open_table(EXTRA)?.insert("v2", 2)?;
        Ok(())
    }

    fn v3_fail(_: &WriteTx) -> Result<(), StoreError> {
        Err(StoreError::Internal("step 3 fails".into()))
    }

    const LADDER_2: &[Migration] = &[
        Migration {
            to: 1,
            name: "v1",
            apply: v1_create_tables,
        },
        Migration {
            to: 2,
            name: "v2",
            apply: v2_add_row,
        },
    ];

    #[test]
    fn older_file_is_migrated_step_by_step() {
        let (_dir, db) = db();
        assert_eq!(prepare_with(&db, &INIT, &LADDER_2[..1]).unwrap(), 1);
        assert_eq!(prepare_with(&db, &INIT, LADDER_2).unwrap(), 2);
        assert_eq!(version_of(&db), Some(2));
        let txn = db.begin_read().unwrap();
        let extra = txn.open_table(EXTRA).unwrap();
        assert_eq!(extra.get("v2").unwrap().unwrap().value(), 2);
        // The instance record is from the first initialisation, not rewritten by migrating.
        let meta = read_instance(&txn.open_table(META).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(meta.created_schema_version, 1);
    }

    #[test]
    fn failing_step_leaves_the_old_version() {
        let (_dir, db) = db();
        prepare_with(&db, &INIT, &LADDER_2[..1]).unwrap();
        let ladder = [
            Migration {
                to: 1,
                name: "v1",
                apply: v1_create_tables,
            },
            Migration {
                to: 2,
                name: "v2",
                apply: v2_add_row,
            },
            Migration {
                to: 3,
                name: "v3",
                apply: v3_fail,
            },
        ];
        assert!(prepare_with(&db, &INIT, &ladder).is_err());
        assert_eq!(version_of(&db), Some(1));
        let txn = db.begin_read().unwrap();
        assert!(txn.open_table(EXTRA).is_err(), "v2 must be rolled back too");
    }

    #[test]
    fn newer_file_is_refused_and_untouched() {
        let (_dir, db) = db();
        prepare(&db, &INIT).unwrap();
        let txn = WriteTx::new(db.begin_write().unwrap());
        write_schema_version(&txn, SCHEMA_VERSION + 6).unwrap();
        txn.into_inner().commit().unwrap();
        let err = prepare(&db, &INIT).unwrap_err();
        assert!(matches!(
            err,
            StoreError::NewerSchema { found, supported }
                if found == SCHEMA_VERSION + 6 && supported == SCHEMA_VERSION
        ));
        assert_eq!(version_of(&db), Some(SCHEMA_VERSION + 6));
    }

    #[test]
    fn foreign_redb_file_is_not_adopted() {
        let (_dir, db) = db();
        let txn = db.begin_write().unwrap();
        txn.open_table(EXTRA).unwrap().insert("x", 1).unwrap();
        txn.commit().unwrap();
        let err = prepare(&db, &INIT).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(db.begin_read().unwrap().open_table(META).is_err());
    }
}
