//! Reading an archive: every byte is checked against the manifest before anything of it
//! is trusted, and only exactly what [`super::write`] produces is accepted.
//!
//! Refused, each naming the entry where it happened: a missing, unparsable or non-leading
//! manifest; another format or a newer format or schema version; entries that are not
//! regular files (symbolic and hard links, devices, directories, FIFOs); names that are
//! absolute, climb with `..`, or are not one of the names the format uses; names that appear
//! twice or are not listed in the manifest; entries larger or smaller than declared; a
//! SHA-256 that differs; table dumps that are malformed, out of key order, or whose rows do
//! not fit the table's types; entries listed but absent (a truncated archive); a damaged or
//! incomplete zstd stream (its checksum covers the whole archive).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

use super::BackupError;
use super::format::{
    self, Entry, EntryKind, FORMAT_NAME, FORMAT_VERSION, HashingReader, MANIFEST,
    MAX_MANIFEST_BYTES, Manifest, RecordReader, StreamError,
};
use crate::store::SCHEMA_VERSION;
use crate::store::dump::catalogue::{self, CATALOGUE, Table};

/// Zero padding tolerated after the tar end marker.
const MAX_TRAILER: u64 = 1024 * 1024;

/// How much an archive may unpack to. Its entries' declared sizes are added up as soon as
/// the manifest is read, before anything is extracted; the walk refuses any entry larger
/// than declared, so the sum bounds what is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLimit {
    pub max_bytes: u64,
}

impl DataLimit {
    /// `backup.restore_data_mib`'s default: 64 GiB, far above a small team's data and far
    /// below what a bomb declares.
    pub const DEFAULT: DataLimit = DataLimit {
        max_bytes: 64 * 1024 * 1024 * 1024,
    };
    /// For archives Supportbox wrote itself (checking its own snapshots).
    pub const UNLIMITED: DataLimit = DataLimit {
        max_bytes: u64::MAX,
    };
}

/// Refuses a manifest whose entries add up to more than `max_bytes`, naming the first entry
/// past the bound; `why` says which bound it is.
pub(super) fn check_data_size(m: &Manifest, max_bytes: u64, why: &str) -> Result<(), BackupError> {
    let mut total: u64 = 0;
    for entry in &m.entries {
        total = total.saturating_add(entry.bytes);
        if total > max_bytes {
            return Err(BackupError::TooLarge {
                entry: entry.name.clone(),
                detail: format!(
                    "the archive unpacks to more than {max_bytes} bytes ({why}); \
                     nothing was extracted"
                ),
            });
        }
    }
    Ok(())
}

/// What the walk hands to whoever consumes an archive.
pub(super) trait Sink {
    /// The checked manifest, before any other entry is read.
    fn manifest(&mut self, m: &Manifest) -> Result<(), BackupError>;
    fn row(
        &mut self,
        table: &'static str,
        def: Table,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), BackupError>;
    fn table_done(&mut self, table: &'static str, def: Table) -> Result<(), BackupError>;
    /// Must read `data` to its end.
    fn blob(&mut self, hash: [u8; 32], size: u64, data: &mut dyn Read) -> Result<(), BackupError>;
}

fn stream_error(entry: &str, e: StreamError) -> BackupError {
    match e {
        StreamError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            BackupError::invalid(entry, "ends early: the archive is truncated")
        }
        StreamError::Io(e) => BackupError::invalid(entry, format!("cannot be read: {e}")),
        StreamError::Format(detail) => BackupError::invalid(entry, detail),
    }
}

pub(super) fn read_error(entry: &str, e: io::Error) -> BackupError {
    stream_error(entry, StreamError::Io(e))
}

/// Refuses every entry type but a regular file.
fn check_entry_type(name: &str, header: &tar::Header) -> Result<(), BackupError> {
    let t = header.entry_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_symlink() {
        "is a symbolic link"
    } else if t.is_hard_link() {
        "is a hard link"
    } else if t.is_character_special() || t.is_block_special() {
        "is a device"
    } else if t.is_dir() {
        "is a directory"
    } else if t.is_fifo() {
        "is a FIFO"
    } else {
        "is not a regular file"
    };
    Err(BackupError::invalid(name, what))
}

