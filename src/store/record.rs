//! Versioned records: how values are laid out in redb.
//!
//! Each stored kind has its own enum, `XRecord { V1(XV1), V2(XV2), … }`, encoded with postcard.
//! These types belong to the file format, not to the domain: entity modules convert between
//! them and `crate::domain` types, so a domain refactor never silently changes bytes on disk.
//!
//! Rules for changing a record (postcard stores the variant *index* and fields by position):
//!
//! * never reorder, remove or edit a variant or a field of a released variant;
//! * to change the layout, add `V{n+1}` at the end, make it what [`Versioned::Current`] is,
//!   and teach [`Versioned::into_current`] to upgrade the older variants. Old rows are then read
//!   lazily; a migration step may rewrite them if something depends on the new layout.
//!
//! Decoding failures become [`StoreError::Corrupt`] naming the table, so a damaged row is
//! reported where it lives instead of as an anonymous deserialisation error.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::error::StoreError;

/// A record enum with one variant per layout version.
pub trait Versioned: Serialize + DeserializeOwned {
    /// The newest layout, which the rest of the store works with.
    type Current;

    /// Wraps a value in the newest variant, the only one that is ever written.
    fn from_current(current: Self::Current) -> Self;

    /// Upgrades whichever variant was stored to the newest layout.
    fn into_current(self) -> Self::Current;
}

/// Encodes a record for `table`. Only the newest variant should reach this (see
/// [`Versioned::from_current`]).
pub fn encode<R: Versioned>(table: &'static str, record: &R) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(record)
        .map_err(|e| StoreError::Internal(format!("cannot encode a record for {table}: {e}")))
}

/// Wraps `current` in the newest variant and encodes it.
pub fn encode_current<R: Versioned>(
    table: &'static str,
    current: R::Current,
) -> Result<Vec<u8>, StoreError> {
    encode(table, &R::from_current(current))
}

/// Decodes a stored record of `table`, any version.
pub fn decode<R: Versioned>(table: &'static str, bytes: &[u8]) -> Result<R, StoreError> {
    let (record, rest) =
        postcard::take_from_bytes::<R>(bytes).map_err(|e| StoreError::Corrupt {
            table,
            detail: format!("undecodable record: {e}"),
        })?;
    // Trailing bytes mean the row was written with a layout this binary does not know, so
    // reading it as a shorter one would silently drop data.
    if !rest.is_empty() {
        return Err(StoreError::Corrupt {
            table,
            detail: format!("{} unexpected bytes after the record", rest.len()),
        });
    }
    Ok(record)
}

/// Decodes a stored record of `table` and upgrades it to the newest layout.
pub fn decode_current<R: Versioned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<R::Current, StoreError> {
    decode::<R>(table, bytes).map(Versioned::into_current)
}

/// Facts about this database file, stored once in `META` at initialisation.
///
/// The schema version is deliberately *not* part of this record: it lives in its own
/// fixed-format row so that an older binary can always read it and refuse a newer file with a
/// clear message, even after this record has gained variants it cannot decode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceMetaRecord {
    V1(InstanceMetaV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceMetaV1 {
    /// When the file was initialised, microseconds since the Unix epoch (UTC).
    pub created_at_us: i64,
    /// The Supportbox version that created the file, for support requests.
    pub created_by_version: String,
    /// The schema version the file was created with (the current one lives in its own row).
    pub created_schema_version: u32,
}

impl Versioned for InstanceMetaRecord {
    type Current = InstanceMetaV1;

    fn from_current(current: InstanceMetaV1) -> Self {
        InstanceMetaRecord::V1(current)
    }

    fn into_current(self) -> InstanceMetaV1 {
        match self {
            InstanceMetaRecord::V1(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InstanceMetaV1 {
        InstanceMetaV1 {
            created_at_us: 1_767_225_600_000_000,
            created_by_version: "0.1.0".into(),
            created_schema_version: 1,
        }
    }

    #[test]
    fn round_trip() {
        let bytes = encode_current::<InstanceMetaRecord>("meta", sample()).unwrap();
        let back = decode_current::<InstanceMetaRecord>("meta", &bytes).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn layout_is_stable() {
        // Pins the on-disk bytes: if this changes, old files no longer decode.
        let bytes = encode_current::<InstanceMetaRecord>("meta", sample()).unwrap();
        assert_eq!(bytes[0], 0, "variant index of V1");
        assert_eq!(&bytes[bytes.len() - 7..], b"\x050.1.0\x01");
    }

    #[test]
    fn corrupt_bytes_name_the_table() {
        let unknown_variant = [9u8, 1, 2, 3];
        let err = decode::<InstanceMetaRecord>("meta", &unknown_variant).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { table: "meta", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("meta"));

        let truncated = encode_current::<InstanceMetaRecord>("meta", sample()).unwrap();
        let err = decode::<InstanceMetaRecord>("meta", &truncated[..3]).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { table: "meta", .. }));

        let mut longer = encode_current::<InstanceMetaRecord>("meta", sample()).unwrap();
        longer.push(0);
        let err = decode::<InstanceMetaRecord>("meta", &longer).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { table: "meta", .. }));
    }
}
