//! The authorisation matrix: every tenant, operator and account route, for anonymous
//! visitors, each role, the other tenant's admin and the operator. Anything outside the
//! caller's tenant or role answers 404 and changes nothing.

use poem::http::StatusCode;

use crate::support::{Browser, TestApp, arrange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// The least a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Least {
    /// Any signed-in person (own account pages).
    SignedIn,
    Customer,
    Supporter,
    Admin,
    Operator,
}

struct Route {
    method: Method,
    /// With `{slug}`, `{user}`, `{prio}`, `{topic}`, `{tenant}` and `{token}` placeholders;
    /// `{member}` is `{user}` where the route names it `:account` (next to a tenant's `:id`).
    template: &'static str,
    least: Least,
    /// A valid form, so a missing check would really change something.
    fields: &'static [(&'static str, &'static str)],
}

const fn get(template: &'static str, least: Least) -> Route {
    Route {
        method: Method::Get,
        template,
        least,
        fields: &[],
    }
}

const fn post(
    template: &'static str,
    least: Least,
    fields: &'static [(&'static str, &'static str)],
) -> Route {
    Route {
        method: Method::Post,
        template,
        least,
        fields,
    }
}

const TOPIC: &[(&str, &str)] = &[("name", "Matrix topic"), ("active", "on")];
const PRIORITY: &[(&str, &str)] = &[("name", "Matrix"), ("colour", "#abcdef"), ("rank", "7")];

/// Every route of `tenant_routes()`, `admin_routes()` and the account pages.
const ROUTES: &[Route] = &[
    get("/t/{slug}/", Least::Customer),
    get("/t/{slug}/settings/", Least::Supporter),
    get("/t/{slug}/settings/users", Least::Admin),
    post(
        "/t/{slug}/settings/users/invite",
        Least::Admin,
        &[("email", "matrix@example.org"), ("role", "tenant_admin")],
    ),
    post(
        "/t/{slug}/settings/users/create",
        Least::Admin,
        &[
            ("name", "Matrix Person"),
            ("email", "matrix@example.org"),
            ("role", "tenant_admin"),
            ("initial_password", "matrix passphrase"),
        ],
    ),
    get("/t/{slug}/settings/users/{user}", Least::Admin),
    post(
        "/t/{slug}/settings/users/{user}/role",
        Least::Admin,
        &[("role", "tenant_admin")],
    ),
    post("/t/{slug}/settings/users/{user}/disable", Least::Admin, &[]),
    post("/t/{slug}/settings/users/{user}/reset", Least::Admin, &[]),
    post(
        "/t/{slug}/settings/users/{user}/edit",
        Least::Admin,
        &[
            ("name", "Matrix"),
            ("email", "matrix@example.org"),
            ("phone", ""),
        ],
    ),
    post("/t/{slug}/settings/users/{user}/remove", Least::Admin, &[]),
    post("/t/{slug}/settings/users/{user}/enable", Least::Admin, &[]),
    post(
        "/t/{slug}/settings/users/{user}/sessions/end",
        Least::Admin,
        &[],
    ),
    post(
        "/t/{slug}/settings/invitations/{invitation}/withdraw",
        Least::Admin,
        &[],
    ),
    get("/t/{slug}/settings/priorities", Least::Admin),
    post("/t/{slug}/settings/priorities", Least::Admin, PRIORITY),
    post(
        "/t/{slug}/settings/priorities/{prio}",
        Least::Admin,
        PRIORITY,
    ),
    post(
        "/t/{slug}/settings/priorities/{prio}/delete",
        Least::Admin,
        &[],
    ),
    get("/t/{slug}/settings/topics", Least::Supporter),
    post("/t/{slug}/settings/topics", Least::Supporter, TOPIC),
    post("/t/{slug}/settings/topics/{topic}", Least::Supporter, TOPIC),
    post(
        "/t/{slug}/settings/topics/{topic}/delete",
        Least::Supporter,
        &[],
    ),
    get("/t/{slug}/settings/audit", Least::Admin),
    get("/t/{slug}/settings/online", Least::Supporter),
    get("/admin/", Least::Operator),
    post(
        "/admin/tenants",
        Least::Operator,
        &[
            ("name", "Matrix"),
            ("slug", "matrix"),
            ("licence_limit", "1"),
            ("admin_email", "matrix-admin@example.org"),
        ],
    ),
    get("/admin/tenants/{tenant}", Least::Operator),
    post(
        "/admin/tenants/{tenant}/admins",
        Least::Operator,
        &[("admin_email", "another-admin@example.org")],
    ),
    post(
        "/admin/tenants/{tenant}/members/{member}/reset",
        Least::Operator,
        &[],
    ),
    post(
        "/admin/tenants/{tenant}",
        Least::Operator,
        &[("name", "Renamed by matrix"), ("licence_limit", "1")],
    ),
    post("/admin/tenants/{tenant}/suspend", Least::Operator, &[]),
    post("/admin/tenants/{tenant}/resume", Least::Operator, &[]),
    get("/admin/settings", Least::Operator),
    post(
        "/admin/settings",
        Least::Operator,
        &[
            ("instance_name", "Matrix"),
            ("session_idle_minutes", "5"),
            ("session_absolute_hours", "1"),
        ],
    ),
    get("/admin/audit", Least::Operator),
    get("/choose", Least::SignedIn),
    get("/account/password", Least::SignedIn),
    post(
        "/account/password",
        Least::SignedIn,
        &[
            ("current_password", "x"),
            ("new_password", "matrix passphrase"),
            ("password_confirm", "matrix passphrase"),
        ],
    ),
    get("/account/profile", Least::SignedIn),
    post("/account/profile", Least::SignedIn, &[("name", "Matrix")]),
    get("/account/tokens", Least::SignedIn),
    post("/account/tokens", Least::SignedIn, &[("name", "Matrix")]),
    post("/account/tokens/{token}/revoke", Least::SignedIn, &[]),
];

