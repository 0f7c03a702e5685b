//! Bad input of every kind answers a clear 4xx problem and changes nothing.

use serde_json::json;

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp, PASSWORD};

both_engines!(
    unreadable_bodies_are_4xx_problems,
    unknown_fields_are_refused_and_nothing_is_stored,
    invalid_registrations_name_the_fields_and_store_nothing,
    a_nul_in_a_path_is_404_on_every_route,
);

/// PostgreSQL refuses NUL in text: a `%00` in any path parameter was a 500 there (e.g.
/// revoking a share or a session). Every route answers 404 and nothing changes.
async fn a_nul_in_a_path_is_404_on_every_route(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let share = app
        .post_expect(
            "/v1/shares",
            &tokens.access,
            &serde_json::json!({"kind": "link", "scope": "summary", "label": "GP"}),
            201,
        )
        .await;
    for (method, path) in [
        (reqwest::Method::DELETE, "/v1/shares/a%00b"),
        (reqwest::Method::DELETE, "/v1/me/sessions/a%00b"),
        (reqwest::Method::GET, "/v1/pain-entries/a%00b"),
        (reqwest::Method::GET, "/v1/days/2026-11-0%00"),
        (reqwest::Method::GET, "/v1/clinician/patients/a%00b/summary"),
        (reqwest::Method::GET, "/s/a%00b"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&tokens.access)
            .send()
            .await
            .unwrap();
        assert_problem(response, 404).await;
    }
    let shares = app.get_json("/v1/shares", &tokens.access).await;
    assert_eq!(shares["items"][0]["id"], share["id"]);
    assert_eq!(shares["items"][0]["status"], "active");
    assert_eq!(
        app.get_json("/v1/me/sessions", &tokens.access).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn unreadable_bodies_are_4xx_problems(app: TestApp) {
    let post = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/v1/auth/register"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_problem(post("{not json", "application/json").await.unwrap(), 400).await;
    assert_problem(post("[]", "application/json").await.unwrap(), 400).await;
    assert_problem(post("", "application/json").await.unwrap(), 400).await;
    assert_problem(
        post(r#"{"email": 5}"#, "application/json").await.unwrap(),
        400,
    )
    .await;
    assert_problem(
        post(r#"{"email":"a@b.co"}"#, "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_problem(
        post("email=a", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
    )
    .await;
    assert_problem(post("{}", "text/plain").await.unwrap(), 415).await;

    let huge =
        json!({"email": "a@example.com", "password": "x".repeat(200_000), "timezone": "UTC"});
    let too_large = app.post_json("/v1/auth/register", &huge).await;
    let body = assert_problem(too_large, 413).await;
    assert!(body["detail"].as_str().unwrap().contains("65536"));
}

async fn unknown_fields_are_refused_and_nothing_is_stored(app: TestApp) {
    for extra in [
        json!({"role": "patient", "user_id": "x"}),
        json!({"is_admin": true}),
        json!({"change_seq": 9}),
    ] {
        let mut body =
            json!({"email": "mallory@example.com", "password": PASSWORD, "timezone": "UTC"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let problem = assert_problem(app.post_json("/v1/auth/register", &body).await, 400).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("unknown field"),
            "{problem}"
        );
    }
    // Nothing was stored: the email is still free.
    app.register("mallory@example.com").await;

    let (_, tokens) = app.user("ann@example.com").await;
    for body in [
        json!({"role": "clinician"}),
        json!({"email": "x@example.com"}),
        json!({"id": "other"}),
    ] {
        let response = app
            .client
            .patch(app.url("/v1/me"))
            .bearer_auth(&tokens.access)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 400).await;
    }
    let me: serde_json::Value = app
        .get_auth("/v1/me", &tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "patient");
    assert_eq!(me["email"], "ann@example.com");
}

async fn invalid_registrations_name_the_fields_and_store_nothing(app: TestApp) {
    let cases = [
        (
            json!({"email": "no-at-sign", "password": PASSWORD, "timezone": "UTC"}),
            vec!["email"],
        ),
        (
            json!({"email": "a@example.com", "password": "short", "timezone": "UTC"}),
            vec!["password"],
        ),
        (
            json!({"email": "a@example.com", "password": "elevenchars", "timezone": "UTC"}),
            vec!["password"],
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "timezone": "Mars/Base"}),
            vec!["timezone"],
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "timezone": "UTC", "role": "admin"}),
            vec!["role"],
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "timezone": "UTC", "display_name": "x".repeat(101)}),
            vec!["display_name"],
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "timezone": "UTC", "display_name": "  "}),
            vec!["display_name"],
        ),
        (
            json!({"email": "x".repeat(300), "password": "x", "timezone": ""}),
            vec!["email", "password", "timezone"],
        ),
    ];
    for (body, fields) in cases {
        let problem = assert_problem(app.post_json("/v1/auth/register", &body).await, 422).await;
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{body}");
    }
    // None of them created the account.
    let login = app
        .post_json(
            "/v1/auth/login",
            &json!({"email": "a@example.com", "password": PASSWORD}),
        )
        .await;
    assert_problem(login, 401).await;
}
