//! Hostile names of tenants, people, topics, priorities and tokens render as text on every
//! page that shows them.

use poem::http::StatusCode;
use supportbox::domain::role::Role;

use crate::support::{Page, TestApp, arrange};

const TENANT: &str = "<script>alert('tenant')</script>";
const PERSON: &str = "<script>alert('person')</script>";
const MEMBER: &str = "<img src=x onerror=alert('member')>";
const TOPIC: &str = "<script>alert('topic')</script>";
const PRIORITY: &str = "\"><script>alert('priority')</script>";
const TOKEN: &str = "<svg onload=alert('token')>";

#[track_caller]
fn assert_inert(page: &Page, what: &str) {
    assert_eq!(page.status, StatusCode::OK, "{what}: {}", page.body);
    for raw in [
        "<script>alert(",
        "<img src=x",
        "<svg onload",
        "\"><script>alert",
    ] {
        assert!(
            !page.body.contains(raw),
            "{what}: {raw} appears unescaped:\n{}",
            page.body
        );
    }
    assert!(
        page.body.contains("&lt;script&gt;alert(")
            || page.body.contains("&lt;img src=x")
            || page.body.contains("&lt;svg onload"),
        "{what}: the hostile name is not shown at all:\n{}",
        page.body
    );
}

#[tokio::test]
async fn hostile_names_are_escaped_on_every_page_that_shows_them() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    otto.post_form(
        &app,
        "/admin/tenants",
        &[
            ("name", TENANT),
            ("slug", "evil"),
            ("licence_limit", "0"),
            ("admin_email", "evil-admin@example.org"),
        ],
    )
    .await
    .assert_ok();
    let evil = arrange::tenant_by_slug(&app, "evil").await.unwrap();

    // Its admin (with a hostile name) also belongs to acme, so the chooser shows both.
    let now = supportbox::clock::Clock::now(&app.clock);
    let hash = crate::support::password_hash();
    let mallory = app
        .state
        .store
        .write(move |w| {
            supportbox::store::accounts::create_account(
                w,
                supportbox::store::accounts::NewAccount {
                    email: "mallory@evil.example".into(),
                    name: PERSON.into(),
                    phone: String::new(),
                    lang: None,
                    password_hash: hash.clone(),
                    must_change_password: false,
                    operator: false,
                },
                now,
            )
        })
        .await
        .unwrap();
    arrange::add_membership(&app, evil.id, mallory.id, Role::TenantAdmin).await;
    arrange::add_membership(&app, app.fx().acme.id, mallory.id, Role::Customer).await;

    let anon = app.anon().await;
    let page = app
        .try_sign_in(&anon, "mallory@evil.example", crate::support::PASSWORD)
        .await;
    page.assert_redirect("/choose");
    let m = anon.with_session(&page.session_cookie().unwrap());

    m.post_form(
        &app,
        "/t/evil/settings/users/create",
        &[
            ("name", MEMBER),
            ("email", "member@evil.example"),
            ("role", "customer"),
            ("initial_password", "member passphrase"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let member = arrange::account(&app, "member@evil.example").await;
    m.post_form(
        &app,
        &format!("/t/evil/settings/users/{}/role", member.id),
        &[("role", "supporter")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    m.post_form(
        &app,
        "/t/evil/settings/topics",
        &[("name", TOPIC), ("description", TOPIC), ("active", "on")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    m.post_form(
        &app,
        "/t/evil/settings/priorities",
        &[("name", PRIORITY), ("colour", "#123456"), ("rank", "5")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let created = m
        .post_form(&app, "/account/tokens", &[("name", TOKEN)])
        .await;
    assert_inert(&created, "new token page");
    let invite = m
        .post_form(
            &app,
            "/t/evil/settings/users/invite",
            &[("email", "guest@example.org"), ("role", "customer")],
        )
        .await;
    assert_inert(&invite, "users page with invitation");
    let link = invite.once_value("invite-link").unwrap();
    let invitation = &link[link.find("/invite/").unwrap()..];

    let pages: [&str; 13] = [
        "/choose",
        "/t/evil/",
        "/t/evil/settings/users",
        &format!("/t/evil/settings/users/{}", member.id),
        &format!("/t/evil/settings/users/{}", mallory.id),
        "/t/evil/settings/topics",
        "/t/evil/settings/priorities",
        "/t/evil/settings/online",
        "/t/evil/settings/audit",
        "/t/acme/",
        "/account/profile",
        "/account/tokens",
        "/account/password",
    ];
    for path in pages {
        assert_inert(&m.get(&app, path).await, path);
    }
    for path in [
        "/admin/".to_owned(),
        format!("/admin/tenants/{}", evil.id),
        "/admin/audit".to_owned(),
    ] {
        assert_inert(&otto.get(&app, &path).await, &path);
    }
    assert_inert(&app.anon().await.get(&app, invitation).await, "invitation");
    // Errors re-render what was typed, escaped.
    let page = m
        .post_form(
            &app,
            "/t/evil/settings/topics",
            &[("name", "<script>alert('typed')</script>\u{7}")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_lacks("<script>alert('typed')");
    // Acme's admin sees mallory (now working in acme) escaped too.
    m.get(&app, "/t/acme/").await.assert_ok();
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    assert_inert(
        &alma.get(&app, "/t/acme/settings/users").await,
        "acme users",
    );
    assert_inert(
        &alma.get(&app, "/t/acme/settings/online").await,
        "acme online",
    );
}
