//! Typed configuration, layered: embedded defaults → TOML file → `SUPPORTBOX_*`
//! environment → command-line flags. Every layer is validated by the same code, and every
//! problem is reported as one line that names the offending key, so an operator can fix a
//! typo without reading a stack trace.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod connections;

pub use connections::ConnectionLimits;

/// Everything Supportbox can be told, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub https_addr: SocketAddr,
    /// `None` turns the redirecting plain-HTTP listener off.
    pub http_addr: Option<SocketAddr>,
    /// Extra DNS names or IP addresses the generated certificate must cover, and the name
    /// the HTTP listener redirects to.
    pub public_names: Vec<String>,
    /// Where people reach Supportbox (`https://host[:port]`): every absolute link and the
    /// HTTP redirect use it, never the request's `Host`. `None`: see [`Config::public_url`].
    pub public_url: Option<String>,
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// How often configured certificate files are checked for changes.
    pub tls_reload_interval: Duration,
    pub log_format: LogFormat,
    pub log_level: String,
    /// Sign-in, setup and invitation attempts allowed per client address in 5 minutes.
    pub login_attempts_per_address: u32,
    /// Failed sign-ins allowed per account and address in 15 minutes.
    pub login_failures_per_account: u32,
    /// Largest attachment accepted.
    pub upload_file_bytes: u64,
    /// Largest upload request (all files and fields together).
    pub upload_request_bytes: u64,
    /// Hours between scheduled snapshots into `data_dir/backups/`; 0 turns them off.
    pub backup_schedule_hours: u64,
    /// Scheduled snapshots kept.
    pub backup_keep: usize,
    /// Largest archive the restore endpoint accepts.
    pub restore_upload_bytes: u64,
    /// The most an archive may unpack to (its entries added up), checked before a restore
    /// or verify extracts anything.
    pub restore_data_bytes: u64,
    pub connections: ConnectionLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            https_addr: SocketAddr::from(([0, 0, 0, 0], 8443)),
            http_addr: Some(SocketAddr::from(([0, 0, 0, 0], 8080))),
            public_names: Vec::new(),
            public_url: None,
            tls_cert_file: None,
            tls_key_file: None,
            tls_reload_interval: Duration::from_secs(10),
            log_format: LogFormat::Text,
            log_level: "info".to_owned(),
            login_attempts_per_address: 30,
            login_failures_per_account: 5,
            upload_file_bytes: 25 * 1024 * 1024,
            upload_request_bytes: 100 * 1024 * 1024,
            backup_schedule_hours: 24,
            backup_keep: 7,
            restore_upload_bytes: 16 * 1024 * 1024 * 1024,
            restore_data_bytes: crate::backup::read::DataLimit::DEFAULT.max_bytes,
            connections: ConnectionLimits::default(),
        }
    }
}

/// A configuration problem, always naming the key and the source it came from.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("config file {path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("{source_name}: unknown key `{key}`")]
    UnknownKey { source_name: String, key: String },
    #[error("{source_name}: invalid value for `{key}`: {detail}")]
    Invalid {
        source_name: String,
        key: String,
        detail: String,
    },
}

/// One layer as written by a person: every field optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<String>,
    https_addr: Option<String>,
    http_addr: Option<String>,
    public_names: Option<Vec<String>>,
    public_url: Option<String>,
    tls: Option<RawTls>,
    log: Option<RawLog>,
    limits: Option<RawLimits>,
    backup: Option<RawBackup>,
    connections: Option<connections::RawConnections>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    schedule_hours: Option<u64>,
    keep: Option<u64>,
    restore_upload_mib: Option<u64>,
    restore_data_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    login_attempts_per_address: Option<u32>,
    login_failures_per_account: Option<u32>,
    upload_file_mib: Option<u64>,
    upload_request_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert_file: Option<String>,
    key_file: Option<String>,
    reload_interval_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
    level: Option<String>,
}

/// Values given on the command line; they win over every other layer.
#[derive(Debug, Default, Clone)]
pub struct FlagOverrides {
    pub data_dir: Option<PathBuf>,
    pub https_addr: Option<String>,
    pub http_addr: Option<String>,
}

/// How an environment variable's text becomes a value of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnvValue {
    Text,
    /// A whole number; the text says of what in the error message.
    Whole(&'static str),
    /// Comma-separated, blanks dropped.
    List,
}

