//! Plumbing shared by the entity modules ([`super::tenants`], [`super::accounts`], …).
//!
//! [`Tx`] lets one read function serve both a read snapshot and a write transaction: services
//! read through snapshots, while a write command has to see its own uncommitted changes (and
//! check uniqueness against them), so it reads through the write transaction.
//!
//! Timestamps are stored as `i128` nanoseconds since the Unix epoch: the exact value of a
//! `jiff::Timestamp`, so a record reads back equal to what was written.

use crate::store::{ReadTx, WriteTx};
use jiff::Timestamp;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::keys::{Key, KeyReader};
use super::record::{self, Versioned};
use crate::domain::role::Role;

/// A transaction that tables can be read from: [`ReadTx`] or [`WriteTx`].
///
/// Inside a write transaction a table can be open only once at a time, so a write function
/// must not hold a table open while calling a read function on the same table.
pub trait Tx {
    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError>;
}

impl Tx for ReadTx {
    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError> {
        Ok(self.open_table(def)?)
    }
}

impl Tx for WriteTx {
    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError> {
        Ok(self.open_table(def)?)
    }
}

pub(crate) type RecordTable = TableDefinition<'static, &'static [u8], &'static [u8]>;
pub(crate) type SetTable = TableDefinition<'static, &'static [u8], ()>;

/// Why a decoded record is still not a valid domain value; becomes [`StoreError::Corrupt`]
/// once the table is known.
#[derive(Debug)]
pub(crate) struct BadValue(pub String);

pub(crate) fn nanos(t: Timestamp) -> i128 {
    t.as_nanosecond()
}

pub(crate) fn timestamp(nanos: i128) -> Result<Timestamp, BadValue> {
    Timestamp::from_nanosecond(nanos).map_err(|e| BadValue(format!("bad timestamp: {e}")))
}

pub(crate) fn opt_timestamp(nanos: Option<i128>) -> Result<Option<Timestamp>, BadValue> {
    nanos.map(timestamp).transpose()
}

/// Implements [`Versioned`] for a record enum that so far has only `V1`. When a `V2` is added,
/// replace the macro call with a hand-written impl that upgrades `V1`.
macro_rules! versioned_v1 {
    ($record:ident, $current:ident) => {
        impl $crate::store::record::Versioned for $record {
            type Current = $current;

            fn from_current(current: $current) -> Self {
                $record::V1(current)
            }

            fn into_current(self) -> $current {
                match self {
                    $record::V1(v) => v,
                }
            }
        }
    };
}
pub(crate) use versioned_v1;

/// A role as stored. Variants are encoded by position: append only, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RoleV1 {
    Customer,
    Supporter,
    TenantAdmin,
}

impl From<Role> for RoleV1 {
    fn from(r: Role) -> Self {
        match r {
            Role::Customer => RoleV1::Customer,
            Role::Supporter => RoleV1::Supporter,
            Role::TenantAdmin => RoleV1::TenantAdmin,
        }
    }
}

impl From<RoleV1> for Role {
    fn from(r: RoleV1) -> Self {
        match r {
            RoleV1::Customer => Role::Customer,
            RoleV1::Supporter => Role::Supporter,
            RoleV1::TenantAdmin => Role::TenantAdmin,
        }
    }
}

/// Decodes a record of `table` and turns it into its domain type.
pub(crate) fn decode<R, T>(table: &'static str, bytes: &[u8]) -> Result<T, StoreError>
where
    R: Versioned,
    T: TryFrom<R::Current, Error = BadValue>,
{
    let current = record::decode_current::<R>(table, bytes)?;
    T::try_from(current).map_err(|BadValue(detail)| StoreError::Corrupt { table, detail })
}

/// Reads one record by its full key.
pub(crate) fn get_record<R, T>(
    tx: &impl Tx,
    def: RecordTable,
    table: &'static str,
    key: &Key,
) -> Result<Option<T>, StoreError>
where
    R: Versioned,
    T: TryFrom<R::Current, Error = BadValue>,
{
    let t = tx.table(def)?;
    let row = t.get(key.as_bytes())?;
    let found = match row {
        Some(bytes) => Some(decode::<R, T>(table, bytes.value())?),
        None => None,
    };
    Ok(found)
}

/// Encodes `current` as the newest variant and stores it under `key`.
pub(crate) fn put_record<R: Versioned>(
    w: &WriteTx,
    def: RecordTable,
    table: &'static str,
    key: &Key,
    current: R::Current,
) -> Result<(), StoreError> {
    let bytes = record::encode_current::<R>(table, current)?;
    w.open_table(def)?
        .insert(key.as_bytes(), bytes.as_slice())?;
    Ok(())
}

/// Every record whose key starts with `prefix`, in key order.
pub(crate) fn list_records<R, T>(
    tx: &impl Tx,
    def: RecordTable,
    table: &'static str,
    prefix: &Key,
) -> Result<Vec<T>, StoreError>
where
    R: Versioned,
    T: TryFrom<R::Current, Error = BadValue>,
{
    let t = tx.table(def)?;
    let range = prefix.prefix_range();
    let mut out = Vec::new();
    for entry in t.range::<&[u8]>(range.bounds())? {
        let (_, value) = entry?;
        out.push(decode::<R, T>(table, value.value())?);
    }
    Ok(out)
}

/// The keys of a set-like index table that start with `prefix`, in key order.
pub(crate) fn set_keys(
    tx: &impl Tx,
    def: SetTable,
    prefix: &Key,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let t = tx.table(def)?;
    let range = prefix.prefix_range();
    let mut out = Vec::new();
    for entry in t.range::<&[u8]>(range.bounds())? {
        let (key, _) = entry?;
        out.push(key.value().to_vec());
    }
    Ok(out)
}

/// Reads a 32-byte hash component (session, token and invitation secrets).
pub(crate) fn read_hash(
    reader: &mut KeyReader<'_>,
    table: &'static str,
) -> Result<[u8; 32], StoreError> {
    let bytes = reader.bytes().map_err(|e| e.in_table(table))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Corrupt {
        table,
        detail: format!("a hash component of {} bytes instead of 32", bytes.len()),
    })
}

/// An index entry whose record is gone: both are written in one transaction, so this is
/// damage, not a race.
pub(crate) fn dangling(table: &'static str) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: "an index entry points to a missing record".into(),
    }
}
