//! Application state shared by every request, and the route tree.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use poem::middleware::{AddData, CatchPanic};
use poem::{EndpointExt, Route, get, post};

use crate::clock::SharedClock;
use crate::config::Config;
use crate::error::AppError;
use crate::http::{
    assets, health,
    middleware::{
        csrf::{CsrfCheck, CsrfCookie},
        error_pages::ErrorPages,
        request_span::RequestSpan,
        security_headers::SecurityHeaders,
    },
    pages,
};
use crate::i18n::{CatalogError, I18n};
use crate::store::Store;
use crate::web::AssetCatalog;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the web layer needs to know about the certificate in use.
#[derive(Debug, Clone, Default)]
pub struct TlsInfo {
    /// PEM of the generated local CA, offered at /ca.pem; `None` with a configured certificate.
    pub ca_pem: Option<String>,
    pub ca_fingerprint: Option<String>,
    /// Send HSTS (only with a configured certificate; see `SecurityHeaders`).
    pub hsts: bool,
}

pub struct AppInner {
    pub config: Config,
    pub store: Store,
    pub clock: SharedClock,
    pub i18n: Arc<I18n>,
    pub assets: Arc<AssetCatalog>,
    pub tls: TlsInfo,
    ready: AtomicBool,
}

/// Cheap to clone; every handler gets it through poem's `Data`.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        clock: SharedClock,
        tls: TlsInfo,
    ) -> Result<AppState, CatalogError> {
        Ok(AppState(Arc::new(AppInner {
            config,
            store,
            clock,
            i18n: Arc::new(I18n::load()?),
            assets: Arc::new(AssetCatalog::load()),
            tls,
            ready: AtomicBool::new(false),
        })))
    }

    /// Ready means: storage open and listeners accepting. Maintenance (restore) clears it.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

/// The complete HTTPS route tree with its middleware stack.
pub fn routes(state: AppState) -> impl poem::Endpoint<Output = poem::Response> {
    with_middleware(state, base_routes())
}

/// Every route of the HTTPS listener, without middleware.
pub fn base_routes() -> Route {
    Route::new()
        .at("/", get(pages::home))
        .at("/lang", post(pages::set_language))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/ca.pem", get(assets::ca_pem))
        .at("/static/:hash/*path", get(assets::static_file))
}

/// Wraps routes in the middleware stack every response goes through (see
/// `http::middleware` for why the order is what it is).
pub fn with_middleware(
    state: AppState,
    routes: Route,
) -> impl poem::Endpoint<Output = poem::Response> {
    let hsts = state.tls.hsts;
    routes
        .with(CsrfCheck)
        .with(CatchPanic::new().with_handler(|_| {
            tracing::error!("a request handler panicked");
            AppError::Internal("handler panicked".to_owned())
        }))
        .with(ErrorPages)
        .with(CsrfCookie)
        .with(RequestSpan)
        .with(AddData::new(state))
        .with(SecurityHeaders { hsts })
}

impl poem::IntoResponse for AppError {
    fn into_response(self) -> poem::Response {
        poem::error::ResponseError::as_response(&self)
    }
}
