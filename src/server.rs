//! `supportbox serve`: the start-up sequence and the two listeners.
//!
//! The order is chosen so that bad input changes nothing: listeners are bound and a
//! configured certificate is validated before the data directory is created or locked;
//! only then are the database opened and a local certificate generated.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};

use crate::app::{AppState, StartError, TlsInfo, routes};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::datadir::{DataDir, DataDirError};
use crate::http::redirect::{self, RedirectTarget};
use crate::listener::{Listener, PerAddress, TlsConfigs};
use crate::store::{Store, StoreError};
use crate::tls::{TlsError, TlsSettings, TlsState};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Restore(#[from] crate::backup::BackupError),
    #[error("server stopped with an error: {0}")]
    Io(#[from] std::io::Error),
}

/// Binds with SO_REUSEADDR so a restart does not trip over the previous run's sockets in
/// TIME_WAIT.
fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    let err = |source| ServeError::Bind { addr, source };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(err)?;
    socket.set_reuseaddr(true).map_err(err)?;
    socket.bind(addr).map_err(err)?;
    socket.listen(1024).map_err(err)
}

pub fn tls_settings(config: &Config) -> TlsSettings {
    TlsSettings {
        cert_file: config.tls_cert_file.clone(),
        key_file: config.tls_key_file.clone(),
        names: config.public_names.clone(),
    }
}

/// Runs until SIGINT or SIGTERM.
pub async fn serve(config: Config, clock: SharedClock) -> Result<(), ServeError> {
    let https_listener = bind(config.https_addr)?;
    let http_listener = config.http_addr.map(bind).transpose()?;
    let settings = tls_settings(&config);
    let configured_tls = if settings.cert_file.is_some() {
        // The tls directory is not used with a configured certificate; nothing is written.
        let unused_dir = config.data_dir.join(crate::datadir::TLS_DIR);
        Some(TlsState::prepare(&settings, &unused_dir, clock.clone())?)
    } else {
        None
    };

    let data_dir = DataDir::open(&config.data_dir)?;
    tracing::info!(path = %data_dir.root().display(), "data directory opened");
    // Before the database opens: an interrupted restore must finish first.
    crate::service::backup::recover_at_start(data_dir.root())?;
    let store = Store::open(&data_dir.db_path())?;
    let tls = match configured_tls {
        Some(tls) => tls,
        None => TlsState::prepare(&settings, &data_dir.tls_dir(), clock.clone())?,
    };
    let tls_info = TlsInfo {
        ca_pem: tls.ca_pem(),
        ca_fingerprint: tls.ca_fingerprint(),
        hsts: settings.cert_file.is_some(),
    };
    let state = AppState::new(config.clone(), store.clone(), clock, tls_info)?;

    let https_addr = https_listener.local_addr()?;
    let per_address = PerAddress::new(config.connections.per_address);
    let https_listener = Listener {
        tcp: https_listener,
        tls: Some(TlsConfigs::follow(tls.watch(config.tls_reload_interval)?).await?),
        limits: config.connections,
        per_address: per_address.clone(),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(forward_shutdown_signals(stop_tx));

    let https = https_listener.serve(
        routes(state.clone()),
        stopped(stop_rx.clone()),
        Duration::from_secs(10),
    );
    let http = async {
        let Some(listener) = http_listener else {
            return Ok(());
        };
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "redirecting plain HTTP to HTTPS");
        let target = RedirectTarget {
            https_port: https_addr.port(),
            public_url: state.public_url.clone(),
            known_hosts: config.known_hosts(crate::tls::host_name().as_deref()),
        };
        let listener = Listener {
            tcp: listener,
            tls: None,
            limits: config.connections,
            per_address,
        };
        listener
            .serve(
                redirect::routes(target),
                stopped(stop_rx.clone()),
                Duration::from_secs(2),
            )
            .await
    };
    state.set_ready(true);
    announce_setup_link(&state).await;
    let flusher = tokio::spawn(flush_presence(state.clone(), stop_rx.clone()));
    let sweeper = tokio::spawn(sweep_abandoned_uploads(state.clone(), stop_rx.clone()));
    let rebuild_reason = state
        .index_rebuild
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let snapshots = tokio::spawn(crate::service::backup::run_scheduler(
        store.clone(),
        state.services.blobs.clone(),
        state.clock.clone(),
        state.backup.clone(),
        data_dir.root().to_owned(),
        stop_rx.clone(),
    ));
    let indexer = tokio::spawn(crate::service::indexer::run(
        store.clone(),
        state.services.search.clone(),
        state.services.indexer_wake.clone(),
        stop_rx.clone(),
        rebuild_reason,
    ));
    tracing::info!(
        url = %format!("{}/", state.public_url),
        version = crate::app::VERSION,
        "Supportbox is serving"
    );
    let (https_result, http_result) = tokio::join!(https, http);
    state.set_ready(false);
    let _ = flusher.await;
    let _ = sweeper.await;
    let _ = indexer.await;
    let _ = snapshots.await;
    if let Err(e) = state.services.sessions.flush().await {
        tracing::warn!(error = %e, "could not save session activity at shutdown");
    }
    store.shutdown().await;
    https_result?;
    http_result?;
    tracing::info!("Supportbox stopped");
    Ok(())
}

/// While no operator exists, logs the one-time setup address (a new one each start).
async fn announce_setup_link(state: &AppState) {
    match state.services.issue_setup_token().await {
        Ok(Some(token)) => tracing::warn!(
            url = %format!("{}/setup/{token}", state.public_url),
            "Supportbox is not set up yet: open this one-time address within 24 hours to create the operator and the first tenant"
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "cannot check whether the instance is set up"),
    }
}

/// Saves "last seen" times once a minute, so page views never write to disk.
async fn flush_presence(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = state.services.sessions.flush().await {
                    tracing::warn!(error = %e, "could not save session activity");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Files uploaded but never attached are removed a while after their validity ended;
/// the first sweep at start also catches what a previous run left behind.
async fn sweep_abandoned_uploads(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                // Not while a restore swaps the data directory underneath.
                let Some(_in_flight) = state.backup.enter() else { continue };
                match state.services.sweep_abandoned_uploads().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "removed uploads that were never attached"),
                    Err(e) => tracing::warn!(error = %e, "could not sweep abandoned uploads"),
                }
            }
            _ = stop.changed() => return,
        }
    }
}

async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn forward_shutdown_signals(tx: tokio::sync::watch::Sender<bool>) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
    let _ = tx.send(true);
}

/// `supportbox healthcheck`: asks the local server's `/healthz` over HTTPS, trusting
/// exactly the certificate this instance serves.
pub async fn healthcheck(config: &Config) -> Result<(), TlsError> {
    let settings = tls_settings(config);
    let pin = crate::tls::leaf_der_for_healthcheck(
        &settings,
        &config.data_dir.join(crate::datadir::TLS_DIR),
    )?;
    let mut addr = config.https_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    crate::tls::healthcheck(addr, &pin).await
}
