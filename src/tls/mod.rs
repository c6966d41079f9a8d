//! HTTPS certificates: either an operator-supplied certificate/key pair, or a local CA plus a
//! leaf certificate generated on first run and kept in `<data dir>/tls/`.
//!
//! The generated CA is stable for years so that a browser which trusted it once (via
//! `/ca.pem`) keeps trusting every leaf we issue later; only the leaf is replaced, when it
//! nears expiry or no longer covers the host names we are reached by. A configured pair is
//! never written to and is re-read when it changes on disk, so certbot-style renewals work
//! without a restart.
//!
//! All cryptography uses rustls' aws-lc-rs provider explicitly (the one poem's `rustls`
//! feature pulls in), so nothing depends on a process-wide default provider being installed.

mod files;
mod healthcheck;
mod issue;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use rustls::ServerConfig;
use sha2::{Digest, Sha256};

use crate::clock::SharedClock;

pub use healthcheck::healthcheck;

/// The machine's host name when it can be a DNS name (it is in the generated certificate).
pub fn host_name() -> Option<String> {
    issue::host_name()
}

use files::{FileKind, FileStamp, TlsPaths};
use issue::{Ca, Leaf, Name};

/// A leaf this close to expiry is replaced (and a configured one is warned about).
const RENEW_BEFORE_SECS: i64 = 30 * 24 * 60 * 60;

/// What the operator configured about TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Extra DNS names or IP addresses a generated certificate must cover.
    pub names: Vec<String>,
}

/// Every TLS problem, as one line that names the file or name at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS settings: cert_file and key_file must be set together")]
    IncompleteSettings,
    #[error("{kind} {}: cannot read: {cause}", path.display())]
    Read {
        kind: FileKind,
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{kind} {}: {problem}", path.display())]
    Invalid {
        kind: FileKind,
        path: PathBuf,
        problem: String,
    },
    #[error("certificate file {} and key file {} do not form a usable pair: {problem}", cert.display(), key.display())]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        problem: String,
    },
    #[error(
        "CA key {} is missing or unusable ({problem}) but CA certificate {} exists; restore the key, or delete both files to create a new CA that browsers must trust again",
        key.display(),
        cert.display()
    )]
    CaKeyUnusable {
        key: PathBuf,
        cert: PathBuf,
        problem: String,
    },
    #[error("TLS directory {}: cannot create: {cause}", path.display())]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}: cannot write: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("TLS name `{name}` cannot go into a certificate: {problem}")]
    InvalidName { name: String, problem: String },
    #[error("cannot generate the {what}: {problem}")]
    Generate { what: &'static str, problem: String },
    #[error("healthcheck https://{addr}/healthz: {problem}")]
    Healthcheck { addr: SocketAddr, problem: String },
}

/// The certificate being served plus what is needed to replace it.
pub struct TlsState {
    clock: SharedClock,
    served: Served,
    source: Source,
}

/// PEM bytes exactly as handed to poem, plus the leaf DER for pinning and logging.
#[derive(Clone, PartialEq, Eq)]
struct Served {
    chain_pem: Vec<u8>,
    key_pem: Vec<u8>,
    leaf_der: Vec<u8>,
}

enum Source {
    Configured {
        cert_file: PathBuf,
        key_file: PathBuf,
        seen: (Option<FileStamp>, Option<FileStamp>),
    },
    Generated(Generated),
}

struct Generated {
    paths: TlsPaths,
    ca: Ca,
    names: Vec<Name>,
    hostname: Option<String>,
    leaf_not_after: i64,
    /// The CA is only replaced at start-up (so `/ca.pem` never disagrees with the chain we
    /// serve); while running we just say so once.
    warned_ca_expiry: bool,
}

impl fmt::Debug for TlsState {
    // Hand-written so the private keys never end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Configured { cert_file, .. } => format!("configured {}", cert_file.display()),
            Source::Generated(g) => format!("generated in {}", g.paths.dir.display()),
        };
        f.debug_struct("TlsState")
            .field("source", &source)
            .field("leaf_sha256", &fingerprint(&self.served.leaf_der))
            .finish_non_exhaustive()
    }
}

