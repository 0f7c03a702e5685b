//! On PostgreSQL with many users' rows, a whole day of the app — sign-up and sign-in, refresh,
//! every kind of write, lists, the day view, pulls and pushes, the insight, every report and
//! export, sharing with a clinician and a link, the clinician's views, deletes, sign-out and
//! erasing an account — reads every table by index. PostgreSQL's own counters
//! (`pg_stat_user_tables.seq_scan`) must not move while the app serves those requests, so a
//! person's requests cost in proportion to their own rows, not everyone's.
//!
//! Unlike `journal_indexes` (the list and pull builders, EXPLAINed one by one), this catches
//! any query the app runs, including ones nobody thought to EXPLAIN: foreign-key actions,
//! session checks, counters, sharing look-ups.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use pain_journal::db::DatabaseLocation;
use serde_json::{json, Value};

use crate::helpers::{Engine, TestApp, Tokens, PASSWORD};

/// Users and rows per kind: enough that an index beats a scan for one person's rows
/// (~140k journal rows), small enough for CI.
const USERS: i64 = 2_000;
const ROWS_PER_USER: i64 = 14;

#[derive(QueryableByName, Debug, Clone, Copy, PartialEq, Eq)]
struct Counters {
    #[diesel(sql_type = BigInt)]
    seq_scan: i64,
    #[diesel(sql_type = BigInt)]
    idx_scan: i64,
}

#[derive(QueryableByName)]
struct TableCounters {
    #[diesel(sql_type = Text)]
    relname: String,
    #[diesel(sql_type = BigInt)]
    seq_scan: i64,
    #[diesel(sql_type = BigInt)]
    idx_scan: i64,
}

fn counters(conn: &mut PgConnection) -> BTreeMap<String, Counters> {
    diesel::sql_query(
        "SELECT relname::text AS relname, seq_scan, coalesce(idx_scan, 0) AS idx_scan
           FROM pg_stat_user_tables WHERE relname <> '__diesel_schema_migrations'",
    )
    .load::<TableCounters>(conn)
    .expect("table counters")
    .into_iter()
    .map(|t| {
        let counters = Counters {
            seq_scan: t.seq_scan,
            idx_scan: t.idx_scan,
        };
        (t.relname, counters)
    })
    .collect()
}

/// The counters once every connection has reported. A PostgreSQL backend sends its statistics
/// when it goes idle, but at most once a second; what it could not send then waits for 10 s of
/// idleness (PGSTAT_IDLE_INTERVAL). So: readings a second apart, unchanged for 11 s.
fn settled_counters(conn: &mut PgConnection) -> BTreeMap<String, Counters> {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last = counters(conn);
    let mut unchanged_since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = counters(conn);
        if now != last {
            last = now;
            unchanged_since = Instant::now();
        } else if unchanged_since.elapsed() >= Duration::from_secs(11) {
            return now;
        }
        assert!(Instant::now() < deadline, "table counters never settled");
    }
}

/// This connection's own statistics, sent now rather than up to 10 s later.
fn report_own_counters(conn: &mut PgConnection) {
    conn.batch_execute("SELECT pg_stat_force_next_flush()")
        .unwrap();
}

/// Sessions, shares, access-log entries, push receipts and throttle rows for the seeded users,
/// so every table the app reads has real statistics.
fn seed_the_rest(conn: &mut PgConnection) {
    conn.batch_execute(&format!(
        "INSERT INTO sessions (user_id, id, family_id, device_name, token_hash, signed_in_at, created_at, updated_at, expires_at)
           SELECT 'u' || u, 'sess' || r, 'fam' || r, 'phone', md5(u || '-' || r), now(), now(), now(), now() + interval '30 days'
           FROM generate_series(1, {USERS}) u, generate_series(1, 5) r;
         INSERT INTO share_grants (user_id, id, kind, scope, label, secret_hash, clinician_id, redeemed_at, expires_at, created_at, updated_at)
           SELECT 'u' || u, 'g' || r, 'code', 'summary', 'Dr', md5('grant' || u || '-' || r), 'u' || (1 + (u + r) % {USERS}), now(), now() + interval '30 days', now(), now()
           FROM generate_series(1, {USERS}) u, generate_series(1, 3) r;
         INSERT INTO access_log (user_id, id, share_id, clinician_id, viewer, what, address, at, created_at, updated_at)
           SELECT 'u' || u, 'a' || r, 'g1', 'u1', 'Dr', 'summary', '127.0.0.0/24', now() - r * interval '1 hour', now(), now()
           FROM generate_series(1, {USERS}) u, generate_series(1, {ROWS_PER_USER}) r;
         INSERT INTO sync_push_receipts (user_id, idempotency_key, request_hash, response, created_at)
           SELECT 'u' || u, 'key' || r, 'h', '{{}}', now()
           FROM generate_series(1, {USERS}) u, generate_series(1, 3) r;
         INSERT INTO redeem_throttle (subject, user_id, failures, window_start)
           SELECT 'clinician:u' || u, 'u' || u, 1, now() FROM generate_series(1, {USERS}) u;
         ANALYZE;"
    ))
    .expect("seed the other tables");
}

