//! Order-preserving byte keys for redb `&[u8]` tables.
//!
//! redb compares `&[u8]` keys with memcmp, so a composite key is encoded such that byte order
//! equals the order of its components compared left to right:
//!
//! * `u64`: 8 bytes big-endian.
//! * descending `u64`: 8 bytes big-endian of `!x`, so newer timestamps sort first.
//! * string / bytes: every `0x00` becomes `0x00 0xFF`, then a `0x00 0x00` terminator. The
//!   terminator sorts below any escaped or ordinary byte, so a shorter string sorts before every
//!   longer string it is a prefix of, and the component is self-delimiting.
//!
//! Because each component is self-delimiting, a key made of whole components is a byte prefix
//! of exactly the keys that start with those components; [`Key::prefix_range`] turns it into
//! the `[start, end)` range of a redb range scan. Every key starts with the tenant id, which
//! makes a tenant one contiguous key range, so a tenant can move between instances as a whole
//! (docs/storage.md, "Keys").

use std::ops::Bound;

use super::error::StoreError;

const ESCAPE: u8 = 0xFF;

/// A composite key under construction; always starts with the tenant id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(Vec<u8>);

impl Key {
    /// Starts a key (or a prefix) for everything of tenant `t`.
    pub fn tenant(t: u64) -> Key {
        let mut buf = Vec::with_capacity(32);
        buf.extend_from_slice(&t.to_be_bytes());
        Key(buf)
    }

    pub fn u64(mut self, x: u64) -> Key {
        self.0.extend_from_slice(&x.to_be_bytes());
        self
    }

    /// A `u64` that sorts in reverse, e.g. "updated at" for newest-first listings.
    pub fn desc_u64(mut self, x: u64) -> Key {
        self.0.extend_from_slice(&(!x).to_be_bytes());
        self
    }

    pub fn str(self, s: &str) -> Key {
        self.bytes(s.as_bytes())
    }

    pub fn bytes(mut self, b: &[u8]) -> Key {
        self.0.reserve(b.len() + 2);
        for &byte in b {
            self.0.push(byte);
            if byte == 0 {
                self.0.push(ESCAPE);
            }
        }
        self.0.extend_from_slice(&[0, 0]);
        self
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The range of every key that starts with this key's components (the key itself included).
    pub fn prefix_range(&self) -> PrefixRange {
        PrefixRange::of(&self.0)
    }
}

impl From<Key> for Vec<u8> {
    fn from(k: Key) -> Vec<u8> {
        k.0
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `[start, end)` over byte keys; `end` is `None` when no key above the prefix exists
/// (a prefix of only `0xFF` bytes, e.g. tenant `u64::MAX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRange {
    pub start: Vec<u8>,
    pub end: Option<Vec<u8>>,
}

impl PrefixRange {
    /// Every key that starts with the bytes `prefix`.
    pub fn of(prefix: &[u8]) -> PrefixRange {
        let mut end = prefix.to_vec();
        // The smallest byte string above every extension of `prefix`: drop trailing 0xFF
        // (they cannot be incremented) and increment the last remaining byte.
        while end.last() == Some(&0xFF) {
            end.pop();
        }
        let end = match end.last_mut() {
            Some(last) => {
                *last += 1;
                Some(end)
            }
            None => None,
        };
        PrefixRange {
            start: prefix.to_vec(),
            end,
        }
    }

    /// The keys of this range from `start` on (`start` lies within the range).
    pub fn from_key(self, start: Key) -> PrefixRange {
        PrefixRange {
            start: start.into(),
            end: self.end,
        }
    }

    /// Bounds for `table.range::<&[u8]>(r.bounds())`.
    pub fn bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        let end = match &self.end {
            Some(e) => Bound::Excluded(e.as_slice()),
            None => Bound::Unbounded,
        };
        (Bound::Included(self.start.as_slice()), end)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|e| key < e)
    }
}

/// Why a key could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key ends inside a component")]
    Truncated,
    #[error("invalid escape in a string component")]
    BadEscape,
    #[error("string component is not UTF-8")]
    NotUtf8,
    #[error("{0} unexpected bytes after the last component")]
    Trailing(usize),
}