/// The ids a URL is filled with: real objects of one tenant.
#[derive(Debug, Clone)]
struct Ids {
    slug: String,
    user: u64,
    prio: u64,
    topic: u64,
    tenant: u64,
    token: u64,
    invitation: String,
}

fn fill(template: &str, ids: &Ids) -> String {
    template
        .replace("{slug}", &ids.slug)
        .replace("{user}", &ids.user.to_string())
        .replace("{member}", &ids.user.to_string())
        .replace("{prio}", &ids.prio.to_string())
        .replace("{topic}", &ids.topic.to_string())
        .replace("{tenant}", &ids.tenant.to_string())
        .replace("{token}", &ids.token.to_string())
        .replace("{invitation}", &ids.invitation)
}

/// A seeded app where each tenant also has topics, and the ids of acme's and globex's
/// objects (a customer as the user, a priority, a topic).
async fn matrix_app() -> (TestApp, Ids, Ids) {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    let globex = app.fx().globex.clone();
    let acme_topic = arrange::create_topic(&app, &acme, "Acme printers").await;
    for name in ["Globex phones", "Globex laptops", "Globex badges"] {
        arrange::create_topic(&app, &globex, name).await;
    }
    let globex_prio = arrange::create_priority(&app, &globex, "Globex only").await;
    let globex_topic = arrange::topics(&app, &globex)
        .await
        .into_iter()
        .max_by_key(|t| t.id)
        .unwrap();
    let acme_ids = Ids {
        slug: "acme".into(),
        user: acme.customers[1].id.0,
        prio: arrange::priorities(&app, &acme).await[0].id.0,
        topic: acme_topic.id.0,
        tenant: acme.id.0,
        token: 1,
        invitation: arrange::create_invitation(&app, &acme, "matrix-acme@example.org").await,
    };
    let globex_ids = Ids {
        slug: "globex".into(),
        user: globex.customers[1].id.0,
        prio: globex_prio.id.0,
        topic: globex_topic.id.0,
        tenant: globex.id.0,
        token: 1,
        invitation: arrange::create_invitation(&app, &globex, "matrix-globex@example.org").await,
    };
    (app, acme_ids, globex_ids)
}

