//! Tenant administration (users, invitations, roles, priorities, topics, audit log, who
//! is signed in) and the operator's area (tenants, licences, suspension, settings).

use poem::http::StatusCode;
use supportbox::domain::role::Role;

use crate::support::{Browser, Fields, PASSWORD, Page, TestApp, arrange};

/// The path of an invitation link shown on the users page.
fn invitation_path(page: &Page) -> String {
    let link = page
        .once_value("invite-link")
        .expect("the invitation link is shown");
    assert!(link.starts_with("https://"), "{link}");
    link[link.find("/invite/").unwrap()..].to_owned()
}

async fn invite(app: &TestApp, admin: &Browser, email: &str, role: &str) -> String {
    let page = admin
        .post_form(
            app,
            "/t/acme/settings/users/invite",
            &[("email", email), ("role", role)],
        )
        .await;
    page.assert_ok();
    page.assert_contains("Invitation link");
    page.assert_contains("It is shown only this once");
    invitation_path(&page)
}

#[tokio::test]
async fn the_users_list_searches_by_name_and_email() {
    let app = TestApp::seeded().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let all = alma.get(&app, "/t/acme/settings/users").await;
    all.assert_ok();
    for person in app.fx().acme.members() {
        all.assert_contains(&person.name);
        all.assert_contains(&person.email);
    }
    for person in app.fx().globex.members() {
        all.assert_lacks(&person.email);
    }
    all.assert_contains("Organisation administrator");
    all.assert_contains("Supporter");
    all.assert_contains("Customer");

    let page = alma.get(&app, "/t/acme/settings/users?q=support").await;
    let rows = page.table();
    assert!(
        rows.contains("Sam Support") && rows.contains("Sara Support"),
        "{rows}"
    );
    assert!(
        !rows.contains("Carl Customer") && !rows.contains("Alma Admin"),
        "{rows}"
    );
    page.assert_contains("value=\"support\"");

    let page = alma.get(&app, "/t/acme/settings/users?q=CARL%40ACME").await;
    page.assert_contains("Carl Customer");
    page.assert_lacks("Cleo Customer");

    let page = alma.get(&app, "/t/acme/settings/users?q=gina").await;
    page.assert_contains("Nobody matches “gina”.");
    page.assert_lacks("Gina Admin");

    let page = alma.get(&app, "/t/acme/settings/users?q=%3Cb%3Ex").await;
    page.assert_contains("Nobody matches “&lt;b&gt;x”.");
}

