//! Shared fixtures: a complete application on a temporary data directory, the named people
//! of two tenants, and a tiny "browser" that carries the session and CSRF cookies.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, StatusCode};
use poem::test::{TestClient, TestResponse};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, EndpointExt, Request, RequestParts, Response, Route};
use supportbox::app::{AppState, TlsInfo, base_routes, with_middleware};
use supportbox::clock::ManualClock;
use supportbox::config::Config;
use supportbox::domain::accounts::Membership;
use supportbox::domain::ids::{AccountId, TenantId};
use supportbox::domain::role::Role;
use supportbox::store::Store;
use supportbox::store::accounts::{self, NewAccount};
use tempfile::TempDir;

// Not every test module needs every field.
#[allow(dead_code)]
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub state: AppState,
    pub clock: ManualClock,
    pub dir: TempDir,
    fixtures: Option<Fixtures>,
}

pub const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n";

/// The password of every fixture account.
pub const PASSWORD: &str = "correct horse battery staple";

/// The client address requests come from unless a test names another.
pub const DEFAULT_PEER: &str = "192.0.2.1";

/// A request header only the test harness understands: the client address to pretend
/// (poem's `TestClient` has no way to set one).
const PEER_HEADER: &str = "x-test-peer";

/// The argon2id hash of [`PASSWORD`], computed once per test process.
pub fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| supportbox::service::passwords::hash_blocking(PASSWORD).unwrap())
        .clone()
}

/// Form fields as (name, value) pairs.
#[allow(dead_code)]
pub type Fields<'a> = Vec<(&'a str, &'a str)>;

/// One named person of the fixtures.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: AccountId,
    pub email: String,
    pub name: String,
}

/// A tenant of the fixtures with its members.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct TenantFx {
    pub id: TenantId,
    pub slug: &'static str,
    pub name: &'static str,
    pub admin: Person,
    pub supporters: [Person; 2],
    pub customers: [Person; 2],
}

#[allow(dead_code)]
impl TenantFx {
    pub fn members(&self) -> Vec<&Person> {
        let mut all = vec![&self.admin];
        all.extend(self.supporters.iter());
        all.extend(self.customers.iter());
        all
    }
}

/// The shared fixtures: the instance operator (member of no tenant) and two tenants, each
/// with an admin, two supporters and two customers, all with [`PASSWORD`].
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub operator: Person,
    pub acme: TenantFx,
    pub globex: TenantFx,
}

struct TenantPlan {
    slug: &'static str,
    name: &'static str,
    /// (role, name, email)
    people: [(Role, &'static str, &'static str); 5],
}

const PLANS: [TenantPlan; 2] = [
    TenantPlan {
        slug: "acme",
        name: "Acme",
        people: [
            (Role::TenantAdmin, "Alma Admin", "alma@acme.example"),
            (Role::Supporter, "Sam Support", "sam@acme.example"),
            (Role::Supporter, "Sara Support", "sara@acme.example"),
            (Role::Customer, "Carl Customer", "carl@acme.example"),
            (Role::Customer, "Cleo Customer", "cleo@acme.example"),
        ],
    },
    TenantPlan {
        slug: "globex",
        name: "Globex",
        people: [
            (Role::TenantAdmin, "Gina Admin", "gina@globex.example"),
            (Role::Supporter, "Gus Support", "gus@globex.example"),
            (Role::Supporter, "Greta Support", "greta@globex.example"),
            (Role::Customer, "Gil Customer", "gil@globex.example"),
            (Role::Customer, "Gwen Customer", "gwen@globex.example"),
        ],
    },
];

