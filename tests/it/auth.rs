//! First-run setup, signing in and out, sessions, passwords, CSRF and rate limits.

use poem::http::StatusCode;

use crate::support::{
    DEFAULT_PEER, Fields, PASSWORD, Page, TestApp, arrange, assert_security_header_map,
};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn setup_fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", "Olga Operator"),
        ("email", "olga@example.org"),
        ("password", "olga's long passphrase"),
        ("password_confirm", "olga's long passphrase"),
        ("tenant_name", "Acme Hotline"),
        ("tenant_slug", "acme-hotline"),
    ];
    for (key, value) in overrides {
        for field in fields.iter_mut() {
            if field.0 == *key {
                field.1 = value;
            }
        }
    }
    fields
}

#[tokio::test]
async fn setup_link_works_once_and_creates_the_operator_and_first_tenant() {
    let app = TestApp::new();
    let token = app
        .setup_token()
        .await
        .expect("a fresh instance offers setup");
    let anon = app.anon().await;

    let page = anon.get(&app, &format!("/setup/{token}")).await;
    page.assert_ok();
    page.assert_contains("Set up Supportbox");
    page.assert_contains("Instance administrator");
    page.assert_contains("First organisation");

    // A guessed token is not even a page.
    let wrong = "0".repeat(token.len());
    anon.get(&app, &format!("/setup/{wrong}"))
        .await
        .assert_not_found();
    anon.post_form(&app, &format!("/setup/{wrong}"), &setup_fields(&[]))
        .await
        .assert_not_found();
    assert!(!arrange::any_operator(&app).await);

    let done = anon
        .post_form(&app, &format!("/setup/{token}"), &setup_fields(&[]))
        .await;
    done.assert_status(StatusCode::SEE_OTHER);
    let location = done.location().unwrap();
    assert!(location.starts_with("/admin/"), "{location}");
    let operator = anon.with_session(&done.session_cookie().expect("signed in right away"));
    let admin = operator.get(&app, location).await;
    admin.assert_ok();
    admin.assert_contains("Organisations");
    admin.assert_contains("Acme Hotline");
    admin.assert_contains("acme-hotline");
    admin.assert_contains("Olga Operator");

    // The operator is also the first tenant's admin.
    let home = operator.get(&app, "/t/acme-hotline/").await;
    home.assert_ok();
    home.assert_contains("Hello, Olga Operator!");
    home.assert_contains("Organisation administrator");

    // Used up: the link is gone for good, and no new one is issued.
    anon.get(&app, &format!("/setup/{token}"))
        .await
        .assert_not_found();
    let again = anon
        .post_form(
            &app,
            &format!("/setup/{token}"),
            &setup_fields(&[("email", "mallory@example.org"), ("tenant_slug", "evil")]),
        )
        .await;
    again.assert_not_found();
    assert!(arrange::tenant_by_slug(&app, "evil").await.is_none());
    assert_eq!(app.setup_token().await, None);

    // Signing in later works with the chosen password.
    let page = app
        .try_sign_in(
            &app.anon().await,
            "olga@example.org",
            "olga's long passphrase",
        )
        .await;
    page.assert_redirect("/t/acme-hotline/");
}

#[tokio::test]
async fn setup_link_expires_after_a_day_and_a_restart_issues_a_new_one() {
    let app = TestApp::new();
    let first = app.setup_token().await.unwrap();
    let anon = app.anon().await;
    app.advance_minutes(23 * 60);
    anon.get(&app, &format!("/setup/{first}")).await.assert_ok();
    app.advance_minutes(61);
    anon.get(&app, &format!("/setup/{first}"))
        .await
        .assert_not_found();
    anon.post_form(&app, &format!("/setup/{first}"), &setup_fields(&[]))
        .await
        .assert_not_found();

    // The next start logs a new link; the old one stays dead.
    let second = app.setup_token().await.unwrap();
    assert_ne!(first, second);
    assert!(second.len() >= 32, "at least 128 bits: {second}");
    anon.get(&app, &format!("/setup/{second}"))
        .await
        .assert_ok();
    anon.get(&app, &format!("/setup/{first}"))
        .await
        .assert_not_found();
}

