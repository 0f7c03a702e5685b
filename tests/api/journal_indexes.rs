//! On PostgreSQL, every journal list, day view and sync-pull query is served by an index that
//! starts with `user_id`: EXPLAIN over a seeded table must show no sequential scan, so a
//! user's requests cost in proportion to their own rows, not everyone's.
//!
//! The queries are the app's own (`list_query_pg`, `changed_since_query_pg`: the builders
//! that `list`, `list_for_patient` and `changed_since` run), EXPLAINed with their binds.

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Text;
use pain_journal::db::journal::ListFilter;
use pain_journal::db::sessions::PatientSession;
use pain_journal::db::DatabaseLocation;
use pain_journal::domain::{SessionFamilyId, UserId};

use crate::helpers::{Engine, TestApp};

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

fn seed(conn: &mut PgConnection) {
    use diesel::connection::SimpleConnection;
    pain_journal::db::filler::seed_users(conn, 300, 100, "x").expect("seed");
    // Every person signed in on a few devices: a session check reads one family of many.
    conn.batch_execute(
        "INSERT INTO sessions (user_id, id, family_id, token_hash, signed_in_at, created_at,
                               updated_at, expires_at)
         SELECT u.id, u.id || '-s' || d, u.id || '-f' || d, md5(u.id || d), now(), now(), now(),
                now() + interval '30 days'
           FROM users u, generate_series(1, 3) AS d;
         ANALYZE sessions;",
    )
    .expect("sessions");
}

/// `EXPLAIN` in front of a query built by the app's own query functions, binds included.
struct Explain<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

impl<Q> RunQueryDsl<PgConnection> for Explain<Q> {}

fn plan_of<Q: QueryFragment<Pg>>(conn: &mut PgConnection, query: Q) -> (String, String) {
    let sql = diesel::debug_query::<Pg, _>(&query).to_string();
    let plan = Explain(query)
        .load::<String>(conn)
        .expect("explain")
        .join("\n");
    (sql, plan)
}

