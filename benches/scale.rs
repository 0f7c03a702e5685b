//! Flat cost at scale: one person's requests on PostgreSQL cost the same whether the database
//! holds almost nothing else or a million journal rows of 2,000 other people.
//!
//! `cargo bench --bench scale` (needs PostgreSQL: `TEST_POSTGRES_URL` or
//! postgres://postgres@127.0.0.1/postgres). Two servers run side by side, one on each database,
//! and in each the same person (a one-year demo journal, ~1.1k rows) signs in; then one request
//! at a time, to the two servers in turn: create a pain entry, list the latest 50, an
//! up-to-date pull, a pull of one change, the massage-effect insight. Prints p50/p99 per database and the ratio of
//! the p50s; target ≤ 1.2x. Nothing here asserts a time.

use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pain_journal::db::{self, DatabaseLocation};
use pain_journal::insight::simulate::Booking;
use pain_journal::startup::Application;
use pain_journal::state::AppState;
use serde_json::{json, Value};

const EMAIL: &str = "me@example.com";
/// 2,000 people × (125 rows of each of four kinds + 5 medications) = 1,010,000 journal rows.
/// (At 100 rows per kind this was 810,000: the filler writes five medications a person.)
const OTHER_USERS: i64 = 2_000;
const ROWS_PER_KIND: i64 = 125;

fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

/// One server on one of the two databases, with the person signed in.
struct Side {
    client: reqwest::Client,
    base: String,
    token: String,
    /// The person's sync timestamp after a first pull.
    now: i64,
}

/// Times `n` rounds of `request` on both sides, the two in turn within each round, so that a
/// machine that speeds up or slows down (a shared 2-core machine does, by ±40% within a
/// minute) weighs on both alike. Every answer must be 2xx. p50 and p99 in ms per side.
async fn time_both<F, Fut>(n: usize, sides: &[Side; 2], request: F) -> [(f64, f64); 2]
where
    F: Fn(&Side, usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let mut times = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for i in 0..n {
        // Alternate which side goes first, so neither always follows the other.
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let started = Instant::now();
            let response = request(&sides[side], i).await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.bytes().await.unwrap();
            times[side].push(started.elapsed());
        }
    }
    let [small, large] = times;
    [percentiles(small), percentiles(large)]
}

async fn setup(url: &str, other_users: i64) -> Side {
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
    // A bulk load leaves PostgreSQL writing it out for a while (the checkpoint after ~1 GB of
    // WAL, hint bits on first read); a database that holds a million rows in use has long
    // been vacuumed and checkpointed, so this one is too before it is measured. (This alone
    // did not steady the ratios; timing the two servers in turn, `time_both`, did.)
    // Separate statements: VACUUM may not run in the implicit transaction of a batch.
    for statement in ["VACUUM ANALYZE", "CHECKPOINT"] {
        conn.batch_execute(statement).unwrap();
    }
    // Counted, not computed: the claim is about what the database holds.
    let journal_rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM pain_entries) + (SELECT count(*) FROM medication_intakes) \
         + (SELECT count(*) FROM massage_sessions) + (SELECT count(*) FROM check_ins) \
         + (SELECT count(*) FROM medications)",
    ))
    .get_result(&mut conn)
    .unwrap();
    println!(
        "  {} other people × {} rows of four kinds and 5 medications, and my {rows} rows \
         ({journal_rows} journal rows in all): written in {:.1} s",
        other_users,
        ROWS_PER_KIND,
        started.elapsed().as_secs_f64()
    );

    let token = common::access_token(&client, &base, EMAIL).await;
    let now = pull(&client, &base, &token, 0).await["timestamp"]
        .as_i64()
        .unwrap();

    Side {
        client,
        base,
        token,
        now,
    }
}

/// One pull from `cursor`, its answer read.
async fn pull(client: &reqwest::Client, base: &str, token: &str, cursor: i64) -> Value {
    client
        .get(format!("{base}/v1/sync?last_pulled_at={cursor}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Each kind of request, timed on both sides: (what, [small, large]).
async fn measure(sides: &mut [Side; 2]) -> Vec<(&'static str, [(f64, f64); 2])> {
    let mut timings = Vec::new();
    // Warm the pools and the caches the same way on both databases.
    time_both(50, sides, |s, _| {
        s.client
            .get(format!("{}/v1/pain-entries?limit=50", s.base))
            .bearer_auth(&s.token)
            .send()
    })
    .await;
    let create = time_both(500, sides, |s, i| {
        s.client
            .post(format!("{}/v1/pain-entries", s.base))
            .bearer_auth(&s.token)
            .json(&json!({"id": format!("scale-{i}"), "recorded_at": "2026-11-20T08:30:00+01:00", "intensity": 5}))
            .send()
    })
    .await;
    timings.push(("create a pain entry", create));
    let list = time_both(500, sides, |s, _| {
        s.client
            .get(format!("{}/v1/pain-entries?limit=50", s.base))
            .bearer_auth(&s.token)
            .send()
    })
    .await;
    timings.push(("list the latest 50", list));
    let up_to_date = time_both(500, sides, |s, _| {
        s.client
            .get(format!(
                "{}/v1/sync?last_pulled_at={}",
                s.base,
                s.now + 1_000_000
            ))
            .bearer_auth(&s.token)
            .send()
    })
    .await;
    timings.push(("up-to-date pull", up_to_date));
    // A pull with one change to send takes the other path (a read transaction over the five
    // tables): the cursor one below the counter fetches the latest create.
    for side in sides.iter_mut() {
        // An up-to-date pull answers with the counter.
        let (client, base, token) = (&side.client, &side.base, &side.token);
        side.now = pull(client, base, token, 999_999_999_999_999).await["timestamp"]
            .as_i64()
            .unwrap();
        let one = pull(client, base, token, side.now - 1).await;
        let sent = one["changes"]["pain_entries"]["updated"]
            .as_array()
            .unwrap();
        assert_eq!(sent.len(), 1, "{one}");
    }
    let pull_one = time_both(500, sides, |s, _| {
        s.client
            .get(format!("{}/v1/sync?last_pulled_at={}", s.base, s.now - 1))
            .bearer_auth(&s.token)
            .send()
    })
    .await;
    timings.push(("pull of one change", pull_one));
    let insight = time_both(40, sides, |s, _| {
        s.client
            .get(format!("{}/v1/insights/massage-effect", s.base))
            .bearer_auth(&s.token)
            .send()
    })
    .await;
    timings.push(("massage-effect insight (1 year)", insight));
    timings
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
    let (small_db, large_db) = (
        common::ScratchDatabase::create(&admin),
        common::ScratchDatabase::create(&admin),
    );
    let timings = runtime.block_on(async {
        println!("almost empty:");
        let small = setup(&small_db.url, 10).await;
        println!("1M rows:");
        let large = setup(&large_db.url, OTHER_USERS).await;
        measure(&mut [small, large]).await
    });
    println!(
        "\n| one person's request | almost empty p50 / p99 | 1M rows p50 / p99 | ratio of p50 |"
    );
    println!("|---|---|---|---|");
    for (what, [(p50, p99), (big50, big99)]) in timings {
        println!(
            "| {what} | {p50:.2} / {p99:.2} ms | {big50:.2} / {big99:.2} ms | {:.2}x |",
            big50 / p50
        );
    }
}