#[tokio::test]
async fn setup_form_refuses_bad_input_next_to_the_field_and_stores_nothing() {
    let app = TestApp::new();
    let token = app.setup_token().await.unwrap();
    let anon = app.anon().await;
    let long_name = "N".repeat(101);
    let long_email = format!("{}@example.org", "e".repeat(250));
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("name", long_name, "f-name", "This is too long."),
        ("email", long_email, "f-email", "This is too long."),
        (
            "email",
            "not-an-address".into(),
            "f-email",
            "Enter an email address",
        ),
        (
            "tenant_slug",
            "Acme Corp".into(),
            "f-tenant_slug",
            "lower-case letters",
        ),
        (
            "tenant_slug",
            "acme/../x".into(),
            "f-tenant_slug",
            "lower-case letters",
        ),
        (
            "tenant_slug",
            "".into(),
            "f-tenant_slug",
            "Please fill in this field.",
        ),
        (
            "name",
            "Olga\u{7}Operator".into(),
            "f-name",
            "control characters",
        ),
        (
            "tenant_name",
            "Acme\nHotline".into(),
            "f-tenant_name",
            "control characters",
        ),
        (
            "name",
            "Olga \u{202E}rotarepO".into(),
            "f-name",
            "direction-changing",
        ),
        (
            "tenant_name",
            "Ac\u{200B}me".into(),
            "f-tenant_name",
            "invisible",
        ),
        (
            "password_confirm",
            "something else entirely".into(),
            "f-password_confirm",
            "do not match",
        ),
        (
            "password",
            "short".into(),
            "f-password",
            "at least 10 characters",
        ),
        ("password", "password123".into(), "f-password", "too common"),
        // A keyboard walk on no list: the strength estimate refuses it.
        (
            "password",
            "zaqxswcdevfr".into(),
            "f-password",
            "too easy to guess",
        ),
    ];
    for (field, value, id, message) in &cases {
        let mut fields = setup_fields(&[(*field, value.as_str())]);
        if *field == "password" {
            // Keep the confirmation equal so only the rule under test fails.
            fields.retain(|(k, _)| *k != "password_confirm");
            fields.push(("password_confirm", value));
        }
        let page = anon
            .post_form(&app, &format!("/setup/{token}"), &fields)
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value:?}"
        );
        page.assert_field_error(id, message);
        page.assert_contains("Please correct the following:");
        assert!(
            page.session_cookie().is_none(),
            "{field}: nobody is signed in"
        );
        assert!(
            !arrange::any_operator(&app).await,
            "{field}: nothing stored"
        );
        assert!(
            arrange::tenant_by_slug(&app, "acme-hotline")
                .await
                .is_none()
        );
    }
    // What was typed stays in the form (except passwords).
    let page = anon
        .post_form(
            &app,
            &format!("/setup/{token}"),
            &setup_fields(&[("tenant_slug", "Acme Corp")]),
        )
        .await;
    page.assert_contains("value=\"olga@example.org\"");
    page.assert_contains("value=\"Acme Corp\"");
    page.assert_lacks("olga&#39;s long passphrase");
    page.assert_lacks("olga's long passphrase");
    // The link still works after all these refusals.
    anon.get(&app, &format!("/setup/{token}")).await.assert_ok();
}