async fn send(app: &TestApp, browser: &Browser, route: &Route, ids: &Ids) -> crate::support::Page {
    let path = fill(route.template, ids);
    match route.method {
        Method::Get => browser.get(app, &path).await,
        Method::Post => browser.post_form(app, &path, route.fields).await,
    }
}

/// Requests every route needing `from` up to `to` and expects the not-found page for
/// each, with nothing changed.
async fn assert_refused(
    app: &TestApp,
    who: &str,
    browser: &Browser,
    ids: &Ids,
    (from, to): (Least, Least),
) {
    let before = arrange::snapshot(app).await;
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.least >= from && r.least <= to) {
        let page = send(app, browser, route, ids).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{who}: {:?} {} answered {} (location {:?})",
            route.method,
            fill(route.template, ids),
            page.status,
            page.location()
        );
        page.assert_contains("Page not found");
        checked += 1;
    }
    assert!(checked > 0);
    assert_eq!(
        before,
        arrange::snapshot(app).await,
        "{who}: a refused request changed something"
    );
}

/// Every GET route from `Customer` up to `up_to` opens for this person.
async fn assert_opens(app: &TestApp, who: &str, browser: &Browser, ids: &Ids, up_to: Least) {
    for route in ROUTES
        .iter()
        .filter(|r| r.method == Method::Get && r.least >= Least::Customer && r.least <= up_to)
    {
        let page = send(app, browser, route, ids).await;
        let ok = page.status == StatusCode::OK
            || (route.template.ends_with("/settings/") && page.status == StatusCode::SEE_OTHER);
        assert!(
            ok,
            "{who}: GET {} answered {}",
            fill(route.template, ids),
            page.status
        );
    }
}

/// The string literals of `.at("…")` calls in one function of src/app.rs, with the
/// methods registered for each.
fn routes_in_app_rs(function: &str) -> Vec<(String, Vec<Method>)> {
    let source = include_str!("../../src/app.rs");
    let start = source
        .find(&format!("fn {function}("))
        .unwrap_or_else(|| panic!("{function} not found in src/app.rs"));
    let body = &source[start..];
    let end = body[3..].find("\nfn ").map_or(body.len(), |e| e + 3);
    let body = &body[..end];
    let mut out = Vec::new();
    let pieces: Vec<&str> = body.split(".at(").skip(1).collect();
    for piece in pieces {
        let path = piece.split('"').nth(1).unwrap();
        // Tenant routes are declared either nested under `/t/:slug` or with it in full.
        let path = path.strip_prefix("/t/:slug").unwrap_or(path).to_owned();
        let mut methods = Vec::new();
        if piece.contains("get(") {
            methods.push(Method::Get);
        }
        if piece.contains("post(") {
            methods.push(Method::Post);
        }
        out.push((path, methods));
    }
    out
}

/// The route pattern of a template as it appears in src/app.rs.
fn pattern(template: &str) -> String {
    let mut p = template.to_owned();
    for prefix in ["/t/{slug}", "/admin"] {
        if let Some(rest) = p.strip_prefix(prefix) {
            p = rest.to_owned();
        }
    }
    p = p.replace("{member}", ":account");
    for placeholder in [
        "{user}",
        "{prio}",
        "{topic}",
        "{tenant}",
        "{token}",
        "{invitation}",
    ] {
        p = p.replace(placeholder, ":id");
    }
    p
}

/// The tenant routes of this area: the tenant home and its administration. Other tenant
/// routes (tickets, queues, search …) belong to later issues; the generic sweep below
/// still checks that anonymous visitors and other tenants are refused there.
fn is_tenancy_route(path: &str) -> bool {
    path == "/" || path.starts_with("/settings")
}