fn sql_plan(conn: &mut PgConnection, query: &str) -> String {
    diesel::sql_query(format!("EXPLAIN {query}"))
        .load::<PlanLine>(conn)
        .expect("explain")
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plans of every list (plain, by days, after a cursor, one day) and pull query the app
/// builds for `table`.
macro_rules! plans_of {
    ($conn:expr, $plans:expr, $table:ident) => {{
        use pain_journal::db::journal::$table as t;
        let user = UserId::from_trusted("u7".into());
        let day = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        let filters = [
            ListFilter::default(),
            ListFilter {
                from: NaiveDate::from_ymd_opt(2026, 1, 1),
                to: NaiveDate::from_ymd_opt(2026, 3, 1),
                before: None,
            },
            ListFilter {
                before: Some((chrono::Utc::now().naive_utc(), "p5".into())),
                ..ListFilter::default()
            },
            ListFilter {
                from: Some(day),
                to: Some(day),
                before: None,
            },
        ];
        let patient = PatientSession {
            user_id: user.clone(),
            session: SessionFamilyId::from_trusted("f7".into()),
        };
        for filter in &filters {
            for patient in [None, Some(&patient)] {
                $plans.push(plan_of(
                    $conn,
                    t::list_query_pg(&user, patient, filter, 101),
                ));
            }
        }
        // The unfiltered first page runs as a statement of its own fixed shape: it must be
        // the very statement the boxed query builds for it.
        let first_page = plan_of($conn, t::first_page_query_pg(&patient, 101));
        let unfiltered = ListFilter::default();
        let boxed = plan_of(
            $conn,
            t::list_query_pg(&user, Some(&patient), &unfiltered, 101),
        );
        assert_eq!(first_page, boxed, "{}", stringify!($table));
        $plans.push(first_page);
        for (since, everything_live) in [(0, false), (5, false), (5, true)] {
            $plans.push(plan_of(
                $conn,
                t::changed_since_query_pg(&user, since, everything_live, 500),
            ));
        }
    }};
}

/// The app on PostgreSQL and a connection to its database, seeded with [`seed`].
async fn seeded_postgres() -> Option<(TestApp, PgConnection)> {
    let app = TestApp::spawn(Engine::Postgres).await?;
    let DatabaseLocation::Postgres(url) = &app.settings.database else {
        unreachable!()
    };
    let mut conn = PgConnection::establish(url).unwrap();
    seed(&mut conn);
    Some((app, conn))
}

#[tokio::test]
async fn journal_queries_use_indexes_that_start_with_user_id() {
    let Some((_app, mut conn)) = seeded_postgres().await else {
        return;
    };

    let mut plans = Vec::new();
    plans_of!(&mut conn, plans, pain_entries);
    plans_of!(&mut conn, plans, medications);
    plans_of!(&mut conn, plans, medication_intakes);
    plans_of!(&mut conn, plans, massage_sessions);
    plans_of!(&mut conn, plans, check_ins);
    assert_eq!(plans.len(), 5 * (4 * 2 + 1 + 3));

    // The check itself can fail: a query that ignores the owner scans the table.
    let unowned = sql_plan(&mut conn, "SELECT * FROM pain_entries WHERE intensity = 5");
    assert!(unowned.contains("Seq Scan"), "{unowned}");

    for (sql, plan) in plans {
        assert!(
            sql.contains("\"user_id\" = $1"),
            "not filtered by owner:\n{sql}"
        );
        assert!(
            !plan.contains("Seq Scan"),
            "sequential scan for\n{sql}\n{plan}"
        );
        assert!(plan.contains("Index"), "no index used for\n{sql}\n{plan}");
        // A list that checks the session tests it once, before reading any row.
        if sql.contains("\"sessions\"") {
            assert!(
                plan.contains("One-Time Filter"),
                "session checked per row:\n{sql}\n{plan}"
            );
        }
    }
}

#[derive(QueryableByName)]
struct PreparedStatement {
    #[diesel(sql_type = Text)]
    statement: String,
}

/// The two statements of every journal write after BEGIN (the counter UPDATE that checks the
/// session, the INSERT of the row) stay prepared on the connection, so PostgreSQL parses and
/// plans them once per connection instead of once per request. Diesel re-prepared both every
/// time (it keeps no UPDATE it builds, nor an INSERT that may write DEFAULT for a missing
/// value), which under load cost about a third of the database's CPU.
#[tokio::test]
async fn the_statements_of_a_journal_write_stay_prepared() {
    use pain_journal::db::journal::pain_entries::{self, PainEntryRow};
    use pain_journal::db::schema::sessions;
    use pain_journal::db::{change_seq, DbConn};

    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    let (profile, _tokens) = app.user("ann@example.com").await;
    let user = UserId::from_trusted(profile["id"].as_str().unwrap().to_owned());
    let mut pooled = app.db();
    let conn: &mut DbConn = &mut pooled;
    let family: String = sessions::table
        .filter(sessions::user_id.eq(user.as_str()))
        .select(sessions::family_id)
        .first(conn)
        .unwrap();
    let family = SessionFamilyId::from_trusted(family);

    let at = NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    // Rows with and without their optional values: one SQL text for both.
    for (n, notes) in [(1, None), (2, Some("after the walk")), (3, None)] {
        conn.write_transaction(|conn| -> QueryResult<()> {
            let reservation = change_seq::reserve_for_patient_session(conn, &user, &family, 1)?
                .expect("a live patient session reserves");
            let row = PainEntryRow {
                user_id: user.as_str().to_owned(),
                id: format!("prepared-{n}"),
                recorded_at: at,
                local_date: at.date(),
                intensity: 4,
                back_pain: (n == 2).then_some(3),
                leg_pain: None,
                regions: "[]".into(),
                qualities: "[]".into(),
                triggers: "[]".into(),
                notes: notes.map(str::to_owned),
                version: reservation.first_version,
                deleted: false,
                created_at: at,
                updated_at: at,
            };
            assert!(pain_entries::insert_if_absent(conn, &row)?);
            Ok(())
        })
        .unwrap();
    }

    let DbConn::Pg(pg) = conn else { unreachable!() };
    let prepared: Vec<String> =
        diesel::sql_query("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
            .load::<PreparedStatement>(pg)
            .unwrap()
            .into_iter()
            .map(|p| p.statement)
            .collect();
    let kept = |start: &str| prepared.iter().filter(|s| s.starts_with(start)).count();
    assert_eq!(
        kept("UPDATE \"users\" SET \"change_seq\""),
        1,
        "the counter statement is prepared once: {prepared:#?}"
    );
    assert_eq!(
        kept("INSERT INTO \"pain_entries\""),
        1,
        "the insert is prepared once, whichever values are missing: {prepared:#?}"
    );
}

#[derive(QueryableByName)]
struct SqlitePlanStep {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The SQL of the first page and the next page of `table`'s list, built for SQLite.
macro_rules! sqlite_lists_of {
    ($queries:expr, $table:ident) => {{
        use pain_journal::db::journal::$table as t;
        let user = UserId::from_trusted("u7".into());
        let next_page = ListFilter {
            before: Some((chrono::Utc::now().naive_utc(), "p5".into())),
            ..ListFilter::default()
        };
        let patient = PatientSession {
            user_id: user.clone(),
            session: SessionFamilyId::from_trusted("f7".into()),
        };
        for filter in [&ListFilter::default(), &next_page] {
            for patient in [None, Some(&patient)] {
                let query = t::list_query_sqlite(&user, patient, filter, 51);
                let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
                $queries.push((stringify!($table), sql));
            }
        }
        // The unfiltered first page's own fixed-shape statement is the boxed one's.
        let first_page = t::first_page_query_sqlite(&patient, 51);
        let first_page = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&first_page).to_string();
        let unfiltered = ListFilter::default();
        let boxed = t::list_query_sqlite(&user, Some(&patient), &unfiltered, 51);
        let boxed = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&boxed).to_string();
        assert_eq!(first_page, boxed, "{}", stringify!($table));
    }};
}

/// The SQL of every sync-pull query (first sync, later pulls, after a schema migration) of
/// `table`, built for SQLite.
macro_rules! sqlite_pulls_of {
    ($queries:expr, $table:ident) => {{
        use pain_journal::db::journal::$table as t;
        let user = UserId::from_trusted("u7".into());
        for (since, everything_live) in [(0, false), (5, false), (5, true)] {
            let query = t::changed_since_query_sqlite(&user, since, everything_live, 500);
            $queries.push(diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string());
        }
    }};
}

/// SQLite's plan for one query built by the app, its binds left as parameters.
fn sqlite_plan(conn: &mut SqliteConnection, query: &str) -> (String, String) {
    let sql = query.split(" -- binds:").next().unwrap().to_owned();
    let plan = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load::<SqlitePlanStep>(conn)
        .expect("explain")
        .into_iter()
        .map(|step| step.detail)
        .collect::<Vec<_>>()
        .join("\n");
    (sql, plan)
}

fn sqlite_connection(app: &TestApp) -> SqliteConnection {
    let DatabaseLocation::Sqlite(path) = &app.settings.database else {
        unreachable!()
    };
    SqliteConnection::establish(&path.to_string_lossy()).unwrap()
}

/// On SQLite the four dated journal tables are stored in order of (user_id, time, id), so a
/// person's newest rows sit together and a list reads them straight from the table, in order.
/// In rowid tables everyone's rows interleaved in the order they were written: a list of 50
/// looked each row up on its own table page through the time index.
#[tokio::test]
async fn sqlite_lists_read_a_persons_rows_in_order_from_the_table() {
    let app = TestApp::spawn(Engine::Sqlite)
        .await
        .expect("SQLite always runs");
    let mut conn = sqlite_connection(&app);
    let mut queries = Vec::new();
    sqlite_lists_of!(queries, pain_entries);
    sqlite_lists_of!(queries, medication_intakes);
    sqlite_lists_of!(queries, massage_sessions);
    sqlite_lists_of!(queries, check_ins);
    assert_eq!(queries.len(), 4 * 2 * 2);
    for (table, query) in queries {
        let (sql, plan) = sqlite_plan(&mut conn, &query);
        let in_key_order = format!("SEARCH {table} USING PRIMARY KEY (user_id=?");
        assert!(
            plan.lines().any(|line| line.starts_with(&in_key_order)),
            "not read from the table in key order:\n{sql}\n{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "sorted:\n{sql}\n{plan}");
    }
}

/// Every sync pull on SQLite searches the person's own rows through an index that starts with
/// `user_id`; none scans the table.
#[tokio::test]
async fn sqlite_pulls_search_only_the_persons_rows() {
    let app = TestApp::spawn(Engine::Sqlite)
        .await
        .expect("SQLite always runs");
    let mut conn = sqlite_connection(&app);
    let mut queries = Vec::new();
    sqlite_pulls_of!(queries, pain_entries);
    sqlite_pulls_of!(queries, medications);
    sqlite_pulls_of!(queries, medication_intakes);
    sqlite_pulls_of!(queries, massage_sessions);
    sqlite_pulls_of!(queries, check_ins);
    assert_eq!(queries.len(), 5 * 3);

    // The check itself can fail: a query that ignores the owner scans the table.
    let (_, unowned) = sqlite_plan(&mut conn, "SELECT * FROM pain_entries WHERE intensity = 5");
    assert!(unowned.starts_with("SCAN pain_entries"), "{unowned}");

    for query in queries {
        let (sql, plan) = sqlite_plan(&mut conn, &query);
        assert!(
            plan.starts_with("SEARCH "),
            "scans the table:\n{sql}\n{plan}"
        );
        assert!(plan.contains("(user_id=?"), "not by owner:\n{sql}\n{plan}");
    }
}

/// A push's look-up of its ids on SQLite probes the (user_id, id) index once per id. Left to
/// itself (no ANALYZE statistics), SQLite served `user_id = ? AND id IN (…)` on the four
/// tables stored in (user_id, time, id) order from that key's `user_id` prefix, reading the
/// person's whole table on every push; so did the look-up of the intakes of deleted
/// medications. And the statement is one for any number of ids, so it stays prepared.
#[tokio::test]
async fn sqlite_push_lookups_probe_the_unique_key_per_id() {
    use pain_journal::db::journal::{
        check_ins, massage_sessions, medication_intakes, medications, pain_entries,
    };
    let app = TestApp::spawn(Engine::Sqlite)
        .await
        .expect("SQLite always runs");
    let mut conn = sqlite_connection(&app);
    let user = UserId::from_trusted("u7".into());
    let ids: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
    fn sqlite<Q: QueryFragment<diesel::sqlite::Sqlite>>(query: Q) -> String {
        diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string()
    }
    let by_id = "(user_id=? AND id=?)";
    let lookups = [
        (
            "pain_entries",
            "pain_entries_user_id",
            by_id,
            sqlite(pain_entries::find_many_query_sqlite(&user, &ids)),
        ),
        (
            "medications",
            "sqlite_autoindex_medications_1",
            by_id,
            sqlite(medications::find_many_query_sqlite(&user, &ids)),
        ),
        (
            "medication_intakes",
            "medication_intakes_user_id",
            by_id,
            sqlite(medication_intakes::find_many_query_sqlite(&user, &ids)),
        ),
        (
            "massage_sessions",
            "massage_sessions_user_id",
            by_id,
            sqlite(massage_sessions::find_many_query_sqlite(&user, &ids)),
        ),
        (
            "check_ins",
            "check_ins_user_id",
            by_id,
            sqlite(check_ins::find_many_query_sqlite(&user, &ids)),
        ),
        (
            "medication_intakes",
            "medication_intakes_user_medication",
            "(user_id=? AND medication_id=?)",
            sqlite(medication_intakes::live_of_medications_query_sqlite(
                &user, &ids,
            )),
        ),
    ];

    // The check itself can fail: the look-up as it was, diesel's `IN (…)`, reads the person's
    // rows in key order.
    let as_it_was = {
        use pain_journal::db::schema::pain_entries as t;
        sqlite(
            t::table
                .filter(t::user_id.eq(user.as_str()))
                .filter(t::id.eq_any(&ids))
                .select(t::all_columns),
        )
    };
    let (_, plain) = sqlite_plan(&mut conn, &as_it_was);
    assert_eq!(plain, "SEARCH pain_entries USING PRIMARY KEY (user_id=?)");

    for (table, index, probe, query) in lookups {
        let (sql, plan) = sqlite_plan(&mut conn, &query);
        assert_eq!(
            plan.lines().next().unwrap(),
            format!("SEARCH {table} USING INDEX {index} {probe}"),
            "{sql}\n{plan}"
        );
    }

    // One statement for any number of ids, so it stays prepared: the ids are one bound list.
    let many: Vec<String> = (0..300).map(|i| format!("id-{i}")).collect();
    let (few, _) = sqlite_plan(
        &mut conn,
        &sqlite(pain_entries::find_many_query_sqlite(&user, &ids)),
    );
    let (more, _) = sqlite_plan(
        &mut conn,
        &sqlite(pain_entries::find_many_query_sqlite(&user, &many)),
    );
    assert_eq!(few, more);
}

#[derive(QueryableByName)]
struct Fetched {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
}

/// The rows of `table` the open transaction has read so far, by index or by scan, as
/// PostgreSQL counts them (`pg_stat_xact_user_tables`).
fn rows_fetched(conn: &mut PgConnection, table: &str) -> i64 {
    diesel::sql_query(
        "SELECT (coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0))::bigint AS rows
           FROM pg_stat_xact_user_tables WHERE relname = $1",
    )
    .bind::<Text, _>(table)
    .get_result::<Fetched>(conn)
    .unwrap()
    .rows
}

/// A push looks its ids up with one probe of the primary key each, whatever the statistics
/// say about the person. With the table analysed before a person's rows arrived (a first
/// sync that uploads years of journal in pushes of a few hundred rows), `id = ANY($ids)` read
/// *all* of the person's rows through (user_id, version) and filtered them by id, so each
/// push of a first sync cost more than the one before. Counted by PostgreSQL itself: the rows
/// the look-up fetched in its transaction (`pg_stat_xact_user_tables`).
#[tokio::test]
async fn a_push_looks_up_only_the_ids_it_names_even_with_stale_statistics() {
    use diesel::connection::SimpleConnection;
    use pain_journal::db::journal::pain_entries;
    use pain_journal::db::DbConn;

    let Some((app, mut conn)) = seeded_postgres().await else {
        return;
    };
    let (ann, _) = app.user("ann@example.com").await;
    let ann = ann["id"].as_str().unwrap().to_owned();
    // Statistics from before Ann's rows, then her 5,000 rows.
    conn.batch_execute(&format!(
        "ANALYZE pain_entries;
         INSERT INTO pain_entries (user_id, id, recorded_at, local_date, intensity, regions,
                                   qualities, triggers, version, created_at, updated_at)
         SELECT '{ann}', 'old-' || g, now(), current_date, 5, '[]', '[]', '[]', g, now(), now()
           FROM generate_series(1, 5000) AS g;"
    ))
    .unwrap();

    // 100 ids she has and 100 she has not, as a push of her next records would name them.
    let ids: Vec<String> = (1..=100)
        .map(|i| format!("old-{}", i * 37))
        .chain((1..=100).map(|i| format!("new-{i}")))
        .collect();
    let mut db = DbConn::Pg(conn);
    let DbConn::Pg(inner) = &mut db else {
        unreachable!()
    };
    inner.batch_execute("BEGIN").unwrap();
    let found = pain_entries::find_many(&mut db, &UserId::from_trusted(ann), &ids).unwrap();
    assert_eq!(found.len(), 100);
    let DbConn::Pg(inner) = &mut db else {
        unreachable!()
    };
    let fetched = rows_fetched(inner, "pain_entries");
    inner.batch_execute("ROLLBACK").unwrap();
    assert!(
        fetched <= 100,
        "the look-up of 200 ids read {fetched} of the person's 5,000 rows"
    );
}

/// A push that deletes medications finds their live intakes with one probe of
/// (user_id, medication_id) per medication, under a plan made for the values and under a
/// cached generic one alike. Under a generic plan, `medication_id = ANY($ids)` read all of the
/// person's intakes and filtered them, so every push was planned afresh
/// (`plan_cache_mode = force_custom_plan`); now pushes keep their plans.
#[tokio::test]
async fn deleting_a_medication_reads_only_its_own_intakes() {
    use diesel::connection::SimpleConnection;
    use pain_journal::db::journal::medication_intakes;
    use pain_journal::db::schema::medication_intakes as intakes;
    use pain_journal::db::DbConn;

    let Some((app, mut conn)) = seeded_postgres().await else {
        return;
    };
    let (ann, _) = app.user("ann@example.com").await;
    let ann = ann["id"].as_str().unwrap().to_owned();
    // Statistics from before Ann's rows (the other people's intakes spread over their five
    // medications, as people take several), then 5,000 intakes of her daily pill and three
    // of the one she deletes.
    conn.batch_execute(&format!(
        "UPDATE medication_intakes SET medication_id = 'm' || (1 + abs(hashtext(id)) % 5);
         ANALYZE medication_intakes;
         INSERT INTO medications (user_id, id, name, drug_class, strength, strength_unit, form,
                                  active, version, created_at, updated_at)
         VALUES ('{ann}', 'daily', 'Ibuprofen 400', 'nsaid', 400, 'mg', 'tablet', true, 1, now(), now()),
                ('{ann}', 'gone', 'Tramadol 50', 'opioid', 50, 'mg', 'tablet', true, 2, now(), now());
         INSERT INTO medication_intakes (user_id, id, medication_id, taken_at, local_date,
                                         quantity, version, created_at, updated_at)
         SELECT '{ann}', 'daily-' || g, 'daily', now(), current_date, 1, 10 + g, now(), now()
           FROM generate_series(1, 5000) AS g
         UNION ALL
         SELECT '{ann}', 'gone-' || g, 'gone', now(), current_date, 1, 9000 + g, now(), now()
           FROM generate_series(1, 3) AS g;"
    ))
    .unwrap();

    let gone = ["gone".to_owned()];
    let ann = UserId::from_trusted(ann);
    // Each count on a connection of its own: a backend's view of its transaction's counts
    // also holds what its earlier statements read until it reports them (once a second).
    let fresh = || {
        let DatabaseLocation::Postgres(url) = &app.settings.database else {
            unreachable!()
        };
        PgConnection::establish(url).unwrap()
    };

    // The control: the form this replaced, under a cached generic plan (pushes used to be
    // planned for their values to avoid it), reads every intake of hers.
    let inner = &mut fresh();
    inner
        .batch_execute("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
        .unwrap();
    let found = intakes::table
        .filter(intakes::user_id.eq(ann.as_str()))
        .filter(intakes::medication_id.eq_any(&gone))
        .filter(intakes::deleted.eq(false))
        .select(intakes::id)
        .load::<String>(inner)
        .unwrap();
    assert_eq!(found.len(), 3);
    let fetched = rows_fetched(inner, "medication_intakes");
    inner.batch_execute("ROLLBACK").unwrap();
    assert!(
        fetched > 5000,
        "the old form under a cached plan read only {fetched} rows"
    );

    for plan_mode in ["force_custom_plan", "force_generic_plan"] {
        let mut db = DbConn::Pg(fresh());
        let DbConn::Pg(inner) = &mut db else {
            unreachable!()
        };
        inner
            .batch_execute(&format!("BEGIN; SET LOCAL plan_cache_mode = {plan_mode}"))
            .unwrap();
        let found = medication_intakes::live_of_medications(&mut db, &ann, &gone).unwrap();
        assert_eq!(found.len(), 3, "{plan_mode}");
        let DbConn::Pg(inner) = &mut db else {
            unreachable!()
        };
        let fetched = rows_fetched(inner, "medication_intakes");
        inner.batch_execute("ROLLBACK").unwrap();
        assert!(
            fetched <= 3,
            "{plan_mode}: the intakes of one medication read {fetched} of the person's 5,003"
        );
    }
}
