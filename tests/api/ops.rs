//! Probes, documentation, and the checked-in OpenAPI document.

use crate::both_engines;
use crate::helpers::{assert_problem, TestApp};

both_engines!(
    probes_answer_ok,
    docs_are_served_from_the_binary,
    unknown_routes_and_methods_are_problems
);

async fn probes_answer_ok(app: TestApp) {
    for path in ["/health/live", "/health/ready"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}

async fn docs_are_served_from_the_binary(app: TestApp) {
    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), 308);
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"));
    let served: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let checked_in: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    assert_eq!(
        served, checked_in,
        "the served spec differs from openapi/openapi.json"
    );
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    let missing = app
        .client
        .get(app.url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404).await;
    let wrong_method = app
        .client
        .put(app.url("/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_problem(wrong_method, 405).await;
    let wrong_method = app
        .client
        .get(app.url("/v1/me/password"))
        .send()
        .await
        .unwrap();
    assert_problem(wrong_method, 405).await;
}

/// The checked-in spec is exactly what the code generates (regenerate with
/// `cargo run -- openapi > openapi/openapi.json`).
#[test]
fn checked_in_openapi_matches_the_code() {
    let generated = pain_journal::openapi::document_json();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json exists");
    assert!(
        generated == checked_in,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_route_is_documented_with_bearer_security() {
    let spec: serde_json::Value =
        serde_json::from_str(&pain_journal::openapi::document_json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/health/live",
        "/health/ready",
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/me",
        "/v1/me/sessions",
        "/v1/me/sessions/{id}",
        "/v1/me/password",
    ] {
        assert!(paths.contains_key(path), "{path} is not in the spec");
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(spec["paths"]["/v1/me"]["get"]["security"].is_array());
}

/// A bad setting stops the binary at once with one line naming the variable.
#[test]
fn bad_config_exits_with_one_line_naming_the_variable() {
    for (variable, value) in [
        ("JWT_SECRET", "too-short"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("BIND_ADDR", "not-an-address"),
        ("ACCESS_TOKEN_TTL_SECS", "forever"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_pain-journal"))
            .env("JWT_SECRET", "0123456789abcdef0123456789abcdef")
            .env(
                "DATABASE_URL",
                "sqlite:///nonexistent-dir-for-this-test/x.db",
            )
            .env(variable, value)
            .output()
            .expect("run the binary");
        assert!(!output.status.success(), "{variable}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains(variable), "{stderr}");
    }
}