impl KeyError {
    /// Attributes the error to the table whose key it was.
    pub fn in_table(self, table: &'static str) -> StoreError {
        StoreError::Corrupt {
            table,
            detail: self.to_string(),
        }
    }
}

/// Reads the components of a key back, in the order they were written.
#[derive(Debug, Clone)]
pub struct KeyReader<'a> {
    rest: &'a [u8],
}

impl<'a> KeyReader<'a> {
    pub fn new(key: &'a [u8]) -> KeyReader<'a> {
        KeyReader { rest: key }
    }

    pub fn tenant(&mut self) -> Result<u64, KeyError> {
        self.u64()
    }

    pub fn u64(&mut self) -> Result<u64, KeyError> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<8>()
            .ok_or(KeyError::Truncated)?;
        self.rest = rest;
        Ok(u64::from_be_bytes(*head))
    }

    pub fn desc_u64(&mut self) -> Result<u64, KeyError> {
        Ok(!self.u64()?)
    }

    pub fn str(&mut self) -> Result<String, KeyError> {
        String::from_utf8(self.bytes()?).map_err(|_| KeyError::NotUtf8)
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, KeyError> {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            match self.rest.get(i) {
                None => return Err(KeyError::Truncated),
                Some(0) => match self.rest.get(i + 1) {
                    Some(0) => break,
                    Some(&ESCAPE) => out.push(0),
                    Some(_) => return Err(KeyError::BadEscape),
                    None => return Err(KeyError::Truncated),
                },
                Some(&b) => {
                    out.push(b);
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        self.rest = &self.rest[i + 2..];
        Ok(out)
    }

    /// Checks that every byte was consumed, so a key of another shape is not misread.
    pub fn finish(self) -> Result<(), KeyError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(KeyError::Trailing(self.rest.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;

    // Characters that stress the escaping: NUL, the escape byte's neighbours in UTF-8, and
    // everything else.
    fn tricky_string() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just('\0'),
                Just('\u{1}'),
                Just('a'),
                Just('\u{ff}'),
                Just('\u{10FFFF}'),
                any::<char>(),
            ],
            0..6,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    fn tuple() -> impl Strategy<Value = (u64, u64, String, u64)> {
        // Small tenants and numbers collide often, so later components get compared too.
        let small = prop_oneof![0u64..4, Just(u64::MAX), any::<u64>()];
        (small.clone(), small.clone(), tricky_string(), small)
    }

    fn encode(t: &(u64, u64, String, u64)) -> Vec<u8> {
        Key::tenant(t.0)
            .u64(t.1)
            .str(&t.2)
            .desc_u64(t.3)
            .into_bytes()
    }

    proptest! {
        #[test]
        fn round_trip(t in tuple(), raw in prop::collection::vec(any::<u8>(), 0..8)) {
            let key = Key::tenant(t.0).u64(t.1).str(&t.2).desc_u64(t.3).bytes(&raw);
            let mut r = KeyReader::new(key.as_bytes());
            prop_assert_eq!(r.tenant().unwrap(), t.0);
            prop_assert_eq!(r.u64().unwrap(), t.1);
            prop_assert_eq!(r.str().unwrap(), t.2);
            prop_assert_eq!(r.desc_u64().unwrap(), t.3);
            prop_assert_eq!(r.bytes().unwrap(), raw);
            prop_assert_eq!(r.finish(), Ok(()));
        }

        #[test]
        fn byte_order_equals_tuple_order(a in tuple(), b in tuple()) {
            let expected = (a.0, a.1, &a.2, Reverse(a.3)).cmp(&(b.0, b.1, &b.2, Reverse(b.3)));
            prop_assert_eq!(encode(&a).cmp(&encode(&b)), expected);
        }

        #[test]
        fn string_prefix_order_holds(s in tricky_string(), t in tricky_string()) {
            // Directly compare a string with its own extensions, which random pairs rarely hit.
            let longer = format!("{s}{t}");
            let a = Key::tenant(1).str(&s).u64(u64::MAX).into_bytes();
            let b = Key::tenant(1).str(&longer).u64(0).into_bytes();
            prop_assert_eq!(a.cmp(&b), s.cmp(&longer).then(std::cmp::Ordering::Greater));
        }

        #[test]
        fn tenant_range_holds_exactly_that_tenants_keys(
            tenant in prop_oneof![0u64..3, Just(u64::MAX), Just(u64::MAX - 1)],
            keys in prop::collection::vec(tuple(), 0..40),
            neighbours in prop::collection::vec((0u64..3, tricky_string()), 0..10),
        ) {
            let range = Key::tenant(tenant).prefix_range();
            let mut all: Vec<(u64, Vec<u8>)> = keys.iter().map(|t| (t.0, encode(t))).collect();
            for (t, s) in &neighbours {
                let t = tenant.wrapping_add(*t).wrapping_sub(1);
                all.push((t, Key::tenant(t).str(s).into_bytes()));
            }
            for (t, bytes) in &all {
                prop_assert_eq!(range.contains(bytes), *t == tenant);
            }
        }

        #[test]
        fn component_prefix_range_holds_exactly_extensions(
            t in tuple(), other in tuple(), tail in any::<u64>(),
        ) {
            let prefix = Key::tenant(t.0).u64(t.1).str(&t.2);
            let range = prefix.prefix_range();
            prop_assert!(range.contains(&encode(&(t.0, t.1, t.2.clone(), tail))));
            prop_assert!(range.contains(prefix.as_bytes()));
            let same_prefix = other.0 == t.0 && other.1 == t.1 && other.2 == t.2;
            prop_assert_eq!(range.contains(&encode(&other)), same_prefix);
        }
    }

    #[test]
    fn max_tenant_range_is_unbounded_above() {
        let r = Key::tenant(u64::MAX).prefix_range();
        assert_eq!(r.end, None);
        assert!(r.contains(Key::tenant(u64::MAX).str("z").as_bytes()));
        assert!(!r.contains(Key::tenant(u64::MAX - 1).str("z").as_bytes()));
        let r = Key::tenant(7).prefix_range();
        assert_eq!(r.end.as_deref(), Some(Key::tenant(8).as_bytes()));
    }

    #[test]
    fn malformed_keys_are_rejected() {
        assert_eq!(KeyReader::new(&[0; 7]).u64(), Err(KeyError::Truncated));
        assert_eq!(KeyReader::new(b"ab").bytes(), Err(KeyError::Truncated));
        assert_eq!(KeyReader::new(b"a\0").bytes(), Err(KeyError::Truncated));
        assert_eq!(KeyReader::new(b"a\0\x01").bytes(), Err(KeyError::BadEscape));
        assert_eq!(KeyReader::new(b"\xC3\0\0").str(), Err(KeyError::NotUtf8));
        let key = Key::tenant(1).u64(2);
        let mut r = KeyReader::new(key.as_bytes());
        r.tenant().unwrap();
        assert_eq!(r.finish(), Err(KeyError::Trailing(8)));
        assert!(matches!(
            KeyError::Truncated.in_table("tickets"),
            StoreError::Corrupt {
                table: "tickets",
                ..
            }
        ));
    }

    #[test]
    fn range_scan_in_redb_returns_only_the_tenant() {
        use redb::{Database, ReadableDatabase, TableDefinition};
        const T: TableDefinition<&[u8], u64> = TableDefinition::new("t");
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("k.redb")).unwrap();
        let w = db.begin_write().unwrap();
        {
            let mut table = w.open_table(T).unwrap();
            for tenant in [1u64, 2, 3] {
                for n in 0..5u64 {
                    let k = Key::tenant(tenant).u64(n).str("x\0y");
                    table.insert(k.as_bytes(), tenant).unwrap();
                }
            }
        }
        w.commit().unwrap();
        let r = db.begin_read().unwrap();
        let table = r.open_table(T).unwrap();
        let range = Key::tenant(2).prefix_range();
        let found: Vec<u64> = table
            .range::<&[u8]>(range.bounds())
            .unwrap()
            .map(|e| e.unwrap().1.value())
            .collect();
        assert_eq!(found, vec![2; 5]);
    }
}
