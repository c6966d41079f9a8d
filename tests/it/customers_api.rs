//! Customers through the JSON API: found by e-mail address, added, and used for a ticket;
//! staff of the tenant only.

use poem::http::StatusCode;
use serde_json::json;

use crate::support::{ApiClient, TestApp};

const T: &str = "/api/v1/t/acme";

#[tokio::test]
async fn staff_find_and_add_customers_by_email_and_file_tickets_for_them() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let sam = app.api_for(&fx.acme.supporters[0].email).await;
    let carl = fx.acme.customers[0].clone();

    let found = sam
        .get(&app, &format!("{T}/customers?email=CARL@Acme.example"))
        .await;
    found.assert_ok();
    let list = found.json();
    assert_eq!(list["customers"].as_array().unwrap().len(), 1);
    assert_eq!(list["customers"][0]["id"], carl.id.0);
    assert_eq!(list["customers"][0]["email"], "carl@acme.example");
    let by_text = sam
        .get(&app, &format!("{T}/customers?q=customer"))
        .await
        .json();
    assert_eq!(by_text["customers"].as_array().unwrap().len(), 2);
    let colleagues = sam
        .get(
            &app,
            &format!("{T}/customers?email={}", fx.acme.admin.email),
        )
        .await
        .json();
    assert!(
        colleagues["customers"].as_array().unwrap().is_empty(),
        "staff are not customers"
    );

    let added = sam
        .post_json(
            &app,
            &format!("{T}/customers"),
            &json!({"name": "Nina Neu", "email": "Nina@Acme.example", "phone": "+49 30 111"}),
        )
        .await;
    added.assert_ok();
    let nina = added.json();
    assert_eq!(nina["email"], "nina@acme.example");
    let ticket = sam
        .post_json(
            &app,
            &format!("{T}/tickets"),
            &json!({
                "subject": "Phone call: printer",
                "body": "Nina called about the printer.",
                "customer_id": nina["id"],
            }),
        )
        .await;
    ticket.assert_ok();
    assert_eq!(ticket.json()["ticket"]["customer_id"], nina["id"]);

    for (body, field, message) in [
        (
            json!({"name": "Carl", "email": "carl@acme.example"}),
            "email",
            "customer_exists",
        ),
        (
            json!({"name": "Gil", "email": fx.globex.customers[0].email}),
            "email",
            "email_elsewhere",
        ),
        (
            json!({"name": "X", "email": "not an address"}),
            "email",
            "invalid_email",
        ),
        (
            json!({"name": "", "email": "x@acme.example"}),
            "name",
            "required",
        ),
    ] {
        let page = sam.post_json(&app, &format!("{T}/customers"), &body).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let problem = page.json();
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["message"] == message),
            "{body}: {problem}"
        );
    }
}

#[tokio::test]
async fn customers_other_tenants_and_anonymous_callers_get_nothing() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let path = format!("{T}/customers?q=customer");
    let customer = app.api_for(&fx.acme.customers[0].email).await;
    customer
        .get(&app, &path)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    customer
        .post_json(
            &app,
            &format!("{T}/customers"),
            &json!({"name": "X", "email": "x@acme.example"}),
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let gina = app.api_for(&fx.globex.admin.email).await;
    gina.get(&app, &path)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    ApiClient::anonymous()
        .get(&app, &path)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}
