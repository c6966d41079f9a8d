//! Accepting connections for the HTTPS listener and the plain-HTTP redirect.
//!
//! Supportbox drives hyper itself instead of `poem::Server`, because a connection needs
//! limits poem does not offer (docs/security.md, "Slow clients"): a deadline for the TLS
//! handshake, a deadline for a request's headers (also the keep-alive idle time), a minimum
//! rate for request bodies, and a cap on connections per client address. The TLS config is
//! built by `crate::tls` with the server's cipher order.

mod body_rate;
mod connection;
mod per_address;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use poem::endpoint::BoxEndpoint;
use poem::{EndpointExt, IntoEndpoint, Response};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ConnectionLimits;

pub use per_address::PerAddress;

/// The TLS config to give the next handshake; replaced when the certificate changes.
#[derive(Clone)]
pub struct TlsConfigs(watch::Receiver<Arc<rustls::ServerConfig>>);

impl TlsConfigs {
    /// Takes the first config of `configs` (waiting for it, so no connection is accepted
    /// before there is a certificate to serve) and follows the rest in the background.
    pub async fn follow(
        configs: impl Stream<Item = Arc<rustls::ServerConfig>> + Send + 'static,
    ) -> io::Result<TlsConfigs> {
        let mut configs = Box::pin(configs);
        let Some(first) = configs.next().await else {
            return Err(io::Error::other("no TLS configuration to serve"));
        };
        let (tx, rx) = watch::channel(first);
        tokio::spawn(async move {
            while let Some(next) = configs.next().await {
                if tx.send(next).is_err() {
                    return;
                }
            }
        });
        Ok(TlsConfigs(rx))
    }

    fn current(&self) -> Arc<rustls::ServerConfig> {
        self.0.borrow().clone()
    }

    /// Resolves once a new config is in effect for the next handshake.
    #[cfg(test)]
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
}

/// What every connection task of one listener shares.
struct Shared {
    endpoint: Arc<BoxEndpoint<'static, Response>>,
    limits: ConnectionLimits,
    /// Stop taking new requests, finish the ones in progress.
    shutdown: CancellationToken,
    /// The grace period is over: drop whatever still runs.
    abort: CancellationToken,
}

/// One listener: the socket, its TLS (none for the plain-HTTP redirect) and its limits.
pub struct Listener {
    pub tcp: TcpListener,
    pub tls: Option<TlsConfigs>,
    pub limits: ConnectionLimits,
    /// Shared by both listeners, so the redirect port does not double an address's quota.
    pub per_address: PerAddress,
}

impl Listener {
    /// Serves `endpoint` until `stop` resolves, then gives requests in progress `grace` to
    /// finish.
    pub async fn serve<E>(
        self,
        endpoint: E,
        stop: impl Future<Output = ()>,
        grace: Duration,
    ) -> io::Result<()>
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        let Listener {
            tcp,
            tls,
            limits,
            per_address,
        } = self;
        let local = tcp.local_addr()?;
        let shared = Arc::new(Shared {
            endpoint: Arc::new(endpoint.into_endpoint().map_to_response().boxed()),
            limits,
            shutdown: CancellationToken::new(),
            abort: CancellationToken::new(),
        });
        let tasks = TaskTracker::new();
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                _ = &mut stop => break,
                accepted = tcp.accept() => accepted,
            };
            let (stream, remote) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or memory: give the connections in progress a
                    // moment to finish instead of spinning on the error.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Some(slot) = per_address.claim(remote.ip()) else {
                continue;
            };
            let accepted = connection::Accepted {
                stream,
                local,
                remote,
                slot,
            };
            tasks.spawn(connection::run(accepted, shared.clone(), tls.clone()));
        }
        drop(tcp);
        tasks.close();
        shared.shutdown.cancel();
        if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
            tracing::info!(%local, "closing connections still open after the grace period");
            shared.abort.cancel();
            tasks.wait().await;
        }
        Ok(())
    }
}
