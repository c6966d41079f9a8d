//! The `[connections]` section: how long a client may take over each part of a connection,
//! and how many connections one address may hold. These are what keep a few hundred slow
//! or idle connections from one address from starving everybody else (docs/security.md,
//! "Slow clients").

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::values::within;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From the TCP accept to a finished TLS handshake.
    pub tls_handshake: Duration,
    /// How long a connection may go without a request in progress: the time to send a
    /// request's headers completely, and also how long an idle keep-alive connection stays.
    pub request_header: Duration,
    /// The window over which a request body's rate is judged: in each such stretch spent
    /// waiting for the client, at least `body_min_bytes_per_sec` × the window must arrive.
    pub body_window: Duration,
    /// With 0, a body only has to make some progress in each window.
    pub body_min_bytes_per_sec: u32,
    /// Concurrent connections from one client address (IPv6: one /64); more are closed at
    /// once.
    pub per_address: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            tls_handshake: Duration::from_secs(10),
            request_header: Duration::from_secs(30),
            body_window: Duration::from_secs(30),
            body_min_bytes_per_sec: 1024,
            per_address: 128,
        }
    }
}

impl ConnectionLimits {
    /// The fewest body bytes that must arrive within one [`Self::body_window`] of waiting.
    pub fn body_min_bytes_per_window(&self) -> u64 {
        (u64::from(self.body_min_bytes_per_sec) * self.body_window.as_secs()).max(1)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConnections {
    tls_handshake_timeout_secs: Option<u64>,
    request_header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    body_min_bytes_per_sec: Option<u32>,
    per_address: Option<u32>,
}

impl ConnectionLimits {
    pub(super) fn apply(
        &mut self,
        raw: RawConnections,
        invalid: &dyn Fn(&str, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        if let Some(secs) = raw.tls_handshake_timeout_secs {
            within(
                invalid,
                "connections.tls_handshake_timeout_secs",
                secs,
                1..=600,
            )?;
            self.tls_handshake = Duration::from_secs(secs);
        }
        if let Some(secs) = raw.request_header_timeout_secs {
            within(
                invalid,
                "connections.request_header_timeout_secs",
                secs,
                1..=3600,
            )?;
            self.request_header = Duration::from_secs(secs);
        }
        if let Some(secs) = raw.body_timeout_secs {
            within(invalid, "connections.body_timeout_secs", secs, 1..=3600)?;
            self.body_window = Duration::from_secs(secs);
        }
        if let Some(rate) = raw.body_min_bytes_per_sec {
            within(
                invalid,
                "connections.body_min_bytes_per_sec",
                rate,
                0..=100_000_000,
            )?;
            self.body_min_bytes_per_sec = rate;
        }
        if let Some(n) = raw.per_address {
            within(invalid, "connections.per_address", n, 1..=1_000_000)?;
            self.per_address = n;
        }
        Ok(())
    }
}
