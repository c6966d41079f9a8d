use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::listener::{Listener, PerAddress, TlsConfigs};
use futures_util::{Stream, StreamExt};
use jiff::Timestamp;
use x509_parser::extensions::GeneralName;

use super::*;
use crate::clock::ManualClock;

const WAIT: Duration = Duration::from_secs(20);

fn start() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn clock() -> (ManualClock, SharedClock) {
    let clock = ManualClock::new(start());
    (clock.clone(), Arc::new(clock))
}

fn generated(names: &[&str]) -> TlsSettings {
    TlsSettings {
        names: names.iter().map(|s| (*s).to_owned()).collect(),
        ..TlsSettings::default()
    }
}

fn configured(dir: &Path) -> TlsSettings {
    TlsSettings {
        cert_file: Some(dir.join("server.crt")),
        key_file: Some(dir.join("server.key")),
        names: Vec::new(),
    }
}

/// Writes a fresh self-signed pair into `dir` the way a renewal tool would (new file, then
/// rename), returning the certificate DER.
fn write_pair(dir: &Path, name: &str) -> Vec<u8> {
    let pair = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
    for (file, contents) in [
        ("server.key", pair.signing_key.serialize_pem()),
        ("server.crt", pair.cert.pem()),
    ] {
        let tmp = dir.join(format!("{file}.new"));
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, dir.join(file)).unwrap();
    }
    pair.cert.der().to_vec()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn first_der(path: &Path) -> Vec<u8> {
    files::parse_certs(FileKind::Leaf, path, &read(path)).unwrap()[0].to_vec()
}

fn not_after(der: &[u8]) -> Timestamp {
    Timestamp::from_second(issue::inspect(der).unwrap().not_after).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_run_generates_ca_and_leaf_with_required_properties() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tls");
    let (_, clock) = clock();
    let names = [
        "helpdesk.example.org",
        "10.1.2.3",
        "fd00::5",
        "*.support.example",
    ];
    let state = TlsState::prepare(&generated(&names), &dir, clock).unwrap();

    for file in ["ca.pem", "ca.key", "cert.pem", "key.pem"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("ca.key")), 0o600);
        assert_eq!(mode(&dir.join("key.pem")), 0o600);
        assert_eq!(mode(&dir.join("cert.pem")), 0o600);
    }

    let leaf_der = first_der(&dir.join("cert.pem"));
    assert_eq!(state.leaf_der(), leaf_der);
    let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
    let validity = leaf.validity();
    let days = (validity.not_after.timestamp() - validity.not_before.timestamp()) / 86_400;
    assert!(days <= 397, "leaf valid for {days} days");
    assert!(validity.not_before.timestamp() <= start().as_second());
    assert!(
        leaf.extended_key_usage()
            .unwrap()
            .unwrap()
            .value
            .server_auth
    );
    assert!(leaf.key_usage().unwrap().unwrap().value.digital_signature());
    assert!(!leaf.is_ca());

    let mut sans = BTreeSet::new();
    for name in &leaf
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
    {
        match name {
            GeneralName::DNSName(dns) => sans.insert((*dns).to_owned()),
            GeneralName::IPAddress(ip) => sans.insert(match ip.len() {
                4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap()).to_string(),
                _ => std::net::IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap()).to_string(),
            }),
            other => panic!("unexpected SAN {other:?}"),
        };
    }
    let mut expected: BTreeSet<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .chain(names)
        .map(str::to_owned)
        .collect();
    expected.extend(issue::host_name());
    assert_eq!(sans, expected);

    let ca_der = first_der(&dir.join("ca.pem"));
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
    assert!(ca.basic_constraints().unwrap().unwrap().value.ca);
    assert!(ca.key_usage().unwrap().unwrap().value.key_cert_sign());
    assert!(ca.subject().to_string().contains("Supportbox local CA"));
    issue::issued_by(&leaf_der, &ca_der).unwrap();
    assert_eq!(
        state.ca_pem().unwrap().as_bytes(),
        read(&dir.join("ca.pem")).as_slice()
    );
    assert_eq!(fingerprint(&[]).len(), 32 * 3 - 1);
}