#[test]
fn the_matrix_lists_every_tenancy_operator_and_account_route() {
    let mut expected: Vec<(String, Method)> = Vec::new();
    for function in ["tenant_routes", "admin_routes"] {
        for (path, methods) in routes_in_app_rs(function) {
            if function == "tenant_routes" && !is_tenancy_route(&path) {
                continue;
            }
            // Backups have their own authorisation tests in backup.rs.
            if function == "admin_routes" && path.starts_with("/backups") {
                continue;
            }
            for m in methods {
                expected.push((format!("{function}:{path}"), m));
            }
        }
    }
    for (path, methods) in routes_in_app_rs("base_routes") {
        if path.starts_with("/account") || path == "/choose" {
            for m in methods {
                expected.push((format!("base_routes:{path}"), m));
            }
        }
    }
    assert!(expected.len() > 30, "{expected:?}");
    for (path, method) in &expected {
        let (function, path) = path.split_once(':').unwrap();
        let found = ROUTES.iter().any(|r| {
            r.method == *method
                && pattern(r.template) == path
                && match function {
                    "tenant_routes" => r.template.starts_with("/t/"),
                    "admin_routes" => r.template.starts_with("/admin"),
                    _ => !r.template.starts_with("/t/") && !r.template.starts_with("/admin"),
                }
        });
        assert!(
            found,
            "{method:?} {path} of {function} is missing from ROUTES"
        );
    }
    assert_eq!(
        expected.len(),
        ROUTES.len(),
        "ROUTES lists a route that does not exist"
    );
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_on_every_route_and_change_nothing() {
    let (app, acme, _) = matrix_app().await;
    let anon = app.anon().await;
    let before = arrange::snapshot(&app).await;
    for route in ROUTES {
        let path = fill(route.template, &acme);
        let page = send(&app, &anon, route, &acme).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{:?} {path}: {}",
            route.method,
            page.body
        );
        let location = page.location().unwrap();
        assert!(location.starts_with("/login?next="), "{path} → {location}");
        if route.method == Method::Get {
            let next = format!(
                "/login?next={}",
                serde_urlencoded::to_string([("", path.as_str())])
                    .unwrap()
                    .trim_start_matches('=')
            );
            assert_eq!(location, next);
        }
        assert!(page.session_cookie().is_none());
    }
    assert_eq!(before, arrange::snapshot(&app).await);
    // The API refuses without a token too (tested in api.rs); the sign-in page shows.
    anon.get(&app, "/login").await.assert_contains("Sign in");
}

#[tokio::test]
async fn customers_open_their_tenant_home_and_get_not_found_on_every_staff_route() {
    let (app, acme, _) = matrix_app().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    assert_opens(&app, "customer", &carl, &acme, Least::Customer).await;
    let home = carl.get(&app, "/t/acme/").await;
    home.assert_contains("Customer");
    home.assert_lacks("/settings/");
    assert_refused(
        &app,
        "customer",
        &carl,
        &acme,
        (Least::Supporter, Least::Operator),
    )
    .await;
    // Their own account pages work.
    carl.get(&app, "/account/profile").await.assert_ok();
    carl.get(&app, "/account/tokens").await.assert_ok();
}

#[tokio::test]
async fn supporters_get_topics_and_presence_but_not_users_priorities_or_audit() {
    let (app, acme, _) = matrix_app().await;
    let sam = app.sign_in(&app.fx().acme.supporters[0].email).await;
    assert_opens(&app, "supporter", &sam, &acme, Least::Supporter).await;
    sam.get(&app, "/t/acme/settings/")
        .await
        .assert_redirect("/t/acme/settings/topics");
    let topics = sam.get(&app, "/t/acme/settings/topics").await;
    topics.assert_contains("Acme printers");
    // The sub-navigation offers only what a supporter may open.
    topics.assert_contains("href=\"/t/acme/settings/online\"");
    topics.assert_lacks("href=\"/t/acme/settings/users\"");
    topics.assert_lacks("href=\"/t/acme/settings/priorities\"");
    topics.assert_lacks("href=\"/t/acme/settings/audit\"");
    assert_refused(
        &app,
        "supporter",
        &sam,
        &acme,
        (Least::Admin, Least::Operator),
    )
    .await;
}