/// Creates the fixtures in one transaction through the store layer.
async fn create_fixtures(store: &Store, now: jiff::Timestamp) -> Fixtures {
    let hash = password_hash();
    store
        .write(move |w| {
            let new = |email: &str, name: &str, operator: bool| NewAccount {
                email: email.to_owned(),
                name: name.to_owned(),
                phone: String::new(),
                lang: None,
                password_hash: hash.clone(),
                must_change_password: false,
                operator,
            };
            let op =
                accounts::create_account(w, new("otto@example.org", "Otto Operator", true), now)?;
            let operator = Person {
                id: op.id,
                email: op.email,
                name: op.name,
            };
            let mut tenants = Vec::new();
            for plan in &PLANS {
                let tenant =
                    supportbox::service::admin::create_tenant_in(w, plan.slug, plan.name, 0, now)?;
                let mut people = Vec::new();
                for (role, name, email) in plan.people {
                    let account = accounts::create_account(w, new(email, name, false), now)?;
                    accounts::put_membership(
                        w,
                        &Membership {
                            tenant: tenant.id,
                            account: account.id,
                            role,
                            disabled: false,
                            created_at: now,
                        },
                    )?;
                    people.push(Person {
                        id: account.id,
                        email: account.email,
                        name: account.name,
                    });
                }
                tenants.push(TenantFx {
                    id: tenant.id,
                    slug: plan.slug,
                    name: plan.name,
                    admin: people[0].clone(),
                    supporters: [people[1].clone(), people[2].clone()],
                    customers: [people[3].clone(), people[4].clone()],
                });
            }
            let globex = tenants
                .pop()
                .ok_or(supportbox::store::StoreError::NotFound)?;
            let acme = tenants
                .pop()
                .ok_or(supportbox::store::StoreError::NotFound)?;
            Ok(Fixtures {
                operator,
                acme,
                globex,
            })
        })
        .await
        .unwrap()
}

/// Rebuilds the request with the client address named by [`PEER_HEADER`] (or
/// [`DEFAULT_PEER`]), as a real listener would set it.
async fn set_peer(req: Request) -> poem::Result<Request> {
    let ip: IpAddr = req
        .headers()
        .get(PEER_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| DEFAULT_PEER.parse().unwrap());
    let (parts, body) = req.into_parts();
    let mut builder = poem::http::Request::builder()
        .method(parts.method)
        .uri(parts.uri)
        .version(parts.version);
    if let Some(headers) = builder.headers_mut() {
        *headers = parts.headers;
    }
    let (mut head, ()) = builder.body(()).unwrap().into_parts();
    head.extensions = parts.extensions;
    let rebuilt = RequestParts::from((
        head,
        LocalAddr(Addr::default()),
        RemoteAddr(Addr::SocketAddr(SocketAddr::new(ip, 44321))),
        poem::http::uri::Scheme::HTTPS,
    ));
    Ok(Request::from_parts(rebuilt, body))
}

impl TestApp {
    /// An empty instance: no operator, no tenant (as on the very first start).
    pub fn new() -> TestApp {
        Self::with_routes(base_routes())
    }

    /// The app with extra routes mounted next to the real ones (used to provoke failures
    /// that no real route should ever produce, such as a panic).
    pub fn with_routes(routes: Route) -> TestApp {
        Self::build(routes, |_| {})
    }

    /// An empty instance with configuration changes.
    #[allow(dead_code)]
    pub fn with_config(configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::build(base_routes(), configure)
    }

