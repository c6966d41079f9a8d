//! The logical dump and load of every table, which backups are made of (docs/backup.md):
//! [`catalogue`] lists the tables and encodes their rows, [`check`] decodes every record of
//! a database, and [`StagingDb`] loads dumped rows into a fresh file. Archives, snapshots
//! and the swap of a data directory are file work and live in `crate::backup`.

pub mod catalogue;
pub mod check;

use std::path::Path;

use redb::{Database, Durability};

use super::keys::{Key, KeyReader};
use super::{ReadTx, StoreError, WriteTx, migrate, tables};
use catalogue::Table;

/// The schema version recorded in the file being dumped.
pub fn schema_version(txn: &ReadTx) -> Result<u32, StoreError> {
    migrate::read_schema_version(&txn.open_table(tables::META)?)?.ok_or_else(|| {
        StoreError::Corrupt {
            table: tables::name::META,
            detail: "the schema version row is missing".into(),
        }
    })
}

/// Every blob some message references, from the instance-wide reference counts.
pub fn referenced_blobs(txn: &ReadTx) -> Result<Vec<[u8; 32]>, StoreError> {
    let refs = txn.open_table(tables::ATTACHMENT_REFS)?;
    let range = Key::tenant(0).prefix_range();
    let mut out = Vec::new();
    for row in refs.range::<&[u8]>(range.bounds())? {
        let (k, v) = row?;
        if v.value() == 0 {
            continue;
        }
        let parsed = (|| {
            let mut reader = KeyReader::new(k.value());
            reader.tenant()?;
            let bytes = reader.bytes()?;
            reader.finish()?;
            Ok::<_, super::keys::KeyError>(bytes)
        })()
        .map_err(|e| e.in_table(tables::name::ATTACHMENT_REFS))?;
        let hash: [u8; 32] = parsed.try_into().map_err(|_| StoreError::Corrupt {
            table: tables::name::ATTACHMENT_REFS,
            detail: "a blob hash that is not 32 bytes".into(),
        })?;
        out.push(hash);
    }
    Ok(out)
}

/// A fresh database file that dumped rows are loaded into, batch by batch. Nothing in it
/// is durable until [`StagingDb::finish`]: a crash before that leaves a file that restore
/// throws away anyway, and skipping the sync per batch makes loading several times faster.
pub struct StagingDb {
    db: Database,
}

impl StagingDb {
    pub fn create(path: &Path) -> Result<StagingDb, StoreError> {
        Ok(StagingDb {
            db: Database::create(path)?,
        })
    }

    /// Creates `table` when missing and inserts `rows`, already checked by
    /// [`Table::check_row`].
    pub fn load(
        &self,
        name: &'static str,
        table: Table,
        rows: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::None)?;
        let txn = WriteTx::new(txn);
        table.create(&txn)?;
        table.insert_all(name, &txn, rows)?;
        txn.into_inner().commit()?;
        Ok(())
    }

    /// Gives the file a new generation (it is about to replace another database, whose
    /// search index must not be taken for its own), makes everything loaded durable and
    /// closes the file (redb allows one open handle per file, and the checks that follow
    /// open it as a [`super::Store`]).
    pub fn finish(self) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let txn = WriteTx::new(txn);
        super::generation::write_new(&txn)?;
        txn.into_inner().commit()?;
        Ok(())
    }
}

/// For backup tests that need a second table changed in the same transaction as a
/// sequence: one empty settings row under `key`.
#[cfg(test)]
pub(crate) fn put_raw_settings_row(w: &WriteTx, key: &[u8]) -> Result<(), StoreError> {
    w.open_table(tables::SETTINGS)?.insert(key, &[][..])?;
    Ok(())
}