#[tokio::test]
async fn an_invitation_link_brings_a_new_person_in_with_the_invited_role_once() {
    let app = TestApp::seeded().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let path = invite(&app, &alma, "nora@example.org", "supporter").await;
    assert_eq!(path.len(), "/invite/".len() + 64, "{path}");
    // Shown once: a reload of the users page does not show it again.
    alma.get(&app, "/t/acme/settings/users")
        .await
        .assert_lacks(&path);

    let nora = app.anon().await;
    let page = nora.get(&app, &path).await;
    page.assert_ok();
    page.assert_contains("You have been invited to Acme with the email address nora@example.org.");

    // Bad input keeps the link alive and stores nothing.
    let refusals: [(&str, &str, &str, &str, &str); 5] = [
        (
            "Nora \u{202E}weN",
            "nora's passphrase",
            "nora's passphrase",
            "f-name",
            "direction-changing",
        ),
        (
            "",
            "nora's passphrase",
            "nora's passphrase",
            "f-name",
            "Please fill in this field.",
        ),
        (
            "Nora New",
            "nora's passphrase",
            "something else",
            "f-password_confirm",
            "do not match",
        ),
        (
            "Nora New",
            "qwertyuiop",
            "qwertyuiop",
            "f-password",
            "too common",
        ),
        (
            "Nora New",
            "noranew2026!",
            "noranew2026!",
            "f-password",
            "too easy to guess",
        ),
    ];
    for (name, password, confirm, field, message) in refusals {
        let page = nora
            .post_form(
                &app,
                &path,
                &[
                    ("name", name),
                    ("password", password),
                    ("password_confirm", confirm),
                ],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
        page.assert_contains("nora@example.org");
        let stored = app
            .state
            .store
            .read(|r| supportbox::store::accounts::account_by_email(r, "nora@example.org"))
            .await
            .unwrap();
        assert!(stored.is_none(), "{field}: nothing stored");
    }

    let done = nora
        .post_form(
            &app,
            &path,
            &[
                ("name", "Nora New"),
                ("password", "nora's passphrase"),
                ("password_confirm", "nora's passphrase"),
            ],
        )
        .await;
    done.assert_redirect("/t/acme/");
    let nora_in = nora.with_session(&done.session_cookie().unwrap());
    let home = nora_in.get(&app, "/t/acme/").await;
    home.assert_ok();
    home.assert_contains("Hello, Nora New!");
    home.assert_contains("Supporter");
    nora_in
        .get(&app, "/t/acme/settings/topics")
        .await
        .assert_ok();

    // Single use.
    let again = app.anon().await.get(&app, &path).await;
    again.assert_status(StatusCode::NOT_FOUND);
    again.assert_contains("Invitation not valid");
    let again = app
        .anon()
        .await
        .post_form(
            &app,
            &path,
            &[
                ("name", "Mallory"),
                ("password", "mallory's passphrase"),
                ("password_confirm", "mallory's passphrase"),
            ],
        )
        .await;
    again.assert_status(StatusCode::NOT_FOUND);
    again.assert_contains("Invitation not valid");
    assert!(again.session_cookie().is_none());

    // The admin sees the new member with the invited role.
    let list = alma.get(&app, "/t/acme/settings/users?q=nora").await;
    list.assert_contains("Nora New");
    list.assert_contains("Supporter");
    let audit = alma.get(&app, "/t/acme/settings/audit").await;
    assert!(audit.table().contains("User invited"));
    assert!(audit.table().contains("Invitation accepted"));
    assert!(audit.table().contains("nora@example.org"));
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let app = TestApp::seeded().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let path = invite(&app, &alma, "late@example.org", "customer").await;
    app.advance_minutes(7 * 24 * 60 - 1);
    app.anon().await.get(&app, &path).await.assert_ok();
    app.advance_minutes(24 * 60 + 1);
    let page = app.anon().await.get(&app, &path).await;
    page.assert_status(StatusCode::NOT_FOUND);
    page.assert_contains("Invitation not valid");
    page.assert_contains("has expired");
    let page = app
        .anon()
        .await
        .post_form(
            &app,
            &path,
            &[
                ("name", "Late Larry"),
                ("password", "late passphrase"),
                ("password_confirm", "late passphrase"),
            ],
        )
        .await;
    page.assert_status(StatusCode::NOT_FOUND);
    page.assert_contains("Invitation not valid");
    let stored = app
        .state
        .store
        .read(|r| supportbox::store::accounts::account_by_email(r, "late@example.org"))
        .await
        .unwrap();
    assert!(stored.is_none());
}

#[tokio::test]
async fn invite_and_create_forms_refuse_bad_input_next_to_the_field() {
    let app = TestApp::seeded().await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let before = arrange::snapshot(&app).await;
    let long_email = format!("{}@example.org", "x".repeat(250));
    let long_name = "n".repeat(101);
    let cases: Vec<(&str, Fields, &str, &str)> = vec![
        (
            "invite",
            vec![("email", "not an email"), ("role", "customer")],
            "f-invite-email",
            "Enter an email address",
        ),
        (
            "invite",
            vec![("email", &long_email), ("role", "customer")],
            "f-invite-email",
            "This is too long.",
        ),
        (
            "invite",
            vec![("email", "ok@example.org"), ("role", "operator")],
            "",
            "Choose one of the offered options.",
        ),
        (
            "create",
            vec![
                ("name", "Dup"),
                ("email", "sam@acme.example"),
                ("role", "customer"),
                ("initial_password", "fine passphrase"),
            ],
            "f-create-email",
            "already in use",
        ),
        (
            "create",
            vec![
                ("name", "Dup"),
                ("email", "GINA@globex.example"),
                ("role", "customer"),
                ("initial_password", "fine passphrase"),
            ],
            "f-create-email",
            "already in use",
        ),
        (
            "create",
            vec![
                ("name", &long_name),
                ("email", "n@example.org"),
                ("role", "customer"),
                ("initial_password", "fine passphrase"),
            ],
            "f-create-name",
            "This is too long.",
        ),
        (
            "create",
            vec![
                ("name", "Ze\u{200B}ro"),
                ("email", "z@example.org"),
                ("role", "customer"),
                ("initial_password", "fine passphrase"),
            ],
            "f-create-name",
            "invisible",
        ),
        (
            "create",
            vec![
                ("name", "Bell\u{7}"),
                ("email", "b@example.org"),
                ("role", "customer"),
                ("initial_password", "fine passphrase"),
            ],
            "f-create-name",
            "control characters",
        ),
        (
            "create",
            vec![
                ("name", "Weak"),
                ("email", "w@example.org"),
                ("role", "customer"),
                ("initial_password", "welcome123"),
            ],
            "f-create-initial_password",
            "too common",
        ),
        (
            "create",
            vec![
                ("name", "Guessable"),
                ("email", "g@example.org"),
                ("role", "customer"),
                ("initial_password", "1q2w3e4r5t6y7u"),
            ],
            "f-create-initial_password",
            "too easy to guess",
        ),
        (
            "create",
            vec![
                ("name", "Short"),
                ("email", "s@example.org"),
                ("role", "customer"),
                ("initial_password", "short"),
            ],
            "f-create-initial_password",
            "at least 10 characters",
        ),
    ];
    for (form, fields, field, message) in &cases {
        let page = alma
            .post_form(&app, &format!("/t/acme/settings/users/{form}"), fields)
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form} {fields:?}"
        );
        if field.is_empty() {
            page.assert_contains(message);
        } else {
            page.assert_field_error(field, message);
        }
        page.assert_lacks("Invitation link");
    }
    assert_eq!(before, arrange::snapshot(&app).await, "nothing stored");
}