#[tokio::test]
async fn one_membership_leads_straight_into_the_tenant_with_a_fresh_secure_cookie() {
    let app = TestApp::seeded().await;
    let carl = &app.fx().acme.customers[0];
    let anon = app.anon().await;
    let first = app.try_sign_in(&anon, &carl.email, PASSWORD).await;
    first.assert_redirect("/t/acme/");
    let cookie = first.set_cookie("__Host-sb-session").unwrap();
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let secret = first.session_cookie().unwrap();
    assert_eq!(secret.len(), 64, "256-bit random id: {secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));

    let browser = anon.with_session(&secret);
    let home = browser.get(&app, "/t/acme/").await;
    home.assert_ok();
    home.assert_contains("Hello, Carl Customer!");
    home.assert_contains("Customer");
    home.assert_lacks("Organisation administrator");
    assert_eq!(home.header("cache-control"), Some("no-store"));
    assert_security_header_map(&home.headers);

    // Signing in again, even from the same browser, gives a new session id.
    let second = app.try_sign_in(&browser, &carl.email, PASSWORD).await;
    second.assert_redirect("/t/acme/");
    let renewed = second.session_cookie().unwrap();
    assert_ne!(renewed, secret);
    let third = app.try_sign_in(&anon, &carl.email, PASSWORD).await;
    assert_ne!(third.session_cookie().unwrap(), renewed);

    // The sign-in page itself sends a signed-in person on.
    browser
        .get(&app, "/login")
        .await
        .assert_redirect("/t/acme/");
    // The email is matched in any letter case.
    app.try_sign_in(&anon, "CARL@Acme.Example", PASSWORD)
        .await
        .assert_redirect("/t/acme/");
}

#[tokio::test]
async fn several_memberships_offer_a_chooser_and_a_switcher() {
    let app = TestApp::seeded().await;
    let sam = app.fx().acme.supporters[0].clone();
    arrange::add_membership(
        &app,
        app.fx().globex.id,
        sam.id,
        supportbox::domain::role::Role::Supporter,
    )
    .await;
    let anon = app.anon().await;
    let page = app.try_sign_in(&anon, &sam.email, PASSWORD).await;
    page.assert_redirect("/choose");
    let browser = anon.with_session(&page.session_cookie().unwrap());
    let choose = browser.get(&app, "/choose").await;
    choose.assert_ok();
    choose.assert_contains("Choose an organisation");
    choose.assert_contains("href=\"/t/acme/\"");
    choose.assert_contains("href=\"/t/globex/\"");
    choose.assert_contains("Acme");
    choose.assert_contains("Globex");
    choose.assert_lacks("/admin/");

    // Inside one tenant, the switcher offers the other.
    let acme = browser.get(&app, "/t/acme/").await;
    acme.assert_ok();
    acme.assert_contains("Switch organisation");
    acme.assert_contains("href=\"/t/globex/\"");
    let globex = browser.get(&app, "/t/globex/").await;
    globex.assert_ok();
    globex.assert_contains("Globex");
    globex.assert_contains("Supporter");

    // Anonymous visitors cannot open the chooser.
    anon.get(&app, "/choose").await.assert_sign_in_required();
    // The operator (member of no tenant) lands in the operator area.
    let otto = app.fx().operator.email.clone();
    app.try_sign_in(&anon, &otto, PASSWORD)
        .await
        .assert_redirect("/admin/");
}

/// Everything that differs between two answers only because they are two requests.
fn normalised(page: &Page, typed_email: &str) -> (StatusCode, String, Vec<String>) {
    let mut body = page.body.replace(typed_email, "EMAIL");
    if let Some(id) = page.header("x-request-id") {
        body = body.replace(id, "REQUEST-ID");
    }
    let mut names: Vec<String> = page.headers.keys().map(|k| k.to_string()).collect();
    names.sort();
    (page.status, body, names)
}

#[tokio::test]
async fn unknown_wrong_password_and_disabled_accounts_get_identical_answers() {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    arrange::set_disabled(&app, acme.id, acme.customers[1].id).await;
    let anon = app.anon().await;
    let unknown = app
        .try_sign_in(&anon, "nobody@acme.example", PASSWORD)
        .await;
    let wrong = app
        .try_sign_in(&anon, &acme.customers[0].email, "not the password at all")
        .await;
    let disabled = app
        .try_sign_in(&anon, &acme.customers[1].email, PASSWORD)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    unknown.assert_contains("The email address or password is not correct");
    for page in [&unknown, &wrong, &disabled] {
        assert!(page.session_cookie().is_none());
    }
    let a = normalised(&unknown, "nobody@acme.example");
    let b = normalised(&wrong, &acme.customers[0].email);
    let c = normalised(&disabled, &acme.customers[1].email);
    assert_eq!(a, b, "unknown vs wrong password");
    assert_eq!(a, c, "unknown vs disabled");
    // The typed email is kept in the form, the password never.
    wrong.assert_contains(&format!("value=\"{}\"", acme.customers[0].email));
    wrong.assert_lacks("not the password at all");
}

#[tokio::test]
async fn next_is_followed_only_for_same_site_relative_paths() {
    let app = TestApp::seeded().await;
    let alma = app.fx().acme.admin.email.clone();
    let anon = app.anon().await;

    // An anonymous visit remembers where the person wanted to go …
    let page = anon.get(&app, "/t/acme/settings/users?q=sam").await;
    page.assert_redirect("/login?next=%2Ft%2Facme%2Fsettings%2Fusers%3Fq%3Dsam");
    let login = anon.get(&app, page.location().unwrap()).await;
    login.assert_ok();
    login.assert_contains("name=\"next\" value=\"/t/acme/settings/users?q=sam\"");
    // … and returns there after signing in.
    let page = anon
        .post_form(
            &app,
            "/login",
            &[
                ("email", alma.as_str()),
                ("password", PASSWORD),
                ("next", "/t/acme/settings/users?q=sam"),
            ],
        )
        .await;
    page.assert_redirect("/t/acme/settings/users?q=sam");
    let users = anon
        .with_session(&page.session_cookie().unwrap())
        .get(&app, "/t/acme/settings/users?q=sam")
        .await;
    users.assert_ok();
    users.assert_contains("Sam Support");
    users.assert_lacks("Carl Customer");

    for hostile in [
        "//evil.example",
        "//evil.example/t/acme/",
        "https://evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/t/acme/\r\nSet-Cookie: x=1",
        "evil.example",
    ] {
        let page = anon
            .post_form(
                &app,
                "/login",
                &[
                    ("email", alma.as_str()),
                    ("password", PASSWORD),
                    ("next", hostile),
                ],
            )
            .await;
        page.assert_redirect("/t/acme/");
        let login = anon
            .get(&app, &format!("/login?next={}", urlencode(hostile)))
            .await;
        login.assert_ok();
        login.assert_contains("name=\"next\" value=\"\"");
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap()
        .trim_start_matches('=')
        .to_owned()
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::seeded().await;
    let browser = app.sign_in(&app.fx().acme.supporters[0].email).await;
    browser.get(&app, "/t/acme/").await.assert_ok();
    let out = browser.post_form(&app, "/logout", &[]).await;
    out.assert_status(StatusCode::SEE_OTHER);
    let location = out.location().unwrap();
    assert!(location.starts_with("/login"), "{location}");
    browser
        .signed_out()
        .get(&app, location)
        .await
        .assert_contains("You have been signed out.");
    let cleared = out.set_cookie("__Host-sb-session").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(out.session_cookie().as_deref(), Some(""));

    // The old cookie is worth nothing now, even if the browser keeps sending it.
    browser
        .get(&app, "/t/acme/")
        .await
        .assert_redirect("/login?next=%2Ft%2Facme%2F");
    let login = browser.get(&app, "/login").await;
    login.assert_ok();
    login.assert_contains("Sign in");
    login.assert_lacks("Sam Support");
}

#[tokio::test]
async fn password_change_needs_the_current_password_and_ends_every_old_session() {
    let app = TestApp::seeded().await;
    let sam = app.fx().acme.supporters[0].clone();
    let desk = app.sign_in(&sam.email).await;
    let phone = app.sign_in(&sam.email).await;

    let page = desk.get(&app, "/account/password").await;
    page.assert_ok();
    page.assert_contains("Change password");
    page.assert_contains("signs you out everywhere else");

    let refusals = [
        (
            "wrong current",
            "not my password",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "f-current_password",
            "current password is not correct",
        ),
        (
            "too short",
            PASSWORD,
            "short",
            "short",
            "f-new_password",
            "at least 10 characters",
        ),
        (
            "common",
            PASSWORD,
            "password123",
            "password123",
            "f-new_password",
            "too common",
        ),
        (
            "guessable",
            PASSWORD,
            "asdfghjklqwe",
            "asdfghjklqwe",
            "f-new_password",
            "too easy to guess",
        ),
        (
            "mismatch",
            PASSWORD,
            NEW_PASSWORD,
            "a different passphrase",
            "f-password_confirm",
            "do not match",
        ),
    ];
    for (case, current, new, confirm, field, message) in refusals {
        let page = desk
            .post_form(
                &app,
                "/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("password_confirm", confirm),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        page.assert_field_error(field, message);
        assert!(page.session_cookie().is_none(), "{case}");
        // Nothing changed: both sessions still work.
        desk.get(&app, "/t/acme/").await.assert_ok();
    }
    phone.get(&app, "/t/acme/").await.assert_ok();

    let done = desk
        .post_form(
            &app,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    done.assert_redirect("/account/profile?done=password_changed");
    let fresh = desk.with_session(&done.session_cookie().unwrap());
    assert_ne!(fresh.session, desk.session);

    // Both old sessions are gone, the new one works.
    desk.get(&app, "/t/acme/").await.assert_sign_in_required();
    phone.get(&app, "/t/acme/").await.assert_sign_in_required();
    let profile = fresh
        .get(&app, "/account/profile?done=password_changed")
        .await;
    profile.assert_ok();
    profile.assert_contains("Your password has been changed.");
    fresh.get(&app, "/t/acme/").await.assert_ok();

    let anon = app.anon().await;
    assert_eq!(
        app.try_sign_in(&anon, &sam.email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.try_sign_in(&anon, &sam.email, NEW_PASSWORD)
        .await
        .assert_redirect("/t/acme/");
}

#[tokio::test]
async fn a_member_created_with_an_initial_password_must_change_it_first() {
    let app = TestApp::seeded().await;
    let admin = app.sign_in(&app.fx().acme.admin.email).await;
    let created = admin
        .post_form(
            &app,
            "/t/acme/settings/users/create",
            &[
                ("name", "Nina New"),
                ("email", "nina@acme.example"),
                ("role", "supporter"),
                ("initial_password", "initial passphrase 1"),
            ],
        )
        .await;
    created.assert_redirect("/t/acme/settings/users?done=user_created");
    let list = admin.get(&app, created.location().unwrap()).await;
    list.assert_contains("The user has been created.");
    list.assert_contains("Nina New");
    list.assert_contains("nina@acme.example");

    let nina = app.anon().await;
    let page = app
        .try_sign_in(&nina, "nina@acme.example", "initial passphrase 1")
        .await;
    page.assert_redirect("/account/password");
    let nina = nina.with_session(&page.session_cookie().unwrap());
    // Even an explicit return target waits until the password is changed.
    let page = nina
        .signed_out()
        .post_form(
            &app,
            "/login",
            &[
                ("email", "nina@acme.example"),
                ("password", "initial passphrase 1"),
                ("next", "/t/acme/settings/topics"),
            ],
        )
        .await;
    page.assert_redirect("/account/password");

    for path in [
        "/t/acme/",
        "/t/acme/settings/topics",
        "/account/profile",
        "/account/tokens",
        "/choose",
    ] {
        nina.get(&app, path)
            .await
            .assert_redirect("/account/password");
    }
    let page = nina
        .post_form(&app, "/t/acme/settings/topics", &[("name", "Sneaky")])
        .await;
    page.assert_redirect("/account/password");
    let forced = nina.get(&app, "/account/password").await;
    forced.assert_ok();
    forced.assert_contains("You signed in with an initial password");

    let done = nina
        .post_form(
            &app,
            "/account/password",
            &[
                ("current_password", "initial passphrase 1"),
                ("new_password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    done.assert_status(StatusCode::SEE_OTHER);
    let nina = nina.with_session(&done.session_cookie().unwrap());
    let home = nina.get(&app, "/t/acme/").await;
    home.assert_ok();
    home.assert_contains("Hello, Nina New!");
    home.assert_contains("Supporter");
    assert!(
        !arrange::account(&app, "nina@acme.example")
            .await
            .must_change_password
    );
    assert!(
        app.state
            .services
            .topics(&supportbox::domain::caller::Caller {
                tenant: app.fx().acme.id,
                tenant_slug: "acme".into(),
                account: app.fx().acme.admin.id,
                role: supportbox::domain::role::Role::TenantAdmin,
                via: supportbox::domain::caller::AuthMethod::Session,
            })
            .await
            .unwrap()
            .is_empty(),
        "the forbidden POST created nothing"
    );
}

#[tokio::test]
async fn disabling_a_member_ends_their_sessions_at_once() {
    let app = TestApp::seeded().await;
    let cleo = app.fx().acme.customers[1].clone();
    let admin = app.sign_in(&app.fx().acme.admin.email).await;
    let victim = app.sign_in(&cleo.email).await;
    victim.get(&app, "/t/acme/").await.assert_ok();

    let base = format!("/t/acme/settings/users/{}", cleo.id);
    let page = admin.post_form(&app, &format!("{base}/disable"), &[]).await;
    page.assert_redirect(&format!("{base}?done=user_disabled"));
    let detail = admin.get(&app, page.location().unwrap()).await;
    detail.assert_contains("The user has been disabled and signed out.");
    detail.assert_contains("Disabled");
    detail.assert_contains("No active sessions.");
    detail.assert_contains("Enable");

    victim.get(&app, "/t/acme/").await.assert_sign_in_required();
    victim
        .get(&app, "/account/profile")
        .await
        .assert_sign_in_required();
    let again = app
        .try_sign_in(&app.anon().await, &cleo.email, PASSWORD)
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    again.assert_contains("The email address or password is not correct");

    let page = admin.post_form(&app, &format!("{base}/enable"), &[]).await;
    page.assert_redirect(&format!("{base}?done=user_enabled"));
    admin
        .get(&app, page.location().unwrap())
        .await
        .assert_contains("The user has been enabled.");
    app.sign_in(&cleo.email).await;
}

#[tokio::test]
async fn an_admin_sees_and_ends_a_members_sessions() {
    let app = TestApp::seeded().await;
    let sam = app.fx().acme.supporters[0].clone();
    let admin = app.sign_in(&app.fx().acme.admin.email).await;
    let sams = app.sign_in(&sam.email).await;
    sams.get(&app, "/t/acme/").await.assert_ok();

    let base = format!("/t/acme/settings/users/{}", sam.id);
    let detail = admin.get(&app, &base).await;
    detail.assert_ok();
    detail.assert_contains("Sam Support");
    detail.assert_contains("Sessions");
    detail.assert_contains("just now");
    detail.assert_contains("End all sessions");
    detail.assert_contains("Online");

    let page = admin
        .post_form(&app, &format!("{base}/sessions/end"), &[])
        .await;
    page.assert_redirect(&format!("{base}?done=sessions_ended"));
    let detail = admin.get(&app, page.location().unwrap()).await;
    detail.assert_contains("All sessions of this user have been ended.");
    detail.assert_contains("No active sessions.");
    sams.get(&app, "/t/acme/").await.assert_sign_in_required();
    // Sam is still a member and may sign in again.
    app.sign_in(&sam.email).await;
}

#[tokio::test]
async fn state_changes_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::seeded().await;
    let anon = app.anon().await;
    let admin = app.sign_in(&app.fx().acme.admin.email).await;
    let operator = app.sign_in(&app.fx().operator.email).await;
    let alma = app.fx().acme.admin.email.clone();
    let wrong = "0123456789abcdef0123456789abcdef";

    let cases: Vec<(&str, &crate::support::Browser, Fields)> = vec![
        (
            "/login",
            &anon,
            vec![("email", alma.as_str()), ("password", PASSWORD)],
        ),
        ("/logout", &admin, vec![]),
        (
            "/t/acme/settings/topics",
            &admin,
            vec![("name", "Forged"), ("active", "on")],
        ),
        (
            "/admin/tenants",
            &operator,
            vec![
                ("name", "Forged"),
                ("slug", "forged"),
                ("licence_limit", "0"),
                ("admin_email", "forged@example.org"),
            ],
        ),
    ];
    for (path, browser, fields) in &cases {
        let without = serde_urlencoded::to_string(fields).unwrap();
        let mut with_wrong = vec![("csrf", wrong)];
        with_wrong.extend(fields.iter().copied());
        let with_wrong = serde_urlencoded::to_string(&with_wrong).unwrap();
        let mut with_right = vec![("csrf", browser.csrf.as_str())];
        with_right.extend(fields.iter().copied());
        let with_right = serde_urlencoded::to_string(&with_right).unwrap();
        // The token in the form must match the cookie; a form without a cookie fails too.
        let no_cookie = crate::support::Browser {
            csrf: String::new(),
            ..(*browser).clone()
        };
        for (case, sender, body) in [
            ("missing field", *browser, without),
            ("wrong field", *browser, with_wrong),
            ("missing cookie", &no_cookie, with_right),
        ] {
            let page = sender.post_body(&app, path, body).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {case}");
            page.assert_contains("Request refused");
            assert!(page.session_cookie().is_none(), "{path}: {case}");
        }
    }
    // Nothing happened: still signed in, no topic, no tenant.
    admin.get(&app, "/t/acme/").await.assert_ok();
    admin
        .get(&app, "/t/acme/settings/topics")
        .await
        .assert_lacks("Forged");
    assert!(arrange::tenant_by_slug(&app, "forged").await.is_none());
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_per_account_and_address_without_locking_out_the_owner()
{
    let app = TestApp::seeded_with_config(|c| {
        c.login_failures_per_account = 3;
        c.login_attempts_per_address = 6;
    })
    .await;
    let carl = app.fx().acme.customers[0].email.clone();
    let attacker = app.anon_from("203.0.113.66").await;
    for _ in 0..3 {
        let page = app.try_sign_in(&attacker, &carl, "guess guess guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    // Locked for this account from this address, even with the right password.
    let page = app.try_sign_in(&attacker, &carl, PASSWORD).await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    page.assert_contains("Too many sign-in attempts");
    let wait: u64 = page.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    assert!(page.session_cookie().is_none());

    // The real Carl at his own address is not locked out.
    let owner = app.anon_from("198.51.100.7").await;
    app.try_sign_in(&owner, &carl, PASSWORD)
        .await
        .assert_redirect("/t/acme/");
    // Another account from the attacker's address is still allowed (per account).
    let cleo = app.fx().acme.customers[1].email.clone();
    app.try_sign_in(&attacker, &cleo, PASSWORD)
        .await
        .assert_redirect("/t/acme/");

    // One address spraying many accounts hits the per-address limit.
    let sprayer = app.anon_from("203.0.113.99").await;
    for i in 0..6 {
        let page = app
            .try_sign_in(
                &sprayer,
                &format!("user{i}@acme.example"),
                "guess guess guess",
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let page = app.try_sign_in(&sprayer, &cleo, PASSWORD).await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(page.header("retry-after").is_some());
    // Invitation and setup endpoints count against the same address allowance.
    let page = sprayer
        .post_form(
            &app,
            &format!("/invite/{}", "ab".repeat(32)),
            &[("name", "X")],
        )
        .await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(page.header("retry-after").is_some());
    let page = sprayer
        .post_form(
            &app,
            &format!("/setup/{}", "ab".repeat(32)),
            &[("name", "X")],
        )
        .await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(page.header("retry-after").is_some());
    // Others are unaffected.
    app.try_sign_in(&app.anon().await, &cleo, PASSWORD)
        .await
        .assert_redirect("/t/acme/");

    // The lock ends after its window.
    app.advance_minutes(16);
    app.try_sign_in(&attacker, &carl, PASSWORD)
        .await
        .assert_redirect("/t/acme/");
    app.try_sign_in(&sprayer, &cleo, PASSWORD)
        .await
        .assert_redirect("/t/acme/");
    assert_eq!(DEFAULT_PEER, "192.0.2.1");
}

#[tokio::test]
async fn guessing_spread_over_many_addresses_hits_an_account_wide_ceiling() {
    let app = TestApp::seeded_with_config(|c| c.login_failures_per_account = 1).await;
    let ceiling = supportbox::service::ratelimit::ACCOUNT_WIDE_FACTOR;
    let carl = app.fx().acme.customers[0].email.clone();
    for i in 0..ceiling {
        let bot = app.anon_from(&format!("203.0.113.{}", i + 1)).await;
        let page = app.try_sign_in(&bot, &carl, "guess guess guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Now even the owner, from an address that never failed, waits.
    let owner = app.anon_from("198.51.100.7").await;
    let page = app.try_sign_in(&owner, &carl, PASSWORD).await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(page.session_cookie().is_none());
    // Other accounts are untouched.
    app.try_sign_in(&owner, &app.fx().acme.customers[1].email, PASSWORD)
        .await
        .assert_redirect("/t/acme/");
    app.advance_minutes(16);
    app.try_sign_in(&owner, &carl, PASSWORD)
        .await
        .assert_redirect("/t/acme/");
}

#[tokio::test]
async fn joining_through_an_invitation_with_an_existing_password_is_rate_limited() {
    let app = TestApp::seeded_with_config(|c| c.login_failures_per_account = 1).await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let page = alma
        .post_form(
            &app,
            "/t/acme/settings/users/invite",
            &[("email", "gina@globex.example"), ("role", "supporter")],
        )
        .await;
    page.assert_ok();
    let start = page.body.find("/invite/").unwrap();
    let path = page.body[start..start + "/invite/".len() + 64].to_owned();
    let holder = app.anon_from("203.0.113.5").await;
    let attempt = |password: &'static str| {
        let (holder, app, path) = (&holder, &app, path.clone());
        async move {
            holder
                .post_form(
                    app,
                    &path,
                    &[
                        ("name", "X"),
                        ("password", password),
                        ("password_confirm", password),
                    ],
                )
                .await
        }
    };
    attempt("not her password")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // The allowance is used up for this account from this address: even the right
    // password waits, and the failure counts like a failed sign-in.
    attempt(PASSWORD)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    app.try_sign_in(&holder, "gina@globex.example", PASSWORD)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_invitation_and_setup_endpoints_are_limited_per_address() {
    let app = TestApp::with_config(|c| c.login_attempts_per_address = 3);
    let token = app.setup_token().await.unwrap();
    let prober = app.anon_from("203.0.113.5").await;
    for _ in 0..3 {
        prober
            .post_form(&app, &format!("/invite/{}", "cd".repeat(32)), &[])
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    let page = prober
        .post_form(&app, &format!("/setup/{token}"), &setup_fields(&[]))
        .await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(!arrange::any_operator(&app).await);
    // The real administrator elsewhere can still set up.
    let admin = app.anon_from("198.51.100.1").await;
    admin
        .post_form(&app, &format!("/setup/{token}"), &setup_fields(&[]))
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// `$argon2id$v=19$m=…,t=…,p=…$salt$hash` → (m, t, p).
fn argon2_params(phc: &str) -> (u32, u32, u32) {
    let parts: Vec<&str> = phc.split('$').collect();
    assert_eq!(parts.get(1), Some(&"argon2id"), "{phc}");
    assert_eq!(parts.get(2), Some(&"v=19"), "{phc}");
    let mut m = 0;
    let mut t = 0;
    let mut p = 0;
    for kv in parts[3].split(',') {
        let (k, v) = kv.split_once('=').unwrap();
        let v: u32 = v.parse().unwrap();
        match k {
            "m" => m = v,
            "t" => t = v,
            "p" => p = v,
            other => panic!("unexpected parameter {other} in {phc}"),
        }
    }
    (m, t, p)
}

#[tokio::test]
async fn stored_password_hashes_are_argon2id_with_at_least_the_required_cost() {
    let app = TestApp::seeded().await;
    // Passwords set through every path: created member, invitation, password change.
    let admin = app.sign_in(&app.fx().acme.admin.email).await;
    admin
        .post_form(
            &app,
            "/t/acme/settings/users/create",
            &[
                ("name", "Hash Created"),
                ("email", "created@acme.example"),
                ("role", "customer"),
                ("initial_password", "created passphrase"),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = admin
        .post_form(
            &app,
            "/t/acme/settings/users/invite",
            &[("email", "invited@acme.example"), ("role", "customer")],
        )
        .await;
    let link = page.once_value("invite-link").unwrap();
    let path = &link[link.find("/invite/").unwrap()..];
    app.anon()
        .await
        .post_form(
            &app,
            path,
            &[
                ("name", "Hash Invited"),
                ("password", "invited passphrase"),
                ("password_confirm", "invited passphrase"),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    admin
        .post_form(
            &app,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);

    for (email, plain) in [
        ("created@acme.example", "created passphrase"),
        ("invited@acme.example", "invited passphrase"),
        (app.fx().acme.admin.email.as_str(), NEW_PASSWORD),
        (app.fx().operator.email.as_str(), PASSWORD),
    ] {
        let hash = arrange::account(&app, email).await.password_hash;
        let (m, t, p) = argon2_params(&hash);
        assert!(m >= 19_456, "{email}: m={m}");
        assert!(t >= 2, "{email}: t={t}");
        assert!(p >= 1, "{email}: p={p}");
        assert!(
            !hash.contains(plain),
            "{email}: the password itself is stored"
        );
        assert!(supportbox::service::passwords::verify_blocking(
            plain, &hash
        ));
    }
}

#[tokio::test]
async fn the_start_page_of_a_fresh_instance_says_where_the_setup_link_is() {
    let app = TestApp::new();
    app.setup_token().await.unwrap();
    let page = app.anon().await.get(&app, "/").await;
    page.assert_ok();
    page.assert_contains("has not been set up yet");
    page.assert_contains("server log");
    // Once set up, the hint is gone.
    let seeded = TestApp::seeded().await;
    seeded
        .anon()
        .await
        .get(&seeded, "/")
        .await
        .assert_lacks("has not been set up yet");
}

#[tokio::test]
async fn signing_in_from_an_operator_page_returns_to_that_page() {
    let app = TestApp::seeded().await;
    let anon = app.anon().await;
    let page = anon.get(&app, "/admin/settings").await;
    page.assert_redirect("/login?next=%2Fadmin%2Fsettings");
    let page = anon
        .post_form(
            &app,
            "/login",
            &[
                ("email", app.fx().operator.email.as_str()),
                ("password", PASSWORD),
                ("next", "/admin/settings"),
            ],
        )
        .await;
    page.assert_redirect("/admin/settings");
}

#[tokio::test]
async fn the_profile_keeps_name_phone_and_language_and_refuses_bad_input() {
    let app = TestApp::seeded().await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    let page = carl.get(&app, "/account/profile").await;
    page.assert_ok();
    page.assert_contains("Signed in as carl@acme.example.");
    page.assert_contains("value=\"Carl Customer\"");

    let before = arrange::snapshot(&app).await;
    for (fields, field, message) in [
        (
            vec![("name", ""), ("phone", ""), ("lang", "")],
            "f-name",
            "Please fill in this field.",
        ),
        (
            vec![
                ("name", "Carl \u{202E}remotsuC"),
                ("phone", ""),
                ("lang", ""),
            ],
            "f-name",
            "direction-changing",
        ),
        (
            vec![("name", "Carl"), ("phone", "call me maybe"), ("lang", "")],
            "f-phone",
            "Use only digits",
        ),
    ] {
        let page = carl.post_form(&app, "/account/profile", &fields).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
    }
    let page = carl
        .post_form(
            &app,
            "/account/profile",
            &[("name", "Carl"), ("phone", ""), ("lang", "xx")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Choose one of the offered options.");
    assert_eq!(before, arrange::snapshot(&app).await, "nothing stored");

    let page = carl
        .post_form(
            &app,
            "/account/profile",
            &[
                ("name", "Carl C. Customer"),
                ("phone", "+49 (30) 123-45"),
                ("lang", "de"),
            ],
        )
        .await;
    page.assert_redirect("/account/profile?done=profile_saved");
    let page = carl.get(&app, page.location().unwrap()).await;
    page.assert_contains("<html lang=\"de\">");
    page.assert_contains("Ihr Profil wurde gespeichert.");
    page.assert_contains("value=\"Carl C. Customer\"");
    page.assert_contains("value=\"+49 (30) 123-45\"");
    carl.get(&app, "/t/acme/")
        .await
        .assert_contains("Carl C. Customer");
}
