//! Backup and restore over HTTP: `GET /api/v1/admin/backup` (stream an archive),
//! `POST /api/v1/admin/restore` (raw archive body), the operator page `/admin/backups`,
//! and the maintenance gate that answers 503 while a restore swaps the data.
//!
//! The API endpoints accept the operator's bearer token or the operator's session (with the
//! CSRF header for the POST, checked by the CSRF middleware). Anyone else learns nothing:
//! 401 without credentials, 404 for a valid non-operator token or session.

use std::io::{self, Read, Write};
use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::web::{Data, Json, Path, Query};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result, handler};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_util::bytes::Bytes;

use super::ctx::page_ctx;
use super::session::{RequestAuth, SignedInIdentity, client_addr};
use crate::app::AppState;
use crate::domain::audit::AuditKind;
use crate::domain::caller::Identity;
use crate::error::AppError;
use crate::service::backup::operator::Requester;
use crate::service::backup::{self as svc, RETRY_AFTER_SECS, RestoreError};
use crate::views;

/// Answers 503 with Retry-After to every request while a restore swaps the data, and
/// counts requests in flight so the restore can wait for them.
#[derive(Clone, Copy, Default)]
pub struct MaintenanceGate;

impl<E: Endpoint> Middleware<E> for MaintenanceGate {
    type Output = MaintenanceGateEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        MaintenanceGateEndpoint { inner: ep }
    }
}

pub struct MaintenanceGateEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for MaintenanceGateEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let Some(state) = req.data::<AppState>().cloned() else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let backup = Arc::clone(&state.backup);
        let Some(guard) = backup.enter() else {
            return Ok(unavailable(&req, &state));
        };
        let resp = self.inner.call(req).await.map(IntoResponse::into_response);
        drop(guard);
        resp
    }
}

fn unavailable(req: &Request, state: &AppState) -> Response {
    let resp = if req.uri().path().starts_with("/api/") {
        crate::http::api_problem::response(
            StatusCode::SERVICE_UNAVAILABLE,
            Some("a backup is being restored; try again shortly".to_owned()),
            Vec::new(),
        )
    } else {
        views::errors::error_page(&page_ctx(req, state), 503).into_response()
    };
    resp.with_status(StatusCode::SERVICE_UNAVAILABLE)
        .with_header(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())
        .into_response()
}

fn unauthorized() -> poem::Error {
    poem::Error::from_response(
        Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(header::WWW_AUTHENTICATE, "Bearer")
            .finish(),
    )
}

/// Who is asking and from where, from a bearer token or a session; whether they may is the
/// service's call.
async fn requester(req: &Request, state: &AppState) -> Result<Requester> {
    Ok(Requester {
        who: identity(req, state).await?,
        addr: client_addr(req),
    })
}

async fn identity(req: &Request, state: &AppState) -> Result<Identity> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?;
        return match state
            .services
            .authenticate_token(token.trim())
            .await
            .map_err(AppError::from)?
        {
            Some((_, identity)) => Ok(identity),
            None => Err(unauthorized()),
        };
    }
    match req.extensions().get::<RequestAuth>() {
        Some(auth) => Ok(auth.signed_in.identity()),
        None => Err(unauthorized()),
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    Json(json!({
        "status": status.as_u16(),
        "title": status.canonical_reason().unwrap_or("error"),
        "detail": message,
    }))
    .with_status(status)
    .into_response()
}

fn restore_error_response(e: &RestoreError) -> Response {
    let status = crate::error::restore_status(e);
    match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            tracing::error!(error = %e, "restore failed after its commit point");
            json_error(status, &e.to_string())
        }
        StatusCode::INTERNAL_SERVER_ERROR => {
            tracing::error!(error = %e, "backup or restore failed");
            json_error(
                status,
                "the operation failed; the server log has the details",
            )
        }
        _ => json_error(status, &e.to_string()),
    }
}

/// Sends what the archive writer produces to the response body in chunks. Blocks the
/// (blocking-pool) thread when the client reads slowly: backpressure, not buffering.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    /// Bytes handed to the response so far.
    sent: u64,
}

const CHUNK: usize = 256 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.sent += chunk.len() as u64;
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Reads a request body on a blocking thread; a pump task feeds it.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

