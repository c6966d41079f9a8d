//! Checking single values of the configuration: ranges, paths, addresses, host names and
//! the public URL. Each returns the message that the error names its key with.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::ConfigError;

/// `n` when it lies in `range`, otherwise the error naming `key` and the range.
pub(super) fn within<T: PartialOrd + std::fmt::Display>(
    invalid: &dyn Fn(&str, String) -> ConfigError,
    key: &str,
    n: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError> {
    if range.contains(&n) {
        Ok(n)
    } else {
        let detail = format!("{n} is outside {}..={}", range.start(), range.end());
        Err(invalid(key, detail))
    }
}

/// The host of an authority (`host`, `host:port`, `[v6]:port`).
pub(super) fn url_host(authority: &str) -> Option<&str> {
    if authority.starts_with('[') {
        authority.find(']').map(|end| &authority[..=end])
    } else {
        authority.split(':').next()
    }
}

/// `https://host[:port]`, lower-cased, without a trailing slash; nothing after the port, since
/// Supportbox serves from the root.
pub(super) fn parse_public_url(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/').to_ascii_lowercase();
    let Some(authority) = value.strip_prefix("https://") else {
        return Err(format!("`{value}` must start with https://"));
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "`{value}` must be https://host or https://host:port, without a path"
        ));
    }
    let host = url_host(authority).unwrap_or_default();
    let port = &authority[host.len()..];
    if !port.is_empty() {
        let digits = port.strip_prefix(':').unwrap_or_default();
        if digits.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("`{value}` has no valid port"));
        }
    }
    if host.starts_with("*.") {
        return Err(format!("`{value}` names a wildcard, not a host"));
    }
    parse_public_name(host.trim_start_matches('[').trim_end_matches(']'))?;
    Ok(value)
}

pub(super) fn parse_path(value: &str) -> Result<PathBuf, String> {
    if value.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    if value.contains('\0') {
        return Err("must not contain NUL".to_owned());
    }
    Ok(PathBuf::from(value))
}

pub(super) fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    value
        .trim()
        .parse::<SocketAddr>()
        .map_err(|_| format!("`{value}` is not an address like 0.0.0.0:8443 or [::]:8443"))
}

pub(super) fn parse_optional_addr(value: &str) -> Result<Option<SocketAddr>, String> {
    match value.trim() {
        "" | "off" | "none" => Ok(None),
        other => parse_addr(other).map(Some),
    }
}

/// A name for certificates and redirects: an IP address, or a DNS name of letters, digits,
/// hyphens and dots (a leading `*.` allowed for wildcards).
pub(super) fn parse_public_name(value: &str) -> Result<String, String> {
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
