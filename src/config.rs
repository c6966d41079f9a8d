//! Typed configuration, layered: embedded defaults → TOML file → `SUPPORTBOX_*`
//! environment → command-line flags. Every layer is validated by the same code, and every
//! problem is reported as one line that names the offending key, so an operator can fix a
//! typo without reading a stack trace.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
    tls: Option<RawTls>,
    log: Option<RawLog>,
    limits: Option<RawLimits>,
    backup: Option<RawBackup>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    schedule_hours: Option<u64>,
    keep: Option<u64>,
    restore_upload_mib: Option<u64>,
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

/// The environment variables Supportbox understands, and the config key each one sets.
const ENV_KEYS: &[(&str, &str)] = &[
    ("SUPPORTBOX_DATA_DIR", "data_dir"),
    ("SUPPORTBOX_HTTPS_ADDR", "https_addr"),
    ("SUPPORTBOX_HTTP_ADDR", "http_addr"),
    ("SUPPORTBOX_PUBLIC_NAMES", "public_names"),
    ("SUPPORTBOX_TLS_CERT_FILE", "tls.cert_file"),
    ("SUPPORTBOX_TLS_KEY_FILE", "tls.key_file"),
    (
        "SUPPORTBOX_TLS_RELOAD_INTERVAL_SECS",
        "tls.reload_interval_secs",
    ),
    ("SUPPORTBOX_LOG_FORMAT", "log.format"),
    ("SUPPORTBOX_LOG_LEVEL", "log.level"),
    (
        "SUPPORTBOX_LIMITS_LOGIN_ATTEMPTS_PER_ADDRESS",
        "limits.login_attempts_per_address",
    ),
    (
        "SUPPORTBOX_LIMITS_LOGIN_FAILURES_PER_ACCOUNT",
        "limits.login_failures_per_account",
    ),
    (
        "SUPPORTBOX_LIMITS_UPLOAD_FILE_MIB",
        "limits.upload_file_mib",
    ),
    (
        "SUPPORTBOX_LIMITS_UPLOAD_REQUEST_MIB",
        "limits.upload_request_mib",
    ),
    ("SUPPORTBOX_BACKUP_SCHEDULE_HOURS", "backup.schedule_hours"),
    ("SUPPORTBOX_BACKUP_KEEP", "backup.keep"),
    (
        "SUPPORTBOX_BACKUP_RESTORE_UPLOAD_MIB",
        "backup.restore_upload_mib",
    ),
];

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
        if let Some(tls) = raw.tls {
            if let Some(p) = tls.cert_file {
                self.tls_cert_file = Some(parse_path(&p).map_err(|d| invalid("tls.cert_file", d))?);
            }
            if let Some(p) = tls.key_file {
                self.tls_key_file = Some(parse_path(&p).map_err(|d| invalid("tls.key_file", d))?);
            }
            if let Some(secs) = tls.reload_interval_secs {
                if !(1..=86_400).contains(&secs) {
                    return Err(invalid(
                        "tls.reload_interval_secs",
                        format!("{secs} is outside 1..=86400"),
                    ));
                }
                self.tls_reload_interval = Duration::from_secs(secs);
            }
        }
        if let Some(limits) = raw.limits {
            if let Some(n) = limits.login_attempts_per_address {
                if !(1..=100_000).contains(&n) {
                    return Err(invalid(
                        "limits.login_attempts_per_address",
                        format!("{n} is outside 1..=100000"),
                    ));
                }
                self.login_attempts_per_address = n;
            }
            if let Some(n) = limits.login_failures_per_account {
                if !(1..=100_000).contains(&n) {
                    return Err(invalid(
                        "limits.login_failures_per_account",
                        format!("{n} is outside 1..=100000"),
                    ));
                }
                self.login_failures_per_account = n;
            }
            if let Some(mib) = limits.upload_file_mib {
                if !(1..=4096).contains(&mib) {
                    return Err(invalid(
                        "limits.upload_file_mib",
                        format!("{mib} is outside 1..=4096"),
                    ));
                }
                self.upload_file_bytes = mib * 1024 * 1024;
            }
            if let Some(mib) = limits.upload_request_mib {
                if !(1..=16384).contains(&mib) {
                    return Err(invalid(
                        "limits.upload_request_mib",
                        format!("{mib} is outside 1..=16384"),
                    ));
                }
                self.upload_request_bytes = mib * 1024 * 1024;
            }
        }
        if let Some(backup) = raw.backup {
            self.apply_backup(backup, &invalid)?;
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
            if !(1..=1000).contains(&keep) {
                return Err(invalid(
                    "backup.keep",
                    format!("{keep} is outside 1..=1000"),
                ));
            }
            self.backup_keep = keep as usize;
        }
        if let Some(mib) = raw.restore_upload_mib {
            if !(1..=1_048_576).contains(&mib) {
                return Err(invalid(
                    "backup.restore_upload_mib",
                    format!("{mib} is outside 1..=1048576"),
                ));
            }
            self.restore_upload_bytes = mib * 1024 * 1024;
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

    /// The host name the HTTP listener redirects to when the request names none.
    pub fn canonical_host(&self) -> &str {
        self.public_names
            .first()
            .map(String::as_str)
            .unwrap_or("localhost")
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

fn raw_from_env(env: &BTreeMap<String, String>) -> Result<RawConfig, ConfigError> {
    let mut raw = RawConfig::default();
    for (name, value) in env {
        if !name.starts_with("SUPPORTBOX_") || ENV_IGNORED.contains(&name.as_str()) {
            continue;
        }
        let Some((_, key)) = ENV_KEYS.iter().find(|(var, _)| var == name) else {
            return Err(ConfigError::UnknownKey {
                source_name: "environment".to_owned(),
                key: name.clone(),
            });
        };
        let value = value.clone();
        match *key {
            "data_dir" => raw.data_dir = Some(value),
            "https_addr" => raw.https_addr = Some(value),
            "http_addr" => raw.http_addr = Some(value),
            "public_names" => {
                raw.public_names = Some(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
            }
            "tls.cert_file" => raw.tls.get_or_insert_with(Default::default).cert_file = Some(value),
            "tls.key_file" => raw.tls.get_or_insert_with(Default::default).key_file = Some(value),
            "tls.reload_interval_secs" => {
                let secs = value.parse::<u64>().map_err(|_| ConfigError::Invalid {
                    source_name: "environment".to_owned(),
                    key: name.clone(),
                    detail: format!("`{value}` is not a whole number of seconds"),
                })?;
                raw.tls
                    .get_or_insert_with(Default::default)
                    .reload_interval_secs = Some(secs);
            }
            "backup.schedule_hours" | "backup.keep" | "backup.restore_upload_mib" => {
                let n = value.parse::<u64>().map_err(|_| ConfigError::Invalid {
                    source_name: "environment".to_owned(),
                    key: name.clone(),
                    detail: format!("`{value}` is not a whole number"),
                })?;
                let backup = raw.backup.get_or_insert_with(Default::default);
                match *key {
                    "backup.schedule_hours" => backup.schedule_hours = Some(n),
                    "backup.keep" => backup.keep = Some(n),
                    _ => backup.restore_upload_mib = Some(n),
                }
            }
            "log.format" => raw.log.get_or_insert_with(Default::default).format = Some(value),
            "log.level" => raw.log.get_or_insert_with(Default::default).level = Some(value),
            "limits.upload_file_mib" | "limits.upload_request_mib" => {
                let n = value.parse::<u64>().map_err(|_| ConfigError::Invalid {
                    source_name: "environment".to_owned(),
                    key: name.clone(),
                    detail: format!("`{value}` is not a whole number of MiB"),
                })?;
                let limits = raw.limits.get_or_insert_with(Default::default);
                if *key == "limits.upload_file_mib" {
                    limits.upload_file_mib = Some(n);
                } else {
                    limits.upload_request_mib = Some(n);
                }
            }
            "limits.login_attempts_per_address" | "limits.login_failures_per_account" => {
                let n = value.parse::<u32>().map_err(|_| ConfigError::Invalid {
                    source_name: "environment".to_owned(),
                    key: name.clone(),
                    detail: format!("`{value}` is not a whole number"),
                })?;
                let limits = raw.limits.get_or_insert_with(Default::default);
                if *key == "limits.login_attempts_per_address" {
                    limits.login_attempts_per_address = Some(n);
                } else {
                    limits.login_failures_per_account = Some(n);
                }
            }
            _ => {}
        }
    }
    Ok(raw)
}

fn parse_path(value: &str) -> Result<PathBuf, String> {
    if value.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    if value.contains('\0') {
        return Err("must not contain NUL".to_owned());
    }
    Ok(PathBuf::from(value))
}

fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    value
        .trim()
        .parse::<SocketAddr>()
        .map_err(|_| format!("`{value}` is not an address like 0.0.0.0:8443 or [::]:8443"))
}

fn parse_optional_addr(value: &str) -> Result<Option<SocketAddr>, String> {
    match value.trim() {
        "" | "off" | "none" => Ok(None),
        other => parse_addr(other).map(Some),
    }
}

/// A name for certificates and redirects: an IP address, or a DNS name of letters, digits,
/// hyphens and dots (a leading `*.` allowed for wildcards).
fn parse_public_name(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.parse::<std::net::IpAddr>().is_ok() {
        return Ok(name.to_owned());
    }
    let host = name.strip_prefix("*.").unwrap_or(name);
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(format!("`{value}` is neither an IP address nor a DNS name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn write_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn defaults_without_any_layer() {
        let config = Config::load(None, &env(&[]), &FlagOverrides::default()).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.https_addr.port(), 8443);
        assert_eq!(config.http_addr.map(|a| a.port()), Some(8080));
    }

    #[test]
    fn layers_override_in_order() {
        let file = write_file(
            "data_dir = \"/from/file\"\nhttps_addr = \"127.0.0.1:1000\"\nhttp_addr = \"127.0.0.1:1001\"\n",
        );
        let vars = env(&[
            ("SUPPORTBOX_HTTPS_ADDR", "127.0.0.1:2000"),
            ("SUPPORTBOX_HTTP_ADDR", "127.0.0.1:2001"),
        ]);
        let flags = FlagOverrides {
            http_addr: Some("127.0.0.1:3001".into()),
            ..Default::default()
        };
        let config = Config::load(Some(file.path()), &vars, &flags).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/from/file"));
        assert_eq!(config.https_addr.port(), 2000);
        assert_eq!(config.http_addr.map(|a| a.port()), Some(3001));
    }

    #[test]
    fn unknown_file_key_is_named() {
        let file = write_file("data_dri = \"x\"\n");
        let err =
            Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
        assert!(matches!(&err, ConfigError::UnknownKey { key, .. } if key == "data_dri"));
        assert!(err.to_string().contains("unknown key `data_dri`"));
    }

    #[test]
    fn unknown_nested_key_is_named() {
        let file = write_file("[tls]\ncert = \"x\"\n");
        let err =
            Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("`cert`"), "{err}");
    }

    #[test]
    fn unknown_env_key_is_named() {
        let err = Config::load(
            None,
            &env(&[("SUPPORTBOX_HTTPS_ADR", "x")]),
            &FlagOverrides::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment: unknown key `SUPPORTBOX_HTTPS_ADR`"
        );
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            ("https_addr = \"nonsense\"", "https_addr"),
            ("[log]\nformat = \"xml\"", "log.format"),
            (
                "[tls]\nreload_interval_secs = 0",
                "tls.reload_interval_secs",
            ),
            ("public_names = [\"bad name\"]", "public_names"),
            ("data_dir = \"\"", "data_dir"),
        ];
        for (text, key) in cases {
            let file = write_file(text);
            let err =
                Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{key}`")),
                "{text}: {err}"
            );
            assert_eq!(err.to_string().lines().count(), 1);
        }
    }

    #[test]
    fn wrong_type_in_file_is_reported() {
        let file = write_file("https_addr = 8443");
        let err =
            Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("https_addr"), "{err}");
    }

    #[test]
    fn cert_without_key_is_refused() {
        let vars = env(&[("SUPPORTBOX_TLS_CERT_FILE", "/etc/cert.pem")]);
        let err = Config::load(None, &vars, &FlagOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("`tls.key_file`"));
    }

    #[test]
    fn http_listener_can_be_turned_off() {
        let vars = env(&[("SUPPORTBOX_HTTP_ADDR", "off")]);
        let config = Config::load(None, &vars, &FlagOverrides::default()).unwrap();
        assert_eq!(config.http_addr, None);
    }

    #[test]
    fn public_names_from_env_are_split_and_lowercased() {
        let vars = env(&[("SUPPORTBOX_PUBLIC_NAMES", "Help.Example.org, 192.0.2.7")]);
        let config = Config::load(None, &vars, &FlagOverrides::default()).unwrap();
        assert_eq!(config.public_names, vec!["help.example.org", "192.0.2.7"]);
        assert_eq!(config.canonical_host(), "help.example.org");
    }

    #[test]
    fn example_config_in_packaging_is_valid_and_complete() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/supportbox.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        // Every key is documented, commented out; uncommenting them all must still parse.
        let uncommented: String = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| r.contains(" = ") || r.starts_with('['))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let raw = parse_toml(&uncommented, &path).unwrap();
        let mut config = Config::default();
        config.apply(raw, "example").unwrap();
        for (_, key) in ENV_KEYS {
            let leaf = key.rsplit('.').next().unwrap_or(key);
            assert!(
                text.contains(&format!("{leaf} =")),
                "packaging/supportbox.toml lacks {key}"
            );
        }
    }
}
