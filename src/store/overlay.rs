//! A redb storage backend that reads a database file and never writes to it.
//!
//! redb's own read-only open cannot repair a file that was not shut down cleanly and runs
//! no integrity check, and its integrity check commits. Checks (`supportbox verify`) and
//! reads that must leave the file as it was (`supportbox backup`, a refused start) open the
//! file through this backend instead: whatever redb writes (a repair, the allocator state,
//! the check's commit) lands in memory, in 4 KiB chunks, and the file stays byte for byte
//! what it was (docs/storage.md, "Opening without writing").

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Mutex;

use redb::StorageBackend;

const CHUNK: u64 = 4096;

#[derive(Debug)]
pub struct Overlay {
    file: File,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The length redb sees: the file's, until redb sets another.
    len: u64,
    /// Chunks redb has written, by chunk number.
    written: HashMap<u64, Box<[u8]>>,
}

impl Overlay {
    pub fn new(file: File) -> io::Result<Overlay> {
        let len = file.metadata()?.len();
        Ok(Overlay {
            file,
            state: Mutex::new(State {
                len,
                written: HashMap::new(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes of chunk `index` as the file has them, zeros past the file's end.
    fn original(&self, index: u64) -> io::Result<Box<[u8]>> {
        let mut chunk = vec![0u8; CHUNK as usize].into_boxed_slice();
        let file_len = self.file.metadata()?.len();
        let start = index * CHUNK;
        if start < file_len {
            let available = (file_len - start).min(CHUNK) as usize;
            self.file.read_exact_at(&mut chunk[..available], start)?;
        }
        Ok(chunk)
    }
}

impl StorageBackend for Overlay {
    fn len(&self) -> Result<u64, io::Error> {
        Ok(self.state().len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        let state = self.state();
        let end = offset
            .checked_add(out.len() as u64)
            .filter(|end| *end <= state.len)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        if state.written.is_empty() {
            drop(state);
            return self.file.read_exact_at(out, offset);
        }
        let mut at = offset;
        while at < end {
            let index = at / CHUNK;
            let within = (at % CHUNK) as usize;
            let take = ((CHUNK as usize) - within).min((end - at) as usize);
            let into = &mut out[(at - offset) as usize..][..take];
            match state.written.get(&index) {
                Some(chunk) => into.copy_from_slice(&chunk[within..within + take]),
                None => into.copy_from_slice(&self.original(index)?[within..within + take]),
            }
            at += take as u64;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        let mut state = self.state();
        if len < state.len {
            // Shrunk and grown again, the tail must read as zeros, not as the file's bytes.
            let first_gone = len.div_ceil(CHUNK);
            let last = state.len.div_ceil(CHUNK);
            for index in first_gone..last {
                state
                    .written
                    .insert(index, vec![0u8; CHUNK as usize].into_boxed_slice());
            }
            if !len.is_multiple_of(CHUNK) {
                let index = len / CHUNK;
                let keep = (len % CHUNK) as usize;
                let mut chunk = match state.written.remove(&index) {
                    Some(chunk) => chunk,
                    None => self.original(index)?,
                };
                chunk[keep..].fill(0);
                state.written.insert(index, chunk);
            }
        }
        state.len = len;
        Ok(())
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        let mut state = self.state();
        let end = offset + data.len() as u64;
        let mut at = offset;
        while at < end {
            let index = at / CHUNK;
            let within = (at % CHUNK) as usize;
            let take = ((CHUNK as usize) - within).min((end - at) as usize);
            let mut chunk = match state.written.remove(&index) {
                Some(chunk) => chunk,
                None => self.original(index)?,
            };
            chunk[within..within + take].copy_from_slice(&data[(at - offset) as usize..][..take]);
            state.written.insert(index, chunk);
            at += take as u64;
        }
        state.len = state.len.max(end);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stay_in_memory_and_reads_see_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let original: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &original).unwrap();
        let overlay = Overlay::new(File::open(&path).unwrap()).unwrap();

        overlay.write(4090, b"abcdefghij").unwrap();
        let mut out = vec![0u8; 20];
        overlay.read(4085, &mut out).unwrap();
        assert_eq!(&out[..5], &original[4085..4090]);
        assert_eq!(&out[5..15], b"abcdefghij");
        assert_eq!(&out[15..], &original[4100..4105]);

        overlay.set_len(5000).unwrap();
        overlay.set_len(12_000).unwrap();
        let mut tail = vec![1u8; 100];
        overlay.read(4990, &mut tail).unwrap();
        assert_eq!(&tail[..10], &original[4990..5000]);
        assert!(tail[10..].iter().all(|b| *b == 0));
        assert!(overlay.read(11_990, &mut [0u8; 20]).is_err());

        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "the file is untouched"
        );
    }

    #[test]
    fn redb_can_open_check_and_commit_without_changing_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        const T: redb::TableDefinition<u64, &str> = redb::TableDefinition::new("t");
        {
            let db = redb::Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(T).unwrap().insert(1, "one").unwrap();
            txn.commit().unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let overlay = Overlay::new(File::open(&path).unwrap()).unwrap();
        let mut db = redb::Database::builder()
            .set_check_integrity_on_open(true)
            .create_with_backend(overlay)
            .unwrap();
        assert!(db.check_integrity().unwrap());
        let txn = db.begin_write().unwrap();
        txn.open_table(T).unwrap().insert(2, "two").unwrap();
        txn.commit().unwrap();
        let read = redb::ReadableDatabase::begin_read(&db).unwrap();
        let table = read.open_table(T).unwrap();
        assert_eq!(table.get(2).unwrap().unwrap().value(), "two");
        drop((table, read, db));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