fn body_reader(body: Body) -> ChannelReader {
    let (tx, rx) = mpsc::channel(16);
    let mut stream = body.into_bytes_stream();
    tokio::spawn(async move {
        while let Some(chunk) = stream.next().await {
            // The restore stopped reading (refused the archive): stop pumping.
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
    });
    ChannelReader {
        rx,
        current: Bytes::new(),
    }
}

/// `GET /api/v1/admin/backup`: a consistent archive of the running instance, streamed.
#[handler]
pub async fn download(req: &Request, state: Data<&AppState>) -> Result<Response> {
    let by = requester(req, &state).await?;
    let (snapshot, slot) =
        match svc::operator::download(&by, &state.services, &state.backup, &state.config.data_dir)
            .await
        {
            Ok(found) => found,
            Err(e) => return Ok(restore_error_response(&e)),
        };
    let created = snapshot.manifest().created_at.clone();
    let name = format!(
        "supportbox-{}.tar.zst",
        created
            .parse::<jiff::Timestamp>()
            .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_else(|_| "backup".to_owned())
    );
    let data_bytes = snapshot.data_bytes();
    let (tx, rx) = mpsc::channel(8);
    let errors = tx.clone();
    let services = (*state).clone();
    let archive = name.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let out = ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
            sent: 0,
        };
        // write_to flushes `out` before it hands it back, so `sent` counts every byte.
        let (detail, out) = match snapshot.write_to(out) {
            Ok(out) => (format!("{} bytes", out.sent), Some(out)),
            Err(e) => {
                tracing::error!(error = %e, "streaming a backup failed");
                // An error item aborts the response, so the client sees a failed transfer
                // rather than an archive that merely looks short.
                let _ = errors.blocking_send(Err(io::Error::other(e.to_string())));
                (format!("failed: {e}"), None)
            }
        };
        // The line is committed before the body ends (`out` holds the channel open), so
        // whoever has the whole archive also finds it in the log.
        by.record_blocking(
            &services.services,
            AuditKind::BackupDownloaded,
            &archive,
            detail,
        );
        drop(out);
    });
    let body = Body::from_bytes_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok(Response::builder()
        .content_type("application/zstd")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .header("x-supportbox-data-bytes", data_bytes.to_string())
        .body(body))
}

/// `POST /api/v1/admin/restore`: the raw archive as the body.
#[handler]
pub async fn restore(req: &Request, body: Body, state: Data<&AppState>) -> Result<Response> {
    let by = requester(req, &state).await?;
    let reader = body_reader(body);
    // This request is itself in flight; the drain must not wait for it.
    let result = svc::operator::restore(
        &by,
        &state.services,
        &state.backup,
        &state.config.data_dir,
        reader,
        1,
    )
    .await;
    Ok(match result {
        Ok(report) => Json(json!({
            "status": "restored",
            "backup_created_at": report.manifest.created_at,
            "tickets": report.manifest.counts.get("tickets").copied().unwrap_or(0),
            "previous_data": report
                .previous
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned()),
            "warnings": report.warnings,
            "search": "rebuilding",
        }))
        .into_response(),
        Err(e) => restore_error_response(&e),
    })
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `/admin/backups`: snapshots, restore state, where previous data is kept.
#[handler]
pub async fn backups_page(
    who: SignedInIdentity,
    ctx: views::PageCtx,
    state: Data<&AppState>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let overview = svc::operator::overview(&who.identity(), &state.config.data_dir).await?;
    let view = views::backups::BackupsView {
        now: state.services.now(),
        snapshots: overview
            .snapshots
            .into_iter()
            .map(|s| views::backups::SnapshotRow {
                name: s.name,
                created_at: s.created_at,
                size: s.size,
                ok: s.check.as_ref().map(|c| c.ok),
                detail: s.check.map(|c| c.detail).unwrap_or_default(),
            })
            .collect(),
        phase: state.backup.phase(),
        rebuilding: state.services.search.is_rebuilding(),
        schedule_hours: state.backup.settings.schedule_hours,
        keep: state.backup.settings.keep,
        previous: overview.previous,
        done: q.done.filter(|d| matches!(d.as_str(), "snapshot")),
    };
    Ok(views::backups::page(&ctx, &view).into_response())
}

/// `POST /admin/backups/snapshot`: a snapshot now, outside the schedule.
#[handler]
pub async fn take_snapshot(
    req: &Request,
    who: SignedInIdentity,
    state: Data<&AppState>,
) -> Result<Response, AppError> {
    let by = Requester {
        who: who.identity(),
        addr: client_addr(req),
    };
    svc::operator::snapshot_on_request(&by, &state.services, &state.backup, &state.config.data_dir)
        .await?;
    Ok(super::respond::see_other("/admin/backups?done=snapshot"))
}

/// `GET /admin/backups/{name}`: one snapshot file, as an attachment.
#[handler]
pub async fn download_snapshot(
    req: &Request,
    who: SignedInIdentity,
    Path(name): Path<String>,
    state: Data<&AppState>,
) -> Result<Response, AppError> {
    let by = Requester {
        who: who.identity(),
        addr: client_addr(req),
    };
    let (path, size) =
        svc::operator::snapshot_file(&by, &state.services, &state.config.data_dir, &name).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok(Response::builder()
        .content_type("application/zstd")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .header(header::CONTENT_LENGTH, size.to_string())
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_async_read(file)))
}