impl TlsState {
    /// Loads or creates the certificate to serve. Call once at start, before binding; it does
    /// blocking file I/O.
    ///
    /// With `cert_file` and `key_file` both are read and checked (PEM, key matches, rustls
    /// accepts the key) and nothing under `tls_dir` is touched. Without them the local CA and
    /// leaf in `tls_dir` are reused, or created on first run; the leaf is re-issued by the same
    /// CA when it expires within 30 days, misses a required name, or was not issued by that CA.
    pub fn prepare(
        settings: &TlsSettings,
        tls_dir: &Path,
        clock: SharedClock,
    ) -> Result<TlsState, TlsError> {
        match (&settings.cert_file, &settings.key_file) {
            (Some(cert_file), Some(key_file)) => prepare_configured(cert_file, key_file, clock),
            (None, None) => prepare_generated(&settings.names, tls_dir, clock),
            _ => Err(TlsError::IncompleteSettings),
        }
    }

    /// The rustls config serving the current leaf (with the local CA appended when
    /// generated): TLS 1.2 and 1.3 with the provider's forward-secret AEAD suites, HTTP/2 and
    /// HTTP/1.1 by ALPN, and the server's cipher order rather than the client's, so a client
    /// that lists a weaker suite first still gets the strongest both support.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let (cert_path, key_path) = match &self.source {
            Source::Configured {
                cert_file,
                key_file,
                ..
            } => (cert_file.as_path(), key_file.as_path()),
            Source::Generated(g) => (g.paths.leaf_cert.as_path(), g.paths.leaf_key.as_path()),
        };
        let certs = files::parse_certs(FileKind::Leaf, cert_path, &self.served.chain_pem)?;
        let key = files::parse_key(FileKind::LeafKey, key_path, &self.served.key_pem)?;
        let source = cert_path;
        let refused = |e: rustls::Error| TlsError::Invalid {
            kind: FileKind::Leaf,
            path: source.to_owned(),
            problem: e.to_string(),
        };
        let mut config = ServerConfig::builder_with_provider(files::provider())
            .with_safe_default_protocol_versions()
            .map_err(refused)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(refused)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config.ignore_client_order = true;
        Ok(Arc::new(config))
    }

    /// The local CA certificate for `/ca.pem`; `None` when a configured certificate is used.
    pub fn ca_pem(&self) -> Option<String> {
        match &self.source {
            Source::Generated(g) => Some(g.ca.cert_pem.clone()),
            Source::Configured { .. } => None,
        }
    }

    /// SHA-256 fingerprint of the local CA (see [`fingerprint`]), so people can check what
    /// they are about to trust; `None` with a configured certificate.
    pub fn ca_fingerprint(&self) -> Option<String> {
        match &self.source {
            Source::Generated(g) => Some(fingerprint(&g.ca.cert_der)),
            Source::Configured { .. } => None,
        }
    }

    /// DER of the leaf served right now.
    pub fn leaf_der(&self) -> Vec<u8> {
        self.served.leaf_der.clone()
    }

    /// A config stream for [`crate::listener::TlsConfigs::follow`]: the current config at
    /// once, then a new one whenever a configured pair changed on disk (an invalid new pair is
    /// logged and the old one kept) or the generated leaf was renewed. Both are checked every
    /// `poll`; the checks run on the blocking pool.
    pub fn watch(
        self,
        poll: Duration,
    ) -> Result<impl Stream<Item = Arc<ServerConfig>> + Send + 'static, TlsError> {
        let first = self.server_config()?;
        let updates = futures_util::stream::unfold(self, move |mut state| async move {
            loop {
                tokio::time::sleep(poll).await;
                let checked = tokio::task::spawn_blocking(move || {
                    let changed = state.refresh();
                    (state, changed)
                })
                .await;
                match checked {
                    Ok((next, true)) => match next.server_config() {
                        Ok(config) => return Some((config, next)),
                        // The pair was checked when loaded; keep serving the previous one.
                        Err(e) => {
                            tracing::error!(error = %e, "cannot serve the renewed TLS certificate");
                            state = next;
                        }
                    },
                    Ok((next, false)) => state = next,
                    Err(err) => {
                        // Only a panic gets here; poem keeps serving the last config it got.
                        tracing::error!(error = %err, "TLS certificate watcher stopped");
                        return None;
                    }
                }
            }
        });
        Ok(futures_util::stream::once(std::future::ready(first)).chain(updates))
    }

    /// One watch tick: true when `served` changed.
    fn refresh(&mut self) -> bool {
        let now = self.clock.now().as_second();
        match &mut self.source {
            Source::Configured {
                cert_file,
                key_file,
                seen,
            } => {
                // Stat before reading: a change during the read shows up on the next tick.
                let stamps = (FileStamp::of(cert_file), FileStamp::of(key_file));
                if stamps == *seen {
                    return false;
                }
                *seen = stamps;
                match load_configured(cert_file, key_file, now) {
                    Ok(served) if served == self.served => false,
                    Ok(served) => {
                        tracing::info!(
                            cert_file = %cert_file.display(),
                            sha256 = %fingerprint(&served.leaf_der),
                            "reloaded TLS certificate"
                        );
                        self.served = served;
                        true
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "TLS certificate files changed but cannot be used; still serving the previous certificate");
                        false
                    }
                }
            }
            Source::Generated(g) => {
                if g.ca.not_after - now < RENEW_BEFORE_SECS {
                    if !g.warned_ca_expiry {
                        g.warned_ca_expiry = true;
                        tracing::warn!(
                            ca = %g.paths.ca_cert.display(),
                            expires = %format_time(g.ca.not_after),
                            "local CA expires soon; restart Supportbox to create a new one"
                        );
                    }
                    return false;
                }
                if g.leaf_not_after - now >= RENEW_BEFORE_SECS {
                    return false;
                }
                match issue::issue_leaf(&g.paths, &g.ca, &g.names, g.hostname.as_deref(), now) {
                    Ok(leaf) => {
                        tracing::info!(
                            sha256 = %fingerprint(&leaf.der),
                            expires = %format_time(leaf.not_after),
                            "renewed TLS certificate"
                        );
                        g.leaf_not_after = leaf.not_after;
                        self.served = served_generated(&leaf, &g.ca);
                        true
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "cannot renew TLS certificate; will retry");
                        false
                    }
                }
            }
        }
    }
}

