//! The supporter's "new ticket for a customer" form: the customer picker finds the
//! tenant's customers by name, email or phone (never another tenant's), and a new
//! customer can be added inline while filing.

use poem::http::StatusCode;

use super::{Desk, badges, number_in, priority_id};
use crate::support::{MultipartBody, arrange};

#[tokio::test]
async fn the_picker_finds_the_tenants_customers_by_name_email_or_phone_only() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let sam = &desk.sam;
    // A customer with a phone number, added through the form itself.
    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("new_name", "Paula Phone")
                .text("new_email", "paula@acme.example")
                .text("new_phone", "+49 30 555 0101")
                .text("subject", "Call about the copier")
                .text("body", "Paula called: the copier beeps."),
        )
        .await;
    number_in(&page);

    for (q, expect, not) in [
        ("carl", vec!["Carl Customer"], vec!["Cleo", "Gil", "Gwen"]),
        (
            "CUSTOMER",
            vec!["Carl Customer", "Cleo Customer"],
            vec!["Gil", "Gwen"],
        ),
        ("cleo@acme", vec!["Cleo Customer"], vec!["Carl"]),
        (
            "acme.example",
            vec!["Carl Customer", "Paula Phone"],
            vec!["Gil"],
        ),
        (
            "555 0101",
            vec!["Paula Phone", "+49 30 555 0101"],
            vec!["Carl"],
        ),
        ("5550101", vec!["Paula Phone"], vec!["Carl"]),
        ("gil", vec![], vec!["Gil Customer", "gil@globex"]),
        ("globex", vec![], vec!["Gil", "Gwen", "globex.example"]),
        // Colleagues are not customers.
        ("sara", vec![], vec!["Sara Support"]),
        ("alma@acme", vec![], vec!["Alma Admin"]),
    ] {
        let page = sam
            .get(
                app,
                &format!("/t/acme/customers/search?q={}", q.replace(' ', "+")),
            )
            .await;
        page.assert_ok();
        for name in &expect {
            page.assert_contains(name);
        }
        for name in &not {
            page.assert_lacks(name);
        }
        if expect.is_empty() {
            page.assert_contains("Nobody matches. Add the person as a new customer below.");
        } else {
            page.assert_contains("type=\"radio\" name=\"customer_id\"");
        }
        // A fragment for htmx, not a whole page.
        page.assert_lacks("<html");
    }
    // The htmx request names the field after the input (customer_q) — same answer.
    let page = sam
        .get(app, "/t/acme/customers/search?customer_q=cleo")
        .await;
    page.assert_contains("Cleo Customer");
    // Globex's staff searching their own tenant never see acme's customers.
    let gus = app.sign_in(&app.fx().globex.supporters[0].email).await;
    let page = gus.get(app, "/t/globex/customers/search?q=customer").await;
    page.assert_ok();
    page.assert_contains("Gil Customer");
    page.assert_lacks("Carl");
    page.assert_lacks("Paula");
    // Without JavaScript, "find" re-renders the form with the matches.
    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("customer_q", "cleo")
                .text("find", "1")
                .text("subject", "kept")
                .text("body", "kept too"),
        )
        .await;
    page.assert_ok();
    page.assert_contains("Cleo Customer");
    page.assert_contains("value=\"kept\"");
    page.assert_lacks("Gil");
}