    fn build(routes: Route, configure: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("supportbox.redb")).unwrap();
        let clock = ManualClock::new("2026-11-27T10:00:00Z".parse().unwrap());
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            // Tests sign in often from the one default address; the rate-limit tests set
            // their own small limits.
            login_attempts_per_address: 1000,
            ..Config::default()
        };
        configure(&mut config);
        let tls = TlsInfo {
            ca_pem: Some(CA_PEM.to_owned()),
            ca_fingerprint: Some("AA:BB".to_owned()),
            hsts: false,
        };
        let state = AppState::new(config, store, Arc::new(clock.clone()), tls).unwrap();
        state.set_ready(true);
        let endpoint = with_middleware(state.clone(), routes)
            .before(set_peer)
            .boxed();
        TestApp {
            client: TestClient::new(endpoint),
            state,
            clock,
            dir,
            fixtures: None,
        }
    }

    /// An instance with the shared fixtures (see [`Fixtures`]).
    #[allow(dead_code)]
    pub async fn seeded() -> TestApp {
        Self::seeded_with_config(|_| {}).await
    }

    #[allow(dead_code)]
    pub async fn seeded_with_config(configure: impl FnOnce(&mut Config)) -> TestApp {
        let mut app = Self::build(base_routes(), configure);
        let now = supportbox::clock::Clock::now(&app.clock);
        app.fixtures = Some(create_fixtures(&app.state.store, now).await);
        app
    }

    /// The fixtures of a seeded app.
    #[allow(dead_code)]
    pub fn fx(&self) -> &Fixtures {
        self.fixtures
            .as_ref()
            .expect("this test app was built with TestApp::seeded()")
    }

    /// Fetches a page and returns the CSRF cookie value the server handed out.
    pub async fn csrf_token(&self) -> String {
        let resp = self.client.get("/").send().await;
        csrf_from(&resp).expect("the start page sets a CSRF cookie")
    }

    /// A visitor who has not signed in, with the CSRF cookie the server handed out.
    #[allow(dead_code)]
    pub async fn anon(&self) -> Browser {
        Browser {
            csrf: self.csrf_token().await,
            session: None,
            peer: None,
        }
    }

    /// A visitor from another client address.
    #[allow(dead_code)]
    pub async fn anon_from(&self, peer: &str) -> Browser {
        Browser {
            peer: Some(peer.to_owned()),
            ..self.anon().await
        }
    }

    /// Submits the sign-in form and returns the answer as it is.
    #[allow(dead_code)]
    pub async fn try_sign_in(&self, browser: &Browser, email: &str, password: &str) -> Page {
        browser
            .post_form(self, "/login", &[("email", email), ("password", password)])
            .await
    }

    /// Signs in with [`PASSWORD`]; panics unless the sign-in succeeds.
    #[allow(dead_code)]
    pub async fn sign_in(&self, email: &str) -> Browser {
        self.sign_in_with(email, PASSWORD).await
    }

    #[allow(dead_code)]
    pub async fn sign_in_with(&self, email: &str, password: &str) -> Browser {
        let anon = self.anon().await;
        let page = self.try_sign_in(&anon, email, password).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "signing in as {email} failed: {}",
            page.body
        );
        let session = page
            .session_cookie()
            .filter(|s| !s.is_empty())
            .expect("a successful sign-in sets the session cookie");
        anon.with_session(&session)
    }

    /// Creates a personal API token for a fixture person through the tokens page and
    /// returns its secret as the page shows it (once).
    #[allow(dead_code)]
    pub async fn token_for(&self, email: &str) -> String {
        let browser = self.sign_in(email).await;
        let page = browser
            .post_form(self, "/account/tokens", &[("name", "test script")])
            .await;
        page.assert_status(StatusCode::OK);
        page.once_value("new-token")
            .expect("the new token is shown once")
    }

    /// The setup link's token, as the server would log it at start.
    #[allow(dead_code)]
    pub async fn setup_token(&self) -> Option<String> {
        self.state.services.issue_setup_token().await.unwrap()
    }

    /// Moves the clock on.
    #[allow(dead_code)]
    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(jiff::SignedDuration::from_mins(minutes));
    }
}

/// A browser's cookies: the CSRF token (cookie and form field) and, once signed in, the
/// session.
#[derive(Debug, Clone)]
pub struct Browser {
    pub csrf: String,
    pub session: Option<String>,
    /// The client address requests come from (`None`: [`DEFAULT_PEER`]).
    pub peer: Option<String>,
}

#[allow(dead_code)]
impl Browser {
    pub fn with_session(&self, session: &str) -> Browser {
        Browser {
            session: Some(session.to_owned()),
            ..self.clone()
        }
    }

    pub fn signed_out(&self) -> Browser {
        Browser {
            session: None,
            ..self.clone()
        }
    }

    pub fn cookie_header(&self) -> String {
        match &self.session {
            Some(s) => format!("__Host-sb-csrf={}; __Host-sb-session={s}", self.csrf),
            None => format!("__Host-sb-csrf={}", self.csrf),
        }
    }

    fn request<'a>(
        &self,
        builder: poem::test::TestRequestBuilder<'a, BoxEndpoint<'static, Response>>,
    ) -> poem::test::TestRequestBuilder<'a, BoxEndpoint<'static, Response>> {
        // What a browser says of a request its own page sends (the multipart CSRF check).
        let builder = builder
            .header("cookie", self.cookie_header())
            .header("sec-fetch-site", "same-origin");
        match &self.peer {
            Some(peer) => builder.header(PEER_HEADER, peer.as_str()),
            None => builder,
        }
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Page {
        Page::from(self.request(app.client.get(path)).send().await).await
    }

    /// Posts a form with the CSRF token added.
    pub async fn post_form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_body(app, path, serde_urlencoded::to_string(&all).unwrap())
            .await
    }

    /// [`Browser::post_form`] with extra request headers (forged `Host` and the like).
    pub async fn post_form_with(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut all: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let mut builder = app
            .client
            .post(path)
            .content_type("application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&all).unwrap());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        Page::from(self.request(builder).send().await).await
    }

    /// Posts an already encoded form body as it is (no CSRF field added).
    pub async fn post_body(&self, app: &TestApp, path: &str, body: String) -> Page {
        let builder = app
            .client
            .post(path)
            .content_type("application/x-www-form-urlencoded")
            .body(body);
        Page::from(self.request(builder).send().await).await
    }
}

