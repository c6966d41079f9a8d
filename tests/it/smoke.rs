//! Runs the compiled binary as a person would: on free ports in a fresh data directory,
//! over HTTPS trusting the CA it generated, through the HTTP redirect, and across a
//! restart that must keep the same certificate.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Running {
    child: Child,
    pub https_port: u16,
    pub http_port: u16,
    /// Every line the server wrote to stderr so far (its JSON log).
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Running {
    /// Stops the server as an operator would (SIGTERM) and waits for it to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.child.wait().unwrap()
    }

    /// Log lines containing `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter().filter(|l| l.contains(needle)).cloned().collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `Location` the plain-HTTP listener answers to `GET /x?y=1` with `headers`, sent as
/// raw bytes so nothing rewrites them.
fn raw_location(http_port: u16, headers: &str) -> String {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", http_port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET /x?y=1 HTTP/1.1\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no Location in {answer}"))
}

/// Starts the binary and returns once it logs that it is serving (an event, not a sleep).
fn start(data_dir: &Path, https_port: u16, http_port: u16) -> Running {
    start_with(data_dir, https_port, http_port, &[])
}

/// [`start`] with extra environment (`SUPPORTBOX_*` settings).
pub fn start_with(
    data_dir: &Path,
    https_port: u16,
    http_port: u16,
    env: &[(&str, &str)],
) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_supportbox"))
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--https-addr", &format!("127.0.0.1:{https_port}")])
        .args(["--http-addr", &format!("127.0.0.1:{http_port}")])
        .env("SUPPORTBOX_LOG_FORMAT", "json")
        .env("SUPPORTBOX_LOG_LEVEL", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Supportbox is serving") {
                let _ = tx.send(());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let running = Running {
        child,
        https_port,
        http_port,
        log,
    };
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the server announces that it is serving");
    running
}

/// Trusts the generated CA and sends "localhost" to 127.0.0.1, where the server listens:
/// left to the resolver, ::1 may be tried first, and another test's process (chromedriver
/// binds both loopbacks) can hold the same port number there.
pub fn client(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem).unwrap()])
        .tls_info(true)
        .build()
        .unwrap()
}

async fn served_certificate(client: &reqwest::Client, url: &str) -> Vec<u8> {
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .unwrap()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_serves_https_redirects_http_and_keeps_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data, free_port(), free_port());

    let ca = std::fs::read(data.join("tls/ca.pem")).unwrap();
    let https = client(&ca);
    let base = format!("https://localhost:{}", server.https_port);
    let health: serde_json::Value = https
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    // The downloadable CA is the one that signed the served certificate.
    let downloaded = https.get(format!("{base}/ca.pem")).send().await.unwrap();
    assert_eq!(downloaded.bytes().await.unwrap(), ca);

    // Plain HTTP only redirects, and following it lands on the HTTPS page.
    let resp = https
        .get(format!("http://127.0.0.1:{}/healthz", server.http_port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.url().as_str(),
        format!("https://127.0.0.1:{}/healthz", server.https_port)
    );

    // A forged Host (or forwarding header) never reaches the Location: unknown names go to
    // the public URL, on the HTTPS port.
    for forged in [
        "Host: evil.example\r\n",
        "Host: evil.example:8080\r\nX-Forwarded-Host: evil.example\r\n",
        "Host: localhost\r\nForwarded: host=evil.example\r\nX-Forwarded-Host: evil.example\r\n",
    ] {
        let location = raw_location(server.http_port, forged);
        assert!(!location.contains("evil"), "{forged:?}: {location}");
        assert!(
            location.starts_with("https://")
                && location.ends_with(&format!(":{}/x?y=1", server.https_port)),
            "{forged:?}: {location}"
        );
    }

    // `supportbox healthcheck` agrees.
    let status = Command::new(env!("CARGO_BIN_EXE_supportbox"))
        .args(["healthcheck", "--data-dir"])
        .arg(&data)
        .args(["--https-addr", &format!("127.0.0.1:{}", server.https_port)])
        .status()
        .unwrap();
    assert!(status.success());

    // A second process on the same data directory is refused with a clear message.
    let second = Command::new(env!("CARGO_BIN_EXE_supportbox"))
        .args(["serve", "--data-dir"])
        .arg(&data)
        .args(["--https-addr", &format!("127.0.0.1:{}", free_port())])
        .args(["--http-addr", "off"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("in use by another Supportbox process")
    );

    let before = served_certificate(&https, &format!("{base}/healthz")).await;
    let (https_port, http_port) = (server.https_port, server.http_port);
    drop(server);
    let server = start(&data, https_port, http_port);
    let after = served_certificate(&client(&ca), &format!("{base}/healthz")).await;
    assert_eq!(before, after, "a restart reuses the same certificate");
    drop(server);

    let status = Command::new(env!("CARGO_BIN_EXE_supportbox"))
        .args(["healthcheck", "--data-dir"])
        .arg(&data)
        .args(["--https-addr", &format!("127.0.0.1:{https_port}")])
        .status()
        .unwrap();
    assert!(!status.success(), "healthcheck fails when nothing answers");
}

#[test]
fn bad_input_stops_the_start_with_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("untouched");
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "https_adr = \"127.0.0.1:1\"\n").unwrap();
    let missing_cert = dir.path().join("missing.pem");
    type Case<'a> = (Vec<String>, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["--https-addr".into(), busy_addr.clone()],
            vec![],
            "cannot listen on",
        ),
        (
            vec!["--config".into(), config.display().to_string()],
            vec![],
            "unknown key `https_adr`",
        ),
        (
            vec!["--https-addr".into(), "nonsense".into()],
            vec![],
            "--https-addr",
        ),
        (
            vec![],
            vec![
                (
                    "SUPPORTBOX_TLS_CERT_FILE",
                    missing_cert.display().to_string(),
                ),
                (
                    "SUPPORTBOX_TLS_KEY_FILE",
                    missing_cert.display().to_string(),
                ),
            ],
            "missing.pem",
        ),
    ];
    for (args, env, expected) in cases {
        let mut command = Command::new(env!("CARGO_BIN_EXE_supportbox"));
        command
            .args(["serve", "--data-dir"])
            .arg(&data)
            .args(["--http-addr", "off"]);
        if !args.iter().any(|a| a == "--https-addr") {
            command.args(["--https-addr", &format!("127.0.0.1:{}", free_port())]);
        }
        let output = command.args(&args).envs(env).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!data.exists(), "{args:?} created the data directory");
    }
    drop(busy);
}