fn check_manifest(m: &Manifest) -> Result<(), BackupError> {
    let bad = |detail: String| BackupError::invalid(MANIFEST, detail);
    if m.format != FORMAT_NAME {
        return Err(bad(format!(
            "format {:?} is not a Supportbox backup",
            m.format
        )));
    }
    if m.format_version > FORMAT_VERSION {
        return Err(bad(format!(
            "format version {} is newer than this Supportbox reads ({FORMAT_VERSION}); \
             restore it with a newer Supportbox",
            m.format_version
        )));
    }
    if m.format_version == 0 {
        return Err(bad("format version 0 does not exist".into()));
    }
    if m.schema_version > SCHEMA_VERSION {
        return Err(bad(format!(
            "database schema version {} is newer than this Supportbox supports ({SCHEMA_VERSION})",
            m.schema_version
        )));
    }
    if m.schema_version == 0 {
        return Err(bad("database schema version 0 does not exist".into()));
    }
    let mut names = HashSet::new();
    let mut tables = HashSet::new();
    for e in &m.entries {
        if !names.insert(e.name.as_str()) {
            return Err(bad(format!("lists {} twice", e.name)));
        }
        let valid_hash = e.sha256.len() == 64
            && e.sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid_hash {
            return Err(bad(format!("{} has no valid SHA-256", e.name)));
        }
        match format::classify(&e.name) {
            Some(EntryKind::Table(t)) => {
                tables.insert(t);
                if m.counts.get(t) != Some(&e.records) {
                    return Err(bad(format!(
                        "the row count of {t} disagrees with its entry"
                    )));
                }
            }
            Some(EntryKind::Blob(hash)) => {
                if hex::encode(hash) != e.sha256 {
                    return Err(bad(format!("{} does not carry its own hash", e.name)));
                }
            }
            _ => return Err(bad(format!("lists an unknown entry {:?}", e.name))),
        }
    }
    if m.schema_version == SCHEMA_VERSION {
        for (t, _) in CATALOGUE {
            if !tables.contains(t) {
                return Err(bad(format!("lacks the table {t}")));
            }
        }
    }
    for hash in &m.missing_blobs {
        if crate::blobs::parse_hash(hash).is_none() {
            return Err(bad(format!("lists an invalid missing attachment {hash:?}")));
        }
    }
    Ok(())
}

/// Reads and checks the manifest, which must be the first entry.
fn read_manifest<R: Read>(
    entry: Option<io::Result<tar::Entry<'_, R>>>,
) -> Result<Manifest, BackupError> {
    let mut entry = match entry {
        None => {
            return Err(BackupError::invalid(
                MANIFEST,
                "is missing: the archive is empty",
            ));
        }
        Some(Err(e)) => {
            return Err(BackupError::invalid(
                MANIFEST,
                format!("cannot be read: this is not a complete Supportbox backup ({e})"),
            ));
        }
        Some(Ok(e)) => e,
    };
    let raw = entry.path_bytes().into_owned();
    if raw != MANIFEST.as_bytes() {
        return Err(BackupError::invalid(
            MANIFEST,
            format!(
                "must be the first entry, found {:?}",
                String::from_utf8_lossy(&raw)
            ),
        ));
    }
    check_entry_type(MANIFEST, entry.header())?;
    if entry.size() > MAX_MANIFEST_BYTES {
        return Err(BackupError::invalid(MANIFEST, "is implausibly large"));
    }
    let mut text = Vec::new();
    (&mut entry)
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| read_error(MANIFEST, e))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| BackupError::invalid(MANIFEST, format!("is not valid: {e}")))?;
    check_manifest(&manifest)?;
    Ok(manifest)
}

