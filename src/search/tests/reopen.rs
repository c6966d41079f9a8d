//! Opening an existing directory: what survives a restart and what forces a rebuild.

use std::fs;
use std::path::Path;

use super::*;

#[test]
fn payload_survives_reopen() {
    let (dir, index) = sample();
    index.commit(42).unwrap();
    drop(index);
    let (index, state) = SearchIndex::open(dir.path(), GENERATION).unwrap();
    assert_eq!(
        state,
        OpenState::Ready {
            last_applied_seq: 42
        }
    );
    assert_eq!(index.last_applied_seq(), 42);
    assert_eq!(staff(&index, T1, "drucker"), [1]);
}

#[test]
fn second_open_is_busy_and_wipes_nothing() {
    let (dir, index) = sample();
    assert!(matches!(
        SearchIndex::open(dir.path(), GENERATION),
        Err(SearchError::Busy)
    ));
    assert_eq!(staff(&index, T1, "drucker"), [1]);
    drop(index);
    let (_, state) = SearchIndex::open(dir.path(), GENERATION).unwrap();
    assert_eq!(
        state,
        OpenState::Ready {
            last_applied_seq: 7
        }
    );
}

#[test]
fn rebuild_commits_only_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), GENERATION).unwrap();
    index.set_rebuilding(true);
    index.delete_all().unwrap();
    index
        .upsert(&ticket(T1, 1, ALICE, "Halb", "fertig"))
        .unwrap();
    // Dies before committing: the next start rebuilds again.
    drop(index);
    let (index, state) = SearchIndex::open(dir.path(), GENERATION).unwrap();
    assert!(matches!(state, OpenState::NeedsRebuild { .. }), "{state:?}");
    index.set_rebuilding(true);
    index.delete_all().unwrap();
    index
        .upsert(&ticket(T1, 1, ALICE, "Ganz", "fertig"))
        .unwrap();
    index.commit(5).unwrap();
    index.set_rebuilding(false);
    drop(index);
    let (index, state) = SearchIndex::open(dir.path(), GENERATION).unwrap();
    assert_eq!(
        state,
        OpenState::Ready {
            last_applied_seq: 5
        }
    );
    assert_eq!(staff(&index, T1, "ganz"), [1]);
}

fn assert_rebuilt_empty(dir: &Path) {
    let (index, state) = SearchIndex::open(dir, GENERATION).unwrap();
    assert!(matches!(state, OpenState::NeedsRebuild { .. }), "{state:?}");
    assert_eq!(index.doc_count(), 0);
    index
        .upsert(&ticket(T1, 1, ALICE, "Wieder da", "Nach dem Neuaufbau"))
        .unwrap();
    index.commit(1).unwrap();
    assert_eq!(staff(&index, T1, "neuaufbau"), [1]);
    drop(index);
    let (_, state) = SearchIndex::open(dir, GENERATION).unwrap();
    assert_eq!(
        state,
        OpenState::Ready {
            last_applied_seq: 1
        }
    );
}

#[test]
fn other_schema_version_needs_rebuild() {
    let (dir, index) = sample();
    drop(index);
    fs::write(dir.path().join(schema::VERSION_FILE), "0\n").unwrap();
    assert_rebuilt_empty(dir.path());
    fs::remove_file(dir.path().join(schema::VERSION_FILE)).unwrap();
    assert_rebuilt_empty(dir.path());
}

#[test]
fn garbage_needs_rebuild_and_unrelated_files_survive() {
    let (dir, index) = sample();
    drop(index);
    fs::write(dir.path().join("meta.json"), b"\x00\xffnot json").unwrap();
    fs::write(dir.path().join("notes.txt"), "not ours").unwrap();
    assert_rebuilt_empty(dir.path());
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "not ours"
    );

    // Segment files gone while meta.json still lists them.
    let (dir, index) = sample();
    drop(index);
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx" || e == "store") {
            fs::remove_file(path).unwrap();
        }
    }
    assert_rebuilt_empty(dir.path());

    // A missing directory is created.
    let parent = tempfile::tempdir().unwrap();
    let (_, state) = SearchIndex::open(&parent.path().join("a/b"), GENERATION).unwrap();
    assert!(matches!(state, OpenState::NeedsRebuild { .. }));
}

#[test]
fn an_index_of_another_database_generation_is_rebuilt() {
    let (dir, index) = sample();
    drop(index);
    let (index, state) = SearchIndex::open(dir.path(), GENERATION + 1).unwrap();
    match state {
        OpenState::NeedsRebuild { reason } => {
            assert!(reason.contains("another database generation"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        index.doc_count(),
        0,
        "nothing of the other database is searchable"
    );
    index.commit(3).unwrap();
    drop(index);
    let (_, state) = SearchIndex::open(dir.path(), GENERATION + 1).unwrap();
    assert_eq!(
        state,
        OpenState::Ready {
            last_applied_seq: 3
        }
    );
}

#[test]
fn a_begun_rebuild_hides_the_old_documents_at_once_and_survives_no_crash() {
    let (dir, index) = sample();
    assert_eq!(staff(&index, T1, "drucker"), [1]);
    index.begin_rebuild(GENERATION + 1).unwrap();
    assert!(index.is_rebuilding());
    assert!(staff(&index, T1, "drucker").is_empty());
    index
        .upsert(&ticket(T1, 1, ALICE, "Halb", "fertig"))
        .unwrap();
    // Dies before the rebuild's own commit.
    drop(index);
    let (index, state) = SearchIndex::open(dir.path(), GENERATION + 1).unwrap();
    assert!(matches!(state, OpenState::NeedsRebuild { .. }), "{state:?}");
    assert!(staff(&index, T1, "fertig").is_empty());
}