#[tokio::test]
async fn an_admin_opens_every_page_of_their_own_tenant() {
    let (app, acme, _) = matrix_app().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    assert_opens(&app, "admin", &alma, &acme, Least::Admin).await;
    alma.get(&app, "/t/acme/settings/")
        .await
        .assert_redirect("/t/acme/settings/users");
    assert_refused(
        &app,
        "tenant admin",
        &alma,
        &acme,
        (Least::Operator, Least::Operator),
    )
    .await;
}

#[tokio::test]
async fn the_other_tenants_admin_gets_not_found_on_every_url_in_both_directions() {
    let (app, acme, globex) = matrix_app().await;
    let gina = app.sign_in(&app.fx().globex.admin.email).await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    assert_refused(
        &app,
        "globex admin on acme",
        &gina,
        &acme,
        (Least::Customer, Least::Operator),
    )
    .await;
    assert_refused(
        &app,
        "acme admin on globex",
        &alma,
        &globex,
        (Least::Customer, Least::Operator),
    )
    .await;
    // A supporter and a customer of the other tenant too.
    let gus = app.sign_in(&app.fx().globex.supporters[0].email).await;
    assert_refused(
        &app,
        "globex supporter on acme",
        &gus,
        &acme,
        (Least::Customer, Least::Operator),
    )
    .await;
    let gil = app.sign_in(&app.fx().globex.customers[0].email).await;
    assert_refused(
        &app,
        "globex customer on acme",
        &gil,
        &acme,
        (Least::Customer, Least::Operator),
    )
    .await;
    // The operator is no member of either and gets no tenant page either.
    let otto = app.sign_in(&app.fx().operator.email).await;
    assert_refused(
        &app,
        "operator on acme",
        &otto,
        &acme,
        (Least::Customer, Least::Admin),
    )
    .await;
    // A tenant that does not exist looks the same as one that is not yours.
    let nowhere = Ids {
        slug: "no-such-tenant".into(),
        ..acme.clone()
    };
    let page = alma.get(&app, "/t/no-such-tenant/").await;
    page.assert_not_found();
    let theirs = alma.get(&app, "/t/globex/").await;
    assert_eq!(page.status, theirs.status);
    assert_eq!(
        page.body.replace("no-such-tenant", "SLUG"),
        theirs.body.replace("globex", "SLUG")
    );
    assert_refused(
        &app,
        "acme admin on a missing tenant",
        &alma,
        &nowhere,
        (Least::Customer, Least::Admin),
    )
    .await;
}

#[tokio::test]
async fn ids_of_another_tenant_are_not_reachable_through_ones_own_tenant_urls() {
    let (app, acme, globex) = matrix_app().await;
    let acme_topic_ids: Vec<u64> = arrange::topics(&app, &app.fx().acme)
        .await
        .iter()
        .map(|t| t.id.0)
        .collect();
    let acme_prio_ids: Vec<u64> = arrange::priorities(&app, &app.fx().acme)
        .await
        .iter()
        .map(|p| p.id.0)
        .collect();
    assert!(!acme_topic_ids.contains(&globex.topic));
    assert!(!acme_prio_ids.contains(&globex.prio));

    // Acme's own URLs, filled with globex's ids.
    let guessed = Ids {
        slug: "acme".into(),
        user: globex.user,
        prio: globex.prio,
        topic: globex.topic,
        ..acme.clone()
    };
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let gwen = app.sign_in(&app.fx().globex.customers[1].email).await;
    let before = arrange::snapshot(&app).await;
    for route in ROUTES.iter().filter(|r| {
        r.template.contains("{user}")
            || r.template.contains("{prio}")
            || r.template.contains("{topic}")
    }) {
        let page = send(&app, &alma, route, &guessed).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{:?} {}",
            route.method,
            fill(route.template, &guessed)
        );
        page.assert_contains("Page not found");
        page.assert_lacks("Gwen Customer");
        page.assert_lacks("Globex");
    }
    assert_eq!(before, arrange::snapshot(&app).await);
    // Gwen's session survived the attempt to end it; globex's topic kept its name.
    gwen.get(&app, "/t/globex/").await.assert_ok();
    let topic = arrange::topics(&app, &app.fx().globex)
        .await
        .into_iter()
        .find(|t| t.id.0 == globex.topic)
        .unwrap();
    assert_eq!(topic.name, "Globex badges");
    assert!(!topic.deleted && topic.active);
}

