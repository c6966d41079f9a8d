//! Tests of `Store` as a whole: opening, refusing, group commit and durability.

use crate::store::WriteTx;
use std::collections::HashSet;
use std::time::Duration;

use redb::TableDefinition;

use super::*;

// Test-only table; real tables live in the catalogue.
const VALUES: TableDefinition<u64, u64> = TableDefinition::new("test_values");

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("supportbox.redb");
    (dir, path)
}

fn get_value(store: &Store, key: u64) -> Option<u64> {
    store
        .read_blocking(move |txn| match txn.open_table(VALUES) {
            Ok(t) => Ok(t.get(key)?.map(|v| v.value())),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        })
        .unwrap()
}

fn put(key: u64, value: u64) -> impl FnMut(&WriteTx) -> Result<(), StoreError> {
    move |txn| {
        txn.open_table(VALUES)?.insert(key, value)?;
        Ok(())
    }
}

#[test]
fn new_file_is_created_at_the_newest_schema() {
    let (dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version(), Store::SCHEMA_VERSION);
    assert_eq!(Store::SCHEMA_VERSION, SCHEMA_VERSION);
    let meta = store
        .read_blocking(|txn| migrate::read_instance(&txn.open_table(tables::META)?))
        .unwrap()
        .unwrap();
    assert_eq!(meta.created_schema_version, SCHEMA_VERSION);
    drop(store);
    // Only the database itself is left behind, no staging file.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("supportbox.redb")]);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
}

#[test]
fn new_file_takes_its_creation_time_from_the_clock() {
    let (_dir, path) = temp_db();
    let at = jiff::Timestamp::from_second(1_767_225_600).unwrap();
    let store = Store::open_with_clock(&path, &crate::clock::ManualClock::new(at)).unwrap();
    let meta = store
        .read_blocking(|txn| migrate::read_instance(&txn.open_table(tables::META)?))
        .unwrap()
        .unwrap();
    assert_eq!(meta.created_at_us, at.as_microsecond());
}

fn assert_refused_untouched(path: &Path, content: &[u8]) {
    fs::write(path, content).unwrap();
    let err = Store::open(path).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("is damaged"), "{message}");
    assert!(
        message.ends_with("restore a backup (see README: Backup and restore)"),
        "{message}"
    );
    assert_eq!(
        fs::read(path).unwrap(),
        content,
        "the file must not be modified"
    );
}

#[test]
fn garbage_file_is_refused_and_untouched() {
    let (_dir, path) = temp_db();
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert_refused_untouched(&path, &garbage);
}

#[test]
fn zero_byte_file_is_refused_and_untouched() {
    let (_dir, path) = temp_db();
    assert_refused_untouched(&path, b"");
}

#[test]
fn redb_header_followed_by_garbage_is_refused_and_untouched() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).unwrap());
    let mut bytes = fs::read(&path).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().skip(9) {
        *b = (i * 31 % 256) as u8;
    }
    assert_refused_untouched(&path, &bytes);
}

#[test]
fn foreign_redb_file_is_refused() {
    let (_dir, path) = temp_db();
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(VALUES).unwrap().insert(1, 1).unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
}

