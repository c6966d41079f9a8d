//! Which tables a backup holds, and how their keys and values become bytes in the dump.
//!
//! The dump must not depend on redb's file format, so each table's key and value types are
//! written in a fixed encoding of our own: strings as UTF-8, byte strings as they are,
//! `u64` as 8 bytes big-endian, `()` as nothing, `(u64, u64)` as 16 bytes big-endian.
//!
//! [`CATALOGUE`] is the list `store::tables` declares, so a new table is in every backup
//! without a second edit. A unit test compares it with the tables a fresh database's
//! migrations create, and [`unknown_tables`] refuses to back up a file holding a table not
//! listed (one a newer version added).

use crate::store::{ReadTx, WriteTx};
use redb::{
    MultimapTableHandle, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    TableHandle,
};

/// Receives each dumped row as (key, value).
pub type RowSink<'a> = dyn FnMut(&[u8], &[u8]) -> std::io::Result<()> + 'a;

use crate::store::error::StoreError;
use crate::store::tables;

type Def<K, V> = TableDefinition<'static, K, V>;

/// A table with its typed definition; the variant fixes how keys and values are encoded.
#[derive(Clone, Copy)]
pub enum Table {
    StrBytes(Def<&'static str, &'static [u8]>),
    StrU64(Def<&'static str, u64>),
    BytesBytes(Def<&'static [u8], &'static [u8]>),
    BytesU64(Def<&'static [u8], u64>),
    BytesUnit(Def<&'static [u8], ()>),
    BytesPair(Def<&'static [u8], (u64, u64)>),
}

/// Every table of the file, in the order the archive holds them: the one list of
/// `store::tables`.
pub const CATALOGUE: &[(&str, Table)] = tables::ALL;

/// Tables that archives of older schema versions hold and the current schema does not:
/// a restore writes them as they are, and the migration that retired them (run when the
/// restored file is opened) reads and removes them. Never dumped.
pub const RETIRED: &[(&str, Table)] = &[
    (
        tables::retired::name::TICKET_BY_CREATED,
        Table::BytesUnit(tables::retired::TICKET_BY_CREATED),
    ),
    (
        tables::retired::name::TICKET_BY_UPDATED,
        Table::BytesUnit(tables::retired::TICKET_BY_UPDATED),
    ),
    (
        tables::retired::name::TICKET_BY_CUSTOMER_NAME,
        Table::BytesUnit(tables::retired::TICKET_BY_CUSTOMER_NAME),
    ),
    (
        tables::retired::name::TICKET_BY_PRIORITY,
        Table::BytesUnit(tables::retired::TICKET_BY_PRIORITY),
    ),
];

/// Looks a table up by the name used in the archive, retired tables included.
pub fn by_name(table: &str) -> Option<(&'static str, Table)> {
    CATALOGUE
        .iter()
        .chain(RETIRED)
        .copied()
        .find(|(n, _)| *n == table)
}

/// Tables present in the file that [`CATALOGUE`] does not know: a backup of such a file
/// would be incomplete, so it is refused instead.
pub fn unknown_tables(txn: &ReadTx) -> Result<Vec<String>, StoreError> {
    let mut unknown: Vec<String> = txn
        .raw()
        .list_tables()?
        .map(|t| t.name().to_owned())
        .filter(|n| !CATALOGUE.iter().any(|(c, _)| c == n))
        .collect();
    unknown.extend(
        txn.raw()
            .list_multimap_tables()?
            .map(|t| t.name().to_owned()),
    );
    Ok(unknown)
}

fn u64_bytes(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

fn read_u64(table: &'static str, b: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = b.try_into().map_err(|_| StoreError::Corrupt {
        table,
        detail: format!("a number of {} bytes instead of 8", b.len()),
    })?;
    Ok(u64::from_be_bytes(arr))
}

fn read_str<'a>(table: &'static str, b: &'a [u8]) -> Result<&'a str, StoreError> {
    std::str::from_utf8(b).map_err(|_| StoreError::Corrupt {
        table,
        detail: "a text key that is not UTF-8".into(),
    })
}

impl Table {
    /// Calls `emit(key, value)` for every row in key order, with both encoded as described
    /// in the module docs; returns the number of rows.
    pub fn dump(self, txn: &ReadTx, emit: &mut RowSink<'_>) -> Result<u64, StoreError> {
        let mut n = 0u64;
        macro_rules! each {
            ($def:expr, |$k:ident, $v:ident| $body:expr) => {{
                let table = txn.open_table($def)?;
                for row in table.iter()? {
                    let (kg, vg) = row?;
                    let $k = kg.value();
                    let $v = vg.value();
                    $body?;
                    n += 1;
                }
            }};
        }
        match self {
            Table::StrBytes(d) => each!(d, |k, v| emit(k.as_bytes(), v)),
            Table::StrU64(d) => each!(d, |k, v| emit(k.as_bytes(), &u64_bytes(v))),
            Table::BytesBytes(d) => each!(d, |k, v| emit(k, v)),
            Table::BytesU64(d) => each!(d, |k, v| emit(k, &u64_bytes(v))),
            Table::BytesUnit(d) => each!(d, |k, _v| emit(k, &[])),
            Table::BytesPair(d) => each!(d, |k, v| {
                let mut pair = [0u8; 16];
                pair[..8].copy_from_slice(&u64_bytes(v.0));
                pair[8..].copy_from_slice(&u64_bytes(v.1));
                emit(k, &pair)
            }),
        }
        Ok(n)
    }

    /// Checks that an encoded row has the shape of this table's types (before anything is
    /// written), so a damaged dump is reported by table rather than by redb.
    pub fn check_row(
        self,
        table: &'static str,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StoreError> {
        let bad = |detail: String| StoreError::Corrupt { table, detail };
        match self {
            Table::StrBytes(_) | Table::StrU64(_) => {
                read_str(table, key)?;
            }
            _ => {}
        }
        match self {
            Table::StrU64(_) | Table::BytesU64(_) => {
                read_u64(table, value)?;
            }
            Table::BytesUnit(_) if !value.is_empty() => {
                return Err(bad(format!(
                    "{} value bytes in a key-only table",
                    value.len()
                )));
            }
            Table::BytesPair(_) if value.len() != 16 => {
                return Err(bad(format!(
                    "a pair of {} bytes instead of 16",
                    value.len()
                )));
            }
            _ => {}
        }
        Ok(())
    }

    /// Inserts rows produced by [`Table::dump`] (checked by [`Table::check_row`]).
    pub fn insert_all(
        self,
        table: &'static str,
        txn: &WriteTx,
        rows: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), StoreError> {
        match self {
            Table::StrBytes(d) => {
                let mut t = txn.open_table(d)?;
                for (k, v) in rows {
                    t.insert(read_str(table, k)?, v.as_slice())?;
                }
            }
            Table::StrU64(d) => {
                let mut t = txn.open_table(d)?;
                for (k, v) in rows {
                    t.insert(read_str(table, k)?, read_u64(table, v)?)?;
                }
            }
            Table::BytesBytes(d) => {
                let mut t = txn.open_table(d)?;
                for (k, v) in rows {
                    t.insert(k.as_slice(), v.as_slice())?;
                }
            }
            Table::BytesU64(d) => {
                let mut t = txn.open_table(d)?;
                for (k, v) in rows {
                    t.insert(k.as_slice(), read_u64(table, v)?)?;
                }
            }
            Table::BytesUnit(d) => {
                let mut t = txn.open_table(d)?;
                for (k, _) in rows {
                    t.insert(k.as_slice(), ())?;
                }
            }
            Table::BytesPair(d) => {
                let mut t = txn.open_table(d)?;
                for (k, v) in rows {
                    let (a, b) = v.split_at(8.min(v.len()));
                    t.insert(k.as_slice(), (read_u64(table, a)?, read_u64(table, b)?))?;
                }
            }
        }
        Ok(())
    }

    /// Creates the (empty) table, so a restored file has every table even when the dump
    /// of one held no rows.
    pub fn create(self, txn: &WriteTx) -> Result<(), StoreError> {
        match self {
            Table::StrBytes(d) => drop(txn.open_table(d)?),
            Table::StrU64(d) => drop(txn.open_table(d)?),
            Table::BytesBytes(d) => drop(txn.open_table(d)?),
            Table::BytesU64(d) => drop(txn.open_table(d)?),
            Table::BytesUnit(d) => drop(txn.open_table(d)?),
            Table::BytesPair(d) => drop(txn.open_table(d)?),
        }
        Ok(())
    }

    /// Rows in the table.
    pub fn len(self, txn: &ReadTx) -> Result<u64, StoreError> {
        Ok(match self {
            Table::StrBytes(d) => txn.open_table(d)?.len()?,
            Table::StrU64(d) => txn.open_table(d)?.len()?,
            Table::BytesBytes(d) => txn.open_table(d)?.len()?,
            Table::BytesU64(d) => txn.open_table(d)?.len()?,
            Table::BytesUnit(d) => txn.open_table(d)?.len()?,
            Table::BytesPair(d) => txn.open_table(d)?.len()?,
        })
    }
}

/// Row counts of every catalogued table, in catalogue order.
pub fn counts(db: &redb::Database) -> Result<Vec<(&'static str, u64)>, StoreError> {
    counts_in(&ReadTx::new(db.begin_read()?))
}

pub fn counts_in(txn: &ReadTx) -> Result<Vec<(&'static str, u64)>, StoreError> {
    CATALOGUE
        .iter()
        .map(|(n, t)| Ok((*n, t.len(txn)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_names_every_table_of_a_fresh_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("c.redb")).unwrap();
        let mut in_file: Vec<String> = store
            .read_blocking(|r| {
                Ok(r.raw()
                    .list_tables()?
                    .map(|t| t.name().to_owned())
                    .collect())
            })
            .unwrap();
        in_file.sort();
        let mut listed: Vec<String> = CATALOGUE.iter().map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(
            in_file, listed,
            "a table was added to store::tables without adding it to the backup catalogue"
        );
        for (n, t) in CATALOGUE {
            let handle_name = match t {
                Table::StrBytes(d) => d.name().to_owned(),
                Table::StrU64(d) => d.name().to_owned(),
                Table::BytesBytes(d) => d.name().to_owned(),
                Table::BytesU64(d) => d.name().to_owned(),
                Table::BytesUnit(d) => d.name().to_owned(),
                Table::BytesPair(d) => d.name().to_owned(),
            };
            assert_eq!(&handle_name, n);
        }
        let none: Vec<String> = store.read_blocking(unknown_tables).unwrap();
        assert!(none.is_empty());
    }
}
