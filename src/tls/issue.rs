//! The local CA and the leaf certificates it issues (rcgen), and what we read back from
//! them (x509-parser).

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use rustls::pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;

use super::TlsError;
use super::files::{self, FileKind, TlsPaths};

const DAY: i64 = 24 * 60 * 60;
const CA_VALIDITY_SECS: i64 = 3652 * DAY;
/// The longest validity Apple and the CA/Browser Forum accept for TLS server certificates.
const LEAF_VALIDITY_SECS: i64 = 397 * DAY;
/// Backdating covers clients whose clocks run a little behind ours.
const BACKDATE_SECS: i64 = 60 * 60;
/// Certificates are public, but the directory is the owner's alone anyway (docs/security.md,
/// "TLS files").
const FILE_MODE: u32 = 0o600;

/// A subject alternative name, normalised so names from config, the OS and certificates
/// compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Name {
    Dns(String),
    Ip(IpAddr),
}

impl Name {
    fn parse(raw: &str) -> Name {
        let raw = raw.trim();
        match raw.parse::<IpAddr>() {
            Ok(ip) => Name::Ip(ip),
            Err(_) => Name::Dns(raw.trim_end_matches('.').to_ascii_lowercase()),
        }
    }

    fn to_san(&self) -> Result<SanType, String> {
        match self {
            Name::Ip(ip) => Ok(SanType::IpAddress(*ip)),
            Name::Dns(dns) if dns.is_empty() => Err("empty name".to_owned()),
            Name::Dns(dns) => dns
                .as_str()
                .try_into()
                .map(SanType::DnsName)
                .map_err(|e: rcgen::Error| e.to_string()),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Dns(dns) => f.write_str(dns),
            Name::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// The machine's host name if it can be a DNS SAN; anything else is left out (with a note)
/// rather than blocking start-up.
pub(super) fn host_name() -> Option<String> {
    let raw = gethostname::gethostname();
    let name = raw
        .to_string_lossy()
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let usable = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if usable {
        Some(name)
    } else {
        tracing::info!(hostname = ?raw, "host name is not a DNS name; leaving it out of the TLS certificate");
        None
    }
}

/// localhost, the loopback addresses, the host name and every configured name, deduplicated.
pub(super) fn required_names(
    hostname: Option<&str>,
    configured: &[String],
) -> Result<Vec<Name>, TlsError> {
    let mut names = vec![
        Name::Dns("localhost".to_owned()),
        Name::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        Name::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    names.extend(hostname.map(Name::parse));
    for raw in configured {
        let name = Name::parse(raw);
        name.to_san().map_err(|problem| TlsError::InvalidName {
            name: raw.clone(),
            problem,
        })?;
        names.push(name);
    }
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Ok(names)
}

pub(super) struct Ca {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    key_pem: String,
    pub not_after: i64,
}

/// The stored CA, or `None` when there is none yet. A CA certificate without its key is an
/// error: silently making a new CA would break every browser that trusts the old one.
pub(super) fn load_ca(paths: &TlsPaths) -> Result<Option<Ca>, TlsError> {
    let cert_bytes = match std::fs::read(&paths.ca_cert) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => {
            return Err(TlsError::Read {
                kind: FileKind::CaCert,
                path: paths.ca_cert.clone(),
                cause,
            });
        }
    };
    let invalid = |problem: String| TlsError::Invalid {
        kind: FileKind::CaCert,
        path: paths.ca_cert.clone(),
        problem,
    };
    let mut certs = files::parse_certs(FileKind::CaCert, &paths.ca_cert, &cert_bytes)?;
    let cert_der = certs.swap_remove(0);
    let cert_pem = String::from_utf8(cert_bytes).map_err(|_| invalid("not a text file".into()))?;
    let not_after = inspect(&cert_der).map_err(invalid)?.not_after;

    let key_unusable = |problem: String| TlsError::CaKeyUnusable {
        key: paths.ca_key.clone(),
        cert: paths.ca_cert.clone(),
        problem,
    };
    let key_bytes = std::fs::read(&paths.ca_key).map_err(|e| key_unusable(e.to_string()))?;
    let key = files::parse_key(FileKind::CaKey, &paths.ca_key, &key_bytes).map_err(|e| {
        key_unusable(match e {
            TlsError::Invalid { problem, .. } => problem,
            other => other.to_string(),
        })
    })?;
    files::check_pair(vec![cert_der.clone()], key).map_err(key_unusable)?;
    let key_pem =
        String::from_utf8(key_bytes).map_err(|_| key_unusable("not a text file".into()))?;
    Ok(Some(Ca {
        cert_pem,
        cert_der: cert_der.to_vec(),
        key_pem,
        not_after,
    }))
}

pub(super) fn create_ca(
    paths: &TlsPaths,
    hostname: Option<&str>,
    now: i64,
) -> Result<Ca, TlsError> {
    let generate = |problem: String| TlsError::Generate {
        what: "local CA",
        problem,
    };
    let key =
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| generate(e.to_string()))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        match hostname {
            Some(host) => format!("Supportbox local CA ({host})"),
            None => "Supportbox local CA".to_owned(),
        },
    );
    dn.push(DnType::OrganizationName, "Supportbox");
    params.distinguished_name = dn;
    // Path length 0: the CA can sign our leaves but never another CA.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let not_before = now - BACKDATE_SECS;
    let not_after = not_before + CA_VALIDITY_SECS;
    params.not_before = to_offset(not_before).map_err(generate)?;
    params.not_after = to_offset(not_after).map_err(generate)?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| generate(e.to_string()))?;

