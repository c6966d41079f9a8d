//! The archive format: a zstd-compressed tar whose first entry is `manifest.json`,
//! followed by `tables/<table>.bin` for every table of the catalogue, then
//! `blobs/<sha256 hex>` for every referenced attachment.
//!
//! A table entry is a record stream:
//!
//! ```text
//! "SBTABLE1"                       magic, 8 bytes
//! u16 name length, name            the table, so entries cannot be swapped unnoticed
//! { u32 key length, key, u32 value length, value }*    rows in key order
//! u32 0xFFFFFFFF, u64 row count    end marker
//! ```
//!
//! All integers are big-endian. Keys and values are encoded as described in
//! [`crate::store::dump::catalogue`].

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

/// One dumped row: (key, value).
pub type Row = (Vec<u8>, Vec<u8>);

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// `format` field of every manifest, to tell a Supportbox backup from any other tar.
pub const FORMAT_NAME: &str = "supportbox-backup";
pub const MANIFEST: &str = "manifest.json";
/// Bigger manifests are refused before they are parsed (one line per blob fits millions).
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

const TABLE_MAGIC: &[u8; 8] = b"SBTABLE1";
const END_MARK: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The Supportbox version that wrote the archive.
    pub app_version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The database schema version of the dumped tables.
    pub schema_version: u32,
    /// Every entry after the manifest, in archive order.
    pub entries: Vec<Entry>,
    /// Rows per table.
    pub counts: BTreeMap<String, u64>,
    /// Referenced attachments whose file was already missing from the data directory when
    /// the backup was taken (reported by `verify`, tolerated by restore).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_blobs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    /// SHA-256 of the entry's bytes, lowercase hex.
    pub sha256: String,
    pub bytes: u64,
    /// Rows for a table, 1 for a blob.
    pub records: u64,
}

/// What an archive entry name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Manifest,
    Table(&'static str),
    Blob([u8; 32]),
}

pub fn table_entry_name(table: &str) -> String {
    format!("tables/{table}.bin")
}

pub fn blob_entry_name(hash: &[u8; 32]) -> String {
    format!("blobs/{}", hex::encode(hash))
}

/// Classifies a name; `None` for anything this format never writes. Only exact names are
/// accepted, so `..`, absolute paths, `./x` and doubled slashes never match.
pub fn classify(name: &str) -> Option<EntryKind> {
    if name == MANIFEST {
        return Some(EntryKind::Manifest);
    }
    if let Some(table) = name
        .strip_prefix("tables/")
        .and_then(|n| n.strip_suffix(".bin"))
    {
        return crate::store::dump::catalogue::by_name(table).map(|(n, _)| EntryKind::Table(n));
    }
    name.strip_prefix("blobs/")
        .and_then(crate::blobs::parse_hash)
        .map(EntryKind::Blob)
}

/// Why a name is unsafe to ever use as a path, for a precise refusal message.
pub fn unsafe_path_reason(raw: &[u8]) -> Option<&'static str> {
    let Ok(name) = std::str::from_utf8(raw) else {
        return Some("is not UTF-8");
    };
    if name.starts_with('/') {
        return Some("is an absolute path");
    }
    if name.contains('\\') || name.contains('\0') {
        return Some("contains a backslash or NUL");
    }
    if name.split('/').any(|c| c == "..") {
        return Some("climbs out of the archive with `..`");
    }
    if name.split('/').any(|c| c.is_empty() || c == ".") {
        return Some("has an empty or `.` path component");
    }
    None
}

/// Passes bytes through while hashing and counting them.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    pub fn finish(self) -> (W, [u8; 32], u64) {
        (self.inner, self.hasher.finalize().into(), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Passes bytes through while hashing and counting them.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn finish(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.bytes)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Writes one table's record stream.
pub struct RecordWriter<W: Write> {
    out: W,
    rows: u64,
}

impl<W: Write> RecordWriter<W> {
    pub fn start(mut out: W, table: &str) -> io::Result<Self> {
        let name = table.as_bytes();
        let len = u16::try_from(name.len()).map_err(|_| io::Error::other("table name too long"))?;
        out.write_all(TABLE_MAGIC)?;
        out.write_all(&len.to_be_bytes())?;
        out.write_all(name)?;
        Ok(RecordWriter { out, rows: 0 })
    }

    pub fn row(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        for part in [key, value] {
            let len = u32::try_from(part.len())
                .ok()
                .filter(|l| *l != END_MARK)
                .ok_or_else(|| io::Error::other("a key or value of 4 GiB or more"))?;
            self.out.write_all(&len.to_be_bytes())?;
            self.out.write_all(part)?;
        }
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out.write_all(&END_MARK.to_be_bytes())?;
        self.out.write_all(&self.rows.to_be_bytes())?;
        Ok((self.out, self.rows))
    }
}

/// Why a record stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Format(String),
}

/// Reads a record stream, never allocating more than the bytes that remain in the entry.
pub struct RecordReader<R: Read> {
    input: R,
    remaining: u64,
    rows: u64,
    last_key: Option<Vec<u8>>,
}

