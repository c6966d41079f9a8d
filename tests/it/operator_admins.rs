//! The operator brings an organisation to life: its first admin is named when it is
//! created, and admins can be added to any organisation later.

use poem::http::StatusCode;
use supportbox::domain::role::Role;

use crate::support::{PASSWORD, Page, TestApp, arrange};

fn invitation_path(page: &Page) -> String {
    let link = page
        .once_value("invite-link")
        .expect("the invitation link is shown");
    assert!(link.starts_with("https://"), "{link}");
    link[link.find("/invite/").unwrap()..].to_owned()
}

#[tokio::test]
async fn a_new_organisation_is_entered_by_the_admin_the_operator_invited() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    let page = otto
        .post_form(
            &app,
            "/admin/tenants",
            &[
                ("name", "Initech"),
                ("slug", "initech"),
                ("licence_limit", "0"),
                ("admin_email", "Ivy@Initech.example"),
            ],
        )
        .await;
    page.assert_ok();
    page.assert_contains("Its admin joins with the invitation link below.");
    page.assert_contains("Invitation for ivy@initech.example:");
    page.assert_contains("Nobody is a member yet");
    let path = invitation_path(&page);
    let initech = arrange::tenant_by_slug(&app, "initech").await.unwrap();

    let ivy = app.anon().await;
    ivy.get(&app, &path)
        .await
        .assert_contains("You have been invited to Initech");
    let joined = ivy
        .post_form(
            &app,
            &path,
            &[
                ("name", "Ivy Initech"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    joined.assert_redirect("/t/initech/");
    let ivy = ivy.with_session(&joined.session_cookie().unwrap());
    ivy.get(&app, "/t/initech/").await.assert_ok();
    ivy.get(&app, "/t/initech/settings/users")
        .await
        .assert_contains("Ivy Initech");
    let account = arrange::account(&app, "ivy@initech.example").await;
    assert_eq!(
        arrange::membership(&app, initech.id, account.id).await.role,
        Role::TenantAdmin
    );

    let detail = otto
        .get(&app, &format!("/admin/tenants/{}", initech.id))
        .await;
    let members = &detail.body[detail.body.find("members-title").unwrap()..];
    assert!(members.contains("Ivy Initech") && members.contains("Organisation administrator"));
    assert!(!detail.body.contains(&path), "the link is shown only once");
    // The invitation is in the new organisation's own log, made by the operator.
    ivy.get(&app, "/t/initech/settings/audit")
        .await
        .assert_contains("User invited");
}

#[tokio::test]
async fn an_existing_account_becomes_admin_at_once_and_bad_addresses_are_refused() {
    let app = TestApp::seeded().await;
    let fx = app.fx();
    let otto = app.sign_in(&fx.operator.email).await;
    let path = format!("/admin/tenants/{}/admins", fx.acme.id);
    let gina = fx.globex.admin.clone();

    let page = otto
        .post_form(&app, &path, &[("admin_email", gina.email.as_str())])
        .await;
    page.assert_ok();
    page.assert_contains("The account is now an admin of this organisation.");
    assert!(page.once_value("invite-link").is_none(), "no link needed");
    assert_eq!(
        arrange::membership(&app, fx.acme.id, gina.id).await.role,
        Role::TenantAdmin
    );
    let gina_in = app.sign_in(&gina.email).await;
    gina_in
        .get(&app, "/t/acme/settings/users")
        .await
        .assert_ok();

    // A supporter is promoted, not added twice.
    let sam = fx.acme.supporters[0].clone();
    otto.post_form(&app, &path, &[("admin_email", sam.email.as_str())])
        .await
        .assert_ok();
    assert_eq!(
        arrange::membership(&app, fx.acme.id, sam.id).await.role,
        Role::TenantAdmin
    );

    let before = arrange::snapshot(&app).await;
    for (value, message) in [
        (gina.email.as_str(), "already an admin of this organisation"),
        (
            "not-an-address",
            "Enter an email address like name@example.org.",
        ),
        ("", "Please fill in this field."),
    ] {
        let page = otto.post_form(&app, &path, &[("admin_email", value)]).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error("f-admin_email", message);
    }
    let page = otto
        .post_form(
            &app,
            "/admin/tenants",
            &[
                ("name", "Nobody"),
                ("slug", "nobody"),
                ("licence_limit", "0"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-admin_email", "Please fill in this field.");
    assert_eq!(before, arrange::snapshot(&app).await, "nothing stored");

    // Only the operator adds admins: a tenant admin of acme, a customer, an anonymous visitor.
    for email in [
        fx.acme.admin.email.as_str(),
        fx.acme.customers[0].email.as_str(),
    ] {
        let browser = app.sign_in(email).await;
        browser
            .post_form(&app, &path, &[("admin_email", "x@example.org")])
            .await
            .assert_not_found();
    }
    app.anon()
        .await
        .post_form(&app, &path, &[("admin_email", "x@example.org")])
        .await
        .assert_sign_in_required();
    let unknown = "/admin/tenants/9999/admins";
    otto.post_form(&app, unknown, &[("admin_email", "x@example.org")])
        .await
        .assert_not_found();
}