#[test]
fn later_start_reuses_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (manual, clock) = clock();
    let settings = generated(&["helpdesk.example.org"]);
    let first = TlsState::prepare(&settings, tmp.path(), clock.clone()).unwrap();
    let before: Vec<_> = ["ca.pem", "ca.key", "cert.pem", "key.pem"]
        .map(|f| read(&tmp.path().join(f)))
        .into();

    manual.advance(jiff::SignedDuration::from_hours(24 * 100));
    let second = TlsState::prepare(&settings, tmp.path(), clock).unwrap();
    let after: Vec<_> = ["ca.pem", "ca.key", "cert.pem", "key.pem"]
        .map(|f| read(&tmp.path().join(f)))
        .into();
    assert_eq!(before, after);
    assert_eq!(first.leaf_der(), second.leaf_der());
}

#[test]
fn leaf_near_expiry_is_reissued_by_the_same_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let (manual, clock) = clock();
    let settings = generated(&[]);
    let first = TlsState::prepare(&settings, tmp.path(), clock.clone()).unwrap();
    let ca_before = read(&tmp.path().join("ca.pem"));

    manual.set(not_after(&first.leaf_der()) - jiff::SignedDuration::from_hours(24 * 20));
    let second = TlsState::prepare(&settings, tmp.path(), clock).unwrap();

    assert_ne!(first.leaf_der(), second.leaf_der());
    assert_eq!(read(&tmp.path().join("ca.pem")), ca_before);
    assert_eq!(first_der(&tmp.path().join("cert.pem")), second.leaf_der());
    issue::issued_by(&second.leaf_der(), &first_der(&tmp.path().join("ca.pem"))).unwrap();
    assert!(not_after(&second.leaf_der()) > not_after(&first.leaf_der()));
}

#[test]
fn leaf_is_reissued_when_a_configured_name_is_added() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let first = TlsState::prepare(&generated(&[]), tmp.path(), clock.clone()).unwrap();
    let second =
        TlsState::prepare(&generated(&["new.example.net"]), tmp.path(), clock.clone()).unwrap();
    assert_ne!(first.leaf_der(), second.leaf_der());
    let names = issue::inspect(&second.leaf_der()).unwrap().names;
    assert!(names.contains(&issue::Name::Dns("new.example.net".to_owned())));
    issue::issued_by(&second.leaf_der(), &first_der(&tmp.path().join("ca.pem"))).unwrap();

    // Dropping the name again keeps the certificate that still covers everything required.
    let third = TlsState::prepare(&generated(&[]), tmp.path(), clock).unwrap();
    assert_eq!(second.leaf_der(), third.leaf_der());
}

#[test]
fn leaf_not_issued_by_the_stored_ca_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    TlsState::prepare(&generated(&[]), tmp.path(), clock.clone()).unwrap();
    let foreign = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(tmp.path().join("cert.pem"), foreign.cert.pem()).unwrap();
    std::fs::write(
        tmp.path().join("key.pem"),
        foreign.signing_key.serialize_pem(),
    )
    .unwrap();

    let state = TlsState::prepare(&generated(&[]), tmp.path(), clock).unwrap();
    assert_ne!(state.leaf_der(), foreign.cert.der().to_vec());
    issue::issued_by(&state.leaf_der(), &first_der(&tmp.path().join("ca.pem"))).unwrap();
}

#[test]
fn missing_ca_key_is_an_error_not_a_new_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    TlsState::prepare(&generated(&[]), tmp.path(), clock.clone()).unwrap();
    let ca_before = read(&tmp.path().join("ca.pem"));
    std::fs::remove_file(tmp.path().join("ca.key")).unwrap();

    let err = TlsState::prepare(&generated(&[]), tmp.path(), clock).unwrap_err();
    assert!(matches!(err, TlsError::CaKeyUnusable { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&tmp.path().join("ca.key").display().to_string()),
        "{message}"
    );
    assert!(!message.contains('\n'));
    assert_eq!(read(&tmp.path().join("ca.pem")), ca_before);
    assert!(!tmp.path().join("ca.key").exists());
}

