//! The machinery of the browser tests: the compiled server on a free port, chromedriver,
//! Chromium sessions, and small helpers that act and look like a person at the screen.

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(15);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1366, 768);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether this machine can run the browser tests. Without Chromium or chromedriver they
/// are skipped with one line on stderr, unless `BROWSER_TESTS=required` (set by
/// `.ci/run`) demands them: then a missing browser fails the tests with instructions, so CI
/// never passes without having driven one.
pub fn browser_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if missing.is_empty() {
            return true;
        }
        let why = format!(
            "the browser tests need Debian's Chromium and chromedriver, but {} is missing; \
             run `bash .ci/run` (it installs them) or `apt-get install chromium chromium-driver`",
            missing.join(" and ")
        );
        let required = std::env::var("BROWSER_TESTS").is_ok_and(|v| v == "required");
        assert!(!required, "{why} (BROWSER_TESTS=required)");
        eprintln!("browser tests skipped: {why}");
        false
    })
}

/// A child process that is ended when the guard goes.
struct Guarded(Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The compiled binary serving HTTPS from a fresh data directory.
pub struct Server {
    _child: Guarded,
    /// `https://localhost:{port}`.
    pub base: String,
    /// The one-time setup address from the log.
    pub setup_url: String,
    _data: TempDir,
}

impl Server {
    /// Starts the binary and returns once it has logged both the setup address and that it
    /// is serving (events in its log, not a sleep).
    pub fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_supportbox"))
            .args(["serve", "--data-dir"])
            .arg(data.path().join("data"))
            .args(["--https-addr", &format!("127.0.0.1:{port}")])
            .args(["--http-addr", "off"])
            .env("SUPPORTBOX_LOG_FORMAT", "json")
            .env("SUPPORTBOX_LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let child = Guarded(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let Ok(event) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let url = event
                    .get("url")
                    .or_else(|| event.pointer("/fields/url"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let message = event
                    .get("message")
                    .or_else(|| event.pointer("/fields/message"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let level = event["level"].as_str().unwrap_or_default().to_owned();
                if level == "ERROR" {
                    eprintln!("server: {line}");
                }
                let _ = tx.send((level, message, url));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut setup_url = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (level, message, url) = rx
                .recv_timeout(left)
                .expect("the server logs its setup address and that it is serving");
            if level == "WARN" && is_setup_url(&url) {
                setup_url = Some(url);
            } else if message.contains("Supportbox is serving") {
                break;
            }
        }
        let setup_url = setup_url.expect("a fresh instance logs its one-time setup address");
        let base = setup_url
            .split("/setup/")
            .next()
            .unwrap_or_default()
            .to_owned();
        Server {
            _child: child,
            base,
            setup_url,
            _data: data,
        }
    }
}

fn is_setup_url(url: &str) -> bool {
    url.split("/setup/")
        .nth(1)
        .is_some_and(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// chromedriver on a free port. Dropping it asks it to shut down (closing any browser it
/// still runs) before the process is ended.
pub struct Driver {
    child: Guarded,
    port: u16,
    pub url: String,
    log: PathBuf,
    _dir: TempDir,
}

impl Driver {
    pub async fn start() -> Driver {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("chromedriver.log");
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; run `bash .ci/run`"));
        let driver = Driver {
            child: Guarded(child),
            port,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = match http.get(format!("{}/status", driver.url)).send().await {
                Ok(resp) => resp
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == json!(true)),
                Err(_) => false,
            };
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer /status within 20 s"
            );
            tokio::time::sleep(POLL).await;
        }
        driver
    }

    /// The end of chromedriver's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A new browser: its own profile, so no cookie or setting leaks between people.
    pub async fn session(&self, name: &str, size: (u32, u32), javascript: bool) -> Session {
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--ignore-certificate-errors".to_owned(),
            "--hide-scrollbars".to_owned(),
            // The server listens on 127.0.0.1 only; ::1 may hold another process on the
            // same port number (chromedriver binds both loopbacks).
            "--host-resolver-rules=MAP localhost 127.0.0.1".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            "--lang=en-US".to_owned(),
            format!("--window-size={},{}", size.0, size.1),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut prefs = json!({ "intl.accept_languages": "en-US,en" });
        if !javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".to_owned(), json!("chrome"));
        caps.insert("acceptInsecureCerts".to_owned(), json!(true));
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "args": args, "prefs": prefs }),
        );
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver could not start Chromium ({e}); its log ends:\n{}",
                    self.log_tail()
                )
            });
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(20)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
        let session = Session {
            c: client,
            name: name.to_owned(),
            base: String::new(),
            javascript,
            _profile: profile,
        };
        session.resize(size).await;
        session
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver's own shutdown also ends the browsers it started; a killed
        // chromedriver would leave them running.
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.child.0.try_wait(), Ok(None)) {
                break;
            }
            // A child's exit has no event to wait on here; polling its status is the way.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(POLL);
        }
    }
}

/// One person's browser.
pub struct Session {
    pub c: Client,
    pub name: String,
    /// The server's origin, set by [`Session::at`].
    pub base: String,
    /// Whether pages may run their scripts.
    pub javascript: bool,
    _profile: TempDir,
}

/// Polls `check` until it yields `Some`, failing with `what` after [`PATIENCE`]. This
/// waits for something to happen (a page to load, an image to arrive), never for time.
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

impl Session {
    pub fn at(mut self, base: &str) -> Session {
        self.base = base.to_owned();
        self
    }

