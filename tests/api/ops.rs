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
    // Every documented path answers an undeclared method with 405 and the methods it has
    // (TRACE on the probes answered 404 before).
    for (path, allow) in [
        ("/health/live", "GET"),
        ("/health/ready", "GET"),
        ("/v1/pain-entries", "GET, POST"),
        ("/v1/pain-entries/x", "DELETE, GET, PATCH"),
        ("/v1/me", "DELETE, GET, PATCH"),
        ("/v1/sync", "GET, POST"),
    ] {
        let trace = reqwest::Method::from_bytes(b"TRACE").unwrap();
        let response = app
            .client
            .request(trace, app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "TRACE {path}");
        assert_eq!(response.headers()["allow"], allow, "{path}");
    }
}

both_engines!(
    answers_are_never_cached_or_sniffed,
    cors_answers_only_named_origins
);

/// Health data: no cache may keep an answer, errors included, and no browser may guess types.
async fn answers_are_never_cached_or_sniffed(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    for response in [
        app.get_auth("/v1/me", &tokens.access).await,
        app.get_auth("/v1/pain-entries/none", &tokens.access).await,
        app.client.get(app.url("/v1/me")).send().await.unwrap(),
        app.client
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap(),
    ] {
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "{}", response.url());
        assert_eq!(
            headers["x-content-type-options"],
            "nosniff",
            "{}",
            response.url()
        );
    }
}

/// Without CORS_ORIGINS no origin gets CORS headers; with it, exactly the named ones.
async fn cors_answers_only_named_origins(app: TestApp) {
    let preflight = |app: &TestApp, origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/pain-entries"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };
    let response = preflight(&app, "https://app.example.com").await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let mut app = app;
    app.settings.cors_origins = vec!["https://app.example.com".into()];
    app.address = app.start_server().await;
    let allowed = preflight(&app, "https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let other = preflight(&app, "https://evil.example.net").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
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

/// The SQLite files hold health data: the directory made for them is 0700 and the database
/// with its -wal and -shm files 0600, also when an older database was 0644.
#[cfg(unix)]
#[test]
fn sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let scratch = std::env::temp_dir().join(format!("pj-perms-{}", uuid::Uuid::new_v4().simple()));
    let dir = scratch.join("data");
    let db = dir.join("pain-journal.db");
    let location = pain_journal::db::DatabaseLocation::Sqlite(db.clone());
    let pool = pain_journal::db::connect(&location, 1).unwrap();
    pool.get().unwrap().ping().unwrap();
    assert_eq!(mode(&dir), 0o700);
    let mut files = 0;
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
            files += 1;
        }
    }
    assert!(files >= 2, "the WAL files exist while the pool is open");
    drop(pool);

    // A database made before this rule is narrowed at start.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let pool = pain_journal::db::connect(&location, 1).unwrap();
    assert_eq!(mode(&db), 0o600);
    drop(pool);
    std::fs::remove_dir_all(&scratch).unwrap();
}

/// Every `$ref` in the document names a schema it holds (a missing one stops schemathesis
/// from testing anything but the stateful phase).
#[test]
fn every_schema_reference_resolves() {
    fn refs<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    out.push(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let spec: serde_json::Value =
        serde_json::from_str(&pain_journal::openapi::document_json()).unwrap();
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(found.len() > 50, "the document has references");
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {target}"));
        assert!(
            spec["components"]["schemas"].get(name).is_some(),
            "{target} is not in the document"
        );
    }
}

both_engines!(settings: with_metrics; metrics_are_served_only_on_their_own_listener);

fn with_metrics(settings: &mut pain_journal::config::Settings) {
    settings.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
}

