//! Sync benchmark: push ingest through HTTP against raw inserts of the same rows into the same
//! engine, for each of the five kinds of record (medication intakes each need their
//! medication), and pull latency for an up-to-date client and for a five-year first sync.
//!
//! `cargo bench --bench sync` (SQLite; PostgreSQL too when `TEST_POSTGRES_URL` or
//! postgres://postgres@127.0.0.1/postgres answers; `-- <table> …` measures only the push of
//! those tables). Prints a table; nothing here asserts a time. Targets: ingest ≥ 50% of the
//! raw insert rate; up-to-date pull p50 < 2 ms on SQLite.

use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use pain_journal::db::journal::check_ins::{self, CheckInRow};
use pain_journal::db::journal::massage_sessions::{self, MassageSessionRow};
use pain_journal::db::journal::medication_intakes::{self, MedicationIntakeRow};
use pain_journal::db::journal::medications::{self, MedicationRow};
use pain_journal::db::journal::pain_entries::{self, PainEntryRow};
use pain_journal::db::{self, change_seq, DatabaseLocation, DbConn};
use pain_journal::domain::UserId;
use pain_journal::startup::Application;
use serde_json::{json, Value};

const T0_MS: i64 = 1_795_000_000_000;

struct Bench {
    client: reqwest::Client,
    base: String,
    token: String,
    user_id: String,
    location: DatabaseLocation,
}

async fn start(location: DatabaseLocation) -> Bench {
    let app = Application::build(&common::settings(location.clone())).expect("app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    sign_up(reqwest::Client::new(), base, location).await
}

/// A new person on the same server.
async fn sign_up(client: reqwest::Client, base: String, location: DatabaseLocation) -> Bench {
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let profile = common::register(&client, &base, &email).await;
    let token = common::access_token(&client, &base, &email).await;
    Bench {
        client,
        base,
        token,
        user_id: profile["id"].as_str().unwrap().to_owned(),
        location,
    }
}

/// The instant of the `i`-th record of a kind, hourly back from T0, as pushed (epoch ms)…
fn millis(i: usize) -> i64 {
    T0_MS - (i as i64) * 3_600_000
}

/// … and as stored.
fn instant(i: usize) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(millis(i))
        .unwrap()
        .naive_utc()
}

fn pain_record(prefix: &str, i: usize) -> Value {
    json!({"id": format!("{prefix}{i}"), "recorded_at": millis(i), "intensity": (i % 11) as i64,
           "back_pain": 3, "leg_pain": 5, "regions": "[\"lower_back\",\"thigh_left\"]", "qualities": "[\"shooting\"]",
           "triggers": "[]", "notes": "walked 20 min"})
}

/// The row the server would store for `pain_record(prefix, i)`, for the raw-insert baseline.
fn pain_row(user_id: &str, prefix: &str, i: usize) -> PainEntryRow {
    let recorded_at = instant(i);
    let now = db::now();
    PainEntryRow {
        user_id: user_id.to_owned(),
        id: format!("{prefix}{i}"),
        recorded_at,
        local_date: recorded_at.date(),
        intensity: (i % 11) as i32,
        back_pain: Some(3),
        leg_pain: Some(5),
        regions: "[\"lower_back\",\"thigh_left\"]".into(),
        qualities: "[\"shooting\"]".into(),
        triggers: "[]".into(),
        notes: Some("walked 20 min".into()),
        version: 0,
        deleted: false,
        created_at: now,
        updated_at: now,
    }
}

/// The medication the benchmark's intakes are taken of.
const MEDICATION: &str = "bench-oxy";

fn intake_record(prefix: &str, i: usize) -> Value {
    json!({"id": format!("{prefix}{i}"), "medication_id": MEDICATION, "taken_at": millis(i),
           "quantity": 1 + (i % 2) as i64, "notes": "after the walk"})
}

