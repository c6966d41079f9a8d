//! The API document tells the truth: every operation it lists is called for real, with
//! good and with bad input, and every answer must be declared for that operation: its
//! status, its content type, and a body that matches the declared schema (types, required
//! fields, `null` only where nullable, no undeclared fields). An operation added later
//! without being exercised here fails the coverage check at the end.

use std::collections::{BTreeMap, BTreeSet};

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::{ApiClient, Download, PNG, TestApp, arrange};
use crate::tickets::Desk;

enum Payload {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

struct Exercise<'a> {
    app: &'a TestApp,
    doc: Value,
    /// Statuses seen per operation (`post /t/{slug}/tickets`).
    seen: BTreeMap<String, BTreeSet<u16>>,
    wrong: Vec<String>,
}

impl<'a> Exercise<'a> {
    /// Calls the operation `method template` with the path parameters `args` filled in,
    /// checks the answer against the document, and returns it.
    async fn call(
        &mut self,
        who: &ApiClient,
        method: &str,
        template: &str,
        args: &[(&str, String)],
        query: &str,
        payload: Payload,
    ) -> Download {
        let mut path = template.to_owned();
        for (name, value) in args {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let uri = format!("/api/v1{path}{query}");
        let http_method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (content_type, body) = match payload {
            Payload::None => (None, Vec::new()),
            Payload::Json(v) => (Some("application/json"), v.to_string().into_bytes()),
            Payload::Raw(ct, bytes) => (Some(ct), bytes),
        };
        let answer = who
            .send(self.app, http_method, &uri, content_type, body)
            .await;
        self.check(method, template, &uri, &answer);
        answer
    }

    fn check(&mut self, method: &str, template: &str, uri: &str, answer: &Download) {
        let key = format!("{method} {template}");
        let Some(operation) = self.doc["paths"][template].get(method).cloned() else {
            self.wrong.push(format!("{key} is not in the document"));
            return;
        };
        let status = answer.status.as_u16();
        self.seen.entry(key.clone()).or_default().insert(status);
        let responses = &operation["responses"];
        let Some(declared) = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))
        else {
            self.wrong.push(format!(
                "{key} ({uri}) answered {status}, which it does not declare"
            ));
            return;
        };
        if answer.bytes.is_empty() {
            return;
        }
        let content_type = answer.header("content-type").unwrap_or_default();
        let media = media_type(content_type);
        let contents = declared["content"].as_object().cloned().unwrap_or_default();
        let matching = contents
            .iter()
            .find(|(declared, _)| media_range_covers(&media_type(declared), &media));
        let Some((_, content)) = matching else {
            self.wrong.push(format!(
                "{key} ({uri}) answered {status} as {content_type}, declared: {:?}",
                contents.keys().collect::<Vec<_>>()
            ));
            return;
        };
        if !media.ends_with("json") {
            return;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&answer.bytes) else {
            self.wrong
                .push(format!("{key} ({uri}) answered {status} with invalid JSON"));
            return;
        };
        let mut problems = Vec::new();
        conforms(&self.doc, &content["schema"], &body, "$", &mut problems);
        for problem in problems {
            self.wrong
                .push(format!("{key} ({uri}) {status}: {problem}"));
        }
    }
}

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a declared media type or range (`*/*`, `image/*`) covers `media`.
fn media_range_covers(declared: &str, media: &str) -> bool {
    match declared.strip_suffix("/*") {
        Some("*") => true,
        Some(kind) => media.split('/').next() == Some(kind),
        None => declared == media,
    }
}

/// Checks `value` against an OpenAPI 3.0 schema as poem-openapi writes them.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "dangling reference {reference}");
        return conforms(doc, target, value, at, problems);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            conforms(doc, part, value, at, problems);
        }
    }
    for alternatives in ["oneOf", "anyOf"] {
        if let Some(options) = schema[alternatives].as_array() {
            let fits = options.iter().any(|option| {
                let mut inner = Vec::new();
                conforms(doc, option, value, at, &mut inner);
                inner.is_empty()
            });
            if !fits {
                problems.push(format!("{at} matches none of {alternatives}"));
            }
        }
    }
    if value.is_null() {
        if schema["nullable"] != json!(true) && schema.get("type").is_some() {
            problems.push(format!("{at} is null but not nullable"));
        }
        return;
    }
    match schema["type"].as_str() {
        Some("object") => {
            let Some(fields) = value.as_object() else {
                return problems.push(format!("{at} should be an object: {value}"));
            };
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    problems.push(format!("{at}.{name} is required but missing"));
                }
            }
            for (name, field) in fields {
                match properties.get(name) {
                    Some(property) => {
                        conforms(doc, property, field, &format!("{at}.{name}"), problems)
                    }
                    None if schema["additionalProperties"].is_object()
                        || schema["additionalProperties"] == json!(true) => {}
                    None => problems.push(format!("{at}.{name} is not declared")),
                }
            }
        }
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    conforms(doc, &schema["items"], item, &format!("{at}[{i}]"), problems);
                }
            }
            None => problems.push(format!("{at} should be an array: {value}")),
        },
        Some("string") if !value.is_string() => {
            problems.push(format!("{at} should be a string: {value}"))
        }
        Some("integer") if !(value.is_i64() || value.is_u64()) => {
            problems.push(format!("{at} should be an integer: {value}"))
        }
        Some("number") if !value.is_number() => {
            problems.push(format!("{at} should be a number: {value}"))
        }
        Some("boolean") if !value.is_boolean() => {
            problems.push(format!("{at} should be a boolean: {value}"))
        }
        _ => {}
    }
}