/// Prometheus metrics: on `METRICS_ADDR` only; requests by route pattern (never a raw path
/// or an id), method and status, with latency histograms; sync records; pool and argon2
/// waiting gauges.
async fn metrics_are_served_only_on_their_own_listener(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    let entry = serde_json::json!({"id": "secret-id-1", "recorded_at": "2026-11-01T08:00:00Z", "intensity": 5});
    app.post_expect("/v1/pain-entries", &tokens.access, &entry, 201)
        .await;
    let one = app
        .get_auth("/v1/pain-entries/secret-id-1", &tokens.access)
        .await;
    assert_eq!(one.status(), 200);
    let unknown = app
        .client
        .get(app.url("/no/such/path-1234"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let records: Vec<serde_json::Value> = (0..3)
        .map(|i| crate::sync::pain_record(&format!("s{i}"), 4))
        .collect();
    let changes = serde_json::json!({"pain_entries": {"created": records}});
    let pushed = crate::sync::push(&app, &tokens.access, 0, changes).await;
    assert_eq!(pushed.status(), 200);
    let pulled = crate::sync::pull(&app, &tokens.access, "last_pulled_at=0").await;
    assert_eq!(
        pulled["changes"]["pain_entries"]["updated"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // Not on the public port.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_problem(public, 404).await;

    let address = app.metrics_address.as_deref().expect("a metrics listener");
    let response = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let has_line = |line: &str| text.lines().any(|l| l == line);
    for line in [
        r#"pain_journal_http_requests_total{endpoint="/v1/pain-entries",method="POST",status="201"} 1"#,
        r#"pain_journal_http_requests_total{endpoint="/v1/pain-entries/{id}",method="GET",status="200"} 1"#,
        r#"pain_journal_http_requests_total{endpoint="/v1/auth/login",method="POST",status="200"} 1"#,
        r#"pain_journal_http_requests_total{endpoint="unmatched",method="GET",status="404"} 2"#,
        r#"pain_journal_sync_records_total{direction="pushed"} 3"#,
        r#"pain_journal_sync_records_total{direction="pulled"} 4"#,
        "pain_journal_db_pool_waiting 0",
        "pain_journal_password_hashes_waiting 0",
    ] {
        assert!(has_line(line), "missing {line}\n{text}");
    }
    assert!(text.contains(
        r#"pain_journal_http_requests_duration_seconds_bucket{endpoint="/v1/sync",method="POST",status="200",le="0.005"}"#
    ));
    assert!(text.contains(r#"pain_journal_db_pool_connections{state="idle"}"#));
    assert!(text.contains(r#"pain_journal_db_pool_connections{state="in_use"}"#));
    // No raw path or id of a person's entry in a label.
    assert!(
        !text.contains("secret-id-1") && !text.contains("path-1234"),
        "{text}"
    );
}

/// The pool does not ping a connection before each use, so a connection the database dropped
/// (a restart, an administrator, a proxy's timeout) must leave the pool after the request that
/// found it dead: the server answers again by itself, each dead connection failing at most
/// one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_recovers_when_the_database_drops_its_connections() {
    use diesel::prelude::*;
    use pain_journal::db::DatabaseLocation;

    let Some(app) = TestApp::spawn(crate::helpers::Engine::Postgres).await else {
        return;
    };
    let DatabaseLocation::Postgres(url) = &app.settings.database else {
        unreachable!()
    };
    let (_, tokens) = app.user("ann@example.com").await;
    let list = || app.get_auth("/v1/pain-entries", &tokens.access);
    // Enough at once to open every connection of the pool.
    for response in futures_util::future::join_all((0..8).map(|_| list())).await {
        assert_eq!(response.status(), 200);
    }

    let mut admin = PgConnection::establish(url).unwrap();
    #[derive(QueryableByName)]
    struct Terminated {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let terminated = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS count FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .get_result::<Terminated>(&mut admin)
    .unwrap()
    .count;
    assert!(terminated >= 2, "only {terminated} connections were open");

    let pool_size = i64::from(app.settings.db_pool_size);
    let mut failed = 0;
    for _ in 0..pool_size {
        let response = list().await;
        if response.status() != 200 {
            failed += 1;
            assert_problem(response, 503).await;
        }
    }
    assert!(failed <= pool_size, "{failed} requests failed");
    for _ in 0..10 {
        assert_eq!(
            list().await.status(),
            200,
            "a dead connection is still in the pool"
        );
    }
}