#[test]
fn configured_pair_is_served_and_tls_dir_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let tls_dir = tmp.path().join("tls");
    let leaf = write_pair(tmp.path(), "configured.example");
    let (_, clock) = clock();

    let state = TlsState::prepare(&configured(tmp.path()), &tls_dir, clock.clone()).unwrap();
    assert_eq!(state.leaf_der(), leaf);
    assert_eq!(state.ca_pem(), None);
    assert!(!tls_dir.exists());

    std::fs::create_dir(&tls_dir).unwrap();
    TlsState::prepare(&configured(tmp.path()), &tls_dir, clock).unwrap();
    assert_eq!(std::fs::read_dir(&tls_dir).unwrap().count(), 0);
    assert_eq!(
        leaf_der_for_healthcheck(&configured(tmp.path()), &tls_dir).unwrap(),
        leaf
    );
}

#[test]
fn bad_configured_files_give_one_line_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let settings = configured(tmp.path());
    let cert = tmp.path().join("server.crt").display().to_string();
    let key = tmp.path().join("server.key").display().to_string();
    let prepare = |s: &TlsSettings| {
        TlsState::prepare(s, &tmp.path().join("tls"), clock.clone())
            .unwrap_err()
            .to_string()
    };

    let missing = prepare(&settings);
    assert!(
        missing.starts_with(&format!("certificate file {cert}: cannot read: ")),
        "{missing}"
    );

    std::fs::write(tmp.path().join("server.crt"), "garbage\n").unwrap();
    std::fs::write(tmp.path().join("server.key"), "garbage\n").unwrap();
    let garbage = prepare(&settings);
    assert!(
        garbage.starts_with(&format!("certificate file {cert}: ")),
        "{garbage}"
    );
    assert!(garbage.contains("no PEM certificate"), "{garbage}");

    write_pair(tmp.path(), "a.example");
    std::fs::write(tmp.path().join("server.key"), "garbage\n").unwrap();
    let bad_key = prepare(&settings);
    assert!(
        bad_key.starts_with(&format!("key file {key}: ")),
        "{bad_key}"
    );

    let other = rcgen::generate_simple_self_signed(vec!["b.example".to_owned()]).unwrap();
    std::fs::write(
        tmp.path().join("server.key"),
        other.signing_key.serialize_pem(),
    )
    .unwrap();
    let mismatch = prepare(&settings);
    assert!(
        mismatch.contains("the private key does not belong to the certificate"),
        "{mismatch}"
    );
    assert!(
        mismatch.contains(&cert) && mismatch.contains(&key),
        "{mismatch}"
    );

    let half = TlsSettings {
        key_file: None,
        ..settings
    };
    assert!(prepare(&half).contains("must be set together"));
    for message in [missing, garbage, bad_key, mismatch] {
        assert!(!message.contains('\n'), "{message}");
    }
    assert!(!tmp.path().join("tls").exists());
}

#[test]
fn invalid_replacement_keeps_serving_the_old_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let old = write_pair(tmp.path(), "old.example");
    let mut state = TlsState::prepare(&configured(tmp.path()), tmp.path(), clock).unwrap();
    assert!(!state.refresh());

    std::fs::write(tmp.path().join("server.crt.new"), "not a certificate").unwrap();
    std::fs::rename(
        tmp.path().join("server.crt.new"),
        tmp.path().join("server.crt"),
    )
    .unwrap();
    assert!(!state.refresh());
    assert_eq!(state.leaf_der(), old);

    let new = write_pair(tmp.path(), "new.example");
    assert!(state.refresh());
    assert_eq!(state.leaf_der(), new);
}

async fn next_config(
    stream: &mut (impl Stream<Item = Arc<ServerConfig>> + Unpin),
) -> Arc<ServerConfig> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("no new TLS config in time")
        .expect("TLS config stream ended")
}