/// Walks an archive, checking everything, feeding rows and blobs to `sink`.
pub(super) fn walk(input: impl Read, sink: &mut dyn Sink) -> Result<Manifest, BackupError> {
    let decoder = zstd::Decoder::new(input).map_err(|e| read_error(MANIFEST, e))?;
    let mut archive = tar::Archive::new(decoder);
    let manifest;
    let mut last = MANIFEST.to_owned();
    {
        let mut entries = archive.entries().map_err(|e| read_error(MANIFEST, e))?;
        manifest = read_manifest(entries.next())?;
        sink.manifest(&manifest)?;
        let declared: HashMap<&str, &Entry> = manifest
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e))
            .collect();
        let mut seen: HashSet<String> = HashSet::new();
        for next in entries {
            let mut entry = next.map_err(|e| {
                BackupError::invalid(
                    format!("the entry after {last}"),
                    format!("cannot be read: {e}"),
                )
            })?;
            let raw = entry.path_bytes().into_owned();
            let shown = String::from_utf8_lossy(&raw).into_owned();
            if let Some(reason) = format::unsafe_path_reason(&raw) {
                return Err(BackupError::invalid(shown, reason));
            }
            check_entry_type(&shown, entry.header())?;
            if !seen.insert(shown.clone()) {
                return Err(BackupError::invalid(shown, "appears twice"));
            }
            let Some(declared) = declared.get(shown.as_str()) else {
                return Err(BackupError::invalid(shown, "is not listed in the manifest"));
            };
            let size = entry.size();
            if size > declared.bytes {
                return Err(BackupError::invalid(
                    shown,
                    format!(
                        "is larger than declared ({size} > {} bytes)",
                        declared.bytes
                    ),
                ));
            }
            if size < declared.bytes {
                return Err(BackupError::invalid(
                    shown,
                    format!(
                        "is smaller than declared ({size} < {} bytes)",
                        declared.bytes
                    ),
                ));
            }
            let mut reader = HashingReader::new((&mut entry).take(size));
            match format::classify(&shown) {
                Some(EntryKind::Table(table)) => {
                    read_table(&mut reader, &shown, table, declared, sink)?;
                }
                Some(EntryKind::Blob(hash)) => {
                    sink.blob(hash, size, &mut reader)?;
                }
                _ => {
                    return Err(BackupError::invalid(
                        shown,
                        "is not an entry of this format",
                    ));
                }
            }
            let (digest, read) = reader.finish();
            if read != size {
                return Err(BackupError::invalid(
                    shown,
                    "ends early: the archive is truncated",
                ));
            }
            if hex::encode(digest) != declared.sha256 {
                return Err(BackupError::invalid(
                    shown,
                    "its SHA-256 does not match the manifest: the archive is damaged",
                ));
            }
            last = shown;
        }
        for e in &manifest.entries {
            if !seen.contains(&e.name) {
                return Err(BackupError::invalid(
                    &e.name,
                    "is missing: the archive ends early",
                ));
            }
        }
    }
    // The rest of the stream is the tar end marker; reading it to the end makes zstd
    // check its frame checksum and notice a cut-off last block.
    let mut decoder = archive.into_inner();
    let mut trailer = Vec::new();
    (&mut decoder)
        .take(MAX_TRAILER + 1)
        .read_to_end(&mut trailer)
        .map_err(|e| {
            BackupError::invalid(
                format!("the end of the archive after {last}"),
                format!("is damaged or truncated ({e})"),
            )
        })?;
    if trailer.len() as u64 > MAX_TRAILER || trailer.iter().any(|b| *b != 0) {
        return Err(BackupError::invalid(
            format!("the end of the archive after {last}"),
            "holds unexpected data",
        ));
    }
    Ok(manifest)
}

fn read_table(
    reader: &mut dyn Read,
    entry: &str,
    table: &'static str,
    declared: &Entry,
    sink: &mut dyn Sink,
) -> Result<(), BackupError> {
    let (_, def) = catalogue::by_name(table)
        .ok_or_else(|| BackupError::invalid(entry, "is not a known table"))?;
    let mut records =
        RecordReader::start(reader, declared.bytes, table).map_err(|e| stream_error(entry, e))?;
    while let Some((key, value)) = records.next_row().map_err(|e| stream_error(entry, e))? {
        def.check_row(table, &key, &value)
            .map_err(|e| BackupError::invalid(entry, e.to_string()))?;
        sink.row(table, def, key, value)?;
    }
    if records.rows() != declared.records {
        return Err(BackupError::invalid(
            entry,
            format!(
                "holds {} rows, the manifest says {}",
                records.rows(),
                declared.records
            ),
        ));
    }
    let rest = records.into_inner();
    let mut extra = [0u8; 1];
    if rest.read(&mut extra).map_err(|e| read_error(entry, e))? != 0 {
        return Err(BackupError::invalid(
            entry,
            "has bytes after its end marker",
        ));
    }
    sink.table_done(table, def)
}

/// Only checks: row shapes and hashes, nothing written.
struct CheckOnly {
    limit: DataLimit,
}

impl Sink for CheckOnly {
    fn manifest(&mut self, m: &Manifest) -> Result<(), BackupError> {
        check_data_size(m, self.limit.max_bytes, "the configured limit")
    }

    fn row(
        &mut self,
        _: &'static str,
        _: Table,
        _: Vec<u8>,
        _: Vec<u8>,
    ) -> Result<(), BackupError> {
        Ok(())
    }

    fn table_done(&mut self, _: &'static str, _: Table) -> Result<(), BackupError> {
        Ok(())
    }

    fn blob(&mut self, hash: [u8; 32], _: u64, data: &mut dyn Read) -> Result<(), BackupError> {
        io::copy(data, &mut io::sink())
            .map_err(|e| read_error(&format::blob_entry_name(&hash), e))?;
        Ok(())
    }
}

/// Checks an archive without writing anything: structure, sizes, every SHA-256, and the
/// shape of every row. Records are decoded only by [`stage`].
pub fn verify_archive(input: impl Read, limit: DataLimit) -> Result<Manifest, BackupError> {
    walk(input, &mut CheckOnly { limit })
}