/// A response read completely, for assertions about what a person sees.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

#[allow(dead_code)]
impl Page {
    pub async fn from(resp: TestResponse) -> Page {
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        let body = resp.0.into_body().into_string().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The full `Set-Cookie` header for `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    /// The value of the session cookie this response sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie("__Host-sb-session").map(|c| {
            c.trim_start_matches("__Host-sb-session=")
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    }

    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(
            self.status,
            status,
            "unexpected status (location {:?}); body:\n{}",
            self.location(),
            self.body
        );
    }

    #[track_caller]
    pub fn assert_ok(&self) {
        self.assert_status(StatusCode::OK);
    }

    /// A 303 to exactly `location`.
    #[track_caller]
    pub fn assert_redirect(&self, location: &str) {
        self.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(self.location(), Some(location));
    }

    /// Sent to the sign-in page (returning to `next` afterwards).
    #[track_caller]
    pub fn assert_sign_in_required(&self) {
        self.assert_status(StatusCode::SEE_OTHER);
        let location = self.location().unwrap_or_default();
        assert!(
            location.starts_with("/login"),
            "expected a redirect to /login, got {location}"
        );
    }

    /// The not-found page a person sees for anything outside their tenant or role.
    #[track_caller]
    pub fn assert_not_found(&self) {
        self.assert_status(StatusCode::NOT_FOUND);
        self.assert_contains("Page not found");
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "the page lacks {text:?}; body:\n{}",
            self.body
        );
    }

    #[track_caller]
    pub fn assert_lacks(&self, text: &str) {
        assert!(
            !self.body.contains(text),
            "the page unexpectedly shows {text:?}; body:\n{}",
            self.body
        );
    }

    /// The message shown directly at the field with element id `field_id` (e.g.
    /// `f-name`, `f-create-email`).
    pub fn field_error(&self, field_id: &str) -> Option<String> {
        let marker = format!("id=\"{field_id}-error\">");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('<')?;
        Some(self.body[start..start + end].to_owned())
    }

    #[track_caller]
    pub fn assert_field_error(&self, field_id: &str, message: &str) {
        match self.field_error(field_id) {
            Some(shown) => assert!(
                shown.contains(message),
                "field {field_id} shows {shown:?}, expected {message:?}"
            ),
            None => panic!(
                "no error at field {field_id} (expected {message:?}); body:\n{}",
                self.body
            ),
        }
    }

    /// The value of a "shown once" box (new token, invitation link) by its input id.
    pub fn once_value(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let start = self.body.find(&marker)?;
        let rest = &self.body[start..];
        let value = rest.split("value=\"").nth(1)?.split('"').next()?;
        Some(value.to_owned())
    }

    /// The rows of the page's table (between `<tbody>` and `</tbody>`), so filter
    /// options elsewhere on the page do not count as entries.
    pub fn table(&self) -> &str {
        let Some(start) = self.body.find("<tbody>") else {
            return "";
        };
        let end = self.body[start..]
            .find("</tbody>")
            .map_or(self.body.len(), |e| start + e);
        &self.body[start..end]
    }

    /// The visible flash line after an action, if any.
    pub fn flash(&self) -> Option<String> {
        let marker = "<p class=\"flash\" role=\"status\">";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('<')?;
        Some(self.body[start..start + end].to_owned())
    }
}

pub fn csrf_from(resp: &TestResponse) -> Option<String> {
    resp.0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("__Host-sb-csrf="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

pub fn header<'a>(resp: &'a TestResponse, name: &str) -> Option<&'a str> {
    resp.0.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The security headers every response must carry (docs/security.md, "Response headers").
pub fn assert_security_headers(resp: &TestResponse) {
    assert_security_header_map(resp.0.headers());
}

pub fn assert_security_header_map(headers: &HeaderMap) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let csp = get("content-security-policy").expect("CSP header");
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert_eq!(get("x-content-type-options"), Some("nosniff"));
    assert!(get("referrer-policy").is_some());
    assert!(get("x-request-id").is_some());
}

/// Store helpers for tests that arrange state directly.
#[allow(dead_code)]
pub mod arrange {
    use supportbox::domain::accounts::{Account, Membership};
    use supportbox::domain::caller::{AuthMethod, Caller};
    use supportbox::domain::catalog::{Priority, Topic};
    use supportbox::domain::ids::{AccountId, TenantId};
    use supportbox::domain::role::Role;
    use supportbox::domain::tenants::Tenant;
    use supportbox::service::catalog::{PriorityInput, TopicInput};
    use supportbox::store::{StoreError, accounts, catalog, invitations, settings, tenants};

    use super::{Person, TenantFx, TestApp};

    pub async fn account(app: &TestApp, email: &str) -> Account {
        let email = email.to_owned();
        app.state
            .store
            .read(move |r| accounts::account_by_email(r, &email))
            .await
            .unwrap()
            .expect("account exists")
    }

    pub async fn account_by_id(app: &TestApp, id: AccountId) -> Account {
        app.state
            .store
            .read(move |r| accounts::get_account(r, id))
            .await
            .unwrap()
            .expect("account exists")
    }

    pub async fn membership(app: &TestApp, tenant: TenantId, account: AccountId) -> Membership {
        app.state
            .store
            .read(move |r| accounts::get_membership(r, tenant, account))
            .await
            .unwrap()
            .expect("membership exists")
    }

    pub async fn tenant_by_slug(app: &TestApp, slug: &str) -> Option<Tenant> {
        let slug = slug.to_owned();
        app.state
            .store
            .read(move |r| tenants::tenant_by_slug(r, &slug))
            .await
            .unwrap()
    }

    pub async fn add_membership(app: &TestApp, tenant: TenantId, account: AccountId, role: Role) {
        let now = supportbox::clock::Clock::now(&app.clock);
        app.state
            .store
            .write(move |w| {
                accounts::put_membership(
                    w,
                    &Membership {
                        tenant,
                        account,
                        role,
                        disabled: false,
                        created_at: now,
                    },
                )
            })
            .await
            .unwrap();
    }

    pub async fn set_disabled(app: &TestApp, tenant: TenantId, account: AccountId) {
        app.state
            .store
            .write(move |w| {
                let mut m =
                    accounts::get_membership(w, tenant, account)?.ok_or(StoreError::NotFound)?;
                m.disabled = true;
                accounts::put_membership(w, &m)
            })
            .await
            .unwrap();
    }

    pub async fn any_operator(app: &TestApp) -> bool {
        app.state.store.read(accounts::any_operator).await.unwrap()
    }

    /// The caller a fixture person is in their tenant.
    pub fn caller(tenant: &TenantFx, who: &Person, role: Role) -> Caller {
        Caller {
            tenant: tenant.id,
            tenant_slug: tenant.slug.to_owned(),
            account: who.id,
            role,
            via: AuthMethod::Session,
        }
    }

    /// The tenant admin's caller.
    pub fn admin_of(tenant: &TenantFx) -> Caller {
        caller(tenant, &tenant.admin, Role::TenantAdmin)
    }

    pub async fn create_topic(app: &TestApp, tenant: &TenantFx, name: &str) -> Topic {
        app.state
            .services
            .create_topic(
                &admin_of(tenant),
                &TopicInput {
                    name: name.to_owned(),
                    description: String::new(),
                    active: true,
                },
            )
            .await
            .unwrap()
    }

    /// A pending invitation of the tenant; returns its id as URLs name it (the stored
    /// hash in hex).
    pub async fn create_invitation(app: &TestApp, tenant: &TenantFx, email: &str) -> String {
        let secret = app
            .state
            .services
            .invite(&admin_of(tenant), email, "supporter", "127.0.0.1")
            .await
            .unwrap();
        hex::encode(supportbox::service::hash_secret(&secret))
    }

    pub async fn create_priority(app: &TestApp, tenant: &TenantFx, name: &str) -> Priority {
        app.state
            .services
            .create_priority(
                &admin_of(tenant),
                &PriorityInput {
                    name: name.to_owned(),
                    colour: "#123456".to_owned(),
                    rank: "9".to_owned(),
                    response_target_minutes: String::new(),
                },
            )
            .await
            .unwrap()
    }

    pub async fn topics(app: &TestApp, tenant: &TenantFx) -> Vec<Topic> {
        app.state.services.topics(&admin_of(tenant)).await.unwrap()
    }

    pub async fn priorities(app: &TestApp, tenant: &TenantFx) -> Vec<Priority> {
        app.state
            .services
            .priorities(&admin_of(tenant))
            .await
            .unwrap()
    }

    /// Everything about tenants, people and settings an unauthorised request could have
    /// changed, as text to compare before and after.
    pub async fn snapshot(app: &TestApp) -> String {
        app.state
            .store
            .read(|r| {
                let mut out = String::new();
                out.push_str(&format!("{:?}\n", settings::get_instance_settings(r)?));
                for t in tenants::list_tenants(r)? {
                    out.push_str(&format!("{t:?}\n"));
                    for m in accounts::members_of_tenant(r, t.id)? {
                        let a = accounts::get_account(r, m.account)?;
                        out.push_str(&format!("  {m:?} {a:?}\n"));
                    }
                    out.push_str(&format!("  {:?}\n", catalog::list_priorities(r, t.id)?));
                    out.push_str(&format!("  {:?}\n", catalog::list_topics(r, t.id)?));
                    out.push_str(&format!(
                        "  {} invitations\n",
                        invitations::invitations_of_tenant(r, t.id)?.len()
                    ));
                }
                Ok(out)
            })
            .await
            .unwrap()
    }
}

/// A `multipart/form-data` body built by hand, so tests control every byte (file names,
/// part counts, sizes).
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct MultipartBody {
    boundary: String,
    bytes: Vec<u8>,
}

#[allow(dead_code)]
impl MultipartBody {
    pub const BOUNDARY: &'static str = "sbtest-boundary-7MA4YWxkTrZu0gW";

    pub fn new() -> MultipartBody {
        MultipartBody {
            boundary: Self::BOUNDARY.to_owned(),
            bytes: Vec::new(),
        }
    }

    /// A text field.
    pub fn text(mut self, name: &str, value: &str) -> MultipartBody {
        self.bytes.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.bytes.extend_from_slice(value.as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        self
    }

    /// A file part; `file_name` goes into the part header as it is (no quotes inside).
    pub fn file(mut self, name: &str, file_name: &str, mime: &str, data: &[u8]) -> MultipartBody {
        self.bytes.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.bytes.extend_from_slice(data);
        self.bytes.extend_from_slice(b"\r\n");
        self
    }

    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The complete body, closing boundary included.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        self.bytes
    }
}

#[allow(dead_code)]
impl Browser {
    /// Fetches a page with extra request headers (e.g. `Accept-Language`).
    pub async fn get_with(&self, app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut builder = app.client.get(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        Page::from(self.request(builder).send().await).await
    }

    /// Posts a multipart form, with the CSRF token in the query string.
    pub async fn post_multipart(&self, app: &TestApp, path: &str, body: MultipartBody) -> Page {
        let content_type = body.content_type();
        self.post_raw(app, path, &content_type, poem::Body::from(body.finish()))
            .await
    }

    /// Posts any body (a stream, say) as it is: nothing is added, not even the CSRF token,
    /// and no `Content-Length` is set.
    pub async fn post_raw(
        &self,
        app: &TestApp,
        path: &str,
        content_type: &str,
        body: poem::Body,
    ) -> Page {
        let builder = app.client.post(path).content_type(content_type).body(body);
        Page::from(self.request(builder).send().await).await
    }
}

#[allow(dead_code)]
impl Page {
    /// The number on a queue tab's badge (`new`, `customer_waiting`, `support_waiting`).
    pub fn tab_count(&self, key: &str) -> Option<u64> {
        let marker = format!("data-count=\"{key}\">");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('<')?;
        self.body[start..start + end].trim().parse().ok()
    }

    /// The ticket numbers linked from the page's table rows, in order, each once.
    pub fn ticket_numbers(&self) -> Vec<u64> {
        let mut out: Vec<u64> = Vec::new();
        for piece in self.table().split("/tickets/").skip(1) {
            let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<u64>()
                && piece[digits.len()..].starts_with('"')
                && out.last() != Some(&n)
                && !out.contains(&n)
            {
                out.push(n);
            }
        }
        out
    }

    /// The `href` (entities decoded) of the first link whose own text, up to any inner
    /// element, is `text`.
    pub fn link_to(&self, text: &str) -> Option<String> {
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<a ") {
            rest = &rest[start..];
            let close = rest.find('>')?;
            let tag = &rest[..close];
            let after = &rest[close + 1..];
            let own = after.split('<').next().unwrap_or_default().trim();
            if own == text
                && let Some(href) = tag
                    .split("href=\"")
                    .nth(1)
                    .and_then(|h| h.split('"').next())
            {
                return Some(href.replace("&amp;", "&"));
            }
            rest = after;
        }
        None
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }
}

/// A client of the JSON API with a personal token (or none).
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub authorization: Option<String>,
}

#[allow(dead_code)]
impl ApiClient {
    pub fn bearer(secret: &str) -> ApiClient {
        ApiClient {
            authorization: Some(format!("Bearer {secret}")),
        }
    }

    pub fn anonymous() -> ApiClient {
        ApiClient {
            authorization: None,
        }
    }

    fn auth<'a>(
        &self,
        builder: poem::test::TestRequestBuilder<'a, BoxEndpoint<'static, Response>>,
    ) -> poem::test::TestRequestBuilder<'a, BoxEndpoint<'static, Response>> {
        match &self.authorization {
            Some(value) => builder.header("authorization", value.as_str()),
            None => builder,
        }
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Page {
        Page::from(self.auth(app.client.get(path)).send().await).await
    }

    pub async fn post_json(&self, app: &TestApp, path: &str, body: &serde_json::Value) -> Page {
        let builder = app
            .client
            .post(path)
            .content_type("application/json")
            .body(body.to_string());
        Page::from(self.auth(builder).send().await).await
    }

    /// Posts a raw body (the upload endpoint).
    pub async fn post_bytes(&self, app: &TestApp, path: &str, body: poem::Body) -> Page {
        let builder = app
            .client
            .post(path)
            .content_type("application/octet-stream")
            .body(body);
        Page::from(self.auth(builder).send().await).await
    }
}

impl TestApp {
    /// An API client with a fresh token of a fixture person.
    #[allow(dead_code)]
    pub async fn api_for(&self, email: &str) -> ApiClient {
        ApiClient::bearer(&self.token_for(email).await)
    }

    /// Files stored under `blobs/` (attachments), not counting unfinished uploads in
    /// `blobs/tmp/`.
    #[allow(dead_code)]
    pub fn blob_files(&self) -> usize {
        fn walk(dir: &std::path::Path, skip: &std::path::Path) -> usize {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return 0;
            };
            let mut n = 0;
            for entry in entries.flatten() {
                let path = entry.path();
                if path == skip {
                    continue;
                }
                if path.is_dir() {
                    n += walk(&path, skip);
                } else {
                    n += 1;
                }
            }
            n
        }
        let root = self.dir.path().join("blobs");
        walk(&root, &root.join("tmp"))
    }

    /// Entries in `blobs/tmp/` (should be none once a request is answered).
    #[allow(dead_code)]
    pub fn temp_files(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("blobs").join("tmp"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// A valid 1×1 PNG; `png(tag)` appends `tag` after the image end, giving distinct files
/// that are still PNGs by their magic bytes.
#[allow(dead_code)]
pub const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f,
    0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[allow(dead_code)]
pub fn png(tag: &str) -> Vec<u8> {
    let mut out = PNG.to_vec();
    out.extend_from_slice(tag.as_bytes());
    out
}

/// A response whose body may be binary (a download).
#[allow(dead_code)]
#[derive(Debug)]
pub struct Download {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

#[allow(dead_code)]
impl Download {
    pub async fn from(resp: TestResponse) -> Download {
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        let bytes = resp.0.into_body().into_vec().await.unwrap();
        Download {
            status,
            headers,
            bytes,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "unexpected status; body:\n{}",
            String::from_utf8_lossy(&self.bytes)
        );
    }
}

#[allow(dead_code)]
impl Browser {
    /// Fetches a file (the body kept as bytes).
    pub async fn download(&self, app: &TestApp, path: &str) -> Download {
        Download::from(self.request(app.client.get(path)).send().await).await
    }
}

#[allow(dead_code)]
impl ApiClient {
    /// Any request, the answer kept as bytes.
    pub async fn send(
        &self,
        app: &TestApp,
        method: poem::http::Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Download {
        let mut builder = app.client.request(method, path);
        if let Some(content_type) = content_type {
            builder = builder.content_type(content_type);
        }
        Download::from(self.auth(builder.body(body)).send().await).await
    }

    /// Fetches a file through the API (the body kept as bytes).
    pub async fn download(&self, app: &TestApp, path: &str) -> Download {
        Download::from(self.auth(app.client.get(path)).send().await).await
    }
}