fn arg(name: &'static str, value: impl ToString) -> (&'static str, String) {
    (name, value.to_string())
}

#[tokio::test]
async fn every_answer_of_every_operation_is_declared_in_the_document() {
    let desk = Desk::new().await;
    let app = &desk.app;
    let fx = app.fx().clone();
    let carl = app.api_for(&fx.acme.customers[0].email).await;
    let sam = app.api_for(&fx.acme.supporters[0].email).await;
    let gina = app.api_for(&fx.globex.customers[0].email).await;
    let nobody = ApiClient::anonymous();
    let forged = ApiClient::bearer("sbt_0000");
    let doc = carl.get(app, "/api/v1/openapi.json").await.json();
    let mut ex = Exercise {
        app,
        doc: doc.clone(),
        seen: BTreeMap::new(),
        wrong: Vec::new(),
    };
    let acme = || arg("slug", "acme");
    let priority = arrange::priorities(app, &fx.acme).await[0].id.0;

    // Who the token belongs to.
    ex.call(&carl, "get", "/me", &[], "", Payload::None).await;
    ex.call(&forged, "get", "/me", &[], "", Payload::None).await;

    // An upload and a ticket with it: nothing set yet (nulls everywhere they can be).
    let tickets = "/t/{slug}/tickets";
    let uploads = "/t/{slug}/uploads";
    let png = || Payload::Raw("application/octet-stream", PNG.to_vec());
    let up = ex
        .call(&carl, "post", uploads, &[acme()], "?name=shot.png", png())
        .await;
    let upload_id = json_of(&up)["id"].as_str().unwrap().to_owned();
    ex.call(&carl, "post", uploads, &[acme()], "", png()).await;
    ex.call(&gina, "post", uploads, &[acme()], "?name=x.png", png())
        .await;
    ex.call(
        &carl,
        "post",
        uploads,
        &[acme()],
        "?name=x.png",
        Payload::Raw("application/json", b"{}".to_vec()),
    )
    .await;
    let new_ticket = json!({"subject": "Printer offline", "body": "Since this morning.",
                            "attachments": [upload_id]});
    let created = ex
        .call(
            &carl,
            "post",
            tickets,
            &[acme()],
            "",
            Payload::Json(new_ticket),
        )
        .await;
    let n = json_of(&created)["ticket"]["number"].as_u64().unwrap();
    let bad_creates = [
        Payload::Json(json!({"subject": "", "body": "x"})),
        Payload::Json(json!({"subject": "No body"})),
        Payload::Raw("application/json", b"{".to_vec()),
        Payload::Raw("text/plain", b"subject=x".to_vec()),
        Payload::Raw("application/json", oversized_json()),
        Payload::Json(json!({"subject": "x", "body": "y", "attachments": ["nope"]})),
    ];
    for bad in bad_creates {
        ex.call(&carl, "post", tickets, &[acme()], "", bad).await;
    }

    // Lists, one ticket, search.
    ex.call(&carl, "get", tickets, &[acme()], "", Payload::None)
        .await;
    for query in [
        "?sort=priority&dir=asc",
        "?status=bogus",
        "?customer_id=abc",
    ] {
        ex.call(&sam, "get", tickets, &[acme()], query, Payload::None)
            .await;
    }
    ex.call(
        &carl,
        "get",
        tickets,
        &[arg("slug", "globex")],
        "",
        Payload::None,
    )
    .await;
    let ticket = "/t/{slug}/tickets/{number}";
    for number in [n.to_string(), "999999".to_owned(), "abc".to_owned()] {
        ex.call(
            &carl,
            "get",
            ticket,
            &[acme(), arg("number", number)],
            "",
            Payload::None,
        )
        .await;
    }
    let search = "/t/{slug}/search";
    ex.call(&carl, "get", search, &[acme()], "?q=printer", Payload::None)
        .await;
    ex.call(&carl, "get", search, &[acme()], "", Payload::None)
        .await;

    // Tokens: made with the password, listed, revoked.
    let made = ex
        .call(
            &nobody,
            "post",
            "/tokens",
            &[],
            "",
            Payload::Json(
                json!({"email": fx.acme.supporters[0].email, "password": crate::support::PASSWORD,
                                 "name": "Document", "expires": "2099-12-31"}),
            ),
        )
        .await;
    let made_id = json_of(&made)["token"]["id"].as_u64().unwrap();
    ex.call(
        &nobody,
        "post",
        "/tokens",
        &[],
        "",
        Payload::Json(json!({"email": "x@acme.example", "password": "nope", "name": "X"})),
    )
    .await;
    ex.call(&sam, "get", "/tokens", &[], "", Payload::None)
        .await;
    ex.call(&nobody, "get", "/tokens", &[], "", Payload::None)
        .await;
    for id in [made_id.to_string(), "999999".to_owned()] {
        ex.call(
            &sam,
            "post",
            "/tokens/{id}/revoke",
            &[arg("id", id)],
            "",
            Payload::None,
        )
        .await;
    }

    // Customers by e-mail address, added, refused.
    let customers = "/t/{slug}/customers";
    for query in ["?email=carl@acme.example", "?q=customer", ""] {
        ex.call(&sam, "get", customers, &[acme()], query, Payload::None)
            .await;
    }
    ex.call(&carl, "get", customers, &[acme()], "", Payload::None)
        .await;
    for body in [
        json!({"name": "Nina Neu", "email": "nina@acme.example"}),
        json!({"name": "Nina Neu", "email": "nina@acme.example"}),
        json!({"name": "", "email": "x"}),
    ] {
        ex.call(&sam, "post", customers, &[acme()], "", Payload::Json(body))
            .await;
    }
    ex.call(
        &nobody,
        "post",
        customers,
        &[acme()],
        "",
        Payload::Json(json!({"name": "X", "email": "x@acme.example"})),
    )
    .await;

    // The file of the ticket's first message, and one that does not exist.
    let file = "/t/{slug}/tickets/{number}/files/{seq}/{index}";
    for index in [0, 7] {
        let args = [acme(), arg("number", n), arg("seq", 1), arg("index", index)];
        ex.call(&carl, "get", file, &args, "", Payload::None).await;
    }

    // Every transition, allowed and refused.
    let on = |action: &str| format!("/t/{{slug}}/tickets/{{number}}/{action}");
    let at = [acme(), arg("number", n)];
    let sara = fx.acme.supporters[1].id.0;
    let steps: Vec<(&ApiClient, &str, Value)> = vec![
        (&carl, "reply", json!({"body": "Still offline."})),
        (&carl, "reply", json!({"body": ""})),
        (&carl, "accept", json!({"priority_id": priority})),
        (&sam, "accept", json!({"priority_id": 999_999})),
        (&sam, "accept", json!({"priority_id": priority})),
        (
            &sam,
            "assign",
            json!({"assignee_id": sara, "note": "Yours"}),
        ),
        (
            &sam,
            "assign",
            json!({"assignee_id": fx.acme.customers[0].id.0}),
        ),
        (&sam, "resolve", json!({"solution": "Replaced the toner."})),
        (&sam, "resolve", json!({"solution": "Again."})),
        (&sam, "close", json!({})),
        (&sam, "close", json!({})),
        (&sam, "reopen", json!({})),
        (&sam, "reopen", json!({})),
    ];
    for (who, action, body) in steps {
        ex.call(who, "post", &on(action), &at, "", Payload::Json(body))
            .await;
    }

    // Every operation without a token, and with another tenant's.
    let operations: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
            methods.into_iter().map(move |m| (m, path.clone()))
        })
        .collect();
    let placeholders = [acme(), arg("number", n), arg("seq", 1), arg("index", 0)];
    for (method, path) in &operations {
        let payload = || match method.as_str() {
            "post" => Payload::Json(json!({})),
            _ => Payload::None,
        };
        ex.call(&nobody, method, path, &placeholders, "", payload())
            .await;
        ex.call(&gina, method, path, &placeholders, "?q=x&name=x", payload())
            .await;
    }

    // Each operation was seen succeeding and refusing.
    for (method, path) in &operations {
        let key = format!("{method} {path}");
        let seen = ex.seen.get(&key).cloned().unwrap_or_default();
        if !seen.iter().any(|s| (200..300).contains(s)) {
            ex.wrong
                .push(format!("{key} never succeeded here: {seen:?}"));
        }
        if !seen.iter().any(|s| (400..500).contains(s)) {
            ex.wrong.push(format!("{key} never refused here: {seen:?}"));
        }
    }
    let statuses: BTreeSet<u16> = ex.seen.values().flatten().copied().collect();
    for expected in [400, 401, 404, 413, 415, 422] {
        assert!(
            statuses.contains(&expected),
            "no {expected} exercised: {statuses:?}"
        );
    }
    assert!(ex.wrong.is_empty(), "{}", ex.wrong.join("\n"));
}

fn json_of(answer: &Download) -> Value {
    answer.assert_ok();
    serde_json::from_slice(&answer.bytes).unwrap()
}

/// A syntactically valid JSON body just over the API's 1 MiB limit.
fn oversized_json() -> Vec<u8> {
    let filler = "x".repeat(1024 * 1024);
    json!({"subject": "big", "body": filler})
        .to_string()
        .into_bytes()
}