/// Every key Supportbox understands, as written in the config file. The fields of the
/// `Raw*` structs read them from the file; the environment variable of each is derived from
/// its name ([`env_var`]), and packaging/supportbox.toml documents each (a test checks both).
const KEYS: &[(&str, EnvValue)] = &[
    ("data_dir", EnvValue::Text),
    ("https_addr", EnvValue::Text),
    ("http_addr", EnvValue::Text),
    ("public_names", EnvValue::List),
    ("public_url", EnvValue::Text),
    ("tls.cert_file", EnvValue::Text),
    ("tls.key_file", EnvValue::Text),
    (
        "tls.reload_interval_secs",
        EnvValue::Whole("number of seconds"),
    ),
    ("log.format", EnvValue::Text),
    ("log.level", EnvValue::Text),
    (
        "limits.login_attempts_per_address",
        EnvValue::Whole("number"),
    ),
    (
        "limits.login_failures_per_account",
        EnvValue::Whole("number"),
    ),
    ("limits.upload_file_mib", EnvValue::Whole("number of MiB")),
    (
        "limits.upload_request_mib",
        EnvValue::Whole("number of MiB"),
    ),
    ("backup.schedule_hours", EnvValue::Whole("number")),
    ("backup.keep", EnvValue::Whole("number")),
    ("backup.restore_upload_mib", EnvValue::Whole("number")),
    ("backup.restore_data_mib", EnvValue::Whole("number")),
    (
        "connections.tls_handshake_timeout_secs",
        EnvValue::Whole("number of seconds"),
    ),
    (
        "connections.request_header_timeout_secs",
        EnvValue::Whole("number of seconds"),
    ),
    (
        "connections.body_timeout_secs",
        EnvValue::Whole("number of seconds"),
    ),
    (
        "connections.body_min_bytes_per_sec",
        EnvValue::Whole("number of bytes"),
    ),
    ("connections.per_address", EnvValue::Whole("number")),
];

/// `tls.cert_file` is set by `SUPPORTBOX_TLS_CERT_FILE`.
fn env_var(key: &str) -> String {
    format!("SUPPORTBOX_{}", key.replace('.', "_").to_uppercase())
}

/// Variables that start with the prefix but configure something other than the server.
const ENV_IGNORED: &[&str] = &["SUPPORTBOX_CONFIG"];

