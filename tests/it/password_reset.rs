//! The way back in without the password: one-time reset links issued by an admin of the
//! organisation or by the operator.

use poem::http::StatusCode;

use crate::support::{Browser, PASSWORD, Page, TestApp};

const NEW_PASSWORD: &str = "a brand new passphrase 7";

fn reset_path(page: &Page) -> String {
    let link = page
        .once_value("reset-link")
        .expect("the reset link is shown");
    assert!(link.starts_with("https://"), "{link}");
    link[link.find("/reset/").unwrap()..].to_owned()
}

async fn issue(app: &TestApp, admin: &Browser, member: u64) -> String {
    let page = admin
        .post_form(app, &format!("/t/acme/settings/users/{member}/reset"), &[])
        .await;
    page.assert_ok();
    page.assert_contains("The reset link has been created");
    reset_path(&page)
}

async fn set(app: &TestApp, path: &str, password: &str, confirm: &str) -> Page {
    app.anon()
        .await
        .post_form(
            app,
            path,
            &[("password", password), ("password_confirm", confirm)],
        )
        .await
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_signs_every_session_out() {
    let app = TestApp::seeded().await;
    let fx = app.fx();
    let cleo = fx.acme.customers[1].clone();
    let cleo_before = app.sign_in(&cleo.email).await;
    cleo_before.get(&app, "/t/acme/").await.assert_ok();

    let login = app.anon().await.get(&app, "/login").await;
    login.assert_contains("href=\"/password/forgot\"");
    let forgot = app.anon().await.get(&app, "/password/forgot").await;
    forgot.assert_ok();
    forgot.assert_contains("Ask an admin of your organisation");

    let alma = app.sign_in(&fx.acme.admin.email).await;
    let path = issue(&app, &alma, cleo.id.0).await;
    assert_eq!(path.len(), "/reset/".len() + 64, "{path}");
    alma.get(&app, &format!("/t/acme/settings/users/{}", cleo.id.0))
        .await
        .assert_lacks(&path);
    let page = app.anon().await.get(&app, &path).await;
    page.assert_ok();
    page.assert_contains("A new password for cleo@acme.example.");

    for (password, confirm, field, message) in [
        (
            NEW_PASSWORD,
            "something else",
            "f-password_confirm",
            "do not match",
        ),
        ("qwertyuiop", "qwertyuiop", "f-password", "too common"),
        ("short", "short", "f-password", ""),
    ] {
        let page = set(&app, &path, password, confirm).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
    }
    let done = set(&app, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    done.assert_redirect("/login?done=password_reset");
    cleo_before
        .get(&app, "/t/acme/")
        .await
        .assert_sign_in_required();
    let anon = app.anon().await;
    let old = app.try_sign_in(&anon, &cleo.email, PASSWORD).await;
    assert!(old.session_cookie().is_none(), "the old password is gone");
    let signed = app.try_sign_in(&anon, &cleo.email, NEW_PASSWORD).await;
    assert!(signed.session_cookie().is_some(), "the new password works");

    // Replayed: the link is used up.
    let again = set(
        &app,
        &path,
        "another fine passphrase 9",
        "another fine passphrase 9",
    )
    .await;
    again.assert_status(StatusCode::NOT_FOUND);
    again.assert_contains("This link does not work");
    alma.get(&app, "/t/acme/settings/audit")
        .await
        .assert_contains("Password reset link issued");
}

#[tokio::test]
async fn a_link_dies_after_an_hour_after_another_password_change_and_with_the_membership() {
    let app = TestApp::seeded().await;
    let fx = app.fx();
    let alma = app.sign_in(&fx.acme.admin.email).await;
    let carl = fx.acme.customers[0].clone();

    let expired = issue(&app, &alma, carl.id.0).await;
    app.advance_minutes(61);
    let alma = app.sign_in(&fx.acme.admin.email).await;
    app.anon()
        .await
        .get(&app, &expired)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // A password set through a newer link outlives the older one.
    let older = issue(&app, &alma, carl.id.0).await;
    let newer = issue(&app, &alma, carl.id.0).await;
    set(&app, &newer, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .assert_redirect("/login?done=password_reset");
    set(
        &app,
        &older,
        "yet another passphrase 3",
        "yet another passphrase 3",
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);

    // Disabling the member kills their link.
    let sam = fx.acme.supporters[0].clone();
    let link = issue(&app, &alma, sam.id.0).await;
    alma.post_form(
        &app,
        &format!("/t/acme/settings/users/{}/disable", sam.id.0),
        &[],
    )
    .await;
    app.anon()
        .await
        .get(&app, &link)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // … and a disabled member gets no new one, nor does the admin for their own account.
    for id in [sam.id.0, fx.acme.admin.id.0] {
        let page = alma
            .post_form(&app, &format!("/t/acme/settings/users/{id}/reset"), &[])
            .await;
        page.assert_redirect(&format!(
            "/t/acme/settings/users/{id}?done=reset_not_possible"
        ));
    }
}

#[tokio::test]
async fn only_an_admin_of_the_members_organisation_or_the_operator_issues_links() {
    let app = TestApp::seeded().await;
    let fx = app.fx();
    let gil = fx.globex.customers[0].clone();
    let carl = fx.acme.customers[0].clone();
    let other_tenant = format!("/t/acme/settings/users/{}/reset", gil.id.0);
    let alma = app.sign_in(&fx.acme.admin.email).await;
    alma.post_form(&app, &other_tenant, &[])
        .await
        .assert_not_found();
    let own = format!("/t/acme/settings/users/{}/reset", carl.id.0);
    for email in [
        fx.acme.supporters[0].email.as_str(),
        fx.acme.customers[1].email.as_str(),
        fx.globex.admin.email.as_str(),
    ] {
        let browser = app.sign_in(email).await;
        browser.post_form(&app, &own, &[]).await.assert_not_found();
    }
    app.anon()
        .await
        .post_form(&app, &own, &[])
        .await
        .assert_sign_in_required();

    // The operator, from the organisation's page, for any of its members.
    let otto = app.sign_in(&fx.operator.email).await;
    let page = otto
        .post_form(
            &app,
            &format!("/admin/tenants/{}/members/{}/reset", fx.globex.id, gil.id.0),
            &[],
        )
        .await;
    page.assert_ok();
    page.assert_contains("Reset link for gil@globex.example:");
    let path = reset_path(&page);
    set(&app, &path, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .assert_redirect("/login?done=password_reset");
    // Not for somebody who is not a member there, and not for anyone else.
    otto.post_form(
        &app,
        &format!(
            "/admin/tenants/{}/members/{}/reset",
            fx.globex.id, carl.id.0
        ),
        &[],
    )
    .await
    .assert_not_found();
    alma.post_form(
        &app,
        &format!("/admin/tenants/{}/members/{}/reset", fx.acme.id, carl.id.0),
        &[],
    )
    .await
    .assert_not_found();
    // A made-up link shows the same page as a dead one.
    app.anon()
        .await
        .get(&app, &format!("/reset/{}", "ab".repeat(32)))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}
