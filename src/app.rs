//! Application state shared by every request, and the route tree.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use poem::middleware::{AddData, CatchPanic};
use poem::{EndpointExt, Route, get, post};

use crate::clock::SharedClock;
use crate::config::Config;
use crate::error::AppError;
use crate::http::{
    account, admin, api, auth_pages, backup, password_reset, session::LoadSession, settings,
    tenant, tickets,
};
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
use crate::service::Services;
use crate::service::ratelimit::LoginLimits;
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
    pub services: Services,
    /// Why the search index must be rebuilt at start, taken by the indexer task.
    pub index_rebuild: std::sync::Mutex<Option<String>>,
    /// Backup jobs and the maintenance state of an online restore.
    pub backup: Arc<crate::service::backup::BackupState>,
    /// The base of every absolute link (`Config::public_url`), fixed at start.
    pub public_url: String,
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
    ) -> Result<AppState, StartError> {
        let blobs = crate::blobs::BlobStore::new(&config.data_dir)?;
        // Leftovers of uploads cut off by a crash; no upload can be running yet.
        let removed = blobs.clean_temp()?;
        if removed > 0 {
            tracing::info!(removed, "removed unfinished uploads");
        }
        let (search, rebuild_reason) = crate::service::indexer::open(
            &config.data_dir.join(crate::datadir::INDEX_DIR),
            &store,
        )?;
        let services = Services::new(
            store.clone(),
            clock.clone(),
            limits_from(&config),
            blobs,
            search,
        )?;
        let backup = Arc::new(crate::service::backup::BackupState::new(
            crate::service::backup::BackupSettings {
                schedule_hours: config.backup_schedule_hours,
                keep: config.backup_keep,
                restore_upload_bytes: config.restore_upload_bytes,
                restore_data: crate::backup::read::DataLimit {
                    max_bytes: config.restore_data_bytes,
                },
            },
        ));
        let public_url = config.public_url(crate::tls::host_name().as_deref());
        Ok(AppState(Arc::new(AppInner {
            backup,
            public_url,
            config,
            store,
            clock,
            services,
            index_rebuild: std::sync::Mutex::new(rebuild_reason),
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

/// Why the application state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("{0}")]
    Service(#[from] crate::service::ServiceError),
    #[error("attachments: {0}")]
    Blobs(#[from] crate::blobs::BlobError),
}

fn limits_from(config: &Config) -> LoginLimits {
    use crate::service::ratelimit::Limit;
    LoginLimits {
        per_address: Limit {
            max: config.login_attempts_per_address,
            window: std::time::Duration::from_secs(5 * 60),
        },
        per_account: Limit {
            max: config.login_failures_per_account,
            window: std::time::Duration::from_secs(15 * 60),
        },
    }
}

/// The complete HTTPS route tree with its middleware stack.
pub fn routes(state: AppState) -> impl poem::Endpoint<Output = poem::Response> {
    with_middleware(state, base_routes())
}

/// Every route of the HTTPS listener, without middleware.
pub fn base_routes() -> Route {
    tenant_routes(Route::new())
        .at("/", get(pages::home))
        .at("/lang", post(pages::set_language))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/ca.pem", get(assets::ca_pem))
        .at("/static/:hash/*path", get(assets::static_file))
        .at(
            "/login",
            get(auth_pages::login_page).post(auth_pages::login),
        )
        .at("/logout", post(auth_pages::logout))
        .at("/choose", get(auth_pages::choose))
        .at(
            "/setup/:token",
            get(auth_pages::setup_page).post(auth_pages::setup),
        )
        .at(
            "/invite/:token",
            get(auth_pages::invitation_page).post(auth_pages::accept_invitation),
        )
        .at("/password/forgot", get(password_reset::forgot_page))
        .at(
            "/reset/:token",
            get(password_reset::reset_page).post(password_reset::reset),
        )
        .at(
            "/account/password",
            get(auth_pages::password_page).post(auth_pages::change_password),
        )
        .at(
            "/account/profile",
            get(account::profile_page).post(account::update_profile),
        )
        .at(
            "/account/tokens",
            get(account::tokens_page).post(account::create_token),
        )
        .at("/account/tokens/:id/revoke", post(account::revoke_token))
        .nest("/admin", admin_routes())
        .nest("/api/v1", api_routes())
}

fn admin_routes() -> Route {
    Route::new()
        .at("/", get(admin::tenants))
        .at("/tenants", post(admin::create_tenant))
        .at(
            "/tenants/:id",
            get(admin::tenant_detail).post(admin::update_tenant),
        )
        .at("/tenants/:id/admins", post(admin::add_admin))
        .at(
            "/tenants/:id/members/:account/reset",
            post(admin::issue_reset),
        )
        .at("/tenants/:id/suspend", post(admin::suspend_tenant))
        .at("/tenants/:id/resume", post(admin::resume_tenant))
        .at(
            "/settings",
            get(admin::settings_page).post(admin::update_settings),
        )
        .at("/audit", get(admin::audit))
        .at("/backups", get(backup::backups_page))
        .at("/backups/snapshot", post(backup::take_snapshot))
        .at("/backups/:name", get(backup::download_snapshot))
}

/// Tenant pages; poem cannot nest under a path capture, so each route names `/t/:slug`.
fn tenant_routes(route: Route) -> Route {
    route
        .at("/t/:slug/", get(tenant::home))
        .at("/t/:slug/settings/", get(settings::index))
        .at("/t/:slug/settings/users", get(settings::users::users))
        .at(
            "/t/:slug/settings/users/invite",
            post(settings::users::invite),
        )
        .at(
            "/t/:slug/settings/invitations/:id/withdraw",
            post(settings::users::withdraw_invitation),
        )
        .at(
            "/t/:slug/settings/users/create",
            post(settings::users::create_user),
        )
        .at(
            "/t/:slug/settings/users/:id",
            get(settings::users::user_detail),
        )
        .at(
            "/t/:slug/settings/users/:id/role",
            post(settings::users::set_role),
        )
        .at(
            "/t/:slug/settings/users/:id/disable",
            post(settings::users::disable_user),
        )
        .at(
            "/t/:slug/settings/users/:id/reset",
            post(settings::users::issue_reset),
        )
        .at(
            "/t/:slug/settings/users/:id/edit",
            post(settings::users::edit_user),
        )
        .at(
            "/t/:slug/settings/users/:id/remove",
            post(settings::users::remove_user),
        )
        .at(
            "/t/:slug/settings/users/:id/enable",
            post(settings::users::enable_user),
        )
        .at(
            "/t/:slug/settings/users/:id/sessions/end",
            post(settings::users::end_sessions),
        )
        .at(
            "/t/:slug/settings/priorities",
            get(settings::catalog::priorities).post(settings::catalog::create_priority),
        )
        .at(
            "/t/:slug/settings/priorities/:id",
            post(settings::catalog::update_priority),
        )
        .at(
            "/t/:slug/settings/priorities/:id/delete",
            post(settings::catalog::delete_priority),
        )
        .at(
            "/t/:slug/settings/topics",
            get(settings::catalog::topics).post(settings::catalog::create_topic),
        )
        .at(
            "/t/:slug/settings/topics/:id",
            post(settings::catalog::update_topic),
        )
        .at(
            "/t/:slug/settings/topics/:id/delete",
            post(settings::catalog::delete_topic),
        )
        .at("/t/:slug/settings/audit", get(settings::audit::audit))
        .at("/t/:slug/settings/online", get(settings::users::online))
        .at(
            "/t/:slug/tickets/new",
            get(tickets::new::new_page).post(tickets::new::create),
        )
        .at(
            "/t/:slug/tickets/new-for-customer",
            get(tickets::new::new_for_customer_page).post(tickets::new::create_for_customer),
        )
        .at(
            "/t/:slug/customers/search",
            get(tickets::new::customer_search),
        )
        .at("/t/:slug/tickets", get(tickets::list::manage))
        .at("/t/:slug/tickets/:number", get(tickets::page))
        .at(
            "/t/:slug/tickets/:number/reply",
            post(tickets::actions::reply),
        )
        .at(
            "/t/:slug/tickets/:number/note",
            post(tickets::actions::note),
        )
        .at(
            "/t/:slug/tickets/:number/accept",
            post(tickets::actions::accept),
        )
        .at(
            "/t/:slug/tickets/:number/assign",
            post(tickets::actions::assign),
        )
        .at(
            "/t/:slug/tickets/:number/priority",
            post(tickets::actions::set_priority),
        )
        .at(
            "/t/:slug/tickets/:number/topic",
            post(tickets::actions::set_topic),
        )
        .at(
            "/t/:slug/tickets/:number/resolve",
            post(tickets::actions::resolve),
        )
        .at(
            "/t/:slug/tickets/:number/close",
            post(tickets::actions::close),
        )
        .at(
            "/t/:slug/tickets/:number/reopen",
            post(tickets::actions::reopen),
        )
        .at(
            "/t/:slug/tickets/:number/delete",
            post(tickets::actions::delete),
        )
        .at(
            "/t/:slug/tickets/:number/restore",
            post(tickets::actions::restore),
        )
        .at(
            "/t/:slug/tickets/:number/purge",
            post(tickets::actions::purge),
        )
        .at(
            "/t/:slug/tickets/:number/files/:seq/:index",
            get(tickets::file),
        )
        .at("/t/:slug/queue/:tab", get(tickets::list::queue))
        .at("/t/:slug/my", get(tickets::list::my_requests))
        .at("/t/:slug/search", get(tickets::list::search))
        .at("/t/:slug/events", get(tickets::list::events))
}

fn api_routes() -> Route {
    let api = api::service();
    Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .at("/admin/backup", get(backup::download))
        .at("/admin/restore", post(backup::restore))
        .nest("/", api.around(api::limit_json_body))
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
        .with(LoadSession)
        .with(backup::MaintenanceGate)
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
