//! API tokens through the API: the first one from the account's password, then listed and
//! revoked with a token.

use poem::http::StatusCode;
use serde_json::json;

use crate::support::{ApiClient, PASSWORD, TestApp};

#[tokio::test]
async fn an_integration_gets_a_token_with_the_password_lists_and_revokes_it() {
    let app = TestApp::seeded().await;
    let sam = app.fx().acme.supporters[0].clone();
    let anon = ApiClient::anonymous();
    let made = anon
        .post_json(
            &app,
            "/api/v1/tokens",
            &json!({"email": sam.email, "password": PASSWORD, "name": "Phone system"}),
        )
        .await;
    made.assert_ok();
    let made = made.json();
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sbt_"), "{secret}");
    assert_eq!(made["token"]["name"], "Phone system");
    assert_eq!(made["token"]["expires_at"], serde_json::Value::Null);

    let api = ApiClient::bearer(&secret);
    api.get(&app, "/api/v1/me").await.assert_ok();
    let listed = api.get(&app, "/api/v1/tokens").await.json();
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(
        tokens[0].get("secret").is_none(),
        "a list never shows secrets"
    );
    let id = tokens[0]["id"].as_u64().unwrap();
    let revoked = api
        .post_json(&app, &format!("/api/v1/tokens/{id}/revoke"), &json!({}))
        .await;
    revoked.assert_ok();
    assert_eq!(revoked.json()["revoked"], true);
    api.get(&app, "/api/v1/me")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_password_an_unknown_address_and_anothers_token_get_nothing() {
    let app = TestApp::seeded().await;
    let fx = app.fx().clone();
    let anon = ApiClient::anonymous();
    for (email, password) in [
        (fx.acme.supporters[0].email.as_str(), "not the password"),
        ("nobody@acme.example", PASSWORD),
    ] {
        let page = anon
            .post_json(
                &app,
                "/api/v1/tokens",
                &json!({"email": email, "password": password, "name": "X"}),
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.json()["errors"][0]["field"], "password");
        assert_eq!(page.json()["errors"][0]["message"], "wrong_password");
    }
    let bad_date = anon
        .post_json(
            &app,
            "/api/v1/tokens",
            &json!({"email": fx.acme.supporters[0].email, "password": PASSWORD,
                    "name": "X", "expires": "2000-01-01"}),
        )
        .await;
    bad_date.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_date.json()["errors"][0]["field"], "expires");

    // Carl's token cannot list or revoke Sam's.
    let sam = app.api_for(&fx.acme.supporters[0].email).await;
    let sams = sam.get(&app, "/api/v1/tokens").await.json();
    let sam_token = sams["tokens"][0]["id"].as_u64().unwrap();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let carls = carl.get(&app, "/api/v1/tokens").await.json();
    assert!(
        carls["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"].as_u64() != Some(sam_token))
    );
    carl.post_json(
        &app,
        &format!("/api/v1/tokens/{sam_token}/revoke"),
        &json!({}),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    anon.get(&app, "/api/v1/tokens")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    sam.get(&app, "/api/v1/me").await.assert_ok();
}