/// The row the server would store for `intake_record(prefix, i)`.
fn intake_row(user_id: &str, prefix: &str, i: usize) -> MedicationIntakeRow {
    let taken_at = instant(i);
    let quantity = 1.0 + (i % 2) as f64;
    let now = db::now();
    MedicationIntakeRow {
        user_id: user_id.to_owned(),
        id: format!("{prefix}{i}"),
        medication_id: MEDICATION.into(),
        taken_at,
        local_date: taken_at.date(),
        quantity,
        notes: Some("after the walk".into()),
        dose_mg: Some(5.0 * quantity),
        mme: Some(7.5 * quantity),
        mme_table: Some("cdc-2022".into()),
        version: 0,
        deleted: false,
        created_at: now,
        updated_at: now,
    }
}

fn medication_record(prefix: &str, i: usize) -> Value {
    json!({"id": format!("{prefix}{i}"), "name": format!("Ibuprofen {i}"), "drug_class": "nsaid",
           "strength": 400, "strength_unit": "mg", "form": "tablet", "active": true})
}

/// The row the server would store for `medication_record(prefix, i)`.
fn medication_row(user_id: &str, prefix: &str, i: usize) -> MedicationRow {
    let now = db::now();
    MedicationRow {
        user_id: user_id.to_owned(),
        id: format!("{prefix}{i}"),
        name: format!("Ibuprofen {i}"),
        drug_class: "nsaid".into(),
        opioid: None,
        strength: 400.0,
        strength_unit: "mg".into(),
        form: "tablet".into(),
        active: true,
        version: 0,
        deleted: false,
        created_at: now,
        updated_at: now,
    }
}

fn massage_record(prefix: &str, i: usize) -> Value {
    json!({"id": format!("{prefix}{i}"), "started_at": millis(i), "duration_min": 45,
           "kind": "swedish", "pressure": "firm", "therapist": "Studio Nord",
           "regions": "[\"lower_back\"]", "pain_before": 6, "pain_after": 3, "notes": "tight"})
}

/// The row the server would store for `massage_record(prefix, i)`.
fn massage_row(user_id: &str, prefix: &str, i: usize) -> MassageSessionRow {
    let started_at = instant(i);
    let now = db::now();
    MassageSessionRow {
        user_id: user_id.to_owned(),
        id: format!("{prefix}{i}"),
        started_at,
        local_date: started_at.date(),
        duration_min: 45,
        kind: "swedish".into(),
        pressure: Some("firm".into()),
        therapist: Some("Studio Nord".into()),
        regions: "[\"lower_back\"]".into(),
        pain_before: Some(6),
        pain_after: Some(3),
        soreness_next_day: None,
        notes: Some("tight".into()),
        version: 0,
        deleted: false,
        created_at: now,
        updated_at: now,
    }
}

fn check_in_record(prefix: &str, i: usize) -> Value {
    json!({"id": format!("{prefix}{i}"), "answered_at": millis(i), "kind": "peg",
           "items": "[6,5,7]"})
}

/// The row the server would store for `check_in_record(prefix, i)`.
fn check_in_row(user_id: &str, prefix: &str, i: usize) -> CheckInRow {
    let answered_at = instant(i);
    let now = db::now();
    CheckInRow {
        user_id: user_id.to_owned(),
        id: format!("{prefix}{i}"),
        answered_at,
        local_date: answered_at.date(),
        kind: "peg".into(),
        items: "[6,5,7]".into(),
        score: 6.0,
        version: 0,
        deleted: false,
        created_at: now,
        updated_at: now,
    }
}

/// What is pushed: one of the five kinds of record.
#[derive(Clone, Copy)]
enum Kind {
    Pain,
    Medication,
    Intake,
    Massage,
    CheckIn,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Pain => "pain_entries",
            Kind::Medication => "medications",
            Kind::Intake => "medication_intakes",
            Kind::Massage => "massage_sessions",
            Kind::CheckIn => "check_ins",
        }
    }

    fn record(self, prefix: &str, i: usize) -> Value {
        match self {
            Kind::Pain => pain_record(prefix, i),
            Kind::Medication => medication_record(prefix, i),
            Kind::Intake => intake_record(prefix, i),
            Kind::Massage => massage_record(prefix, i),
            Kind::CheckIn => check_in_record(prefix, i),
        }
    }
}