    let ca = Ca {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        not_after,
    };
    // Key first: a crash in between leaves a key without certificate, which the next start
    // simply replaces, instead of a certificate without key, which it must refuse.
    files::write_atomic(&paths.ca_key, ca.key_pem.as_bytes(), FILE_MODE)?;
    files::write_atomic(&paths.ca_cert, ca.cert_pem.as_bytes(), FILE_MODE)?;
    Ok(ca)
}

pub(super) struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
    pub not_before: i64,
    pub not_after: i64,
    names: BTreeSet<Name>,
}

impl Leaf {
    /// Why this leaf must be replaced, or `None` to keep serving it.
    pub fn reason_to_renew(
        &self,
        ca: &Ca,
        required: &[Name],
        now: i64,
        renew_before: i64,
    ) -> Option<String> {
        if let Err(problem) = issued_by(&self.der, &ca.cert_der) {
            return Some(format!("not issued by the local CA: {problem}"));
        }
        if self.not_after - now < renew_before {
            return Some(format!("expires at {}", super::format_time(self.not_after)));
        }
        if self.not_before > now {
            return Some(format!(
                "not valid before {}",
                super::format_time(self.not_before)
            ));
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|n| !self.names.contains(n))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            return Some(format!("does not cover {}", missing.join(", ")));
        }
        None
    }
}

/// The stored leaf; the error says why it cannot be used (then a new one is issued).
pub(super) fn load_leaf(paths: &TlsPaths) -> Result<Leaf, String> {
    let cert_bytes = files::read(FileKind::Leaf, &paths.leaf_cert).map_err(|e| e.to_string())?;
    let key_bytes = files::read(FileKind::LeafKey, &paths.leaf_key).map_err(|e| e.to_string())?;
    let certs = files::parse_certs(FileKind::Leaf, &paths.leaf_cert, &cert_bytes)
        .map_err(|e| e.to_string())?;
    let key = files::parse_key(FileKind::LeafKey, &paths.leaf_key, &key_bytes)
        .map_err(|e| e.to_string())?;
    let der = certs[0].to_vec();
    files::check_pair(certs, key).map_err(|p| format!("key does not match certificate: {p}"))?;
    let info = inspect(&der)?;
    Ok(Leaf {
        cert_pem: String::from_utf8(cert_bytes).map_err(|_| "certificate is not text")?,
        key_pem: String::from_utf8(key_bytes).map_err(|_| "key is not text")?,
        der,
        not_before: info.not_before,
        not_after: info.not_after,
        names: info.names,
    })
}

