//! The database generation: a random id that changes whenever the file is replaced by a
//! restore, so that anything derived from the database and kept beside it (the search
//! index) can tell whether it was derived from this database or from the one before
//! (docs/search.md, "Generation").
//!
//! It lives in `META` as 16 bytes under [`GENERATION_KEY`]; a new file gets one from the
//! migration ladder, a restored file a fresh one when its staging copy is finished.

use redb::ReadableTable;

use super::tables::{self, META};
use super::{ReadTx, StoreError, WriteTx};

/// The `META` row holding the generation.
pub const GENERATION_KEY: &str = "generation";

/// The generation of the database `r` reads.
pub fn read(r: &ReadTx) -> Result<u128, StoreError> {
    read_from(&r.open_table(META)?)
}

pub(crate) fn read_from(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u128, StoreError> {
    let row = meta
        .get(GENERATION_KEY)?
        .ok_or_else(|| StoreError::Corrupt {
            table: tables::name::META,
            detail: "the generation row is missing".into(),
        })?;
    let bytes: [u8; 16] = row.value().try_into().map_err(|_| StoreError::Corrupt {
        table: tables::name::META,
        detail: "the generation row is not 16 bytes".into(),
    })?;
    Ok(u128::from_be_bytes(bytes))
}

/// Gives the database a new random generation and returns it.
pub(crate) fn write_new(w: &WriteTx) -> Result<u128, StoreError> {
    let generation = rand::random::<u128>();
    w.open_table(META)?
        .insert(GENERATION_KEY, generation.to_be_bytes().as_slice())?;
    Ok(generation)
}