async fn ok(response: reqwest::Response, what: &str) -> reqwest::Response {
    let status = response.status();
    assert!(status.is_success(), "{what}: {status}");
    response
}

async fn get(app: &TestApp, path: &str, token: &str) {
    let response = ok(app.get_auth(path, token).await, path).await;
    response.bytes().await.unwrap();
}

/// Everything a patient, a clinician and a link viewer do, through HTTP.
async fn a_day_of_the_app(app: &TestApp) {
    let (profile, ann) = app.user("ann@example.com").await;
    let ann_id = profile["id"].as_str().unwrap().to_owned();
    let token = ann.access.as_str();
    let tablet = app.login("ann@example.com", "tablet").await;
    ok(
        app.patch_auth("/v1/me", token, &json!({"display_name": "Ann"}))
            .await,
        "profile",
    )
    .await;
    let refreshed: Value = ok(
        app.post_json(
            "/v1/auth/refresh",
            &json!({"refresh_token": tablet.refresh}),
        )
        .await,
        "refresh",
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(refreshed["access_token"].is_string(), "{refreshed}");

    // Every kind: create, read, change, list (plain, by days), the day view.
    crate::reports::fill(app, &ann).await;
    for (path, body, change) in crate::journal::samples() {
        let created = app.post_expect(path, token, &body, 201).await;
        let one = format!("{path}/{}", created["id"].as_str().unwrap());
        get(app, &one, token).await;
        ok(app.patch_auth(&one, token, &change).await, &one).await;
        get(app, path, token).await;
        if path != "/v1/medications" {
            get(app, &format!("{path}?from=2026-11-01&to=2026-11-30"), token).await;
        }
    }
    get(app, "/v1/days/2026-11-20", token).await;

    // Sync: a first pull, a push with an idempotency key, a pull of what it changed (its
    // statements planned once for any values, so the generic plans are the ones counted), a
    // migration pull, an up-to-date pull.
    let first = app.get_json("/v1/sync?last_pulled_at=0", token).await;
    let since = first["timestamp"].as_i64().unwrap();
    let push = app
        .client
        .post(app.url(&format!("/v1/sync?last_pulled_at={since}")))
        .bearer_auth(token)
        .header("Idempotency-Key", "push-1")
        .json(&json!({"changes": {
            "pain_entries": {"created": [crate::sync::pain_record("pushed-1", 4)]},
            "medication_intakes": {"created": [{"id": "pushed-i", "medication_id": "oxy",
                "taken_at": 1_795_851_000_000_i64, "quantity": 1, "notes": null,
                "_status": "created", "_changed": ""}]}
        }}))
        .send()
        .await
        .unwrap();
    let answer: Value = ok(push, "push").await.json().await.unwrap();
    assert_eq!(answer["applied"], 2, "{answer}");
    let pulled = app
        .get_json(&format!("/v1/sync?last_pulled_at={since}"), token)
        .await;
    assert_eq!(
        pulled["changes"]["pain_entries"]["updated"][0]["id"],
        "pushed-1"
    );
    get(
        app,
        &format!("/v1/sync?last_pulled_at={since}&schema_version=2&migration=%7B%7D"),
        token,
    )
    .await;
    get(
        app,
        &format!("/v1/sync?last_pulled_at={}", pulled["timestamp"]),
        token,
    )
    .await;

    // What the person reads and exports.
    for path in [
        "/v1/insights/massage-effect",
        "/v1/insights/weekly",
        "/v1/insights/chart.svg",
        "/v1/reports/doctor.pdf",
        "/v1/reports/journal.csv?table=pain_entries",
        "/v1/reports/journal.csv?table=medication_intakes",
        "/v1/export/fhir",
        "/v1/export",
        "/v1/me/sessions",
    ] {
        get(app, path, token).await;
    }

    // Sharing: a code for a clinician, a link; the clinician's views; the patient's log.
    let code = app
        .post_expect(
            "/v1/shares",
            token,
            &json!({"kind": "code", "scope": "full", "label": "Dr. Weber"}),
            201,
        )
        .await;
    let link = app
        .post_expect(
            "/v1/shares",
            token,
            &json!({"kind": "link", "scope": "summary", "label": "GP"}),
            201,
        )
        .await;
    let response = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "weber@example.com", "password": PASSWORD, "timezone": "Europe/Berlin",
                    "display_name": "Dr. Weber", "role": "clinician"}),
        )
        .await;
    ok(response, "clinician sign-up").await;
    let weber: Tokens = app.login("weber@example.com", "clinic pc").await;
    let wrong = app
        .post_auth(
            "/v1/clinician/shares/redeem",
            &weber.access,
            &json!({"code": "AAAA-AAAA-AAAA"}),
        )
        .await;
    assert_eq!(wrong.status(), 404, "a wrong code");
    ok(
        app.post_auth(
            "/v1/clinician/shares/redeem",
            &weber.access,
            &json!({"code": code["code"]}),
        )
        .await,
        "redeem",
    )
    .await;
    get(app, "/v1/clinician/patients", &weber.access).await;
    let base = format!("/v1/clinician/patients/{ann_id}");
    for view in [
        "summary",
        "weekly",
        "chart.svg",
        "report.pdf",
        "page",
        "massage",
        "pain-entries",
        "medications",
        "medication-intakes",
        "massage-sessions",
        "check-ins",
    ] {
        get(app, &format!("{base}/{view}"), &weber.access).await;
    }
    let page = link["path"].as_str().unwrap();
    for path in [page.to_owned(), format!("{page}/report.pdf")] {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        ok(response, &path).await.bytes().await.unwrap();
    }
    get(app, "/v1/me/access-log", token).await;
    get(app, "/v1/shares", token).await;
    let share = format!("/v1/shares/{}", link["id"].as_str().unwrap());
    ok(app.delete_auth(&share, token).await, "end a share").await;

    // Deletes (a medication takes its intakes), sign-out, and erasing the clinician.
    for path in ["/v1/pain-entries/pain-1", "/v1/medications/oxy"] {
        ok(app.delete_auth(path, token).await, path).await;
    }
    ok(
        app.post_json(
            "/v1/auth/logout",
            &json!({"refresh_token": refreshed["refresh_token"]}),
        )
        .await,
        "sign-out",
    )
    .await;
    let erase = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(&weber.access)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    ok(erase, "erase the clinician's account").await;
    get(app, "/v1/me", token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_scans_a_whole_table() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let DatabaseLocation::Postgres(url) = &app.settings.database else {
        unreachable!()
    };
    let mut conn = PgConnection::establish(url).unwrap();
    pain_journal::db::filler::seed_users(&mut conn, USERS, ROWS_PER_USER, "x").expect("seed");
    seed_the_rest(&mut conn);
    report_own_counters(&mut conn);

    // The counters can move: a query that ignores the owner is seen scanning.
    let before = settled_counters(&mut conn);
    conn.batch_execute("SELECT count(*) FROM pain_entries WHERE intensity = 5")
        .unwrap();
    report_own_counters(&mut conn);
    let scanned_once = |c: &BTreeMap<String, Counters>| {
        c["pain_entries"].seq_scan == before["pain_entries"].seq_scan + 1
    };
    let mut after = counters(&mut conn);
    for _ in 0..50 {
        if scanned_once(&after) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        after = counters(&mut conn);
    }
    assert!(
        scanned_once(&after),
        "a deliberate scan was not counted: {before:?} {after:?}"
    );

    a_day_of_the_app(&app).await;
    let served = settled_counters(&mut conn);

    let mut scanned = Vec::new();
    for (table, now) in &served {
        let then = after.get(table).copied().unwrap_or(Counters {
            seq_scan: 0,
            idx_scan: 0,
        });
        if now.seq_scan > then.seq_scan {
            scanned.push(format!("{table}: {} scans", now.seq_scan - then.seq_scan));
        }
    }
    assert!(scanned.is_empty(), "sequential scans: {scanned:?}");
    // And the requests were counted at all: every journal table was read by index.
    for table in [
        "users",
        "sessions",
        "pain_entries",
        "medications",
        "medication_intakes",
        "massage_sessions",
        "check_ins",
        "share_grants",
        "access_log",
        "sync_push_receipts",
    ] {
        assert!(
            served[table].idx_scan > after[table].idx_scan,
            "{table} was never read by index: the counters did not see the requests"
        );
    }
}