/// Rows per second pushing `total` rows in pushes of `batch`.
async fn push_rate(bench: &Bench, kind: Kind, prefix: &str, total: usize, batch: usize) -> f64 {
    // The bodies are written before the clock starts and the answers read after it stops, as
    // the raw inserts' rows are built outside their timing: the client shares the machine's
    // two cores, and its JSON work is not the server's ingest.
    let bodies: Vec<String> = (0..total)
        .step_by(batch)
        .map(|start| {
            let records: Vec<Value> = (start..start + batch)
                .map(|i| kind.record(prefix, i))
                .collect();
            json!({"changes": {kind.table(): {"created": records}}}).to_string()
        })
        .collect();
    let url = format!("{}/v1/sync?last_pulled_at=0", bench.base);
    let mut answers = Vec::with_capacity(bodies.len());
    let started = Instant::now();
    for body in bodies {
        let response = bench
            .client
            .post(&url)
            .bearer_auth(&bench.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        answers.push(response.bytes().await.unwrap());
    }
    let elapsed = started.elapsed();
    for answer in answers {
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["applied"], batch, "{answer}");
    }
    total as f64 / elapsed.as_secs_f64()
}

/// Rows per second inserting the same rows straight into the engine with multi-row INSERTs,
/// one transaction per batch (the least a push must do), rows built outside the timing.
fn raw_rate(bench: &Bench, kind: Kind, prefix: &str, total: usize, batch: usize) -> f64 {
    let user = bench.user_id.as_str();
    macro_rules! timed {
        ($row:ident, $module:ident) => {
            timed_inserts(
                bench,
                (0..total).map(|i| $row(user, prefix, i)).collect(),
                batch,
                |r, v| r.version = v,
                $module::insert_many,
            )
        };
    }
    match kind {
        Kind::Pain => timed!(pain_row, pain_entries),
        Kind::Medication => timed!(medication_row, medications),
        Kind::Intake => timed!(intake_row, medication_intakes),
        Kind::Massage => timed!(massage_row, massage_sessions),
        Kind::CheckIn => timed!(check_in_row, check_ins),
    }
}

