//! One accepted connection: the TLS handshake under its deadline, then HTTP/1.1 or HTTP/2
//! through hyper with poem's endpoint as the service, closed once it goes too long without
//! a request in progress.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, Response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::body_rate::{self, TooSlow};
use super::per_address::Slot;
use super::{Shared, TlsConfigs};

/// What the listener hands every connection task.
pub(super) struct Accepted {
    pub stream: TcpStream,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub slot: Slot,
}

pub(super) async fn run(accepted: Accepted, shared: Arc<Shared>, tls: Option<TlsConfigs>) {
    let Accepted {
        stream,
        local,
        remote,
        slot: _slot,
    } = accepted;
    // Small responses (redirects, 304s, JSON) should not wait for Nagle.
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve(stream, Scheme::HTTP, local, remote, &shared).await,
        Some(configs) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(configs.current());
            let limit = shared.limits.tls_handshake;
            let handshake = tokio::select! {
                done = tokio::time::timeout(limit, acceptor.accept(stream)) => done,
                _ = shared.abort.cancelled() => return,
            };
            match handshake {
                Ok(Ok(tls_stream)) => {
                    serve(tls_stream, Scheme::HTTPS, local, remote, &shared).await
                }
                Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                Err(_) => {
                    tracing::debug!(%remote, "closing a connection: no TLS handshake in time")
                }
            }
        }
    }
}

/// Requests in progress on one connection, and since when none is.
#[derive(Clone, Copy)]
struct Activity {
    in_progress: usize,
    idle_since: Instant,
}

/// Counts a request as in progress until its response body is finished or dropped.
struct InProgress(watch::Sender<Activity>);

impl InProgress {
    fn begin(activity: &watch::Sender<Activity>) -> Self {
        activity.send_modify(|a| a.in_progress += 1);
        InProgress(activity.clone())
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.send_modify(|a| {
            a.in_progress = a.in_progress.saturating_sub(1);
            if a.in_progress == 0 {
                a.idle_since = Instant::now();
            }
        });
    }
}

/// Resolves once the connection has had no request in progress for `limit`: a client
/// still trickling its headers, or an idle keep-alive connection.
async fn idle_for(mut activity: watch::Receiver<Activity>, limit: Duration) {
    loop {
        let now = *activity.borrow_and_update();
        if now.in_progress > 0 {
            if activity.changed().await.is_err() {
                return std::future::pending().await;
            }
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(now.idle_since + limit) => return,
            changed = activity.changed() => {
                if changed.is_err() {
                    return std::future::pending().await;
                }
            }
        }
    }
}

async fn serve<Io>(io: Io, scheme: Scheme, local: SocketAddr, remote: SocketAddr, shared: &Shared)
where
    Io: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (activity, watched) = watch::channel(Activity {
        in_progress: 0,
        idle_since: Instant::now(),
    });
    let endpoint = shared.endpoint.clone();
    let limits = shared.limits;
    let local_addr = LocalAddr(poem::Addr::SocketAddr(local));
    let remote_addr = RemoteAddr(poem::Addr::SocketAddr(remote));
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_progress = InProgress::begin(&activity);
        let endpoint = endpoint.clone();
        let mut request: poem::Request = (
            request,
            local_addr.clone(),
            remote_addr.clone(),
            scheme.clone(),
        )
            .into();
        let too_slow = TooSlow::default();
        let body = request.take_body();
        request.set_body(body_rate::enforce(
            body,
            limits.body_window,
            limits.body_min_bytes_per_window(),
            too_slow.clone(),
        ));
        async move {
            let response = respond(&endpoint, request, &too_slow).await;
            let response: hyper::Response<_> = response.into();
            // The request stays in progress while its body streams (live events, downloads).
            let response = response.map(move |body| {
                body.map_err(move |e| {
                    let _ = &in_progress;
                    e
                })
                .boxed()
            });
            Ok::<_, Infallible>(response)
        }
    });

    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    let idle = tokio::select! {
        _ = connection.as_mut() => return,
        _ = idle_for(watched, limits.request_header) => true,
        _ = shared.shutdown.cancelled() => false,
    };
    // Graceful either way, so an HTTP/2 client hears GOAWAY instead of a reset and retries
    // elsewhere; an idle close gets a moment for that, since a client still trickling
    // headers would otherwise hold it open again.
    connection.as_mut().graceful_shutdown();
    if idle {
        tracing::debug!(%remote, "closing a connection without a request in progress");
        let _ = tokio::time::timeout(IDLE_CLOSE_GRACE, connection).await;
        return;
    }
    tokio::select! {
        _ = connection => {}
        _ = shared.abort.cancelled() => {}
    }
}

/// How long a connection closed for idleness may take to say goodbye.
const IDLE_CLOSE_GRACE: Duration = Duration::from_secs(1);

async fn respond(
    endpoint: &BoxEndpoint<'static, Response>,
    request: poem::Request,
    too_slow: &TooSlow,
) -> Response {
    let response = endpoint.get_response(request).await;
    if too_slow.happened() {
        // Whatever the handler made of the broken body, the client hears why, and the
        // connection ends so that the rest of the body is never waited for.
        return Response::builder()
            .status(StatusCode::REQUEST_TIMEOUT)
            .header(poem::http::header::CONNECTION, "close")
            .body("the request body arrived too slowly");
    }
    response
}