/// The certificate `supportbox healthcheck` pins: the configured certificate file's first
/// certificate, or the generated `tls_dir/cert.pem`.
pub fn leaf_der_for_healthcheck(
    settings: &TlsSettings,
    tls_dir: &Path,
) -> Result<Vec<u8>, TlsError> {
    let (kind, path) = match (&settings.cert_file, &settings.key_file) {
        (Some(cert_file), Some(_)) => (FileKind::CertFile, cert_file.clone()),
        (None, None) => (FileKind::Leaf, TlsPaths::new(tls_dir).leaf_cert),
        _ => return Err(TlsError::IncompleteSettings),
    };
    let pem = files::read(kind, &path)?;
    let mut certs = files::parse_certs(kind, &path, &pem)?;
    Ok(certs.swap_remove(0).to_vec())
}

/// SHA-256 of a DER certificate as colon-separated upper-case hex, the form browsers show.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn prepare_configured(
    cert_file: &Path,
    key_file: &Path,
    clock: SharedClock,
) -> Result<TlsState, TlsError> {
    let seen = (FileStamp::of(cert_file), FileStamp::of(key_file));
    let served = load_configured(cert_file, key_file, clock.now().as_second())?;
    tracing::info!(
        cert_file = %cert_file.display(),
        sha256 = %fingerprint(&served.leaf_der),
        "using configured TLS certificate"
    );
    Ok(TlsState {
        clock,
        served,
        source: Source::Configured {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            seen,
        },
    })
}