#[tokio::test]
async fn watch_renews_generated_leaf_near_expiry() {
    let tmp = tempfile::tempdir().unwrap();
    let (manual, clock) = clock();
    let state = TlsState::prepare(&generated(&[]), tmp.path(), clock).unwrap();
    let old = state.leaf_der();
    let ca = first_der(&tmp.path().join("ca.pem"));
    let mut stream = Box::pin(state.watch(Duration::from_millis(50)).unwrap());
    next_config(&mut stream).await;

    manual.set(not_after(&old) - jiff::SignedDuration::from_hours(24 * 20));
    next_config(&mut stream).await;

    let renewed = first_der(&tmp.path().join("cert.pem"));
    assert_ne!(renewed, old);
    issue::issued_by(&renewed, &ca).unwrap();
    assert_eq!(first_der(&tmp.path().join("ca.pem")), ca);
}

/// Serves `/healthz` over TLS with configs from `stream`; the returned handle tells a test
/// when a reload is in effect.
async fn serve(
    stream: impl Stream<Item = Arc<ServerConfig>> + Send + 'static,
) -> (SocketAddr, TlsConfigs) {
    serve_at("/healthz", stream).await
}

async fn serve_at(
    path: &str,
    stream: impl Stream<Item = Arc<ServerConfig>> + Send + 'static,
) -> (SocketAddr, TlsConfigs) {
    let configs = TlsConfigs::follow(stream).await.unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = Listener {
        tcp,
        tls: Some(configs.clone()),
        limits: crate::config::ConnectionLimits::default(),
        per_address: PerAddress::new(16),
    };
    let app = poem::Route::new().at(path, poem::get(poem::endpoint::make_sync(|_| "ok")));
    tokio::spawn(listener.serve(app, std::future::pending(), Duration::from_secs(1)));
    (addr, configs)
}

async fn taken(configs: &mut TlsConfigs) {
    let changed = tokio::time::timeout(WAIT, configs.changed())
        .await
        .expect("server took no TLS config in time");
    assert!(changed, "TLS config stream ended");
}

#[tokio::test]
async fn healthcheck_accepts_only_the_pinned_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let state = TlsState::prepare(&generated(&[]), tmp.path(), clock).unwrap();
    let pin = leaf_der_for_healthcheck(&generated(&[]), tmp.path()).unwrap();
    assert_eq!(pin, state.leaf_der());
    let (addr, _configs) = serve(state.watch(Duration::from_secs(3600)).unwrap()).await;

    healthcheck(addr, &pin).await.unwrap();

    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let err = healthcheck(addr, other.cert.der()).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(
        message.contains(&fingerprint(other.cert.der())),
        "{message}"
    );

    let unspecified = SocketAddr::from(([0, 0, 0, 0], addr.port()));
    healthcheck(unspecified, &pin).await.unwrap();
}

#[tokio::test]
async fn healthcheck_rejects_non_200_and_closed_ports() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let state = TlsState::prepare(&generated(&[]), tmp.path(), clock).unwrap();
    let pin = state.leaf_der();
    let config = state.server_config().unwrap();
    let (addr, _configs) = serve_at("/other", futures_util::stream::once(async { config })).await;
    let err = healthcheck(addr, &pin).await.unwrap_err().to_string();
    assert!(err.contains("unexpected response `HTTP/1.1 404"), "{err}");

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    assert!(healthcheck(closed_addr, &pin).await.is_err());
}

#[tokio::test]
async fn served_certificate_follows_replaced_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let first = write_pair(tmp.path(), "first.example");
    let state = TlsState::prepare(&configured(tmp.path()), tmp.path(), clock).unwrap();
    let (addr, mut configs) = serve(state.watch(Duration::from_millis(50)).unwrap()).await;
    healthcheck(addr, &first).await.unwrap();

    let second = write_pair(tmp.path(), "second.example");
    taken(&mut configs).await;
    healthcheck(addr, &second).await.unwrap();
    assert!(healthcheck(addr, &first).await.is_err());
}
