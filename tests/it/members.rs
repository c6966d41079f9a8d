//! A tenant admin changes a member's details and removes members; an account shared with
//! another organisation keeps its details out of reach.

use poem::http::StatusCode;

use crate::support::{TestApp, arrange};

#[tokio::test]
async fn an_admin_edits_the_details_of_a_member_of_this_organisation_only() {
    let app = TestApp::seeded().await;
    let fx = app.fx();
    let alma = app.sign_in(&fx.acme.admin.email).await;
    let carl = fx.acme.customers[0].clone();
    let path = format!("/t/acme/settings/users/{}", carl.id.0);
    let page = alma.get(&app, &path).await;
    page.assert_contains(&format!("action=\"{path}/edit\""));

    let edited = alma
        .post_form(
            &app,
            &format!("{path}/edit"),
            &[
                ("name", "Carl Kunde"),
                ("email", "Carl.Kunde@Acme.example"),
                ("phone", "+49 30 765432"),
            ],
        )
        .await;
    edited.assert_redirect(&format!("{path}?done=user_edited"));
    let account = arrange::account(&app, "carl.kunde@acme.example").await;
    assert_eq!(account.id, carl.id);
    assert_eq!(account.name, "Carl Kunde");
    assert_eq!(account.phone, "+49 30 765432");
    alma.get(&app, "/t/acme/settings/audit")
        .await
        .assert_contains("Details changed");

    let before = arrange::snapshot(&app).await;
    let taken = fx.acme.supporters[0].email.clone();
    for (name, email, field, message) in [
        (
            "",
            "carl.kunde@acme.example",
            "f-name",
            "Please fill in this field.",
        ),
        (
            "Carl",
            "not an address",
            "f-email",
            "Enter an email address",
        ),
        ("Carl", taken.as_str(), "f-email", "already in use"),
    ] {
        let page = alma
            .post_form(
                &app,
                &format!("{path}/edit"),
                &[("name", name), ("email", email), ("phone", "")],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
    }
    assert_eq!(before, arrange::snapshot(&app).await, "nothing stored");

    // Gina is admin of globex and, since the operator added her, of acme too: acme's admin
    // must not change the address globex trusts.
    let otto = app.sign_in(&fx.operator.email).await;
    let gina = fx.globex.admin.clone();
    otto.post_form(
        &app,
        &format!("/admin/tenants/{}/admins", fx.acme.id),
        &[("admin_email", gina.email.as_str())],
    )
    .await
    .assert_ok();
    let gina_path = format!("/t/acme/settings/users/{}", gina.id.0);
    let page = alma.get(&app, &gina_path).await;
    page.assert_contains("also belongs to another organisation");
    page.assert_lacks(&format!("action=\"{gina_path}/edit\""));
    let refused = alma
        .post_form(
            &app,
            &format!("{gina_path}/edit"),
            &[
                ("name", "Gina"),
                ("email", "mine@evil.example"),
                ("phone", ""),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(arrange::account(&app, &gina.email).await.name, gina.name);

    // Only this organisation's admin: not another's, not staff or customers, not anonymous.
    let gil = fx.globex.customers[0].clone();
    alma.post_form(
        &app,
        &format!("/t/acme/settings/users/{}/edit", gil.id.0),
        &[
            ("name", "Gil"),
            ("email", "gil@globex.example"),
            ("phone", ""),
        ],
    )
    .await
    .assert_not_found();
    for email in [
        fx.acme.supporters[0].email.as_str(),
        fx.acme.customers[1].email.as_str(),
    ] {
        app.sign_in(email)
            .await
            .post_form(&app, &format!("{path}/edit"), &[("name", "X")])
            .await
            .assert_not_found();
    }
    app.anon()
        .await
        .post_form(&app, &format!("{path}/edit"), &[("name", "X")])
        .await
        .assert_sign_in_required();
}

#[tokio::test]
async fn a_removed_member_is_signed_out_and_cannot_come_back_but_the_account_stays() {
    let app = TestApp::seeded().await;
    let fx = app.fx();
    let alma = app.sign_in(&fx.acme.admin.email).await;
    let cleo = fx.acme.customers[1].clone();
    let cleo_in = app.sign_in(&cleo.email).await;
    cleo_in.get(&app, "/t/acme/").await.assert_ok();

    let path = format!("/t/acme/settings/users/{}", cleo.id.0);
    alma.post_form(&app, &format!("{path}/remove"), &[])
        .await
        .assert_redirect("/t/acme/settings/users?done=user_removed");
    cleo_in
        .get(&app, "/t/acme/")
        .await
        .assert_sign_in_required();
    let anon = app.anon().await;
    let again = app
        .try_sign_in(&anon, &cleo.email, crate::support::PASSWORD)
        .await;
    assert!(
        again.session_cookie().is_none(),
        "an account in no organisation cannot sign in"
    );
    assert_eq!(arrange::account(&app, &cleo.email).await.id, cleo.id);
    alma.get(&app, "/t/acme/settings/users")
        .await
        .assert_lacks(&cleo.email);
    alma.get(&app, "/t/acme/settings/audit")
        .await
        .assert_contains("Removed from the organisation");

    // Not oneself, not twice, not another organisation's member, not by anyone but an admin.
    let own = format!("/t/acme/settings/users/{}/remove", fx.acme.admin.id.0);
    alma.post_form(&app, &own, &[])
        .await
        .assert_redirect(&format!(
            "/t/acme/settings/users/{}?done=not_changed",
            fx.acme.admin.id.0
        ));
    alma.post_form(&app, &format!("{path}/remove"), &[])
        .await
        .assert_not_found();
    let gil = fx.globex.customers[0].clone();
    alma.post_form(
        &app,
        &format!("/t/acme/settings/users/{}/remove", gil.id.0),
        &[],
    )
    .await
    .assert_not_found();
    let carl = format!(
        "/t/acme/settings/users/{}/remove",
        fx.acme.customers[0].id.0
    );
    let sam = app.sign_in(&fx.acme.supporters[0].email).await;
    sam.post_form(&app, &carl, &[]).await.assert_not_found();
    app.anon()
        .await
        .post_form(&app, &carl, &[])
        .await
        .assert_sign_in_required();
}

#[tokio::test]
async fn the_member_list_pages_filters_and_sorts_and_the_pages_keep_the_filters() {
    use supportbox::domain::accounts::Membership;
    use supportbox::domain::role::Role;
    use supportbox::store::accounts::{NewAccount, create_account, put_membership};
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.id;
    let hash = crate::support::password_hash();
    let now = supportbox::clock::Clock::now(&app.clock);
    app.state
        .store
        .write(move |w| {
            for i in 0..40 {
                let account = create_account(
                    w,
                    NewAccount::person(
                        format!("person{i:02}@acme.example"),
                        format!("Person {i:02}"),
                        hash.clone(),
                    ),
                    now,
                )?;
                put_membership(
                    w,
                    &Membership {
                        tenant: acme,
                        account: account.id,
                        role: Role::Customer,
                        disabled: i % 8 == 0,
                        created_at: now,
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let first = alma.get(&app, "/t/acme/settings/users").await;
    first.assert_contains("Members shown by this search: 45");
    assert_eq!(first.table().matches("<tr").count(), 25);
    let next = first
        .body
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| href.split('"').next().unwrap().replace("&amp;", "&"))
        .expect("a next page");
    let second = alma.get(&app, &next).await;
    assert_eq!(second.table().matches("<tr").count(), 20);
    second.assert_lacks("rel=\"next\"");
    second.assert_contains("First page");

    let filtered = alma
        .get(
            &app,
            "/t/acme/settings/users?role=customer&state=disabled&sort=email",
        )
        .await;
    filtered.assert_contains("Members shown by this search: 5");
    for shown in ["person00@", "person08@", "person32@"] {
        filtered.assert_contains(shown);
    }
    filtered.assert_lacks("carl@acme.example");
    filtered.assert_contains("<option value=\"disabled\" selected");
    let nobody = alma
        .get(
            &app,
            "/t/acme/settings/users?role=tenant_admin&state=disabled",
        )
        .await;
    nobody.assert_contains("Nobody matches these filters.");
    // Nonsense in the address shows the plain list rather than an error.
    alma.get(&app, "/t/acme/settings/users?role=king&state=x&sort=y")
        .await
        .assert_contains("Members shown by this search: 45");
}