fn timed_inserts<T>(
    bench: &Bench,
    mut rows: Vec<T>,
    batch: usize,
    set_version: fn(&mut T, i64),
    insert_many: fn(&mut DbConn, &[T]) -> diesel::QueryResult<()>,
) -> f64 {
    let pool = db::connect(&bench.location, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let user = UserId::from_trusted(bench.user_id.clone());
    let total = rows.len();
    let started = Instant::now();
    for chunk in rows.chunks_mut(batch) {
        conn.write_transaction(|conn| {
            // Versions from the user's counter, as every write takes them.
            let first = change_seq::reserve(conn, &user, chunk.len() as i64)?.first_version;
            for (offset, row) in chunk.iter_mut().enumerate() {
                set_version(row, first + offset as i64);
            }
            insert_many(conn, chunk)?;
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Sorted times of `runs` sequential GETs of `path` (with the bench user's token).
async fn latencies(bench: &Bench, path: &str, runs: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let response = bench
            .client
            .get(format!("{}{path}", bench.base))
            .bearer_auth(&bench.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let _ = response.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    times
}

async fn get_json(bench: &Bench, path: &str) -> Value {
    let response = bench
        .client
        .get(format!("{}{path}", bench.base))
        .bearer_auth(&bench.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn run(engine: &str, location: DatabaseLocation) {
    let bench = start(location).await;
    println!("\n## {engine}");
    println!("| measure | value | baseline (raw inserts) | ratio |");
    println!("|---|---|---|---|");
    // Intakes are of one medication, created first.
    let medication = json!({"id": MEDICATION, "name": "Oxycodone 5", "drug_class": "opioid", "opioid": "oxycodone",
                            "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true});
    let response = bench
        .client
        .post(format!("{}/v1/medications", bench.base))
        .bearer_auth(&bench.token)
        .json(&medication)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let only = kinds_asked();
    for kind in [
        Kind::Pain,
        Kind::Medication,
        Kind::Intake,
        Kind::Massage,
        Kind::CheckIn,
    ] {
        if only.is_empty() || only.iter().any(|table| table == kind.table()) {
            ingest(&bench, kind).await;
        }
    }
    if !only.is_empty() {
        return;
    }
    // The pulls read another person's journal of 18k pain entries: about five years of a busy
    // one.
    let bench = sign_up(
        bench.client.clone(),
        bench.base.clone(),
        bench.location.clone(),
    )
    .await;
    push_rate(&bench, Kind::Pain, "journal-", 18_000, 1000).await;
    let latest = get_json(&bench, "/v1/sync?last_pulled_at=999999999999999").await;
    let now = latest["timestamp"].as_i64().unwrap();
    let up_to_date = latencies(&bench, &format!("/v1/sync?last_pulled_at={now}"), 300).await;
    let health = latencies(&bench, "/health/live", 300).await;
    println!(
        "| up-to-date pull p50 / p95 | {:.2} / {:.2} ms | {:.2} ms (GET /health/live p50) | {:.1}× |",
        percentile(&up_to_date, 0.5),
        percentile(&up_to_date, 0.95),
        percentile(&health, 0.5),
        percentile(&up_to_date, 0.5) / percentile(&health, 0.5)
    );
    let first = latencies(&bench, "/v1/sync?last_pulled_at=0", 5).await;
    let paged = {
        let started = Instant::now();
        let mut since = 0;
        loop {
            let page = get_json(
                &bench,
                &format!("/v1/sync?last_pulled_at={since}&limit=5000"),
            )
            .await;
            since = page["timestamp"].as_i64().unwrap();
            if page["has_more"] == false {
                break;
            }
        }
        started.elapsed().as_secs_f64() * 1000.0
    };
    println!(
        "| first sync of 18k rows: one pull p50 / paged by 5000 | {:.0} / {paged:.0} ms | | |",
        percentile(&first, 0.5)
    );
}

/// Rounds of push and raw insert, alternated, so that both meet the table at the same sizes
/// and a pause of the machine's in one run does not decide the ratio.
const ROUNDS: usize = 5;

/// Prints the push ingest of `kind` against raw inserts of the same rows, in batches of 100
/// and of 1000: the medians of the rounds, and the rounds' own ratios.
async fn ingest(bench: &Bench, kind: Kind) {
    for (batch, per_round) in [(100, 3_000), (1000, 6_000)] {
        let name = kind.table();
        let (mut pushed, mut raw) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let prefix = format!("{name}-{batch}-{round}-");
            pushed.push(push_rate(bench, kind, &format!("{prefix}push-"), per_round, batch).await);
            raw.push(raw_rate(
                bench,
                kind,
                &format!("{prefix}raw-"),
                per_round,
                batch,
            ));
        }
        let mut ratios: Vec<f64> = pushed
            .iter()
            .zip(&raw)
            .map(|(p, r)| p / r * 100.0)
            .collect();
        ratios.sort_by(f64::total_cmp);
        let (pushed, raw) = (median(pushed), median(raw));
        println!(
            "| {name}: push ingest, batches of {batch} | {pushed:.0} rows/s | {raw:.0} rows/s | {:.0}% (rounds {:.0}–{:.0}%) |",
            pushed / raw * 100.0,
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
}

/// The tables named on the command line (`cargo bench --bench sync -- medications`): only
/// their ingest is measured, for profiling one kind. None: everything.
fn kinds_asked() -> Vec<String> {
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let tables = [
        Kind::Pain,
        Kind::Medication,
        Kind::Intake,
        Kind::Massage,
        Kind::CheckIn,
    ]
    .map(Kind::table);
    if let Some(unknown) = asked.iter().find(|table| !tables.contains(&table.as_str())) {
        panic!("no table `{unknown}`; tables are {}", tables.join(", "));
    }
    asked
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments name tables (`kinds_asked`).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "pain-journal-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    runtime.block_on(run(
        "SQLite",
        DatabaseLocation::Sqlite(dir.join("bench.db")),
    ));
    let _ = std::fs::remove_dir_all(&dir);

    if let Some(admin) = common::postgres_admin_url() {
        let database = common::ScratchDatabase::create(&admin);
        let url = database.url.clone();
        runtime.block_on(run("PostgreSQL", DatabaseLocation::Postgres(url)));
        runtime.shutdown_timeout(Duration::from_secs(1));
    } else {
        println!("\n(PostgreSQL not reachable: skipped)");
    }
}