#[tokio::test]
async fn only_the_operator_reaches_the_operator_area() {
    let (app, acme, _) = matrix_app().await;
    for who in [
        app.fx().acme.admin.email.clone(),
        app.fx().acme.supporters[0].email.clone(),
        app.fx().acme.customers[0].email.clone(),
        app.fx().globex.admin.email.clone(),
    ] {
        let browser = app.sign_in(&who).await;
        assert_refused(
            &app,
            &who,
            &browser,
            &acme,
            (Least::Operator, Least::Operator),
        )
        .await;
        // The menu offers no instance administration either.
        browser
            .get(&app, "/account/profile")
            .await
            .assert_lacks("href=\"/admin/\"");
    }
    let otto = app.sign_in(&app.fx().operator.email).await;
    for route in ROUTES
        .iter()
        .filter(|r| r.least == Least::Operator && r.method == Method::Get)
    {
        let page = send(&app, &otto, route, &acme).await;
        page.assert_ok();
    }
}

/// Every tenant route declared in src/app.rs, with `:slug` = the tenant and every other
/// capture a plausible id.
fn every_tenant_url(slug: &str) -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for (path, methods) in routes_in_app_rs("tenant_routes") {
        let filled: Vec<String> = path
            .split('/')
            .map(|segment| match segment.strip_prefix(':') {
                Some(_) => "1".to_owned(),
                None => segment.to_owned(),
            })
            .collect();
        let url = format!("/t/{slug}{}", filled.join("/"));
        for m in methods {
            out.push((m, url.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_tenant_route_refuses_anonymous_visitors_and_other_tenants() {
    let (app, _, _) = matrix_app().await;
    // Something to find behind the ids, in case a route forgot its tenant check.
    arrange::create_topic(&app, &app.fx().acme.clone(), "Second acme topic").await;
    let anon = app.anon().await;
    let gina = app.sign_in(&app.fx().globex.admin.email).await;
    let gil = app.sign_in(&app.fx().globex.customers[0].email).await;
    let before = arrange::snapshot(&app).await;
    let urls = every_tenant_url("acme");
    assert!(
        urls.len()
            >= ROUTES
                .iter()
                .filter(|r| r.template.starts_with("/t/"))
                .count()
    );
    for (method, url) in &urls {
        let page = match method {
            Method::Get => anon.get(&app, url).await,
            Method::Post => anon.post_form(&app, url, &[]).await,
        };
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "anonymous {method:?} {url}"
        );
        assert!(
            page.location().unwrap_or_default().starts_with("/login"),
            "anonymous {method:?} {url} → {:?}",
            page.location()
        );
        for (who, browser) in [("globex admin", &gina), ("globex customer", &gil)] {
            let page = match method {
                Method::Get => browser.get(&app, url).await,
                Method::Post => browser.post_form(&app, url, &[]).await,
            };
            assert_eq!(
                page.status,
                StatusCode::NOT_FOUND,
                "{who}: {method:?} {url}"
            );
            page.assert_contains("Page not found");
        }
    }
    assert_eq!(before, arrange::snapshot(&app).await);
}
