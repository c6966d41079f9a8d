//! `supportbox healthcheck`: an HTTPS probe of our own listener that trusts exactly the
//! certificate we serve, so it works with a self-generated CA the OS does not know.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::TlsError;
use super::files::provider;
use super::fingerprint;

const TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: supportbox-healthcheck\r\nConnection: close\r\n\r\n";
const MAX_STATUS_LINE: usize = 1024;

/// Succeeds only if `addr` completes a TLS handshake with exactly `pinned_leaf_der` as its
/// certificate and answers `GET /healthz` with status 200, all within 5 s. An unspecified
/// address (`0.0.0.0`, `::`) means the loopback address of the same family.
pub async fn healthcheck(addr: SocketAddr, pinned_leaf_der: &[u8]) -> Result<(), TlsError> {
    let target = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    };
    let outcome = tokio::time::timeout(TIMEOUT, probe(target, pinned_leaf_der.to_vec())).await;
    let problem = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(problem)) => problem,
        Err(_) => format!("no answer within {} s", TIMEOUT.as_secs()),
    };
    Err(TlsError::Healthcheck {
        addr: target,
        problem,
    })
}

async fn probe(addr: SocketAddr, pinned: Vec<u8>) -> Result<(), String> {
    let provider = provider();
    let verifier = PinnedLeaf {
        der: pinned,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS client setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // We speak HTTP/1.1 by hand below, so the server must not pick h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::from(addr.ip()), tcp)
        .await
        .map_err(|e| format!("TLS handshake failed: {}", handshake_problem(&e)))?;
    tls.write_all(REQUEST)
        .await
        .map_err(|e| format!("cannot send request: {e}"))?;
    tls.flush()
        .await
        .map_err(|e| format!("cannot send request: {e}"))?;

    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < MAX_STATUS_LINE {
        let n = tls
            .read(&mut chunk)
            .await
            .map_err(|e| format!("cannot read response: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line).trim_end().to_owned();
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(version), Some("200")) if version.starts_with("HTTP/1.") => Ok(()),
        _ if line.is_empty() => Err("connection closed without a response".to_owned()),
        _ => Err(format!("unexpected response `{line}`")),
    }
}

/// rustls prints its `Other` errors with `Debug`; ours read better through `Display`.
fn handshake_problem(err: &std::io::Error) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner)))) => {
            inner.to_string()
        }
        _ => err.to_string(),
    }
}

/// Names both certificates so an operator can tell a stale pin from a wrong server.
#[derive(Debug, thiserror::Error)]
#[error("server certificate SHA-256 {got} is not the expected {expected}")]
struct NotPinned {
    expected: String,
    got: String,
}

/// Trusts one certificate, byte for byte, instead of a CA; the handshake signature is still
/// checked so a peer merely replaying the certificate is refused.
#[derive(Debug)]
struct PinnedLeaf {
    der: Vec<u8>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedLeaf {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(NotPinned {
                    expected: fingerprint(&self.der),
                    got: fingerprint(end_entity.as_ref()),
                })),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