    /// Ends the browser.
    pub async fn close(self) {
        let _ = self.c.close().await;
    }

    /// Sets the viewport to `size` and waits until the page has laid itself out anew.
    pub async fn resize(&self, (w, h): (u32, u32)) {
        self.c.set_window_size(w, h).await.unwrap();
        // Headless Chromium's window has no frame: the viewport is the window. Should a
        // build ever differ, grow the window by the difference once.
        let inner = self.inner_size().await;
        if inner != (w, h) && inner.0 > 0 {
            let dw = w.saturating_sub(inner.0);
            let dh = h.saturating_sub(inner.1);
            self.c.set_window_size(w + dw, h + dh).await.unwrap();
        }
    }

    /// `window.innerWidth/innerHeight` (0 × 0 where scripts cannot run).
    pub async fn inner_size(&self) -> (u32, u32) {
        match self
            .c
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
        {
            Ok(v) => (
                v[0].as_u64().unwrap_or(0) as u32,
                v[1].as_u64().unwrap_or(0) as u32,
            ),
            Err(_) => (0, 0),
        }
    }

    /// Opens a path of the server (or a full URL).
    pub async fn open(&self, path: &str) {
        let url = if path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        self.c.goto(&url).await.unwrap();
    }

    /// The path and query of the page shown.
    pub async fn path(&self) -> String {
        let url = self.c.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element, waiting for it while the page may still be replaced (a live update
    /// reloads an open ticket page when the other side acts).
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        let mut result = self.c.find(Locator::Css(css)).await;
        while result.is_err() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            result = self.c.find(Locator::Css(css)).await;
        }
        match result {
            Ok(el) => el,
            Err(e) => panic!(
                "[{}] {css} is not on {} ({e}); the page shows:\n{}",
                self.name,
                self.path().await,
                self.text("body").await
            ),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.c.find_all(Locator::Css(css)).await.unwrap()
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// The visible text of the first element matching `css` ("" if there is none).
    pub async fn text(&self, css: &str) -> String {
        match self.c.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.find_all(css).await {
            out.push(el.text().await.unwrap_or_default());
        }
        out
    }

    /// An attribute of the first element matching `css`.
    /// Waits until the element is displayed (an animation, a script opening a menu).
    pub async fn until_shown(&self, what: &str, css: &str) {
        until(what, || async {
            self.find(css)
                .await
                .is_displayed()
                .await
                .unwrap()
                .then_some(())
        })
        .await;
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.unwrap()
    }

    /// The current value of a field.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Types into a field (after emptying it), as a person would.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Picks the option with `value` in a select.
    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    /// Picks the option a person reads as `label` in a select.
    pub async fn choose_label(&self, css: &str, label: &str) {
        self.find(css).await.select_by_label(label).await.unwrap();
    }

    /// Clicks something that loads a new page (a link or a submit button) and waits until
    /// the new page is there: the old document's root goes stale.
    pub async fn click_and_load(&self, css: &str) {
        let root = self.c.find(Locator::Css("html")).await.unwrap();
        self.find(css).await.click().await.unwrap();
        until(
            &format!("[{}] a new page after clicking {css}", self.name),
            || {
                let root = root.clone();
                async move {
                    match root.tag_name().await {
                        Err(e) if e.is_stale_element_reference() || e.is_no_such_element() => {
                            Some(())
                        }
                        _ => None,
                    }
                }
            },
        )
        .await;
        until(
            &format!("[{}] the page after {css} to load", self.name),
            || async {
                let ready = self
                    .c
                    .execute("return document.readyState", vec![])
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s == "complete"));
                // Where scripts cannot run, the driver has already waited for the load.
                ready.unwrap_or(true).then_some(())
            },
        )
        .await;
    }

    /// Types a file path into a file input, as choosing it in the picker does.
    pub async fn attach(&self, css: &str, file: &Path) {
        self.find(css)
            .await
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
    }

    /// Asserts that the element shows `needle` in its visible text.
    #[track_caller]
    pub fn sees<'a>(&'a self, css: &'a str, needle: &'a str) -> impl Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let text = self.text(css).await;
            if !text.contains(needle) {
                let page = self.text("main").await;
                panic!(
                    "[{}] at {caller}: {css} on {} should show {needle:?} but shows {text:?}; \
                     the page reads:\n{page}",
                    self.name,
                    self.path().await
                );
            }
        }
    }

    /// Asserts that the page (its `<main>`) does not show `needle`.
    pub async fn does_not_see(&self, needle: &str) {
        let text = self.text("main").await;
        assert!(
            !text.contains(needle),
            "[{}] {} unexpectedly shows {needle:?}:\n{text}",
            self.name,
            self.path().await
        );
    }

    pub async fn screenshot(&self, path: &Path) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.c.execute(script, vec![]).await.unwrap()
    }
}

/// Where the screenshots go: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target dir>/tmp`.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small real PNG (a 32 × 24 picture with a red diagonal), as a phone's screenshot
/// stands in for a photo of the problem.
pub fn write_png(path: &Path) {
    let (w, h) = (32u32, 24u32);
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8); // filter: none
        for x in 0..w {
            let on = (x as i64 - (y as i64 * 4 / 3)).abs() < 2;
            raw.extend_from_slice(if on { &[200, 30, 30] } else { &[240, 244, 250] });
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    std::fs::write(path, png).unwrap();
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc_input);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

/// zlib with uncompressed ("stored") deflate blocks: valid, and needs no compressor.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