impl Config {
    /// Builds the configuration from all layers. `env` is passed in (rather than read
    /// here) so tests can supply their own.
    pub fn load(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
        flags: &FlagOverrides,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.to_owned(),
                detail: format!("cannot read: {e}"),
            })?;
            let raw = parse_toml(&text, path)?;
            config.apply(raw, &format!("config file {}", path.display()))?;
        }
        config.apply(raw_from_env(env)?, "environment")?;
        config.apply_flags(flags)?;
        config.check_consistency()?;
        Ok(config)
    }

    fn apply(&mut self, raw: RawConfig, source_name: &str) -> Result<(), ConfigError> {
        let invalid = |key: &str, detail: String| ConfigError::Invalid {
            source_name: source_name.to_owned(),
            key: key.to_owned(),
            detail,
        };
        if let Some(dir) = raw.data_dir {
            self.data_dir = parse_path(&dir).map_err(|d| invalid("data_dir", d))?;
        }
        if let Some(addr) = raw.https_addr {
            self.https_addr = parse_addr(&addr).map_err(|d| invalid("https_addr", d))?;
        }
        if let Some(addr) = raw.http_addr {
            self.http_addr = parse_optional_addr(&addr).map_err(|d| invalid("http_addr", d))?;
        }
        if let Some(names) = raw.public_names {
            let mut checked = Vec::with_capacity(names.len());
            for name in names {
                checked.push(parse_public_name(&name).map_err(|d| invalid("public_names", d))?);
            }
            self.public_names = checked;
        }
        if let Some(url) = raw.public_url {
            self.public_url = Some(parse_public_url(&url).map_err(|d| invalid("public_url", d))?);
        }
        if let Some(tls) = raw.tls {
            if let Some(p) = tls.cert_file {
                self.tls_cert_file = Some(parse_path(&p).map_err(|d| invalid("tls.cert_file", d))?);
            }
            if let Some(p) = tls.key_file {
                self.tls_key_file = Some(parse_path(&p).map_err(|d| invalid("tls.key_file", d))?);
            }
            if let Some(secs) = tls.reload_interval_secs {
                within(&invalid, "tls.reload_interval_secs", secs, 1..=86_400)?;
                self.tls_reload_interval = Duration::from_secs(secs);
            }
        }
        if let Some(limits) = raw.limits {
            if let Some(n) = limits.login_attempts_per_address {
                within(
                    &invalid,
                    "limits.login_attempts_per_address",
                    n,
                    1..=100_000,
                )?;
                self.login_attempts_per_address = n;
            }
            if let Some(n) = limits.login_failures_per_account {
                within(
                    &invalid,
                    "limits.login_failures_per_account",
                    n,
                    1..=100_000,
                )?;
                self.login_failures_per_account = n;
            }
            if let Some(mib) = limits.upload_file_mib {
                within(&invalid, "limits.upload_file_mib", mib, 1..=4096)?;
                self.upload_file_bytes = mib * 1024 * 1024;
            }
            if let Some(mib) = limits.upload_request_mib {
                within(&invalid, "limits.upload_request_mib", mib, 1..=16384)?;
                self.upload_request_bytes = mib * 1024 * 1024;
            }
        }
        if let Some(backup) = raw.backup {
            self.apply_backup(backup, &invalid)?;
        }
        if let Some(connections) = raw.connections {
            self.connections.apply(connections, &invalid)?;
        }
        if let Some(log) = raw.log {
            if let Some(format) = log.format {
                self.log_format = match format.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    other => {
                        return Err(invalid(
                            "log.format",
                            format!("`{other}` is neither `text` nor `json`"),
                        ));
                    }
                };
            }
            if let Some(level) = log.level {
                tracing_subscriber::EnvFilter::try_new(&level)
                    .map_err(|e| invalid("log.level", e.to_string()))?;
                self.log_level = level;
            }
        }
        Ok(())
    }

    fn apply_backup(
        &mut self,
        raw: RawBackup,
        invalid: &dyn Fn(&str, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        if let Some(hours) = raw.schedule_hours {
            if hours > 24 * 366 {
                return Err(invalid(
                    "backup.schedule_hours",
                    format!("{hours} is outside 0..=8784 (0 turns snapshots off)"),
                ));
            }
            self.backup_schedule_hours = hours;
        }
        if let Some(keep) = raw.keep {
            within(&invalid, "backup.keep", keep, 1..=1000)?;
            self.backup_keep = keep as usize;
        }
        if let Some(mib) = raw.restore_upload_mib {
            within(&invalid, "backup.restore_upload_mib", mib, 1..=1_048_576)?;
            self.restore_upload_bytes = mib * 1024 * 1024;
        }
        if let Some(mib) = raw.restore_data_mib {
            within(&invalid, "backup.restore_data_mib", mib, 1..=16_777_216)?;
            self.restore_data_bytes = mib * 1024 * 1024;
        }
        Ok(())
    }

    fn apply_flags(&mut self, flags: &FlagOverrides) -> Result<(), ConfigError> {
        let invalid = |key: &str, detail: String| ConfigError::Invalid {
            source_name: "command line".to_owned(),
            key: key.to_owned(),
            detail,
        };
        if let Some(dir) = &flags.data_dir {
            if dir.as_os_str().is_empty() {
                return Err(invalid("--data-dir", "must not be empty".to_owned()));
            }
            self.data_dir = dir.clone();
        }
        if let Some(addr) = &flags.https_addr {
            self.https_addr = parse_addr(addr).map_err(|d| invalid("--https-addr", d))?;
        }
        if let Some(addr) = &flags.http_addr {
            self.http_addr = parse_optional_addr(addr).map_err(|d| invalid("--http-addr", d))?;
        }
        Ok(())
    }

    fn check_consistency(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, detail: &str| ConfigError::Invalid {
            source_name: "configuration".to_owned(),
            key: key.to_owned(),
            detail: detail.to_owned(),
        };
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(_), None) => {
                return Err(invalid(
                    "tls.key_file",
                    "must be set when tls.cert_file is set",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "tls.cert_file",
                    "must be set when tls.key_file is set",
                ));
            }
            _ => {}
        }
        if self.http_addr == Some(self.https_addr) {
            return Err(invalid(
                "http_addr",
                "must differ from https_addr (the plain listener only redirects)",
            ));
        }
        Ok(())
    }

    /// The base of every absolute link (without a trailing slash): `public_url` when set,
    /// else the first public name (or the machine's `host_name`, or localhost) on the HTTPS
    /// port.
    pub fn public_url(&self, host_name: Option<&str>) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = self
            .public_names
            .first()
            .map(String::as_str)
            .or(host_name)
            .unwrap_or("localhost");
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        match self.https_addr.port() {
            443 => format!("https://{host}"),
            port => format!("https://{host}:{port}"),
        }
    }

    /// The host names a request may name and keep on the redirect to HTTPS: the public
    /// names, the public URL's host, the machine's name and the loopback names (the names the
    /// generated certificate covers). Lower case, IPv6 in brackets.
    pub fn known_hosts(&self, host_name: Option<&str>) -> Vec<String> {
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()];
        hosts.extend(host_name.map(str::to_owned));
        for name in &self.public_names {
            hosts.push(if name.contains(':') && !name.starts_with('[') {
                format!("[{name}]")
            } else {
                name.clone()
            });
        }
        let url = self.public_url(host_name);
        if let Some(host) = url
            .strip_prefix("https://")
            .and_then(|authority| url_host(authority))
        {
            hosts.push(host.to_owned());
        }
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