#[tokio::test]
async fn a_role_change_shows_in_the_list_in_effect_and_in_the_audit_log() {
    let app = TestApp::seeded().await;
    let carl = app.fx().acme.customers[0].clone();
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let carls = app.sign_in(&carl.email).await;
    carls
        .get(&app, "/t/acme/settings/topics")
        .await
        .assert_not_found();

    let base = format!("/t/acme/settings/users/{}", carl.id);
    let page = alma
        .post_form(&app, &format!("{base}/role"), &[("role", "supporter")])
        .await;
    page.assert_redirect(&format!("{base}?done=role_changed"));
    let detail = alma.get(&app, page.location().unwrap()).await;
    detail.assert_contains("The role has been changed.");
    detail.assert_contains("<option value=\"supporter\" selected>");

    let list = alma.get(&app, "/t/acme/settings/users?q=carl").await;
    assert!(list.table().contains("Supporter"), "{}", list.table());
    assert!(!list.table().contains("Customer</span>"));

    // In effect at Carl's next request, without signing in again.
    carls.get(&app, "/t/acme/settings/topics").await.assert_ok();

    let audit = alma.get(&app, "/t/acme/settings/audit").await;
    let rows = audit.table();
    assert!(rows.contains("Role changed"), "{rows}");
    assert!(rows.contains("customer → supporter"), "{rows}");
    assert!(rows.contains("carl@acme.example"), "{rows}");
    assert!(rows.contains("Alma Admin"), "{rows}");

    // A role that does not exist changes nothing.
    alma.post_form(&app, &format!("{base}/role"), &[("role", "operator")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        arrange::membership(&app, app.fx().acme.id, carl.id)
            .await
            .role,
        Role::Supporter
    );
}

#[tokio::test]
async fn an_admin_cannot_demote_or_disable_themselves() {
    let app = TestApp::seeded().await;
    let me = app.fx().acme.admin.clone();
    let alma = app.sign_in(&me.email).await;
    let base = format!("/t/acme/settings/users/{}", me.id);
    for (action, fields) in [("role", vec![("role", "customer")]), ("disable", vec![])] {
        let page = alma
            .post_form(&app, &format!("{base}/{action}"), &fields)
            .await;
        page.assert_status(StatusCode::SEE_OTHER);
        let shown = alma.get(&app, page.location().unwrap()).await;
        shown.assert_ok();
        shown.assert_lacks("The role has been changed.");
        shown.assert_lacks("The user has been disabled");
        let m = arrange::membership(&app, app.fx().acme.id, me.id).await;
        assert_eq!(m.role, Role::TenantAdmin, "{action}");
        assert!(!m.disabled, "{action}");
    }
    alma.get(&app, "/t/acme/settings/users").await.assert_ok();
}

#[tokio::test]
async fn priorities_start_with_four_defaults_and_can_be_added_edited_and_deleted() {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    let alma = app.sign_in(&acme.admin.email).await;
    let page = alma.get(&app, "/t/acme/settings/priorities").await;
    page.assert_ok();
    let rows = page.table();
    for (name, target) in [
        ("Kritisch / Critical", "1 h"),
        ("Hoch / High", "4 h"),
        ("Normal", "24 h"),
        ("Niedrig / Low", "No target"),
    ] {
        assert!(rows.contains(name), "{name}: {rows}");
        assert!(rows.contains(target), "{target}: {rows}");
    }
    assert!(rows.find("Kritisch").unwrap() < rows.find("Niedrig").unwrap());
    assert_eq!(arrange::priorities(&app, &acme).await.len(), 4);

    let before = arrange::snapshot(&app).await;
    for (fields, field, message) in [
        (
            [
                ("name", "Blocker"),
                ("colour", "red"),
                ("rank", "0"),
                ("response_target_minutes", ""),
            ],
            "f-add-colour",
            "Choose a colour (#rrggbb).",
        ),
        (
            [
                ("name", "Blocker"),
                ("colour", "#ff0000"),
                ("rank", "abc"),
                ("response_target_minutes", ""),
            ],
            "f-add-rank",
            "Enter a whole number",
        ),
        (
            [
                ("name", "Blocker"),
                ("colour", "#ff0000"),
                ("rank", "1"),
                ("response_target_minutes", "-5"),
            ],
            "f-add-response_target_minutes",
            "Enter a whole number",
        ),
        (
            [
                ("name", ""),
                ("colour", "#ff0000"),
                ("rank", "1"),
                ("response_target_minutes", ""),
            ],
            "f-add-name",
            "Please fill in this field.",
        ),
    ] {
        let page = alma
            .post_form(&app, "/t/acme/settings/priorities", &fields)
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
    }
    assert_eq!(before, arrange::snapshot(&app).await, "nothing stored");

    let page = alma
        .post_form(
            &app,
            "/t/acme/settings/priorities",
            &[
                ("name", "Blocker"),
                ("colour", "#FF0000"),
                ("rank", "0"),
                ("response_target_minutes", "30"),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = alma.get(&app, page.location().unwrap()).await;
    assert!(page.flash().is_some(), "no confirmation after adding");
    let rows = page.table();
    assert!(rows.contains("Blocker"), "{rows}");
    assert!(rows.contains("30 min"), "{rows}");
    assert!(rows.contains("fill=\"#ff0000\""), "{rows}");
    assert!(rows.find("Blocker").unwrap() < rows.find("Kritisch").unwrap());
    let blocker = arrange::priorities(&app, &acme)
        .await
        .into_iter()
        .find(|p| p.name == "Blocker")
        .unwrap();
    assert_eq!(blocker.colour, "#ff0000");

    let edit = format!("/t/acme/settings/priorities/{}", blocker.id);
    let page = alma
        .post_form(
            &app,
            &edit,
            &[
                ("name", "Showstopper"),
                ("colour", "#00aa00"),
                ("rank", "0"),
                ("response_target_minutes", "15"),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = alma.get(&app, page.location().unwrap()).await;
    assert!(page.flash().is_some(), "no confirmation after saving");
    assert!(page.table().contains("Showstopper"));
    assert!(page.table().contains("15 min"));
    assert!(!page.table().contains("Blocker"));

    // A bad edit changes nothing.
    let before = arrange::snapshot(&app).await;
    let page = alma
        .post_form(
            &app,
            &edit,
            &[("name", "Showstopper"), ("colour", "green"), ("rank", "0")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Choose a colour (#rrggbb).");
    assert_eq!(before, arrange::snapshot(&app).await);

    let page = alma.post_form(&app, &format!("{edit}/delete"), &[]).await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = alma.get(&app, page.location().unwrap()).await;
    assert!(page.flash().is_some(), "no confirmation after deleting");
    page.assert_lacks("Showstopper");
    assert_eq!(arrange::priorities(&app, &acme).await.len(), 4);
    // Deleting again: it is gone.
    alma.post_form(&app, &format!("{edit}/delete"), &[])
        .await
        .assert_not_found();
}

#[tokio::test]
async fn topics_can_be_created_renamed_deactivated_and_deleted_by_staff() {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    let sam = app.sign_in(&acme.supporters[0].email).await;
    let admin_caller = arrange::admin_of(&acme);

    let page = sam
        .post_form(
            &app,
            "/t/acme/settings/topics",
            &[
                ("name", "Printers"),
                ("description", "Paper jams & toner"),
                ("active", "on"),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = sam.get(&app, page.location().unwrap()).await;
    assert!(page.flash().is_some(), "no confirmation after adding");
    let rows = page.table();
    assert!(rows.contains("Printers"), "{rows}");
    assert!(rows.contains("Paper jams &amp; toner"), "{rows}");
    assert!(rows.contains("Active"), "{rows}");
    let topic = arrange::topics(&app, &acme).await.pop().unwrap();
    assert_eq!(topic.name, "Printers");

    // Renaming keeps the id (every assignment follows the new name).
    let edit = format!("/t/acme/settings/topics/{}", topic.id);
    sam.post_form(
        &app,
        &edit,
        &[
            ("name", "Printing"),
            ("description", "Paper jams & toner"),
            ("active", "on"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let topics = arrange::topics(&app, &acme).await;
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].id, topic.id);
    assert_eq!(topics[0].name, "Printing");
    let page = sam.get(&app, "/t/acme/settings/topics").await;
    assert!(page.table().contains("Printing"));
    assert!(!page.table().contains("Printers"));

    // Deactivated: still listed, no longer offered.
    sam.post_form(&app, &edit, &[("name", "Printing"), ("description", "")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = sam.get(&app, "/t/acme/settings/topics").await;
    assert!(page.table().contains("Inactive"));
    let choices = app
        .state
        .services
        .topic_choices(&admin_caller)
        .await
        .unwrap();
    assert!(choices.is_empty(), "{choices:?}");
    sam.post_form(&app, &edit, &[("name", "Printing"), ("active", "on")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        app.state
            .services
            .topic_choices(&admin_caller)
            .await
            .unwrap()
            .len(),
        1
    );

    // Bad input on the add form: a message at the field, nothing stored.
    let long = "d".repeat(2001);
    for (fields, field, message) in [
        (
            vec![("name", ""), ("active", "on")],
            "f-add-name",
            "Please fill in this field.",
        ),
        (
            vec![("name", "Tab\u{1b}[31m"), ("active", "on")],
            "f-add-name",
            "control characters",
        ),
        (
            vec![("name", "Mail"), ("description", long.as_str())],
            "f-add-description",
            "This is too long.",
        ),
        (
            vec![("name", "Mail"), ("description", "rtl \u{202E} trick")],
            "f-add-description",
            "direction-changing",
        ),
    ] {
        let page = sam
            .post_form(&app, "/t/acme/settings/topics", &fields)
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, message);
    }
    assert_eq!(arrange::topics(&app, &acme).await.len(), 1);

    // Deleted: hidden from pickers, still listed (and readable) as deleted.
    let page = sam.post_form(&app, &format!("{edit}/delete"), &[]).await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = sam.get(&app, page.location().unwrap()).await;
    assert!(page.flash().is_some(), "no confirmation after deleting");
    page.assert_contains("Deleted topics");
    page.assert_contains("Printing");
    page.assert_contains("still shown on old assignments");
    page.assert_lacks(&format!("action=\"{edit}\""));
    assert!(
        app.state
            .services
            .topic_choices(&admin_caller)
            .await
            .unwrap()
            .is_empty()
    );
    let kept = arrange::topics(&app, &acme).await;
    assert_eq!(kept.len(), 1);
    assert!(kept[0].deleted);
    assert_eq!(kept[0].name, "Printing");
    // Globex sees nothing of it.
    assert!(arrange::topics(&app, &app.fx().globex).await.is_empty());
}

#[tokio::test]
async fn the_audit_logs_record_what_happened_and_can_be_filtered() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let anon = app.anon().await;
    assert_eq!(
        app.try_sign_in(&anon, &fx.acme.customers[0].email, "wrong password!")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let carl = app.sign_in(&fx.acme.customers[0].email).await;
    let alma = app.sign_in(&fx.acme.admin.email).await;
    let gina = app.sign_in(&fx.globex.admin.email).await;
    let otto = app.sign_in(&fx.operator.email).await;
    alma.post_form(
        &app,
        &format!("/t/acme/settings/users/{}/role", fx.acme.customers[1].id),
        &[("role", "supporter")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    alma.post_form(
        &app,
        &format!(
            "/t/acme/settings/users/{}/disable",
            fx.acme.supporters[1].id
        ),
        &[],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    gina.post_form(
        &app,
        &format!(
            "/t/globex/settings/users/{}/role",
            fx.globex.customers[0].id
        ),
        &[("role", "supporter")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let page = carl
        .post_form(&app, "/account/tokens", &[("name", "carl's script")])
        .await;
    page.assert_ok();
    let token = arrange::account(&app, &fx.acme.customers[0].email).await;
    let token_id = app
        .state
        .store
        .read(move |r| supportbox::store::tokens::tokens_of_account(r, token.id))
        .await
        .unwrap()[0]
        .id;
    carl.post_form(&app, &format!("/account/tokens/{token_id}/revoke"), &[])
        .await
        .assert_redirect("/account/tokens?done=token_revoked");
    otto.post_form(
        &app,
        &format!("/admin/tenants/{}", fx.globex.id),
        &[("name", "Globex Corporation"), ("licence_limit", "0")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // The tenant log: its own sign-ins, role changes and disabled users, nothing of globex.
    let page = alma.get(&app, "/t/acme/settings/audit").await;
    page.assert_ok();
    let rows = page.table();
    for text in [
        "Signed in",
        "carl@acme.example",
        "Role changed",
        "customer → supporter",
        "cleo@acme.example",
        "User disabled",
        "sara@acme.example",
        "192.0.2.1",
    ] {
        assert!(rows.contains(text), "acme log lacks {text}: {rows}");
    }
    for text in ["gina@globex.example", "gil@globex.example", "Globex"] {
        assert!(!rows.contains(text), "acme log shows {text}: {rows}");
    }

    let page = alma
        .get(&app, "/t/acme/settings/audit?kind=role_changed")
        .await;
    let rows = page.table();
    assert!(rows.contains("Role changed"));
    assert!(!rows.contains("Signed in"), "{rows}");
    assert!(!rows.contains("User disabled"), "{rows}");
    page.assert_contains("<option value=\"role_changed\" selected>");
    let page = alma
        .get(&app, "/t/acme/settings/audit?kind=tenant_suspended")
        .await;
    page.assert_contains("No entries of this kind.");

    // The instance log: failed sign-ins, tokens, tenant changes.
    let page = otto.get(&app, "/admin/audit").await;
    page.assert_ok();
    let rows = page.table();
    for text in [
        "Sign-in failed",
        "Anonymous",
        "API token created",
        "API token revoked",
        "carl&#39;s script",
        "Organisation renamed",
        "Globex → Globex Corporation",
    ] {
        assert!(
            rows.contains(text) || rows.contains(&text.replace("&#39;", "'")),
            "instance log lacks {text}: {rows}"
        );
    }
    let page = otto.get(&app, "/admin/audit?kind=sign_in_failed").await;
    let rows = page.table();
    assert!(rows.contains("Sign-in failed"));
    assert!(rows.contains("carl@acme.example"));
    assert!(!rows.contains("API token"), "{rows}");
    assert!(!rows.contains("Organisation renamed"), "{rows}");
}

#[tokio::test]
async fn signed_in_now_lists_people_seen_in_the_last_five_minutes_against_the_licence() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let sam = app.sign_in(&fx.acme.supporters[0].email).await;
    let carl = app.sign_in(&fx.acme.customers[0].email).await;
    carl.get(&app, "/t/acme/").await.assert_ok();
    let gina = app.sign_in(&fx.globex.admin.email).await;
    gina.get(&app, "/t/globex/").await.assert_ok();
    let alma = app.sign_in(&fx.acme.admin.email).await;

    let page = alma.get(&app, "/t/acme/settings/online").await;
    page.assert_ok();
    let rows = page.table();
    for name in ["Sam Support", "Carl Customer", "Alma Admin"] {
        assert!(rows.contains(name), "{name}: {rows}");
    }
    assert!(!rows.contains("Gina Admin"));
    assert!(!rows.contains("Sara Support"));
    page.assert_contains("3 signed in — no licence limit");
    // Supporters see it too.
    let page = sam.get(&app, "/t/acme/settings/online").await;
    page.assert_ok();
    assert!(page.table().contains("Carl Customer"));

    app.advance_minutes(4);
    alma.get(&app, "/t/acme/").await.assert_ok();
    app.advance_minutes(2);
    // Sam and Carl were last seen six minutes ago.
    let page = alma.get(&app, "/t/acme/settings/online").await;
    let rows = page.table();
    assert!(rows.contains("Alma Admin"));
    assert!(!rows.contains("Sam Support"), "{rows}");
    assert!(!rows.contains("Carl Customer"), "{rows}");
    page.assert_contains("1 signed in — no licence limit");
    // Still signed in (idle timeout is longer): coming back counts again.
    carl.get(&app, "/t/acme/").await.assert_ok();

    let otto = app.sign_in(&fx.operator.email).await;
    otto.post_form(
        &app,
        &format!("/admin/tenants/{}", fx.acme.id),
        &[("name", "Acme"), ("licence_limit", "1")],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let page = alma.get(&app, "/t/acme/settings/online").await;
    page.assert_contains("2 of 1 licences in use");
    page.assert_contains("More people are signed in than the licence limit allows.");
    let list = otto.get(&app, "/admin/").await;
    assert!(list.table().contains("2 / 1"), "{}", list.table());
}

#[tokio::test]
async fn the_operator_creates_tenants_with_clear_messages_for_bad_input() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    let page = otto
        .post_form(
            &app,
            "/admin/tenants",
            &[
                ("name", "Initech"),
                ("slug", "initech"),
                ("licence_limit", "5"),
                ("admin_email", "ivy@initech.example"),
            ],
        )
        .await;
    page.assert_ok();
    page.assert_contains("The organisation has been created.");
    let list = otto.get(&app, "/admin/").await;
    let rows = list.table();
    for text in [
        "Initech",
        "<code>initech</code>",
        "0 / 5",
        "Acme",
        "Globex",
        "Active",
    ] {
        assert!(rows.contains(text), "{text}: {rows}");
    }
    let initech = arrange::tenant_by_slug(&app, "initech").await.unwrap();
    assert_eq!(initech.licence_limit, 5);
    let priorities = app
        .state
        .services
        .priorities(&supportbox::domain::caller::Caller {
            tenant: initech.id,
            tenant_slug: "initech".into(),
            account: app.fx().operator.id,
            role: Role::TenantAdmin,
            via: supportbox::domain::caller::AuthMethod::Session,
        })
        .await
        .unwrap();
    assert_eq!(
        priorities.len(),
        4,
        "a new tenant starts with four priorities"
    );

    let before = arrange::snapshot(&app).await;
    let long = "L".repeat(101);
    for (name, slug, limit, field, message) in [
        (
            "Acme Two",
            "acme",
            "0",
            "f-slug",
            "This short name is already taken.",
        ),
        (
            "Init Tech",
            "Init Tech",
            "0",
            "f-slug",
            "lower-case letters",
        ),
        ("Umlaut", "ümlaut", "0", "f-slug", "lower-case letters"),
        ("Hyphen", "-initech", "0", "f-slug", "lower-case letters"),
        ("Empty", "", "0", "f-slug", "Please fill in this field."),
        (long.as_str(), "long", "0", "f-name", "This is too long."),
        (
            "Evil \u{202E}corp",
            "evil",
            "0",
            "f-name",
            "direction-changing",
        ),
        ("Zero\u{200B}width", "zero", "0", "f-name", "invisible"),
        (
            "Licence",
            "licence",
            "-1",
            "f-licence_limit",
            "Enter a whole number",
        ),
        (
            "Licence",
            "licence",
            "many",
            "f-licence_limit",
            "Enter a whole number",
        ),
    ] {
        let page = otto
            .post_form(
                &app,
                "/admin/tenants",
                &[
                    ("name", name),
                    ("slug", slug),
                    ("licence_limit", limit),
                    ("admin_email", "ivy@initech.example"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}/{slug}"
        );
        page.assert_field_error(field, message);
    }
    assert_eq!(before, arrange::snapshot(&app).await, "nothing stored");
}

#[tokio::test]
async fn renaming_a_tenant_keeps_its_slug_and_sets_the_licence_limit() {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    let otto = app.sign_in(&app.fx().operator.email).await;
    let carl = app.sign_in(&acme.customers[0].email).await;
    let detail = format!("/admin/tenants/{}", acme.id);
    let page = otto.get(&app, &detail).await;
    page.assert_ok();
    page.assert_contains("<code>acme</code>");
    page.assert_contains("value=\"Acme\"");

    let page = otto
        .post_form(
            &app,
            &detail,
            &[
                ("name", "Acme Corporation"),
                ("licence_limit", "3"),
                ("slug", "hijacked"),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = otto.get(&app, page.location().unwrap()).await;
    assert!(page.flash().is_some(), "no confirmation after saving");
    page.assert_contains("<h1>Acme Corporation</h1>");
    page.assert_contains("<code>acme</code>");
    page.assert_contains("/ 3");
    let tenant = arrange::tenant_by_slug(&app, "acme").await.unwrap();
    assert_eq!(tenant.name, "Acme Corporation");
    assert_eq!(tenant.licence_limit, 3);
    assert!(arrange::tenant_by_slug(&app, "hijacked").await.is_none());
    // Members keep their URLs and see the new name.
    let home = carl.get(&app, "/t/acme/").await;
    home.assert_ok();
    home.assert_contains("Acme Corporation");

    let before = arrange::snapshot(&app).await;
    let page = otto
        .post_form(
            &app,
            &detail,
            &[("name", "Acme\u{202E}"), ("licence_limit", "3")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-name", "direction-changing");
    assert_eq!(before, arrange::snapshot(&app).await);
    otto.get(&app, "/admin/tenants/9999")
        .await
        .assert_not_found();
}

#[tokio::test]
async fn a_suspended_tenants_members_cannot_sign_in_until_it_is_resumed() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let otto = app.sign_in(&fx.operator.email).await;
    let sam = app.sign_in(&fx.acme.supporters[0].email).await;
    arrange::add_membership(
        &app,
        fx.globex.id,
        fx.acme.supporters[1].id,
        Role::Supporter,
    )
    .await;
    let sara = app.sign_in(&fx.acme.supporters[1].email).await;
    sara.get(&app, "/t/acme/").await.assert_ok();
    let detail = format!("/admin/tenants/{}", fx.acme.id);

    let page = otto
        .post_form(&app, &format!("{detail}/suspend"), &[])
        .await;
    page.assert_redirect(&format!("{detail}?done=tenant_suspended"));
    let page = otto.get(&app, page.location().unwrap()).await;
    page.assert_contains("The organisation has been suspended");
    page.assert_contains("Suspended");
    page.assert_contains("Resume");

    let anon = app.anon().await;
    let refused = app
        .try_sign_in(&anon, &fx.acme.customers[0].email, PASSWORD)
        .await;
    refused.assert_status(StatusCode::UNAUTHORIZED);
    refused.assert_contains("This organisation is currently suspended");
    assert!(refused.session_cookie().is_none());
    // Someone who was signed in is signed out (acme was their only tenant) …
    sam.get(&app, "/t/acme/").await.assert_sign_in_required();
    sam.get(&app, "/account/profile")
        .await
        .assert_sign_in_required();
    // … while a supporter who also serves globex keeps working there, not in acme.
    sara.get(&app, "/t/acme/").await.assert_not_found();
    sara.get(&app, "/t/globex/").await.assert_ok();
    // Globex is unaffected; data is kept.
    app.sign_in(&fx.globex.customers[0].email).await;
    assert_eq!(arrange::priorities(&app, &fx.acme).await.len(), 4);
    let list = otto.get(&app, "/admin/").await;
    assert!(list.table().contains("Suspended"));

    let page = otto.post_form(&app, &format!("{detail}/resume"), &[]).await;
    page.assert_redirect(&format!("{detail}?done=tenant_resumed"));
    otto.get(&app, page.location().unwrap())
        .await
        .assert_contains("The organisation is active again.");
    let carl = app.sign_in(&fx.acme.customers[0].email).await;
    carl.get(&app, "/t/acme/").await.assert_ok();
}

#[tokio::test]
async fn the_idle_timeout_from_the_instance_settings_ends_quiet_sessions() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    let page = otto.get(&app, "/admin/settings").await;
    page.assert_ok();
    page.assert_contains("value=\"120\"");
    page.assert_contains("value=\"12\"");

    let before = arrange::snapshot(&app).await;
    for (idle, absolute, field) in [
        ("1", "2", "f-session_idle_minutes"),
        ("soon", "2", "f-session_idle_minutes"),
        ("30", "0", "f-session_absolute_hours"),
        ("30", "100000", "f-session_absolute_hours"),
    ] {
        let page = otto
            .post_form(
                &app,
                "/admin/settings",
                &[
                    ("instance_name", "Helpdesk"),
                    ("session_idle_minutes", idle),
                    ("session_absolute_hours", absolute),
                ],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_field_error(field, "Enter a whole number");
    }
    assert_eq!(before, arrange::snapshot(&app).await);

    let page = otto
        .post_form(
            &app,
            "/admin/settings",
            &[
                ("instance_name", "Helpdesk"),
                ("session_idle_minutes", "30"),
                ("session_absolute_hours", "2"),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = otto.get(&app, page.location().unwrap()).await;
    page.assert_contains("The settings have been saved.");
    page.assert_contains("value=\"30\"");
    page.assert_contains("value=\"Helpdesk\"");

    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    app.advance_minutes(29);
    carl.get(&app, "/t/acme/").await.assert_ok();
    app.advance_minutes(29);
    carl.get(&app, "/t/acme/").await.assert_ok();
    app.advance_minutes(31);
    carl.get(&app, "/t/acme/").await.assert_sign_in_required();
    carl.get(&app, "/account/profile")
        .await
        .assert_sign_in_required();
    // The admin no longer sees the session either.
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    alma.get(
        &app,
        &format!("/t/acme/settings/users/{}", app.fx().acme.customers[0].id),
    )
    .await
    .assert_contains("No active sessions.");
}

#[tokio::test]
async fn the_absolute_timeout_ends_even_busy_sessions() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    otto.post_form(
        &app,
        "/admin/settings",
        &[
            ("instance_name", "Supportbox"),
            ("session_idle_minutes", "60"),
            ("session_absolute_hours", "1"),
        ],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    for _ in 0..3 {
        app.advance_minutes(19);
        carl.get(&app, "/t/acme/").await.assert_ok();
    }
    app.advance_minutes(4);
    carl.get(&app, "/t/acme/").await.assert_sign_in_required();
    // A fresh sign-in works again.
    app.sign_in(&app.fx().acme.customers[0].email)
        .await
        .get(&app, "/t/acme/")
        .await
        .assert_ok();
}

#[tokio::test]
async fn an_existing_account_joins_another_tenant_through_an_invitation() {
    let app = TestApp::seeded().await;
    let gina = app.fx().globex.admin.clone();
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    let path = invite(&app, &alma, "GINA@globex.example", "supporter").await;

    let visitor = app.anon().await;
    visitor
        .get(&app, &path)
        .await
        .assert_contains("gina@globex.example");
    // Whoever holds the link must still prove they own the account.
    let page = visitor
        .post_form(
            &app,
            &path,
            &[
                ("name", "Not Gina"),
                ("password", "not her password"),
                ("password_confirm", "not her password"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-password", "not correct");
    assert!(page.session_cookie().is_none());

    let page = visitor
        .post_form(
            &app,
            &path,
            &[
                ("name", "Ignored"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    page.assert_redirect("/t/acme/");
    let account = arrange::account(&app, &gina.email).await;
    assert_eq!(account.name, "Gina Admin", "the name stays");
    assert_eq!(
        arrange::membership(&app, app.fx().acme.id, gina.id)
            .await
            .role,
        Role::Supporter
    );
    assert_eq!(
        arrange::membership(&app, app.fx().globex.id, gina.id)
            .await
            .role,
        Role::TenantAdmin
    );
    let anon = app.anon().await;
    let signed = app.try_sign_in(&anon, &gina.email, PASSWORD).await;
    signed.assert_redirect("/choose");
    let choose = anon
        .with_session(&signed.session_cookie().unwrap())
        .get(&app, "/choose")
        .await;
    choose.assert_contains("href=\"/t/acme/\"");
    choose.assert_contains("href=\"/t/globex/\"");
}

#[tokio::test]
async fn an_edit_error_is_shown_at_the_edited_row() {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    let alma = app.sign_in(&acme.admin.email).await;
    let normal = arrange::priorities(&app, &acme)
        .await
        .into_iter()
        .find(|p| p.name == "Normal")
        .unwrap();
    let page = alma
        .post_form(
            &app,
            &format!("/t/acme/settings/priorities/{}", normal.id),
            &[
                ("name", "Normal, edited"),
                ("colour", "teal"),
                ("rank", "3"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error(&format!("f-p{}-colour", normal.id), "Choose a colour");
    assert_eq!(page.field_error("f-add-colour"), None);
    // The add form must not be pre-filled with the edited row (saving it would add a copy).
    page.assert_lacks("id=\"f-add-name\" name=\"name\" type=\"text\" value=\"Normal, edited\"");

    let topic = arrange::create_topic(&app, &acme, "Printers").await;
    let page = alma
        .post_form(
            &app,
            &format!("/t/acme/settings/topics/{}", topic.id),
            &[("name", ""), ("active", "on")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error(
        &format!("f-t{}-name", topic.id),
        "Please fill in this field.",
    );
    assert_eq!(page.field_error("f-add-name"), None);
}

#[tokio::test]
async fn every_refusal_reads_as_a_sentence_not_a_message_key() {
    let app = TestApp::seeded().await;
    let acme = app.fx().acme.clone();
    let alma = app.sign_in(&acme.admin.email).await;
    let mut pages = Vec::new();
    for expires in ["2020-01-01", "soon"] {
        pages.push((
            format!("token expiring {expires}"),
            alma.post_form(
                &app,
                "/account/tokens",
                &[("name", "dated"), ("expires", expires)],
            )
            .await,
        ));
    }
    pages.push((
        "password unchanged".to_owned(),
        alma.post_form(
            &app,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await,
    ));
    let priorities = arrange::priorities(&app, &acme).await;
    for p in &priorities[1..] {
        alma.post_form(
            &app,
            &format!("/t/acme/settings/priorities/{}/delete", p.id),
            &[],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    }
    pages.push((
        "deleting the last priority".to_owned(),
        alma.post_form(
            &app,
            &format!("/t/acme/settings/priorities/{}/delete", priorities[0].id),
            &[],
        )
        .await,
    ));
    assert_eq!(arrange::priorities(&app, &acme).await.len(), 1);
    for (case, page) in pages {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        assert!(
            !page.body.contains("validation."),
            "{case}: a raw message key is shown: {:?}",
            page.body
                .split("validation.")
                .nth(1)
                .map(|r| &r[..30.min(r.len())])
        );
    }
}

#[tokio::test]
async fn suspending_a_tenant_signs_its_members_out() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    let carl = app.sign_in(&app.fx().acme.customers[0].email).await;
    otto.post_form(
        &app,
        &format!("/admin/tenants/{}/suspend", app.fx().acme.id),
        &[],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    carl.get(&app, "/account/profile")
        .await
        .assert_sign_in_required();
    carl.post_form(&app, "/account/tokens", &[("name", "after suspension")])
        .await
        .assert_sign_in_required();
}

#[tokio::test]
async fn the_language_switch_on_an_operator_page_returns_to_that_page() {
    let app = TestApp::seeded().await;
    let otto = app.sign_in(&app.fx().operator.email).await;
    let page = otto.get(&app, "/admin/settings").await;
    page.assert_ok();
    page.assert_contains("name=\"next\" value=\"/admin/settings\"");
    page.assert_contains("<a href=\"/admin/\" aria-current=\"page\">");
}

/// The id in the withdraw form of the pending invitation for `email` on the users page.
fn withdraw_path(page: &crate::support::Page, email: &str) -> String {
    let row = page
        .body
        .split("<tr>")
        .find(|row| row.contains(email))
        .unwrap_or_else(|| panic!("{email} is not listed as pending:\n{}", page.body));
    let start = row
        .find("/t/acme/settings/invitations/")
        .expect("a withdraw form");
    let rest = &row[start..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn pending_invitations_are_listed_and_only_the_tenant_admin_withdraws_them() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let alma = app.sign_in(&fx.acme.admin.email).await;
    let link = invite(&app, &alma, "nora@example.org", "supporter").await;
    let used = invite(&app, &alma, "olga@example.org", "customer").await;
    let olga = app.anon().await;
    olga.get(&app, &used).await.assert_ok();
    let accepted = olga
        .post_form(
            &app,
            &used,
            &[
                ("name", "Olga Onboard"),
                ("password", "olga's passphrase"),
                ("password_confirm", "olga's passphrase"),
            ],
        )
        .await;
    assert!(accepted.location().is_some(), "{}", accepted.body);

    let page = alma.get(&app, "/t/acme/settings/users").await;
    page.assert_contains("Invitations not yet accepted");
    page.assert_contains("Alma Admin");
    let withdraw = withdraw_path(&page, "nora@example.org");
    assert!(
        !withdraw.contains(&link["/invite/".len()..]),
        "the secret link never appears"
    );
    // An accepted invitation is no longer pending.
    assert!(
        !page
            .body
            .split("<tr>")
            .any(|row| row.contains("olga@example.org") && row.contains("/settings/invitations/")),
        "accepted invitations are not pending"
    );
    // Globex's admin sees nothing of it.
    let gina = app.sign_in(&fx.globex.admin.email).await;
    gina.get(&app, "/t/globex/settings/users")
        .await
        .assert_lacks("nora@example.org");

    // Nobody else can withdraw it: anonymous, a customer, a supporter, another tenant.
    let anon = app.anon().await;
    anon.post_form(&app, &withdraw, &[])
        .await
        .assert_sign_in_required();
    let carl = app.sign_in(&fx.acme.customers[0].email).await;
    carl.post_form(&app, &withdraw, &[])
        .await
        .assert_not_found();
    let sam = app.sign_in(&fx.acme.supporters[0].email).await;
    sam.post_form(&app, &withdraw, &[]).await.assert_not_found();
    gina.post_form(&app, &withdraw, &[])
        .await
        .assert_not_found();
    let in_globex = withdraw.replace("/t/acme/", "/t/globex/");
    gina.post_form(&app, &in_globex, &[])
        .await
        .assert_not_found();
    alma.post_form(&app, "/t/acme/settings/invitations/not-hex/withdraw", &[])
        .await
        .assert_not_found();
    app.anon()
        .await
        .get(&app, &link)
        .await
        .assert_contains("nora@example.org");

    // The admin withdraws it: the link stops working, the audit log says so.
    let done = alma.post_form(&app, &withdraw, &[]).await;
    let page = alma.get(&app, done.location().unwrap()).await;
    page.assert_contains("The invitation has been withdrawn; its link no longer works.");
    page.assert_lacks("nora@example.org");
    let page = app.anon().await.get(&app, &link).await;
    page.assert_contains("This invitation link is unknown");
    alma.post_form(&app, &withdraw, &[])
        .await
        .assert_not_found();
    alma.get(&app, "/t/acme/settings/audit")
        .await
        .assert_contains("Invitation withdrawn");
}

#[tokio::test]
async fn invitation_links_come_from_the_public_url_never_from_the_request() {
    let app = TestApp::seeded_with_config(|c| {
        c.public_url = Some("https://help.example.org".to_owned());
    })
    .await;
    let alma = app.sign_in(&app.fx().acme.admin.email).await;
    for (i, forged) in [
        vec![("host", "evil.example")],
        vec![("x-forwarded-host", "evil.example")],
        vec![("forwarded", "host=evil.example;proto=https")],
    ]
    .into_iter()
    .enumerate()
    {
        let email = format!("forged{i}@acme.example");
        let page = alma
            .post_form_with(
                &app,
                "/t/acme/settings/users/invite",
                &[("email", &email), ("role", "customer")],
                &forged,
            )
            .await;
        page.assert_ok();
        let link = page.once_value("invite-link").unwrap();
        assert!(
            link.starts_with("https://help.example.org/invite/"),
            "{forged:?}: {link}"
        );
        assert!(!page.body.contains("evil.example"), "{forged:?}");
    }
}
