//! Reading, parsing and durably writing certificate and key files.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rustls::InconsistentKeys;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::TlsError;

/// Which file a problem is about, as the operator would call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    CertFile,
    KeyFile,
    CaCert,
    CaKey,
    Leaf,
    LeafKey,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::CertFile => "certificate file",
            FileKind::KeyFile => "key file",
            FileKind::CaCert => "CA certificate",
            FileKind::CaKey => "CA key",
            FileKind::Leaf => "generated certificate",
            FileKind::LeafKey => "generated key",
        })
    }
}

/// Where the generated material lives.
pub(super) struct TlsPaths {
    pub dir: PathBuf,
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub leaf_cert: PathBuf,
    pub leaf_key: PathBuf,
}

impl TlsPaths {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            leaf_cert: dir.join("cert.pem"),
            leaf_key: dir.join("key.pem"),
        }
    }
}

/// Enough of a file's metadata to notice it was rewritten or replaced (including a symlink
/// being pointed elsewhere, as certbot does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl FileStamp {
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            #[cfg(unix)]
            inode: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
        })
    }
}

/// The provider poem's `rustls` feature selects; named explicitly so we never depend on a
/// process-wide default having been installed.
pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub(super) fn read(kind: FileKind, path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|cause| TlsError::Read {
        kind,
        path: path.to_owned(),
        cause,
    })
}

/// All certificates in a PEM file, leaf first; at least one.
pub(super) fn parse_certs(
    kind: FileKind,
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let invalid = |problem: String| TlsError::Invalid {
        kind,
        path: path.to_owned(),
        problem,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(
            "contains no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file, as poem picks it.
pub(super) fn parse_key(
    kind: FileKind,
    path: &Path,
    pem: &[u8],
) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsError::Invalid {
        kind,
        path: path.to_owned(),
        problem: match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "contains no PEM private key (-----BEGIN PRIVATE KEY-----)".to_owned()
            }
            other => format!("not valid PEM: {other}"),
        },
    })
}

/// Whether rustls can serve `certs` with `key`: the key loads and matches the leaf.
pub(super) fn check_pair(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<(), String> {
    let describe = |e: rustls::Error| match e {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
            "the private key does not belong to the certificate".to_owned()
        }
        rustls::Error::InconsistentKeys(InconsistentKeys::Unknown) => {
            "cannot tell whether the private key belongs to the certificate".to_owned()
        }
        other => other.to_string(),
    };
    let certified = CertifiedKey::from_der(certs, key, &provider()).map_err(describe)?;
    // `from_der` lets keys whose public half it cannot derive pass; ours must really match.
    certified.keys_match().map_err(describe)
}

/// Creates the directory (and missing parents) readable by the owner only.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|cause| TlsError::CreateDir {
        path: dir.to_owned(),
        cause,
    })
}

/// Writes via a temporary file, fsync and rename, so a crash leaves the old file or the new
/// one, never half of either.
pub(super) fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = write_then_rename(&tmp, path, dir, contents, mode);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|cause| TlsError::Write {
        path: path.to_owned(),
        cause,
    })
}

fn write_then_rename(
    tmp: &Path,
    path: &Path,
    dir: &Path,
    contents: &[u8],
    mode: u32,
) -> io::Result<()> {
    // A leftover from a crash would make `create_new` fail forever.
    match fs::remove_file(tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(tmp, path)?;
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