fn parse_toml(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    toml::from_str::<RawConfig>(text).map_err(|e| {
        let message = e.message().to_owned();
        // serde reports unknown fields as "unknown field `x`, expected ..."; lift the key
        // out so the one-line error names it plainly.
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some(end) = rest.find('`')
        {
            return ConfigError::UnknownKey {
                source_name: format!("config file {}", path.display()),
                key: rest[..end].to_owned(),
            };
        }
        let detail = message.trim().replace('\n', " ");
        match e.span().and_then(|span| key_at(text, span.start)) {
            Some(key) => ConfigError::Invalid {
                source_name: format!("config file {}", path.display()),
                key,
                detail,
            },
            None => ConfigError::File {
                path: path.to_owned(),
                detail,
            },
        }
    })
}

/// The dotted key whose value starts at byte `offset` of a TOML text, so a type error can
/// name the key rather than only a line and column.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text.get(line_start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let section = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    Some(match section {
        Some(section) => format!("{section}.{key}"),
        None => key.to_owned(),
    })
}

/// The environment layer: each variable becomes its key's value in a TOML table, which is
/// then read by the same `Raw*` structs as the file, so a key is spelled in one place.
fn raw_from_env(env: &BTreeMap<String, String>) -> Result<RawConfig, ConfigError> {
    let mut root = toml::Table::new();
    for (name, value) in env {
        if !name.starts_with("SUPPORTBOX_") || ENV_IGNORED.contains(&name.as_str()) {
            continue;
        }
        let Some((key, kind)) = KEYS.iter().find(|(key, _)| env_var(key) == *name) else {
            return Err(ConfigError::UnknownKey {
                source_name: "environment".to_owned(),
                key: name.clone(),
            });
        };
        let parsed = match kind {
            EnvValue::Text => toml::Value::String(value.clone()),
            EnvValue::List => toml::Value::Array(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_owned()))
                    .collect(),
            ),
            EnvValue::Whole(what) => match value.parse::<u32>() {
                Ok(n) => toml::Value::Integer(i64::from(n)),
                Err(_) => {
                    return Err(ConfigError::Invalid {
                        source_name: "environment".to_owned(),
                        key: name.clone(),
                        detail: format!("`{value}` is not a whole {what}"),
                    });
                }
            },
        };
        let (section, leaf) = match key.split_once('.') {
            Some((section, leaf)) => (Some(section), leaf),
            None => (None, *key),
        };
        let table = match section {
            None => &mut root,
            Some(section) => match root
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            {
                toml::Value::Table(t) => t,
                // Only this function fills the table, and sections are always tables.
                _ => unreachable!("config section `{section}` is not a table"),
            },
        };
        table.insert(leaf.to_owned(), parsed);
    }
    toml::Value::Table(root)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Invalid {
            source_name: "environment".to_owned(),
            key: "SUPPORTBOX_*".to_owned(),
            detail: e.message().trim().replace('\n', " "),
        })
}

mod values;

use values::{
    parse_addr, parse_optional_addr, parse_path, parse_public_name, parse_public_url, url_host,
    within,
};

#[cfg(test)]
mod tests;
