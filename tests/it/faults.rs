//! Faults of the disk and the file against the compiled binary: a damaged page, and checks
//! and refused commands that must leave the database file as it was.

use std::path::Path;
use std::process::Output;

use crate::hardening::{file_hash, supportbox};
use crate::smoke::{Running, free_port, start_with};

const CSRF: &str = "0123456789abcdef0123456789abcdef";

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Demo data of one tenant; returns (tenant slug, customer e-mail, password).
fn demo(data: &Path) -> (String, String, String) {
    let printed = ok(&supportbox(
        data,
        &["demo-data", "--tenants", "1", "--tickets", "20"],
        &[],
    ));
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("Password for every demo account: "))
        .unwrap()
        .trim()
        .to_owned();
    let tenant_line = printed.lines().find(|l| l.contains("customer ")).unwrap();
    let words: Vec<&str> = tenant_line.split_whitespace().collect();
    let slug = words[0]
        .trim_matches('/')
        .trim_start_matches("t/")
        .to_owned();
    let customer = words[words.iter().position(|w| *w == "customer").unwrap() + 1].to_owned();
    (slug, customer, password)
}

/// Trusts the data directory's CA, sends "localhost" to 127.0.0.1 (see `smoke::client`),
/// and follows no redirect, so a sign-in's cookie and a form's `Location` can be read.
fn https_client(data: &Path) -> reqwest::Client {
    let ca = std::fs::read(data.join("tls/ca.pem")).unwrap();
    reqwest::Client::builder()
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Session {
    async fn sign_in(server: &Running, data: &Path, email: &str, password: &str) -> Session {
        let http = https_client(data);
        let base = format!("https://localhost:{}", server.https_port);
        let form = format!(
            "email={}&password={}&next=&csrf={CSRF}",
            urlencode(email),
            urlencode(password)
        );
        let resp = http
            .post(format!("{base}/login"))
            .header("cookie", format!("__Host-sb-csrf={CSRF}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let session = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("__Host-sb-session="))
            .map(|v| v.split(';').next().unwrap().to_owned());
        let Some(session) = session else {
            let status = resp.status();
            panic!("sign-in failed: {status} {}", resp.text().await.unwrap());
        };
        Session {
            http,
            base,
            cookie: format!("__Host-sb-csrf={CSRF}; __Host-sb-session={session}"),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Files a ticket through the customer's form; returns its page's path.
    async fn report(&self, slug: &str, subject: &str, body: &str) -> String {
        let boundary = "supportbox-test-boundary";
        let mut form = String::new();
        for (name, value) in [("subject", subject), ("body", body), ("topic", "")] {
            form.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        form.push_str(&format!("--{boundary}--\r\n"));
        let resp = self
            .http
            .post(format!("{}/t/{slug}/tickets/new", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
        let location = resp.headers()["location"].to_str().unwrap();
        location.split('?').next().unwrap().to_owned()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Zeroes every 4 KiB page of `file` that contains `marker`; returns how many.
fn zero_pages_holding(file: &Path, marker: &[u8]) -> usize {
    let mut bytes = std::fs::read(file).unwrap();
    let mut pages: Vec<usize> = bytes
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| *w == marker)
        .map(|(at, _)| at / 4096)
        .collect();
    pages.dedup();
    for page in &pages {
        bytes[page * 4096..(page + 1) * 4096].fill(0);
    }
    std::fs::write(file, bytes).unwrap();
    pages.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_page_is_reported_once_and_other_pages_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (slug, customer, password) = demo(&data);
    let marker = "Pagemarker-3f9c2a71-body of the damaged ticket";
    let ticket = {
        let server = start_with(&data, free_port(), free_port(), &[]);
        let session = Session::sign_in(&server, &data, &customer, &password).await;
        let ticket = session
            .report(&slug, "Printer on floor 2", &marker.repeat(3))
            .await;
        let (status, page) = session.get(&ticket).await;
        assert_eq!(status, 200);
        assert!(page.contains(marker));
        assert!(server.terminate().success());
        ticket
    };
    let db = data.join("supportbox.redb");
    assert!(zero_pages_holding(&db, marker.as_bytes()) > 0);

    let server = start_with(&data, free_port(), free_port(), &[]);
    let session = Session::sign_in(&server, &data, &customer, &password).await;
    let (before, _) = session.get("/healthz").await;
    assert_eq!(before, 200, "no damage has been met yet");
    for _ in 0..3 {
        let (status, page) = session.get(&ticket).await;
        assert_eq!(status, 503, "{page}");
        assert!(!page.contains(marker));
    }
    // Pages that do not need the damaged page still work.
    let (status, form) = session.get(&format!("/t/{slug}/tickets/new")).await;
    assert_eq!(status, 200, "{form}");
    let (status, _) = session.get("/account/profile").await;
    assert_eq!(status, 200);
    let (status, health) = session.get("/healthz").await;
    assert_eq!(status, 503);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&health).unwrap(),
        serde_json::json!({"status": "error", "database": "damaged"})
    );
    let (status, ready) = session.get("/readyz").await;
    assert_eq!(status, 503);
    assert!(ready.contains("damaged"), "{ready}");
    let told = server.log_lines("the database is damaged; restore a backup");
    assert_eq!(told.len(), 1, "logged once: {told:?}");
    assert!(
        server.log_lines("panicked").is_empty(),
        "no panic reaches the log: {:?}",
        server.log_lines("panicked")
    );
    drop(session);
    assert!(server.terminate().success());

    let before = file_hash(&db);
    let verified = supportbox(&data, &["verify", data.to_str().unwrap()], &[]);
    assert!(!verified.status.success());
    let stdout = String::from_utf8_lossy(&verified.stdout);
    let problems: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("PROBLEM:"))
        .collect();
    assert_eq!(problems.len(), 1, "{stdout}");
    assert!(problems[0].contains("is damaged"), "{stdout}");
    let stderr = String::from_utf8_lossy(&verified.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(file_hash(&db), before, "verify leaves the file as it was");
}

#[test]
fn verify_and_backup_leave_the_database_file_byte_for_byte_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data);
    let db = data.join("supportbox.redb");
    let before = file_hash(&db);

    let verified = ok(&supportbox(&data, &["verify", data.to_str().unwrap()], &[]));
    assert!(verified.contains("OK:"), "{verified}");
    assert_eq!(file_hash(&db), before, "after verify");

    let out = dir.path().join("backup.tar.zst");
    ok(&supportbox(
        &data,
        &["backup", "--out", out.to_str().unwrap()],
        &[],
    ));
    assert_eq!(file_hash(&db), before, "after a backup");

    let nowhere = dir.path().join("missing-dir/backup.tar.zst");
    let refused = supportbox(&data, &["backup", "--out", nowhere.to_str().unwrap()], &[]);
    assert!(!refused.status.success());
    assert_eq!(file_hash(&db), before, "after a refused backup");
}

/// Writes an API token for the account of `email` while the server is stopped.
fn token_for(data: &Path, email: &str, secret: &str) {
    use supportbox::clock::Clock;
    let store = supportbox::store::Store::open(&data.join("supportbox.redb")).unwrap();
    let now = supportbox::clock::SystemClock.now();
    let hash = supportbox::service::hash_secret(secret);
    let email = email.to_owned();
    store
        .write_blocking(move |w| {
            let account = supportbox::store::accounts::account_by_email(w, &email)?
                .ok_or(supportbox::store::StoreError::NotFound)?;
            supportbox::store::tokens::create_token(w, account.id, "fault test", hash, None, now)?;
            Ok(())
        })
        .unwrap();
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(server: &Running, data: &Path) -> Api {
        Api {
            http: https_client(data),
            base: format!("https://localhost:{}/api/v1", server.https_port),
        }
    }

    async fn file(&self, token: &str, slug: &str, subject: &str) -> u64 {
        let resp = self
            .http
            .post(format!("{}/t/{slug}/tickets", self.base))
            .bearer_auth(token)
            .json(&serde_json::json!({"subject": subject, "body": "Kept for the restore test."}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        let body: serde_json::Value = resp.json().await.unwrap();
        body["ticket"]["number"].as_u64().unwrap()
    }

    /// Ticket numbers the search finds for `word`, and whether it said it is rebuilding.
    async fn search(&self, token: &str, slug: &str, word: &str) -> (Vec<u64>, bool) {
        let resp = self
            .http
            .get(format!("{}/t/{slug}/search?q={word}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.unwrap();
        let numbers = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["number"].as_u64().unwrap())
            .collect();
        (numbers, body["rebuilding"].as_bool().unwrap_or(false))
    }

    /// Polls until the search finds `number` for `word` (the indexer commits within a second).
    async fn wait_found(&self, token: &str, slug: &str, word: &str, number: u64) {
        for _ in 0..500 {
            if self.search(token, slug, word).await.0.contains(&number) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("ticket {number} is never found for {word:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_right_after_an_online_restore_never_shows_text_of_the_replaced_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (slug, customer, _) = demo(&data);
    let customer_token = format!("sbt_{}", "c1".repeat(32));
    let operator_token = format!("sbt_{}", "0e".repeat(32));
    tokio::task::block_in_place(|| {
        token_for(&data, &customer, &customer_token);
        token_for(&data, "operator@demo.example", &operator_token);
    });

    // A ticket the backup holds …
    let server = start_with(&data, free_port(), free_port(), &[]);
    let api = Api::new(&server, &data);
    let kept = api.file(&customer_token, &slug, "Keptword printer").await;
    api.wait_found(&customer_token, &slug, "keptword", kept)
        .await;
    assert!(server.terminate().success());
    let backup = dir.path().join("backup.tar.zst");
    ok(&supportbox(
        &data,
        &["backup", "--out", backup.to_str().unwrap()],
        &[],
    ));
    // … and a reply to it after the backup, which the restore takes back: the same ticket
    // number exists before and after, so only the index could still show the reply.
    let server = start_with(&data, free_port(), free_port(), &[]);
    let api = Api::new(&server, &data);
    let resp = api
        .http
        .post(format!("{}/t/{slug}/tickets/{kept}/reply", api.base))
        .bearer_auth(&customer_token)
        .json(&serde_json::json!({"body": "Vanishingword: the scanner jams too."}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    api.wait_found(&customer_token, &slug, "vanishingword", kept)
        .await;
    assert!(server.terminate().success());
    let old_index = dir.path().join("old-index");
    copy_dir(&data.join("index"), &old_index);

    let server = start_with(&data, free_port(), free_port(), &[]);
    let api = Api::new(&server, &data);
    let resp = api
        .http
        .post(format!("{}/admin/restore", api.base))
        .bearer_auth(&operator_token)
        .body(std::fs::read(&backup).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    // SIGKILL; then the index as it was at the swap, before the rebuild touched it: the
    // worst moment the process can die at.
    drop(server);
    std::fs::remove_dir_all(data.join("index")).unwrap();
    copy_dir(&old_index, &data.join("index"));

    let server = start_with(&data, free_port(), free_port(), &[]);
    let api = Api::new(&server, &data);
    assert!(
        api.search(&customer_token, &slug, "vanishingword")
            .await
            .0
            .is_empty(),
        "text of a reply the restore took back is never shown"
    );
    api.wait_found(&customer_token, &slug, "keptword", kept)
        .await;
    let (found, rebuilding) = api.search(&customer_token, &slug, "vanishingword").await;
    assert!(found.is_empty() && !rebuilding);
    assert_eq!(
        server.log_lines("another database generation").len(),
        1,
        "the start says why it rebuilds"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A small tmpfs for a full disk, unmounted when dropped.
struct SmallDisk {
    mount: std::path::PathBuf,
}

impl SmallDisk {
    /// `None` (with one line saying why) where mounting is not permitted.
    fn mount(at: &Path, mib: u64) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(SmallDisk {
                mount: at.to_owned(),
            }),
            Ok(o) => {
                eprintln!(
                    "skipped: mounting a tmpfs is not permitted here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: mount could not run ({e})");
                None
            }
        }
    }

    /// Writes a file until the filesystem refuses more.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.mount.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0x55u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        // The last partial chunk may sit in the file's buffer; what is on disk counts.
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.mount)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_full_disk_writes_resume_by_themselves_and_nothing_acknowledged_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("small"), 96) else {
        return;
    };
    let data = disk.mount.join("data");
    let (slug, customer, password) = demo(&data);
    let token = format!("sbt_{}", "d1".repeat(32));
    tokio::task::block_in_place(|| token_for(&data, &customer, &token));
    let server = start_with(
        &data,
        free_port(),
        free_port(),
        &[("SUPPORTBOX_BACKUP_SCHEDULE_HOURS", "0")],
    );
    let api = Api::new(&server, &data);
    let mut acknowledged = vec![api.file(&token, &slug, "Before the disk filled").await];
    let operator = Session::sign_in(&server, &data, "operator@demo.example", &password).await;
    let person = Session::sign_in(&server, &data, &customer, &password).await;
    let alert = "The disk of the data directory is full";
    assert!(!operator.get("/admin/").await.1.contains(alert));

    let filler = disk.fill();
    let mut refusal = None;
    for i in 0..5_000 {
        let resp = api
            .http
            .post(format!("{}/t/{slug}/tickets", api.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "subject": format!("Filling {i}"),
                "body": "x".repeat(2_000),
            }))
            .send()
            .await
            .unwrap();
        if resp.status().is_success() {
            let body: serde_json::Value = resp.json().await.unwrap();
            acknowledged.push(body["ticket"]["number"].as_u64().unwrap());
        } else {
            refusal = Some((
                resp.status().as_u16(),
                resp.headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned()),
            ));
            break;
        }
    }
    let (status, retry_after) = refusal.expect("a full disk refuses creations");
    assert_eq!(status, 503);
    assert!(retry_after.is_some(), "the refusal says when to retry");
    let ready = api
        .http
        .get(format!("https://localhost:{}/readyz", server.https_port))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.text().await.unwrap().contains("disk full"));
    let (status, page) = operator.get("/admin/").await;
    assert_eq!(status, 200, "the operator's pages still open");
    assert!(page.contains(alert), "and say what is wrong");
    let (status, page) = person.get(&format!("/t/{slug}/tickets/new")).await;
    assert_eq!(status, 200);
    assert!(!page.contains(alert), "only the operator is told");
    // Reads keep working while writes wait for room.
    let first = acknowledged[0];
    let resp = api
        .http
        .get(format!("{}/t/{slug}/tickets/{first}", api.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    std::fs::remove_file(filler).unwrap();
    let mut resumed = None;
    for _ in 0..300 {
        let resp = api
            .http
            .post(format!("{}/t/{slug}/tickets", api.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"subject": "Resumedword after the space came back", "body": "Works."}))
            .send()
            .await
            .unwrap();
        if resp.status().is_success() {
            let body: serde_json::Value = resp.json().await.unwrap();
            resumed = body["ticket"]["number"].as_u64();
            break;
        }
        assert_eq!(resp.status(), 503, "only a short unavailability");
        // Polling the server's own recovery, which has no event a client could wait for.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let resumed = resumed.expect("writes resume within seconds, without a restart");
    acknowledged.push(resumed);
    api.wait_found(&token, &slug, "resumedword", resumed).await;
    let ready = api
        .http
        .get(format!("https://localhost:{}/readyz", server.https_port))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert!(!operator.get("/admin/").await.1.contains(alert));
    assert_eq!(
        server
            .log_lines("writes are refused until space is freed")
            .len(),
        1,
        "told once"
    );
    let per_request = server.log_lines("writes resume by themselves");
    assert!(
        per_request.is_empty(),
        "refused requests are not logged one by one: {per_request:?}"
    );

    // Every acknowledged ticket is there, also across a restart.
    assert!(server.terminate().success());
    let server = start_with(&data, free_port(), free_port(), &[]);
    let api = Api::new(&server, &data);
    for number in &acknowledged {
        let resp = api
            .http
            .get(format!("{}/t/{slug}/tickets/{number}", api.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "acknowledged ticket {number}");
    }
    drop(server);
    drop(disk);
}

/// Stores `version` as the file's schema version, as a newer Supportbox would have.
fn claim_schema_version(db: &Path, version: u32) {
    const META: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
    let file = redb::Database::open(db).unwrap();
    let txn = file.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", version.to_be_bytes().as_slice())
        .unwrap();
    txn.commit().unwrap();
}

#[test]
fn a_start_refused_for_a_newer_schema_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data);
    let db = data.join("supportbox.redb");
    claim_schema_version(&db, 99);
    let before = file_hash(&db);
    // `timeout` ends a start that was wrongly let through, so the test fails instead of hanging.
    let out = std::process::Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_supportbox"))
        .args(["serve", "--https-addr", "127.0.0.1:0", "--http-addr", "off"])
        .env("SUPPORTBOX_DATA_DIR", &data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_ne!(
        out.status.code(),
        Some(124),
        "the start was refused, not timed out"
    );
    assert!(stderr.contains("schema version 99 is newer"), "{stderr}");
    assert_eq!(file_hash(&db), before, "the refused start wrote nothing");
    let refused = supportbox(&data, &["verify", data.to_str().unwrap()], &[]);
    assert!(!refused.status.success());
    assert_eq!(file_hash(&db), before, "nor did verify");
}