impl<R: Read> RecordReader<R> {
    /// Checks the header; `size` is the entry's declared size.
    pub fn start(mut input: R, size: u64, table: &str) -> Result<Self, StreamError> {
        let mut magic = [0u8; 8];
        input.read_exact(&mut magic)?;
        if &magic != TABLE_MAGIC {
            return Err(StreamError::Format("not a table dump".into()));
        }
        let mut len = [0u8; 2];
        input.read_exact(&mut len)?;
        let len = u16::from_be_bytes(len) as usize;
        let mut name = vec![0u8; len];
        input.read_exact(&mut name)?;
        if name != table.as_bytes() {
            return Err(StreamError::Format(format!(
                "holds table {:?}, not {table}",
                String::from_utf8_lossy(&name)
            )));
        }
        Ok(RecordReader {
            input,
            remaining: size.saturating_sub(10 + len as u64),
            rows: 0,
            last_key: None,
        })
    }

    fn read_u32(&mut self) -> Result<u32, StreamError> {
        let mut b = [0u8; 4];
        self.input.read_exact(&mut b)?;
        self.remaining = self.remaining.saturating_sub(4);
        Ok(u32::from_be_bytes(b))
    }

    fn read_part(&mut self, len: u32) -> Result<Vec<u8>, StreamError> {
        if u64::from(len) > self.remaining {
            return Err(StreamError::Format(format!(
                "a row of {len} bytes runs past the end of the entry"
            )));
        }
        let mut buf = vec![0u8; len as usize];
        self.input.read_exact(&mut buf)?;
        self.remaining -= u64::from(len);
        Ok(buf)
    }

    /// The next row, or `None` after the end marker (whose row count must match).
    pub fn next_row(&mut self) -> Result<Option<Row>, StreamError> {
        let key_len = self.read_u32()?;
        if key_len == END_MARK {
            let mut count = [0u8; 8];
            self.input.read_exact(&mut count)?;
            let count = u64::from_be_bytes(count);
            if count != self.rows {
                return Err(StreamError::Format(format!(
                    "the end marker counts {count} rows, the entry holds {}",
                    self.rows
                )));
            }
            return Ok(None);
        }
        let key = self.read_part(key_len)?;
        let value_len = self.read_u32()?;
        let value = self.read_part(value_len)?;
        // Keys come from one table scan: strictly increasing. Anything else is damage or
        // a hand-made archive trying to overwrite rows.
        if self.last_key.as_ref().is_some_and(|last| *last >= key) {
            return Err(StreamError::Format(
                "rows are not in strictly increasing key order".into(),
            ));
        }
        self.last_key = Some(key.clone());
        self.rows += 1;
        Ok(Some((key, value)))
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn into_inner(self) -> R {
        self.input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_stream_round_trip() {
        let mut w = RecordWriter::start(Vec::new(), "tickets").unwrap();
        w.row(b"a", b"1").unwrap();
        w.row(b"b", b"").unwrap();
        let (bytes, rows) = w.finish().unwrap();
        assert_eq!(rows, 2);
        let mut r = RecordReader::start(bytes.as_slice(), bytes.len() as u64, "tickets").unwrap();
        assert_eq!(r.next_row().unwrap(), Some((b"a".to_vec(), b"1".to_vec())));
        assert_eq!(r.next_row().unwrap(), Some((b"b".to_vec(), Vec::new())));
        assert_eq!(r.next_row().unwrap(), None);

        let err = RecordReader::start(bytes.as_slice(), bytes.len() as u64, "accounts");
        assert!(err.is_err());
    }

    #[test]
    fn record_stream_refuses_disorder_and_lies() {
        let mut w = RecordWriter::start(Vec::new(), "t").unwrap();
        w.row(b"b", b"").unwrap();
        w.row(b"a", b"").unwrap();
        let (bytes, _) = w.finish().unwrap();
        let mut r = RecordReader::start(bytes.as_slice(), bytes.len() as u64, "t").unwrap();
        r.next_row().unwrap();
        assert!(r.next_row().is_err());

        // A length far beyond the entry is refused before anything is allocated.
        let mut bytes = b"SBTABLE1\x00\x01t".to_vec();
        bytes.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        let mut r = RecordReader::start(bytes.as_slice(), bytes.len() as u64, "t").unwrap();
        assert!(r.next_row().is_err());
    }

    #[test]
    fn only_exact_names_are_known() {
        assert_eq!(classify("manifest.json"), Some(EntryKind::Manifest));
        assert_eq!(
            classify("tables/tickets.bin"),
            Some(EntryKind::Table("tickets"))
        );
        let hex = "ab".repeat(32);
        assert!(matches!(
            classify(&format!("blobs/{hex}")),
            Some(EntryKind::Blob(_))
        ));
        for bad in [
            "tables/../tickets.bin",
            "./manifest.json",
            "/manifest.json",
            "tables/nope.bin",
            "blobs/AB",
            "blobs//x",
            "tables/tickets.bin/",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
        assert!(unsafe_path_reason(b"../x").is_some());
        assert!(unsafe_path_reason(b"/etc/passwd").is_some());
        assert!(unsafe_path_reason(b"a//b").is_some());
        assert!(unsafe_path_reason(b"tables/tickets.bin").is_none());
    }
}
