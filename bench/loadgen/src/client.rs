//! Simulated people: an HTTPS client each (own connection pool), signed in with their own
//! session cookie (HTML pages) and/or their own API token (JSON API).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Certificate, Method, StatusCode};
use serde::{Deserialize, Serialize};

const CSRF_COOKIE: &str = "__Host-sb-csrf";
const SESSION_COOKIE: &str = "__Host-sb-session";
/// Double-submit CSRF: the cookie and the form field only have to agree.
const CSRF: &str = "0123456789abcdef0123456789abcdef";

pub const CUSTOMERS_PER_TENANT: usize = 40;
pub const SUPPORTERS_PER_TENANT: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Customer,
    Supporter,
}

/// A demo account (as created by `supportbox demo-data`).
#[derive(Debug, Clone)]
pub struct Person {
    pub slug: String,
    pub email: String,
    pub role: Role,
}

impl Person {
    /// Client `i` of a scenario: spread over tenants first, then over the tenant's people,
    /// so 128 clients in 10 tenants are 128 different accounts.
    pub fn nth(i: usize, tenants: usize, role: Role) -> Person {
        let t = i % tenants + 1;
        let k = i / tenants;
        let (local, n) = match role {
            Role::Customer => ("user", k % CUSTOMERS_PER_TENANT + 1),
            Role::Supporter => ("support", k % SUPPORTERS_PER_TENANT + 1),
        };
        Person {
            slug: format!("demo-{t}"),
            email: format!("{local}{n}@demo-{t}.example"),
            role,
        }
    }
}

/// Settings shared by every client.
#[derive(Clone)]
pub struct Target {
    pub base: String,
    pub ca_pem: Vec<u8>,
    pub password: String,
    pub cache: Arc<Credentials>,
}

/// Tokens survive restarts (they live in the data directory), so they are minted once per
/// data directory and kept in a file beside it. Sign-ins are rate-limited per client
/// address (30 per 5 minutes), so each sign-in comes from its own loopback address
/// (127.x.y.z); the counter is kept in the same file.
pub struct Credentials {
    path: PathBuf,
    inner: tokio::sync::Mutex<CacheFile>,
    next_addr: AtomicU64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    tokens: BTreeMap<String, String>,
    next_addr: u64,
}

impl Credentials {
    pub fn load(path: &Path) -> Credentials {
        let file: CacheFile = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Credentials {
            path: path.to_path_buf(),
            next_addr: AtomicU64::new(file.next_addr),
            inner: tokio::sync::Mutex::new(file),
        }
    }

    async fn token(&self, email: &str) -> Option<String> {
        self.inner.lock().await.tokens.get(email).cloned()
    }

    async fn remember(&self, email: &str, token: &str) {
        let mut f = self.inner.lock().await;
        f.tokens.insert(email.to_owned(), token.to_owned());
        f.next_addr = self.next_addr.load(Ordering::Relaxed);
        if let Ok(json) = serde_json::to_vec_pretty(&*f) {
            let _ = std::fs::write(&self.path, json);
        }
    }

    async fn forget(&self, email: &str) {
        self.inner.lock().await.tokens.remove(email);
    }

    pub async fn save(&self) {
        let mut f = self.inner.lock().await;
        f.next_addr = self.next_addr.load(Ordering::Relaxed);
        if let Ok(json) = serde_json::to_vec_pretty(&*f) {
            let _ = std::fs::write(&self.path, json);
        }
    }

    /// A loopback address not used for a sign-in before (127.0.0.1 is left to the data
    /// requests).
    fn fresh_addr(&self) -> IpAddr {
        let n = self.next_addr.fetch_add(1, Ordering::Relaxed) % (250 * 250 * 250);
        let a = (n / (250 * 250)) as u8 + 1;
        let b = ((n / 250) % 250) as u8 + 1;
        let c = (n % 250) as u8 + 2;
        IpAddr::V4(Ipv4Addr::new(127, a, b, c))
    }
}

/// What came back from one request.
pub struct Reply {
    pub status: StatusCode,
    /// Kept as bytes; parsed only where a scenario needs it.
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// One simulated person with their own connection(s).
#[derive(Clone)]
pub struct Client {
    pub person: Person,
    http: reqwest::Client,
    base: String,
    pub token: Option<String>,
    session: Option<String>,
}

fn http_client(ca_pem: &[u8], local: Option<IpAddr>) -> Result<reqwest::Client, String> {
    let cert = Certificate::from_pem(ca_pem).map_err(|e| format!("CA certificate: {e}"))?;
    let mut b = reqwest::Client::builder()
        .tls_certs_only([cert])
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(Duration::from_secs(300));
    if let Some(addr) = local {
        b = b.local_address(addr);
    }
    b.build().map_err(|e| format!("HTTP client: {e}"))
}

impl Client {
    pub fn anonymous(target: &Target, person: Person) -> Result<Client, String> {
        Ok(Client {
            person,
            http: http_client(&target.ca_pem, None)?,
            base: target.base.clone(),
            token: None,
            session: None,
        })
    }