/// Issues a fresh leaf (new key) signed by `ca` and stores it.
pub(super) fn issue_leaf(
    paths: &TlsPaths,
    ca: &Ca,
    names: &[Name],
    hostname: Option<&str>,
    now: i64,
) -> Result<Leaf, TlsError> {
    let generate = |problem: String| TlsError::Generate {
        what: "TLS certificate",
        problem,
    };
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(|e| generate(format!("CA key: {e}")))?;
    let issuer = Issuer::from_ca_cert_der(&CertificateDer::from(ca.cert_der.as_slice()), ca_key)
        .map_err(|e| generate(format!("CA certificate: {e}")))?;
    let key =
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| generate(e.to_string()))?;

    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|n| {
            n.to_san().map_err(|problem| TlsError::InvalidName {
                name: n.to_string(),
                problem,
            })
        })
        .collect::<Result<_, _>>()?;
    let mut dn = DistinguishedName::new();
    // Browsers ignore the CN, but people read it in certificate viewers.
    dn.push(DnType::CommonName, hostname.unwrap_or("localhost"));
    dn.push(DnType::OrganizationName, "Supportbox");
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let not_before = now - BACKDATE_SECS;
    // A leaf outliving its CA would be rejected anyway.
    let not_after = (not_before + LEAF_VALIDITY_SECS).min(ca.not_after);
    params.not_before = to_offset(not_before).map_err(generate)?;
    params.not_after = to_offset(not_after).map_err(generate)?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| generate(e.to_string()))?;

    let leaf = Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().to_vec(),
        not_before,
        not_after,
        names: names.iter().cloned().collect(),
    };
    // Key first: after a crash in between, the old certificate no longer matches the key,
    // which the next start detects and repairs.
    files::write_atomic(&paths.leaf_key, leaf.key_pem.as_bytes(), FILE_MODE)?;
    files::write_atomic(&paths.leaf_cert, leaf.cert_pem.as_bytes(), FILE_MODE)?;
    Ok(leaf)
}

pub(super) struct CertInfo {
    pub not_before: i64,
    pub not_after: i64,
    pub names: BTreeSet<Name>,
}

pub(super) fn inspect(der: &[u8]) -> Result<CertInfo, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
    let mut names = BTreeSet::new();
    let san = cert
        .subject_alternative_name()
        .map_err(|e| format!("bad subjectAltName: {e}"))?;
    for general in san.iter().flat_map(|ext| ext.value.general_names.iter()) {
        match general {
            GeneralName::DNSName(dns) => {
                names.insert(Name::parse(dns));
            }
            GeneralName::IPAddress(bytes) => {
                if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                    names.insert(Name::Ip(IpAddr::from(v4)));
                } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                    names.insert(Name::Ip(IpAddr::from(v6)));
                }
            }
            _ => {}
        }
    }
    Ok(CertInfo {
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        names,
    })
}

/// Checks the leaf names the CA as issuer and carries a valid signature by the CA's key.
pub(super) fn issued_by(leaf_der: &[u8], ca_der: &[u8]) -> Result<(), String> {
    let (_, leaf) =
        x509_parser::parse_x509_certificate(leaf_der).map_err(|e| format!("leaf: {e}"))?;
    let (_, ca) = x509_parser::parse_x509_certificate(ca_der).map_err(|e| format!("CA: {e}"))?;
    if leaf.issuer().as_raw() != ca.subject().as_raw() {
        return Err(format!("issuer is {}", leaf.issuer()));
    }
    leaf.verify_signature(Some(ca.public_key()))
        .map_err(|e| format!("signature does not verify: {e}"))
}

fn to_offset(unix_seconds: i64) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds).map_err(|e| e.to_string())
}
