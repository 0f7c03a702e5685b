//! On PostgreSQL, every journal list, day view and sync-pull query is served by an index that
//! starts with `user_id`: EXPLAIN over a seeded table must show no sequential scan, so a
//! user's requests cost in proportion to their own rows, not everyone's.
//!
//! The SQL below mirrors the queries built in `src/db/journal/mod.rs` (list, with and without
//! a day range and a cursor) and the sync pull (`version > N` in version order).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use pain_journal::db::DatabaseLocation;

use crate::helpers::{Engine, TestApp};

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

const USERS: i64 = 300;
const ROWS_PER_USER: i64 = 100;

fn seed(conn: &mut PgConnection) {
    let sql = format!(
        "INSERT INTO users (id, email, password_hash, role, timezone, created_at, updated_at)
           SELECT 'u' || u, 'u' || u || '@example.com', 'x', 'patient', 'UTC', now(), now()
           FROM generate_series(1, {USERS}) u;
         INSERT INTO medications (user_id, id, name, drug_class, strength, strength_unit, form, active, version, created_at, updated_at)
           SELECT 'u' || u, 'm' || r, 'med', 'nsaid', 400, 'mg', 'tablet', true, r, now() - r * interval '1 hour', now()
           FROM generate_series(1, {USERS}) u, generate_series(1, 5) r;
         INSERT INTO pain_entries (user_id, id, recorded_at, local_date, intensity, regions, qualities, triggers, version, created_at, updated_at)
           SELECT 'u' || u, 'p' || r, now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 5, '[]', '[]', '[]', r, now(), now()
           FROM generate_series(1, {USERS}) u, generate_series(1, {ROWS_PER_USER}) r;
         INSERT INTO medication_intakes (user_id, id, medication_id, taken_at, local_date, quantity, version, created_at, updated_at)
           SELECT 'u' || u, 'i' || r, 'm1', now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 1, 1000 + r, now(), now()
           FROM generate_series(1, {USERS}) u, generate_series(1, {ROWS_PER_USER}) r;
         INSERT INTO massage_sessions (user_id, id, started_at, local_date, duration_min, kind, regions, version, created_at, updated_at)
           SELECT 'u' || u, 's' || r, now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 60, 'swedish', '[]', 2000 + r, now(), now()
           FROM generate_series(1, {USERS}) u, generate_series(1, {ROWS_PER_USER}) r;
         INSERT INTO check_ins (user_id, id, answered_at, local_date, kind, items, score, version, created_at, updated_at)
           SELECT 'u' || u, 'c' || r, now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 'peg', '[5,5,5]', 5, 3000 + r, now(), now()
           FROM generate_series(1, {USERS}) u, generate_series(1, {ROWS_PER_USER}) r;
         ANALYZE;"
    );
    conn.batch_execute(&sql).expect("seed");
}

fn plan(conn: &mut PgConnection, query: &str) -> String {
    diesel::sql_query(format!("EXPLAIN {query}"))
        .load::<PlanLine>(conn)
        .expect("explain")
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn journal_queries_use_indexes_that_start_with_user_id() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let DatabaseLocation::Postgres(url) = &app.settings.database else {
        unreachable!()
    };
    let mut conn = PgConnection::establish(url).unwrap();
    seed(&mut conn);

    let mut queries = Vec::new();
    for (table, time) in [
        ("pain_entries", "recorded_at"),
        ("medication_intakes", "taken_at"),
        ("massage_sessions", "started_at"),
        ("check_ins", "answered_at"),
    ] {
        let live = format!("SELECT * FROM {table} WHERE user_id = 'u7' AND deleted = false");
        let order = format!("ORDER BY {time} DESC, id DESC LIMIT 101");
        queries.push(format!("{live} {order}"));
        queries.push(format!(
            "{live} AND local_date >= DATE '2026-01-01' AND local_date <= DATE '2026-03-01' {order}"
        ));
        queries.push(format!(
            "{live} AND ({time} < now() OR ({time} = now() AND id < 'p5')) {order}"
        ));
        // The day view.
        queries.push(format!(
            "{live} AND local_date >= current_date - 3 AND local_date <= current_date - 3 {order}"
        ));
        // The sync pull.
        queries.push(format!(
            "SELECT * FROM {table} WHERE user_id = 'u7' AND version > 5 ORDER BY version LIMIT 500"
        ));
    }
    queries.push(
        "SELECT * FROM medications WHERE user_id = 'u7' AND deleted = false ORDER BY created_at DESC, id DESC LIMIT 101".into(),
    );
    queries.push(
        "SELECT * FROM medications WHERE user_id = 'u7' AND version > 1 ORDER BY version LIMIT 500"
            .into(),
    );

    // The check itself can fail: a query that ignores the owner scans the table.
    let unowned = plan(&mut conn, "SELECT * FROM pain_entries WHERE intensity = 5");
    assert!(unowned.contains("Seq Scan"), "{unowned}");

    for query in queries {
        let plan = plan(&mut conn, &query);
        assert!(
            !plan.contains("Seq Scan"),
            "sequential scan for\n{query}\n{plan}"
        );
        assert!(plan.contains("Index"), "no index used for\n{query}\n{plan}");
    }
}