#[test]
fn newer_schema_is_refused_with_a_clear_message() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    store
        .write_blocking(|txn| migrate::write_schema_version(txn, 7))
        .unwrap();
    drop(store);
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 7, .. }),
        "{err}"
    );
    assert!(
        std::fs::read(&path).unwrap() == before,
        "a refused start leaves the file byte for byte as it was"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "database schema version 7 is newer than this Supportbox supports ({SCHEMA_VERSION}); \
             run a newer Supportbox or restore a backup"
        )
    );
    // Nothing was migrated or re-initialised on the way to the refusal.
    let db = Database::open(&path).unwrap();
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(tables::META).unwrap();
    assert_eq!(migrate::read_schema_version(&meta).unwrap(), Some(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_are_group_committed_with_distinct_ids() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    let before = store.commit_count();
    let tasks: Vec<_> = (0..500)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write(|txn| {
                        let id = Store::next_id(txn, "test")?;
                        txn.open_table(VALUES)?.insert(id, id * 10)?;
                        Ok(id)
                    })
                    .await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        assert!(ids.insert(task.await.unwrap().unwrap()));
    }
    assert_eq!(ids, (1..=500).collect::<HashSet<u64>>());
    let commits = store.commit_count() - before;
    assert!(commits < 500, "{commits} commits for 500 commands");
    assert!(commits >= 1);
    for id in [1, 250, 500] {
        assert_eq!(get_value(&store, id), Some(id * 10));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_closing_and_reopening() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    let tasks: Vec<_> = (0..300u64)
        .map(|k| {
            let store = store.clone();
            tokio::spawn(async move { store.write(put(k, k + 1)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // Every clone is gone once the tasks have finished; this drops the last one.
    drop(store);
    let store = Store::open(&path).unwrap();
    for k in 0..300u64 {
        assert_eq!(get_value(&store, k), Some(k + 1), "key {k}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_command_does_not_stop_the_rest_of_its_batch() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();

    // Hold the writer inside a transaction so the next commands pile up into one batch.
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let (entered, inside) = tokio::sync::oneshot::channel::<()>();
    let mut entered = Some(entered);
    let blocker = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .write(move |_| {
                    if let Some(entered) = entered.take() {
                        let _ = entered.send(());
                    }
                    let _ = gate.recv_timeout(Duration::from_secs(10));
                    Ok(())
                })
                .await
        }
    });
    inside.await.unwrap();
    let before = store.commit_count();

    let mut tasks = Vec::new();
    for k in 0..10u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            match k {
                // Writes, then fails: its write must not survive.
                3 => {
                    store
                        .write(move |txn| {
                            put(k, 1)(txn)?;
                            Err::<(), _>(StoreError::Conflict("test".into()))
                        })
                        .await
                }
                7 => {
                    store
                        .write(move |txn| {
                            put(k, 1)(txn)?;
                            std::panic::panic_any("command bug")
                        })
                        .await
                }
                _ => store.write(put(k, 1)).await,
            }
        }));
    }
    // All ten are queued behind the blocker before it lets go, so they form one batch.
    while store.queued() < 10 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    blocker.await.unwrap().unwrap();

    for (k, task) in tasks.into_iter().enumerate() {
        let result = task.await.unwrap();
        match k {
            3 => assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}"),
            7 => assert!(matches!(result, Err(StoreError::Internal(_))), "{result:?}"),
            _ => result.unwrap(),
        }
        let expected = if k == 3 || k == 7 { None } else { Some(1) };
        assert_eq!(get_value(&store, k as u64), expected, "key {k}");
    }
    // The blocker's commit plus one commit for the other ten.
    assert_eq!(store.commit_count() - before, 2);
    // The writer is still alive after a panicking command.
    store.write(put(100, 100)).await.unwrap();
}

#[tokio::test]
async fn reads_run_on_snapshots_and_health_check_passes() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    store.check_readable().await.unwrap();
    store.write(put(1, 1)).await.unwrap();
    let snapshot = store.current().unwrap().db.begin_read().unwrap();
    store.write(put(1, 2)).await.unwrap();
    let old = snapshot
        .open_table(VALUES)
        .unwrap()
        .get(1)
        .unwrap()
        .unwrap()
        .value();
    assert_eq!(old, 1);
    let new = store
        .read(|txn| Ok(txn.open_table(VALUES)?.get(1)?.map(|v| v.value())))
        .await
        .unwrap();
    assert_eq!(new, Some(2));
}

#[tokio::test]
async fn sequences_start_at_one_and_are_independent() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    let ids = store
        .write(|txn| {
            Ok([
                Store::next_id(txn, "a")?,
                Store::next_id(txn, "a")?,
                Store::next_id(txn, "b")?,
            ])
        })
        .await
        .unwrap();
    assert_eq!(ids, [1, 2, 1]);
}

#[tokio::test]
async fn shutdown_stops_the_writer_but_not_reads() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    store.write(put(1, 1)).await.unwrap();
    store.shutdown().await;
    assert!(matches!(
        store.write(put(2, 2)).await,
        Err(StoreError::WriterGone)
    ));
    store.shutdown().await;
    assert_eq!(get_value(&store, 1), Some(1));
    store.check_readable().await.unwrap();
}

#[test]
fn newer_schema_after_an_unclean_shutdown_is_refused_without_a_write() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    store
        .write_blocking(|txn| migrate::write_schema_version(txn, 7))
        .unwrap();
    // The file as a process that died now would leave it: marked as in use, needing the
    // recovery that redb's read-only open refuses.
    let crashed = path.with_file_name("crashed.redb");
    std::fs::copy(&path, &crashed).unwrap();
    drop(store);
    let path = crashed;
    assert!(redb::ReadOnlyDatabase::open(&path).is_err());
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 7, .. }),
        "{err}"
    );
    assert!(std::fs::read(&path).unwrap() == before);
}
