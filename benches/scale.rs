//! Flat cost at scale: one person's requests on PostgreSQL cost the same whether the database
//! holds almost nothing else or a million journal rows of 2,000 other people.
//!
//! `cargo bench --bench scale` (needs PostgreSQL: `TEST_POSTGRES_URL` or
//! postgres://postgres@127.0.0.1/postgres). For each database the same person (a one-year demo
//! journal, ~3k rows) signs in and times, one request at a time: create a pain entry, list the
//! latest 50, an up-to-date pull, the massage-effect insight. Prints p50/p99 per database and
//! the ratio of the p50s; target ≤ 1.2x. Nothing here asserts a time.

use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use diesel::prelude::*;
use pain_journal::db::{self, DatabaseLocation};
use pain_journal::insight::simulate::Booking;
use pain_journal::startup::Application;
use pain_journal::state::AppState;
use serde_json::{json, Value};

const EMAIL: &str = "me@example.com";
/// 2,000 people × 100 rows of each of five kinds = 1,000,000 journal rows.
const OTHER_USERS: i64 = 2_000;
const ROWS_PER_KIND: i64 = 100;

/// p50 and p99 in milliseconds of each kind of request.
struct Timings(Vec<(&'static str, f64, f64)>);

fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

/// Times `n` runs of `request`, which must answer 2xx.
async fn time<F, Fut>(n: usize, mut request: F) -> (f64, f64)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let response = request(i).await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    percentiles(times)
}

async fn measure(url: &str, other_users: i64) -> Timings {
    let settings = common::settings(DatabaseLocation::Postgres(url.to_owned()));
    let app = Application::build(&settings).expect("app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    common::register(&client, &base, EMAIL).await;

    let started = Instant::now();
    let mut conn = PgConnection::establish(url).unwrap();
    let hash: String = pain_journal::db::schema::users::table
        .select(pain_journal::db::schema::users::password_hash)
        .first(&mut conn)
        .unwrap();
    db::filler::seed_users(&mut conn, other_users, ROWS_PER_KIND, &hash).expect("seed");
    let state = AppState::new(&settings, db::connect(&settings.database, 2).unwrap());
    let rows = pain_journal::insight::demo::fill(
        &state,
        EMAIL,
        52,
        -0.33,
        Booking::OnBadDays,
        7,
        &mut |_| {},
    )
    .await
    .unwrap();
    diesel::sql_query("ANALYZE").execute(&mut conn).unwrap();
    println!(
        "  {} other people × {} rows of each kind, and my {rows} rows: written in {:.1} s",
        other_users,
        ROWS_PER_KIND,
        started.elapsed().as_secs_f64()
    );

    let token = common::access_token(&client, &base, EMAIL).await;
    let pulled: Value = client
        .get(format!("{base}/v1/sync?last_pulled_at=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = pulled["timestamp"].as_i64().unwrap();

    let (client, token, base) = (&client, token.as_str(), base.as_str());
    let mut timings = Vec::new();
    // Warm the pool and the caches the same way on both databases.
    time(50, |_| {
        client
            .get(format!("{base}/v1/pain-entries?limit=50"))
            .bearer_auth(token)
            .send()
    })
    .await;
    let (p50, p99) = time(500, |i| {
        client
            .post(format!("{base}/v1/pain-entries"))
            .bearer_auth(token)
            .json(&json!({"id": format!("scale-{i}"), "recorded_at": "2026-11-20T08:30:00+01:00", "intensity": 5}))
            .send()
    })
    .await;
    timings.push(("create a pain entry", p50, p99));
    let (p50, p99) = time(500, |_| {
        client
            .get(format!("{base}/v1/pain-entries?limit=50"))
            .bearer_auth(token)
            .send()
    })
    .await;
    timings.push(("list the latest 50", p50, p99));
    let (p50, p99) = time(500, |_| {
        client
            .get(format!("{base}/v1/sync?last_pulled_at={}", now + 1_000_000))
            .bearer_auth(token)
            .send()
    })
    .await;
    timings.push(("up-to-date pull", p50, p99));
    let (p50, p99) = time(40, |_| {
        client
            .get(format!("{base}/v1/insights/massage-effect"))
            .bearer_auth(token)
            .send()
    })
    .await;
    timings.push(("massage-effect insight (1 year)", p50, p99));
    Timings(timings)
}

fn main() {
    let Some(admin) = common::postgres_admin_url() else {
        println!("PostgreSQL not reachable: nothing measured");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut results = Vec::new();
    for (label, others) in [("almost empty", 10), ("1M rows", OTHER_USERS)] {
        let database = common::ScratchDatabase::create(&admin);
        println!("{label}:");
        results.push(runtime.block_on(measure(&database.url, others)));
    }
    let (small, large) = (&results[0].0, &results[1].0);
    println!(
        "\n| one person's request | almost empty p50 / p99 | 1M rows p50 / p99 | ratio of p50 |"
    );
    println!("|---|---|---|---|");
    for ((what, p50, p99), (_, big50, big99)) in small.iter().zip(large) {
        println!(
            "| {what} | {p50:.2} / {p99:.2} ms | {big50:.2} / {big99:.2} ms | {:.2}x |",
            big50 / p50
        );
    }
}
