//! Backup and restore end to end: the endpoints and who may use them, a round trip of every
//! record kind with equal search results, online restore with maintenance, an abort at
//! every step of a restore, index rebuilds, snapshots, and a SIGKILL durability run of the
//! real binary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use poem::http::StatusCode;
use supportbox::backup::read::DataLimit;
use supportbox::backup::{FailPoint, Hooks, snapshots};
use supportbox::blobs::BlobStore;
use supportbox::clock::{Clock, SystemClock};
use supportbox::domain::audit::AuditKind;
use supportbox::domain::ids::TenantId;
use supportbox::search::{Scope, SearchIndex, SearchQuery};
use supportbox::service::backup::{self as svc, RestorePhase};
use supportbox::service::indexer;
use supportbox::store::dump::catalogue::{CATALOGUE, counts_in};
use supportbox::store::dump::check;
use supportbox::store::{Store, tenants};

use crate::support::{Page, TestApp};

const QUERIES: &[&str] = &["drucker", "vpn", "passwort", "printer", "laptop", "monitor"];

type Dump = Vec<(&'static str, Vec<(Vec<u8>, Vec<u8>)>)>;
/// (tenant, query, ticket numbers found)
type Searched = Vec<(u64, String, Vec<u64>)>;
/// Records, search results and attachments of a data directory.
type Restored = (Dump, Searched, Vec<[u8; 32]>);
/// Something done to an index directory.
type Harm = fn(&Path);

/// Every row of every table, except the database generation, which each restore renews on
/// purpose so that no search index of the replaced data is taken for the restored one's.
fn dump(store: &Store) -> Dump {
    store
        .read_blocking(|txn| {
            let mut all = Vec::new();
            for (name, def) in CATALOGUE {
                let mut rows = Vec::new();
                def.dump(txn, &mut |k, v| {
                    if *name != "meta"
                        || k != supportbox::store::generation::GENERATION_KEY.as_bytes()
                    {
                        rows.push((k.to_vec(), v.to_vec()));
                    }
                    Ok(())
                })?;
                all.push((*name, rows));
            }
            Ok(all)
        })
        .unwrap()
}

/// Without the audit log (and its sequence), which records refused restores.
fn without_audit(d: Dump) -> Dump {
    d.into_iter()
        .filter(|(t, _)| !t.starts_with("audit_"))
        .map(|(t, rows)| {
            let rows = rows
                .into_iter()
                .filter(|(k, _)| !(t == "sequences" && k.starts_with(b"audit/")))
                .collect();
            (t, rows)
        })
        .collect()
}

/// One API call with `token`, so that its last use is recorded before a dump is taken.
async fn use_token(app: &TestApp, token: &str) {
    let resp = app
        .client
        .get("/api/v1/me")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(resp.0.status(), StatusCode::OK);
}

/// The instance's audit entries of `kind`, newest first.
async fn audit_of(app: &TestApp, kind: AuditKind) -> Vec<supportbox::domain::audit::AuditEvent> {
    let operator = supportbox::domain::caller::Identity {
        account: app.fx().operator.id,
        operator: true,
        via: supportbox::domain::caller::AuthMethod::Session,
    };
    app.state
        .services
        .instance_audit(&operator, Some(kind), None)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

/// Without the outbox, which a restore empties once the new index holds everything.
fn without_outbox(d: Dump) -> Dump {
    d.into_iter().filter(|(t, _)| *t != "outbox").collect()
}

fn counts(store: &Store) -> Vec<(&'static str, u64)> {
    store.read_blocking(counts_in).unwrap()
}

fn search_all(store: &Store, index: &SearchIndex) -> Searched {
    let tenants = store.read_blocking(tenants::list_tenants).unwrap();
    let mut out = Vec::new();
    for t in tenants {
        for q in QUERIES {
            let found = index
                .search(&SearchQuery {
                    tenant: t.id,
                    scope: Scope::Staff,
                    text: (*q).to_owned(),
                    limit: 1000,
                })
                .unwrap();
            assert!(!found.rebuilding);
            let mut numbers: Vec<u64> = found.hits.iter().map(|h| h.number).collect();
            numbers.sort_unstable();
            out.push((t.id.0, (*q).to_owned(), numbers));
        }
    }
    out
}

async fn body_bytes(resp: poem::test::TestResponse) -> (StatusCode, Vec<u8>) {
    let status = resp.0.status();
    (status, resp.0.into_body().into_vec().await.unwrap())
}

async fn download(app: &TestApp, token: &str) -> Vec<u8> {
    let resp = app
        .client
        .get("/api/v1/admin/backup")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(
        crate::support::header(&resp, "content-disposition").map(|v| v.starts_with("attachment;")),
        Some(true)
    );
    let (status, bytes) = body_bytes(resp).await;
    assert_eq!(status, StatusCode::OK);
    bytes
}

fn demo(app: &TestApp, tenants: usize, tickets: u64) {
    let (store, blobs) = (app.state.store.clone(), app.state.services.blobs.clone());
    let now = supportbox::clock::Clock::now(&app.clock);
    std::thread::spawn(move || {
        supportbox::service::demo::generate(&store, &blobs, tenants, tickets, now).unwrap();
    })
    .join()
    .unwrap();
}

/// A seeded app with demo tickets, a session, a token, an invitation, a password reset link,
/// audit events and stored instance settings: every kind of record.
async fn full_app() -> (TestApp, String) {
    let app = TestApp::seeded().await;
    demo(&app, 2, 30);
    let fx = app.fx().clone();
    let otto = app.sign_in(&fx.operator.email).await;
    otto.post_form(
        &app,
        "/admin/settings",
        &[
            ("instance_name", "Helpdesk"),
            ("session_idle_minutes", "30"),
            ("session_absolute_hours", "8"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let alma = app.sign_in(&fx.acme.admin.email).await;
    alma.post_form(
        &app,
        "/t/acme/settings/users/invite",
        &[("email", "new@acme.example"), ("role", "customer")],
    )
    .await
    .assert_ok();
    alma.post_form(
        &app,
        &format!("/t/acme/settings/users/{}/reset", fx.acme.customers[0].id.0),
        &[],
    )
    .await
    .assert_ok();
    let token = app.token_for(&fx.operator.email).await;
    app.state.services.sync_search().await.unwrap();
    for (table, n) in counts(&app.state.store) {
        let optional = matches!(table, "ticket_trash" | "outbox" | "invitation_by_hash")
            || table.starts_with("ticket_by_");
        assert!(optional || n > 0, "the fixture has no row in {table}");
    }
    (app, token)
}

#[tokio::test]
async fn a_round_trip_restores_every_record_and_blob_with_equal_search_results() {
    let (app, token) = full_app().await;
    // The archive is the data as of its snapshot: after the token was used (which the clock,
    // standing still, records the same way every time) and before the download's own audit
    // line.
    use_token(&app, &token).await;
    let source = without_outbox(dump(&app.state.store));
    let source_search = search_all(&app.state.store, &app.state.services.search);
    let source_blobs = app.state.services.blobs.list().unwrap();
    let bytes = download(&app, &token).await;

    let fresh = tempfile::tempdir().unwrap();
    let target = fresh.path().join("data");
    let report = tokio::task::spawn_blocking({
        let target = target.clone();
        move || {
            svc::restore_offline(
                &target,
                bytes.as_slice(),
                Hooks::default(),
                SystemClock.now(),
                DataLimit::DEFAULT,
            )
        }
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        report.previous.is_none(),
        "a fresh directory has nothing to keep"
    );
    assert!(report.indexed > 0);

    let store = Store::open(&target.join("supportbox.redb")).unwrap();
    assert_eq!(without_outbox(dump(&store)), source);
    assert!(check::check_records(&store).unwrap().is_empty());
    let (index, reason) = indexer::open(&target.join("index"), &store).unwrap();
    assert_eq!(reason, None, "the restored index is complete");
    assert_eq!(search_all(&store, &index), source_search);
    let blobs = BlobStore::new(&target).unwrap();
    let referenced = store
        .read_blocking(supportbox::store::dump::referenced_blobs)
        .unwrap();
    assert!(!referenced.is_empty());
    for hash in &referenced {
        assert!(source_blobs.contains(hash));
        assert!(blobs.verify(hash).unwrap());
    }
}

#[tokio::test]
async fn only_the_operator_may_back_up_or_restore() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let get = |auth: Option<String>, cookie: Option<String>| {
        let mut req = app.client.get("/api/v1/admin/backup");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    assert_eq!(get(None, None).await.0.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(Some("Bearer sbt_nonsense".into()), None)
            .await
            .0
            .status(),
        StatusCode::UNAUTHORIZED
    );
    for who in [
        &fx.acme.customers[0],
        &fx.acme.supporters[0],
        &fx.acme.admin,
    ] {
        let token = app.token_for(&who.email).await;
        let resp = get(Some(format!("Bearer {token}")), None).await;
        assert_eq!(resp.0.status(), StatusCode::NOT_FOUND, "{}", who.email);
        let browser = app.sign_in(&who.email).await;
        let resp = get(None, Some(browser.cookie_header())).await;
        assert_eq!(resp.0.status(), StatusCode::NOT_FOUND, "{}", who.email);
        let resp = app
            .client
            .post("/api/v1/admin/restore")
            .header("authorization", format!("Bearer {token}"))
            .body(b"whatever".to_vec())
            .send()
            .await;
        assert_eq!(resp.0.status(), StatusCode::NOT_FOUND);
        let resp = app
            .client
            .post("/api/v1/admin/restore")
            .header("cookie", browser.cookie_header())
            .header("x-csrf-token", browser.csrf.as_str())
            .body(b"whatever".to_vec())
            .send()
            .await;
        assert_eq!(resp.0.status(), StatusCode::NOT_FOUND);
        browser.get(&app, "/admin/backups").await.assert_not_found();
        browser
            .get(&app, "/admin/backups/supportbox-20261127T100000Z.tar.zst")
            .await
            .assert_not_found();
    }
    let anon = app.anon().await;
    let resp = app
        .client
        .post("/api/v1/admin/restore")
        .header("cookie", anon.cookie_header())
        .header("x-csrf-token", anon.csrf.as_str())
        .body(b"whatever".to_vec())
        .send()
        .await;
    assert_eq!(resp.0.status(), StatusCode::UNAUTHORIZED);
    anon.get(&app, "/admin/backups")
        .await
        .assert_sign_in_required();

    // The operator, by session and by token.
    let otto = app.sign_in(&fx.operator.email).await;
    let (status, bytes) = body_bytes(get(None, Some(otto.cookie_header())).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(supportbox::backup::read::verify_archive(bytes.as_slice(), DataLimit::DEFAULT).is_ok());
    let token = app.token_for(&fx.operator.email).await;
    let resp = get(Some(format!("Bearer {token}")), None).await;
    assert_eq!(resp.0.status(), StatusCode::OK);
    // A session POST without the CSRF header is refused before anything is read.
    let resp = app
        .client
        .post("/api/v1/admin/restore")
        .header("cookie", otto.cookie_header())
        .body(bytes)
        .send()
        .await;
    assert_eq!(resp.0.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_backup_page_lists_checked_snapshots_for_download_and_prunes_them() {
    let app = TestApp::seeded_with_config(|c| c.backup_keep = 2).await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    let page = otto.get(&app, "/admin/backups").await;
    page.assert_ok();
    page.assert_contains("No snapshot yet");
    page.assert_contains("href=\"/admin/backups\"");
    for _ in 0..3 {
        let page = otto.post_form(&app, "/admin/backups/snapshot", &[]).await;
        page.assert_redirect("/admin/backups?done=snapshot");
        app.advance_minutes(1);
    }
    let list = snapshots::list(&app.state.config.data_dir).unwrap();
    assert_eq!(list.len(), 2, "keep = 2");
    assert!(list.iter().all(|s| s.check.as_ref().is_some_and(|c| c.ok)));
    let page = otto.get(&app, "/admin/backups?done=snapshot").await;
    page.assert_ok();
    page.assert_contains("The snapshot was written and checked.");
    page.assert_contains(&list[0].name);
    page.assert_contains("verified");
    let resp = app
        .client
        .get(format!("/admin/backups/{}", list[0].name))
        .header("cookie", otto.cookie_header())
        .send()
        .await;
    let (status, bytes) = body_bytes(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, std::fs::read(&list[0].path).unwrap());
    for bad in ["..%2F..%2Fsupportbox.redb", "supportbox.lock", "x.tar.zst"] {
        otto.get(&app, &format!("/admin/backups/{bad}"))
            .await
            .assert_not_found();
    }
}

async fn wait_for_phase(app: &TestApp, done: impl Fn(&RestorePhase) -> bool) -> RestorePhase {
    for _ in 0..3000 {
        let phase = app.state.backup.phase();
        if done(&phase) {
            return phase;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("restore phase stuck at {:?}", app.state.backup.phase());
}

#[tokio::test]
async fn an_online_restore_pauses_requests_swaps_the_data_and_rebuilds_search() {
    let (app, token) = full_app().await;
    use_token(&app, &token).await;
    let before = without_outbox(dump(&app.state.store));
    let searched = search_all(&app.state.store, &app.state.services.search);
    let archive = download(&app, &token).await;
    // Changes after the backup, which the restore takes back.
    demo(&app, 1, 10);
    assert_ne!(without_outbox(dump(&app.state.store)), before);

    // A request that is still running keeps the swap waiting, so maintenance can be seen.
    let busy = app.state.backup.enter().unwrap();
    let state = app.state.clone();
    let task = tokio::spawn(async move {
        svc::restore_online(
            &state.services,
            &state.backup,
            &state.config.data_dir,
            std::io::Cursor::new(archive),
            0,
            Hooks::default(),
        )
        .await
    });
    wait_for_phase(&app, |p| matches!(p, RestorePhase::Swapping { .. })).await;
    for path in ["/readyz", "/", "/api/v1/me", "/t/acme/"] {
        let resp = app.client.get(path).send().await;
        assert_eq!(resp.0.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(crate::support::header(&resp, "retry-after"), Some("30"));
    }
    drop(busy);
    let report = task.await.unwrap().unwrap();
    assert!(report.previous.is_some());
    let resp = app.client.get("/readyz").send().await;
    assert_eq!(resp.0.status(), StatusCode::OK);
    assert_eq!(without_outbox(dump(&app.state.store)), before);

    wait_for_phase(&app, |p| matches!(p, RestorePhase::Done { .. })).await;
    assert!(!app.state.services.search.is_rebuilding());
    assert_eq!(
        search_all(&app.state.store, &app.state.services.search),
        searched
    );
    let otto = app.sign_in(&app.fx().operator.email).await;
    let page = otto.get(&app, "/admin/backups").await;
    page.assert_contains("Backup restored at");
    page.assert_contains("pre-restore-");
}

#[tokio::test]
async fn a_damaged_upload_is_refused_naming_the_entry_and_changes_nothing() {
    let (app, token) = full_app().await;
    let archive = download(&app, &token).await;
    let before = dump(&app.state.store);
    let truncated = archive[..archive.len() / 2].to_vec();
    let mut flipped = archive.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x10;
    for (what, body) in [
        ("empty", Vec::new()),
        ("half", truncated),
        ("flipped", flipped),
    ] {
        let resp = app
            .client
            .post("/api/v1/admin/restore")
            .header("authorization", format!("Bearer {token}"))
            .body(body)
            .send()
            .await;
        let page = Page::from(resp).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let detail = serde_json::from_str::<serde_json::Value>(&page.body).unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            detail.starts_with("archive refused at "),
            "{what}: {detail}"
        );
        assert_eq!(
            without_audit(dump(&app.state.store)),
            without_audit(before.clone()),
            "{what}"
        );
    }
    let failed = audit_of(&app, AuditKind::RestoreFailed).await;
    assert_eq!(failed.len(), 3, "every refused restore is in the audit log");
    assert!(
        failed
            .iter()
            .all(|e| e.detail.starts_with("failed: archive refused at "))
    );
    let leftovers: Vec<String> = std::fs::read_dir(&app.state.config.data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("restore-") || n.starts_with("pre-restore-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(matches!(
        app.state.backup.phase(),
        RestorePhase::Failed { .. }
    ));
    // The instance keeps serving.
    let resp = app.client.get("/readyz").send().await;
    assert_eq!(resp.0.status(), StatusCode::OK);
}

/// A data directory with demo data, its search index, and an archive of it.
fn prepared(tenants: usize, tickets: u64) -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = Store::open(&{
            std::fs::create_dir_all(&data).unwrap();
            data.join("supportbox.redb")
        })
        .unwrap();
        let blobs = BlobStore::new(&data).unwrap();
        let now = "2026-11-27T10:00:00Z".parse().unwrap();
        supportbox::service::demo::generate(&store, &blobs, tenants, tickets, now).unwrap();
    }
    let out = dir.path().join("backup.tar.zst");
    svc::backup_offline(&data, &out, SystemClock.now()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    (dir, bytes)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Everything a restore is supposed to deliver, comparable between directories.
fn state_of(data: &Path) -> Restored {
    let store = Store::open(&data.join("supportbox.redb")).unwrap();
    assert!(check::check_records(&store).unwrap().is_empty());
    let (index, reason) = indexer::open(&data.join("index"), &store).unwrap();
    assert_eq!(reason, None, "the index of {} is complete", data.display());
    let blobs = BlobStore::new(data).unwrap();
    let referenced = store
        .read_blocking(supportbox::store::dump::referenced_blobs)
        .unwrap();
    for hash in &referenced {
        assert!(blobs.verify(hash).unwrap(), "blob present and intact");
    }
    (dump(&store), search_all(&store, &index), referenced)
}

#[test]
fn an_abort_at_any_step_of_a_restore_leaves_the_old_or_the_new_data_complete() {
    let (_a, archive_a) = prepared(1, 12);
    let (_b, archive_b) = prepared(2, 20);
    let work = tempfile::tempdir().unwrap();
    let reference = |name: &str, archive: &[u8]| -> PathBuf {
        let dir = work.path().join(name);
        svc::restore_offline(
            &dir,
            archive,
            Hooks::default(),
            SystemClock.now(),
            DataLimit::DEFAULT,
        )
        .unwrap();
        dir
    };
    let old_dir = reference("old", &archive_a);
    let new_dir = reference("new", &archive_b);
    let old = state_of(&old_dir);
    let new = state_of(&new_dir);
    assert_ne!(old.0, new.0);

    let mut points = vec![
        FailPoint::AfterTables,
        FailPoint::AfterEntries,
        FailPoint::AfterCheck,
        FailPoint::AfterIndex,
        FailPoint::AfterJournal,
        FailPoint::BeforeCleanup,
    ];
    for i in 0..3 {
        points.push(FailPoint::AfterMoveOld(i));
        points.push(FailPoint::AfterMoveNew(i));
    }
    for point in points {
        let dir = work.path().join(format!("{point:?}"));
        copy_dir(&old_dir, &dir);
        let err = svc::restore_offline(
            &dir,
            archive_b.as_slice(),
            Hooks {
                fail_at: Some(point),
            },
            SystemClock.now(),
            DataLimit::DEFAULT,
        )
        .unwrap_err();
        assert!(err.to_string().contains("test hook"), "{point:?}: {err}");
        // What the next start does before it opens anything.
        svc::recover_at_start(&dir).unwrap();
        let after = state_of(&dir);
        let committed = !matches!(
            point,
            FailPoint::AfterTables
                | FailPoint::AfterEntries
                | FailPoint::AfterCheck
                | FailPoint::AfterIndex
        );
        if committed {
            assert!(after == new, "{point:?}: expected the new data");
            let kept: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("pre-restore-"))
                .collect();
            assert_eq!(kept.len(), 1, "{point:?}: the old data is kept aside");
            assert!(
                state_of(&kept[0].path()) == old,
                "{point:?}: kept data complete"
            );
        } else {
            assert!(after == old, "{point:?}: expected the old data");
        }
        let staging_left = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("restore-"));
        assert!(
            !staging_left,
            "{point:?}: no staging leftovers after a start"
        );
    }
}

#[tokio::test]
async fn a_deleted_or_damaged_index_is_rebuilt_with_equal_results() {
    let (dir, _) = tokio::task::spawn_blocking(|| prepared(2, 30))
        .await
        .unwrap();
    let data = dir.path().join("data");
    let n = tokio::task::spawn_blocking({
        let data = data.clone();
        move || svc::reindex_offline(&data).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(n, 60);
    let store = Store::open(&data.join("supportbox.redb")).unwrap();
    let expected = {
        let (index, reason) = indexer::open(&data.join("index"), &store).unwrap();
        assert_eq!(reason, None);
        search_all(&store, &index)
    };
    assert!(expected.iter().any(|(_, _, hits)| !hits.is_empty()));

    let damage: [(&str, Harm); 3] = [
        ("deleted", |index| std::fs::remove_dir_all(index).unwrap()),
        ("damaged", |index| {
            std::fs::write(index.join("meta.json"), b"{ not json").unwrap()
        }),
        ("other schema", |index| {
            for entry in std::fs::read_dir(index).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.contains("version") || name.contains("schema") {
                    std::fs::write(&path, b"999").unwrap();
                }
            }
        }),
    ];
    for (what, harm) in damage {
        harm(&data.join("index"));
        let (index, reason) = indexer::open(&data.join("index"), &store).unwrap();
        assert!(reason.is_some(), "{what}: a rebuild is needed");
        let during = index
            .search(&SearchQuery {
                tenant: TenantId(1),
                scope: Scope::Staff,
                text: "drucker".into(),
                limit: 10,
            })
            .unwrap();
        assert!(during.hits.is_empty());
        let (s, i) = (store.clone(), index.clone());
        tokio::task::spawn_blocking(move || indexer::rebuild(&s, &i).unwrap())
            .await
            .unwrap();
        assert_eq!(search_all(&store, &index), expected, "{what}");
        drop(index);
    }
}

mod durability {
    //! The real binary under concurrent ticket creation, killed with SIGKILL.

    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::Mutex;

    use super::*;

    struct Running(Child);

    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn start(data: &Path, port: u16) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_supportbox"))
            .args(["serve", "--data-dir"])
            .arg(data)
            .args(["--https-addr", &format!("127.0.0.1:{port}")])
            .args(["--http-addr", "off"])
            .env("SUPPORTBOX_LOG_FORMAT", "json")
            .env("SUPPORTBOX_BACKUP_SCHEDULE_HOURS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Supportbox is serving") {
                    let _ = tx.send(());
                }
            }
        });
        let running = Running(child);
        rx.recv_timeout(Duration::from_secs(30)).unwrap();
        running
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// A token for a demo customer (who files tickets for themselves), written before the
    /// server starts.
    fn admin_token(data: &Path) -> String {
        let store = Store::open(&data.join("supportbox.redb")).unwrap();
        let blobs = BlobStore::new(data).unwrap();
        let now = SystemClock.now();
        supportbox::service::demo::generate(&store, &blobs, 1, 5, now).unwrap();
        let secret = format!("sbt_{}", "5a".repeat(32));
        let hash = supportbox::service::hash_secret(&secret);
        store
            .write_blocking(move |w| {
                let account =
                    supportbox::store::accounts::account_by_email(w, "user1@demo-1.example")?
                        .ok_or(supportbox::store::StoreError::NotFound)?;
                supportbox::store::tokens::create_token(w, account.id, "probe", hash, None, now)?;
                Ok(())
            })
            .unwrap();
        secret
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_acknowledged_ticket_survives_sigkill_and_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let token = tokio::task::spawn_blocking({
            let data = data.clone();
            move || admin_token(&data)
        })
        .await
        .unwrap();
        let port = free_port();
        let server = start(&data, port);
        let ca = std::fs::read(data.join("tls/ca.pem")).unwrap();
        // "localhost" pinned to the address the server listens on (see smoke.rs).
        let client = reqwest::Client::builder()
            .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .build()
            .unwrap();
        let base = format!("https://localhost:{port}/api/v1/t/demo-1");
        let acked = Arc::new(Mutex::new(Vec::<(u64, String)>::new()));
        let mut tasks = Vec::new();
        for worker in 0..16 {
            let (client, base, token, acked) =
                (client.clone(), base.clone(), token.clone(), acked.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    let word = format!("probe{worker}x{i}");
                    let resp = client
                        .post(format!("{base}/tickets"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({
                            "subject": format!("Durability {word}"),
                            "body": "Written while the server is killed.",
                        }))
                        .send()
                        .await;
                    // Refused connections and cut-off answers come from the kill.
                    let Ok(resp) = resp else { return };
                    if !resp.status().is_success() {
                        eprintln!("creation refused: {}", resp.status());
                        return;
                    }
                    let Ok(body) = resp.json::<serde_json::Value>().await else {
                        return;
                    };
                    let number = body["ticket"]["number"].as_u64().unwrap();
                    acked.lock().unwrap().push((number, word));
                }
            }));
        }
        // Kill once a good number of creations were acknowledged (an event, not a time).
        while acked.lock().unwrap().len() < 400 {
            assert!(
                !tasks.iter().all(|t| t.is_finished()),
                "every client stopped before 400 tickets were acknowledged"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut server = server;
        server.0.kill().unwrap(); // SIGKILL
        server.0.wait().unwrap();
        for t in tasks {
            let _ = t.await;
        }
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= 400);

        let _server = start(&data, port);
        // On a saturated machine (browser tests run alongside) a fresh connection to the
        // restarted server can be cut during its handshake; that is the machine, not the
        // data, so connecting is retried while every answer is checked strictly.
        let fetch = |url: String| {
            let (client, token) = (client.clone(), token.clone());
            async move {
                let mut attempts = 0;
                loop {
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(resp) => return resp,
                        Err(e) if e.is_connect() && attempts < 50 => attempts += 1,
                        Err(e) => panic!("{url}: {e:?}"),
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        for (number, _) in &acked {
            let resp = fetch(format!("{base}/tickets/{number}")).await;
            assert_eq!(resp.status(), 200, "acknowledged ticket {number} is there");
        }
        for (number, word) in acked.iter().step_by(7) {
            let mut found = false;
            for _ in 0..500 {
                let hits: serde_json::Value = fetch(format!("{base}/search?q={word}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                if hits["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|h| h["number"].as_u64() == Some(*number))
                {
                    found = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(found, "search finds acknowledged ticket {number} ({word})");
        }
    }
}

#[tokio::test]
async fn backup_operations_are_audited_with_who_where_size_and_result() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let operator = fx.operator.id;
    let token = app.token_for(&fx.operator.email).await;
    let otto = app.sign_in(&fx.operator.email).await;

    otto.post_form(&app, "/admin/backups/snapshot", &[])
        .await
        .assert_redirect("/admin/backups?done=snapshot");
    let taken = audit_of(&app, AuditKind::SnapshotTaken).await;
    let snapshot = snapshots::list(&app.state.config.data_dir)
        .unwrap()
        .remove(0);
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].actor, Some(operator));
    assert_eq!(taken[0].subject, snapshot.name);
    assert_eq!(taken[0].detail, format!("{} bytes", snapshot.size));
    assert!(!taken[0].client_addr.is_empty());

    let resp = app
        .client
        .get(format!("/admin/backups/{}", snapshot.name))
        .header("cookie", otto.cookie_header())
        .send()
        .await;
    assert_eq!(body_bytes(resp).await.0, StatusCode::OK);
    let fetched = audit_of(&app, AuditKind::SnapshotDownloaded).await;
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].subject, snapshot.name);

    let archive = download(&app, &token).await;
    let downloaded = audit_of(&app, AuditKind::BackupDownloaded).await;
    assert_eq!(downloaded.len(), 1);
    assert_eq!(downloaded[0].actor, Some(operator));
    assert!(downloaded[0].subject.starts_with("supportbox-"));
    assert_eq!(
        downloaded[0].detail,
        format!("{} bytes", archive.len()),
        "recorded once the whole archive is sent"
    );

    let resp = app
        .client
        .post("/api/v1/admin/restore")
        .header("authorization", format!("Bearer {token}"))
        .body(archive)
        .send()
        .await;
    Page::from(resp).await.assert_ok();
    // The line goes into the restored data, which says who put it in place.
    let restored = audit_of(&app, AuditKind::Restored).await;
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].actor, Some(operator));
    assert!(
        restored[0].detail.contains("tickets"),
        "{}",
        restored[0].detail
    );
    let page = otto.get(&app, "/admin/audit").await;
    page.assert_contains("Backup restored");

    // Refused callers leave no line: the operator check comes first.
    let lines = audit_of(&app, AuditKind::SnapshotTaken).await.len();
    let alma = app.sign_in(&fx.acme.admin.email).await;
    alma.post_form(&app, "/admin/backups/snapshot", &[])
        .await
        .assert_not_found();
    assert_eq!(audit_of(&app, AuditKind::SnapshotTaken).await.len(), lines);
}

#[tokio::test]
async fn an_online_restore_bomb_is_refused_with_413_naming_the_entry() {
    let app = TestApp::seeded_with_config(|c| c.restore_data_bytes = 4 * 1024 * 1024).await;
    let token = app.token_for(&app.fx().operator.email).await;
    let archive = download(&app, &token).await;
    let (bomb, entry) = crate::hardening::with_zero_blob(&archive, 8 * 1024 * 1024);
    let before = without_audit(dump(&app.state.store));
    let resp = app
        .client
        .post("/api/v1/admin/restore")
        .header("authorization", format!("Bearer {token}"))
        .body(bomb)
        .send()
        .await;
    let page = Page::from(resp).await;
    page.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    let detail = serde_json::from_str::<serde_json::Value>(&page.body).unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.starts_with(&format!("archive refused at {entry}")),
        "{detail}"
    );
    assert_eq!(without_audit(dump(&app.state.store)), before);
    let leftovers = std::fs::read_dir(&app.state.config.data_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("restore-")
        })
        .count();
    assert_eq!(leftovers, 0);
}