#[tokio::test]
async fn filing_for_a_new_customer_creates_them_in_this_tenant_only() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let sam = &desk.sam;
    let high = priority_id(app, "High").await.to_string();
    let form = sam.get(app, "/t/acme/tickets/new-for-customer").await;
    form.assert_ok();
    form.assert_contains("New ticket for a customer");
    form.assert_contains("hx-get=\"/t/acme/customers/search\"");

    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("customer_q", "")
                .text("new_name", "Nora Neu")
                .text("new_email", "nora@acme.example")
                .text("new_phone", "+49 89 1234567")
                .text("priority", &high)
                .text("subject", "Laptop does not boot")
                .text("body", "Nora phoned: black screen after the logo."),
        )
        .await;
    let n = number_in(&page);
    assert_eq!(
        page.location(),
        Some(format!("/t/acme/tickets/{n}?done=ticket_created").as_str())
    );
    let view = sam.get(app, &format!("/t/acme/tickets/{n}")).await;
    view.assert_ok();
    view.assert_contains("Nora Neu");
    view.assert_contains("mailto:nora@acme.example");
    view.assert_contains("tel:+49891234567");
    view.assert_contains("Filed by");
    view.assert_contains("Sam Support");
    view.assert_contains("Hoch / High");
    view.assert_contains("filed the request for the customer");
    assert_eq!(badges(app, sam).await, (1, 0, 0));

    // Nora is now a customer of acme, found by the picker; globex knows nothing of her.
    let nora = arrange::account(app, "nora@acme.example").await;
    let m = arrange::membership(app, app.fx().acme.id, nora.id).await;
    assert_eq!(m.role, supportbox::domain::role::Role::Customer);
    assert_eq!(nora.phone, "+49 89 1234567");
    sam.get(app, "/t/acme/customers/search?q=nora")
        .await
        .assert_contains("Nora Neu");
    let gus = app.sign_in(&app.fx().globex.supporters[0].email).await;
    gus.get(app, "/t/globex/customers/search?q=nora")
        .await
        .assert_lacks("Nora");

    // Picking an existing customer files for them without creating anyone.
    let carl = app.fx().acme.customers[0].id.0.to_string();
    let before = arrange::snapshot(app).await;
    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("customer_id", &carl)
                .text("subject", "Carl phoned")
                .text("body", "Monitor is dark."),
        )
        .await;
    let m = number_in(&page);
    assert_eq!(arrange::snapshot(app).await, before);
    let mine = desk.carl.get(app, &format!("/t/acme/tickets/{m}")).await;
    mine.assert_ok();
    mine.assert_contains("Monitor is dark.");
    assert_eq!(badges(app, sam).await, (2, 0, 0));

    // Neither a customer nor a new one: the form says so and creates nothing.
    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("subject", "Nobody")
                .text("body", "No customer given."),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Please fill in this field.");
    page.assert_contains("value=\"Nobody\"");
    // A bad email for the new customer: the message stands at the field.
    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("new_name", "Bad Mail")
                .text("new_email", "not-an-email")
                .text("subject", "x")
                .text("body", "y"),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("f-new_email").is_some(), "{}", page.body);
    // A customer of globex cannot be picked by id in acme.
    let gil = app.fx().globex.customers[0].id.0.to_string();
    let page = sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("customer_id", &gil)
                .text("subject", "For Gil")
                .text("body", "Should not exist."),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_lacks("Gil Customer");
    assert_eq!(badges(app, sam).await, (2, 0, 0));
}

#[tokio::test]
async fn a_new_customer_form_does_not_reveal_another_tenants_account() {
    let desk = Desk::new().await;
    let app = &desk.app;
    // Gil is a globex customer with a phone number acme has never seen.
    let gil = app.fx().globex.customers[0].clone();
    app.state
        .store
        .write(move |w| {
            let mut a = supportbox::store::accounts::get_account(w, gil.id)?
                .ok_or(supportbox::store::StoreError::NotFound)?;
            a.phone = "+41 44 999 00 00".to_owned();
            supportbox::store::accounts::put_account(w, &a)
        })
        .await
        .unwrap();
    // An acme supporter types Gil's email with another name as a "new customer".
    let page = desk
        .sam
        .post_multipart(
            app,
            "/t/acme/tickets/new-for-customer",
            MultipartBody::new()
                .text("new_name", "Someone Else")
                .text("new_email", "gil@globex.example")
                .text("subject", "Probe")
                .text("body", "Probe."),
        )
        .await;
    // The address is refused with a pointer to the invitation, and nothing of globex's
    // record shows in acme.
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_field_error("f-new_email", "Invite the person");
    page.assert_lacks("Gil Customer");
    page.assert_lacks("999 00 00");
    let (acme, gil_id) = (app.fx().acme.id, app.fx().globex.customers[0].id);
    let membership = app
        .state
        .store
        .read(move |r| supportbox::store::accounts::get_membership(r, acme, gil_id))
        .await
        .unwrap();
    assert!(membership.is_none(), "no membership was created");
    desk.sam
        .get(app, "/t/acme/customers/search?q=gil")
        .await
        .assert_lacks("Gil Customer");
}
