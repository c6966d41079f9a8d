//! Slow and greedy clients against the compiled binary: a connection that never says hello,
//! headers or a body trickled a byte at a time, and one address opening more connections
//! than it may. Each must end with the server closing the connection, while everybody else
//! is still served. The deadlines are shortened through the environment so the test takes
//! seconds; the waits are for the server's close, bounded far above those deadlines.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::smoke::{free_port, start_with};

/// Far above every deadline configured below: a connection still open after this was not
/// closed by the server.
const NOT_CLOSED: Duration = Duration::from_secs(20);

const LIMITS: &[(&str, &str)] = &[
    ("SUPPORTBOX_CONNECTIONS_TLS_HANDSHAKE_TIMEOUT_SECS", "4"),
    ("SUPPORTBOX_CONNECTIONS_REQUEST_HEADER_TIMEOUT_SECS", "3"),
    ("SUPPORTBOX_CONNECTIONS_BODY_TIMEOUT_SECS", "3"),
    ("SUPPORTBOX_CONNECTIONS_BODY_MIN_BYTES_PER_SEC", "1024"),
    ("SUPPORTBOX_CONNECTIONS_PER_ADDRESS", "8"),
];

fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

fn connector(ca_pem: &[u8], provider: rustls::crypto::CryptoProvider) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

async fn tls(
    connector: &TlsConnector,
    tcp: TcpStream,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let name = ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// Whether the peer closed `stream` (end of stream or a reset) within `limit`; everything
/// read on the way is returned.
async fn closed_within(stream: &mut (impl AsyncRead + Unpin), limit: Duration) -> (bool, String) {
    let mut seen = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    let closed = tokio::time::timeout(limit, read_all).await.is_ok();
    (closed, String::from_utf8_lossy(&seen).into_owned())
}

/// Writes `head` at once, then `trickle` one byte every 250 ms until the server closes
/// the connection; answers what the server sent and whether it closed in time.
async fn trickle<S>(stream: S, head: &str, trickle: &'static [u8]) -> (bool, String)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    write.write_all(head.as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        let mut pace = tokio::time::interval(Duration::from_millis(250));
        for byte in trickle.iter().cycle() {
            pace.tick().await;
            if write.write_all(&[*byte]).await.is_err() || write.flush().await.is_err() {
                return;
            }
        }
    });
    let result = closed_within(&mut read, NOT_CLOSED).await;
    writer.abort();
    result
}

async fn connect_from(source: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

async fn healthz_from(source: [u8; 4], https: SocketAddr, ca_pem: &[u8]) -> u16 {
    let client = reqwest::Client::builder()
        .resolve("localhost", https)
        .local_address(std::net::IpAddr::from(source))
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem).unwrap()])
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/healthz", https.port());
    client.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_greedy_clients_are_closed_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start_with(&data, free_port(), free_port(), LIMITS);
    let https = SocketAddr::from(([127, 0, 0, 1], server.https_port));
    let plain = SocketAddr::from(([127, 0, 0, 1], server.http_port));
    let ca = std::fs::read(data.join("tls/ca.pem")).unwrap();
    let client_tls = connector(&ca, provider());

    // One address holds the most connections it may: the next one is closed at once, the
    // held ones still work, and another address is served as usual.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(https).await.unwrap());
    }
    let mut ninth = TcpStream::connect(https).await.unwrap();
    let (closed, _) = closed_within(&mut ninth, Duration::from_secs(2)).await;
    assert!(closed, "a ninth connection from one address stays open");
    let mut first = tls(&client_tls, held.remove(0)).await;
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (_, answer) = closed_within(&mut first, NOT_CLOSED).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(healthz_from([127, 0, 0, 2], https, &ca).await, 200);
    drop(held);

    // The server frees the places of the dropped connections as it notices them; the rest
    // comes from another address so that it does not depend on when.
    let from = |to| connect_from([127, 0, 0, 3], to);

    let no_hello = async {
        let mut silent = from(https).await;
        closed_within(&mut silent, NOT_CLOSED).await
    };
    let slow_headers = async {
        let stream = tls(&client_tls, from(https).await).await;
        trickle(
            stream,
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
            b"X-Slow: y\r\n",
        )
        .await
    };
    let slow_plain_headers = async {
        let stream = from(plain).await;
        trickle(stream, "GET / HTTP/1.1\r\n", b"X-Slow: y\r\n").await
    };
    let slow_body = async {
        let stream = tls(&client_tls, from(https).await).await;
        let head = "POST /login HTTP/1.1\r\nHost: localhost\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n\
                    Content-Length: 100000\r\n\r\n";
        trickle(stream, head, b"a").await
    };
    let (no_hello, slow_headers, slow_plain_headers, slow_body) =
        tokio::join!(no_hello, slow_headers, slow_plain_headers, slow_body);
    assert!(no_hello.0, "a connection without a TLS hello stays open");
    assert!(slow_headers.0, "trickled headers keep the connection open");
    assert_eq!(
        slow_headers.1, "",
        "a request without complete headers got an answer"
    );
    assert!(
        slow_plain_headers.0,
        "trickled headers keep plain HTTP open"
    );
    assert!(slow_body.0, "a trickled body keeps the connection open");
    assert!(
        slow_body.1.starts_with("HTTP/1.1 408"),
        "a too slow body is answered with 408: {}",
        slow_body.1
    );

    // The server's cipher order wins over the client's: a client that lists the suites the
    // other way round still gets the server's first choice.
    let mut reversed = provider();
    reversed.cipher_suites.reverse();
    let preferred = provider().cipher_suites[0].suite();
    assert_ne!(reversed.cipher_suites[0].suite(), preferred);
    let stream = tls(&connector(&ca, reversed), from(https).await).await;
    assert_eq!(
        stream
            .get_ref()
            .1
            .negotiated_cipher_suite()
            .unwrap()
            .suite(),
        preferred
    );
}