fn load_configured(cert_file: &Path, key_file: &Path, now: i64) -> Result<Served, TlsError> {
    let chain_pem = files::read(FileKind::CertFile, cert_file)?;
    let key_pem = files::read(FileKind::KeyFile, key_file)?;
    let certs = files::parse_certs(FileKind::CertFile, cert_file, &chain_pem)?;
    let key = files::parse_key(FileKind::KeyFile, key_file, &key_pem)?;
    let leaf_der = certs[0].to_vec();
    files::check_pair(certs, key).map_err(|problem| TlsError::Mismatch {
        cert: cert_file.to_owned(),
        key: key_file.to_owned(),
        problem,
    })?;
    // An expiring configured certificate is the operator's to renew; serving it and saying so
    // beats refusing to start.
    match issue::inspect(&leaf_der) {
        Ok(info) if info.not_after <= now => tracing::warn!(
            cert_file = %cert_file.display(),
            expired = %format_time(info.not_after),
            "configured TLS certificate has expired"
        ),
        Ok(info) if info.not_after - now < RENEW_BEFORE_SECS => tracing::warn!(
            cert_file = %cert_file.display(),
            expires = %format_time(info.not_after),
            "configured TLS certificate expires soon"
        ),
        Ok(_) => {}
        Err(problem) => {
            return Err(TlsError::Invalid {
                kind: FileKind::CertFile,
                path: cert_file.to_owned(),
                problem,
            });
        }
    }
    Ok(Served {
        chain_pem,
        key_pem,
        leaf_der,
    })
}

fn prepare_generated(
    configured_names: &[String],
    tls_dir: &Path,
    clock: SharedClock,
) -> Result<TlsState, TlsError> {
    files::create_private_dir(tls_dir)?;
    let paths = TlsPaths::new(tls_dir);
    let hostname = issue::host_name();
    let names = issue::required_names(hostname.as_deref(), configured_names)?;
    let now = clock.now().as_second();

    let ca = match issue::load_ca(&paths)? {
        Some(ca) if ca.not_after - now >= RENEW_BEFORE_SECS => ca,
        Some(ca) => {
            tracing::warn!(
                ca = %paths.ca_cert.display(),
                expires = %format_time(ca.not_after),
                "local CA expires soon; replacing it, browsers must trust the new /ca.pem"
            );
            issue::create_ca(&paths, hostname.as_deref(), now)?
        }
        None => {
            tracing::info!(dir = %tls_dir.display(), "creating local CA for HTTPS");
            issue::create_ca(&paths, hostname.as_deref(), now)?
        }
    };

    let leaf = match issue::load_leaf(&paths) {
        Ok(leaf) => match leaf.reason_to_renew(&ca, &names, now, RENEW_BEFORE_SECS) {
            None => leaf,
            Some(reason) => {
                tracing::info!(reason = %reason, "issuing a new TLS certificate");
                issue::issue_leaf(&paths, &ca, &names, hostname.as_deref(), now)?
            }
        },
        Err(problem) => {
            if paths.leaf_cert.exists() || paths.leaf_key.exists() {
                tracing::warn!(problem = %problem, "stored TLS certificate unusable; issuing a new one");
            }
            issue::issue_leaf(&paths, &ca, &names, hostname.as_deref(), now)?
        }
    };

    tracing::info!(
        sha256 = %fingerprint(&ca.cert_der),
        expires = %format_time(ca.not_after),
        "local CA certificate (download /ca.pem to trust it)"
    );
    tracing::info!(
        sha256 = %fingerprint(&leaf.der),
        expires = %format_time(leaf.not_after),
        "TLS certificate"
    );

    Ok(TlsState {
        clock,
        served: served_generated(&leaf, &ca),
        source: Source::Generated(Generated {
            paths,
            leaf_not_after: leaf.not_after,
            ca,
            names,
            hostname,
            warned_ca_expiry: false,
        }),
    })
}

/// Browsers that trust the CA do not need it in the chain, but sending it lets other
/// clients see where the leaf comes from.
fn served_generated(leaf: &Leaf, ca: &Ca) -> Served {
    let mut chain_pem = leaf.cert_pem.clone().into_bytes();
    if !chain_pem.ends_with(b"\n") {
        chain_pem.push(b'\n');
    }
    chain_pem.extend_from_slice(ca.cert_pem.as_bytes());
    Served {
        chain_pem,
        key_pem: leaf.key_pem.clone().into_bytes(),
        leaf_der: leaf.der.clone(),
    }
}

fn format_time(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| unix_seconds.to_string())
}