    /// Signs in for a session (HTML pages) when `session`, and finds or mints an API
    /// token when `token`.
    pub async fn connect(
        target: &Target,
        person: Person,
        session: bool,
        token: bool,
    ) -> Result<Client, String> {
        let mut c = Client::anonymous(target, person)?;
        if token {
            if let Some(t) = target.cache.token(&c.person.email).await {
                c.token = Some(t);
                if c.api_get("/api/v1/me").await?.status == StatusCode::OK {
                    // Cached token still valid.
                } else {
                    target.cache.forget(&c.person.email).await;
                    c.token = None;
                }
            }
        }
        let need_token = token && c.token.is_none();
        if session || need_token {
            let secret = c.sign_in(target).await?;
            c.session = Some(secret);
        }
        if need_token {
            let t = c.mint_token().await?;
            target.cache.remember(&c.person.email, &t).await;
            c.token = Some(t);
        }
        Ok(c)
    }

    async fn sign_in(&self, target: &Target) -> Result<String, String> {
        // Only the sign-in comes from a fresh address; everything else uses 127.0.0.1.
        let http = http_client(&target.ca_pem, Some(target.cache.fresh_addr()))?;
        let form = [
            ("email", self.person.email.as_str()),
            ("password", target.password.as_str()),
            ("next", ""),
            ("csrf", CSRF),
        ];
        let resp = http
            .post(format!("{}/login", self.base))
            .header(COOKIE, format!("{CSRF_COOKIE}={CSRF}"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode_form(&form))
            .send()
            .await
            .map_err(|e| format!("sign-in of {}: {e}", self.person.email))?;
        let status = resp.status();
        let prefix = format!("{SESSION_COOKIE}=");
        let secret = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix(&prefix)
                    .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
            })
            .filter(|s| !s.is_empty());
        secret.ok_or_else(|| format!("sign-in of {} failed: HTTP {status}", self.person.email))
    }

    async fn mint_token(&self) -> Result<String, String> {
        let form = [("name", "loadgen"), ("expires", ""), ("csrf", CSRF)];
        let resp = self
            .http
            .post(format!("{}/account/tokens", self.base))
            .header(COOKIE, self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encode_form(&form))
            .send()
            .await
            .map_err(|e| format!("token for {}: {e}", self.person.email))?;
        let status = resp.status();
        let html = resp.text().await.unwrap_or_default();
        find_token(&html).ok_or_else(|| {
            format!(
                "no token in the answer for {} (HTTP {status})",
                self.person.email
            )
        })
    }

    fn cookie_header(&self) -> String {
        match &self.session {
            Some(s) => format!("{CSRF_COOKIE}={CSRF}; {SESSION_COOKIE}={s}"),
            None => format!("{CSRF_COOKIE}={CSRF}"),
        }
    }

    /// An HTML page with the session cookie.
    pub async fn page(&self, path: &str) -> Result<Reply, String> {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header());
        send(req).await
    }

    pub async fn api_get(&self, path: &str) -> Result<Reply, String> {
        self.api(Method::GET, path, None).await
    }

    pub async fn api_post(&self, path: &str, body: &serde_json::Value) -> Result<Reply, String> {
        self.api(Method::POST, path, Some(body)).await
    }

    async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        send(req).await
    }

    /// Plain GET without credentials (health checks).
    pub async fn get_plain(&self, path: &str) -> Result<Reply, String> {
        send(self.http.get(format!("{}{path}", self.base))).await
    }
}

async fn send(req: reqwest::RequestBuilder) -> Result<Reply, String> {
    let started = Instant::now();
    let resp = req.send().await.map_err(|e| transport_kind(&e))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| transport_kind(&e))?.to_vec();
    Ok(Reply {
        status,
        body,
        latency: started.elapsed(),
    })
}

fn transport_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_owned()
    } else if e.is_connect() {
        "connect".to_owned()
    } else {
        "transport".to_owned()
    }
}

fn encode_form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `sbt_` followed by 64 hex digits, as rendered once on the token page.
fn find_token(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(pos) = rest.find("sbt_") {
        let candidate = &rest[pos..];
        let hex = &candidate[4..];
        let n = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
        if n == 64 {
            return Some(candidate[..68].to_owned());
        }
        rest = &candidate[4..];
    }
    None
}

/// Percent-encodes a query value.
pub fn q(s: &str) -> String {
    encode_form(&[("", s)])[1..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token() {
        let t = format!("sbt_{}", "a1".repeat(32));
        let html = format!("<p>sbt_SECRET</p><input value=\"{t}\">");
        assert_eq!(find_token(&html), Some(t));
    }

    #[test]
    fn people_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..128 {
            assert!(seen.insert(Person::nth(i, 10, Role::Customer).email));
        }
        assert_eq!(
            Person::nth(0, 10, Role::Supporter).email,
            "support1@demo-1.example"
        );
        assert_eq!(q("a b&c"), "a%20b%26c");
    }
}
