//! Sync under stress: a server killed (SIGKILL) in the middle of a large push, one asked to
//! stop (SIGTERM) in the middle of one, and eight devices of one user pushing at once while
//! another follows the cursor.

use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pain_journal::db::DatabaseLocation;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_engines;
use crate::helpers::{TestApp, JWT_SECRET};
use crate::sync::{pain_record, pull, push};

both_engines!(
    a_push_killed_midway_is_all_or_nothing,
    sigterm_during_a_push_finishes_it_then_exits,
    concurrent_pushers_never_make_the_cursor_skip
);

/// The real binary, as a separate process we can kill.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) address: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn database_url(location: &DatabaseLocation) -> String {
    match location {
        DatabaseLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseLocation::Postgres(url) => url.clone(),
    }
}

pub(crate) async fn start_process(app: &TestApp) -> ServerProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_pain-journal"))
        .env("DATABASE_URL", database_url(&app.settings.database))
        .env("JWT_SECRET", JWT_SECRET)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("HTTP_WORKERS", "2")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    // Owned at once, so a failed start still kills and reaps the process.
    let server = ServerProcess {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = app
            .client
            .get(format!("{}/health/ready", server.address))
            .send()
            .await;
        if ready.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "the server process did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const BATCH: usize = 3000;

fn batch(prefix: &str) -> Value {
    let records: Vec<Value> = (0..BATCH)
        .map(|i| pain_record(&format!("{prefix}-{i:05}"), (i % 11) as i64))
        .collect();
    json!({"changes": {"pain_entries": {"created": records}}})
}

async fn push_to(
    app: &TestApp,
    address: &str,
    token: &str,
    body: &Value,
) -> Result<reqwest::Response, reqwest::Error> {
    app.client
        .post(format!("{address}/v1/sync?last_pulled_at=0"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
}

/// How many entries with ids starting `prefix-` are stored.
async fn stored_with_prefix(app: &TestApp, token: &str, prefix: &str) -> usize {
    let pulled = pull(app, token, "").await;
    pulled["changes"]["pain_entries"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with(&format!("{prefix}-")))
        .count()
}

/// Whether a write transaction of this user is open right now: on PostgreSQL the user's
/// counter row is locked (every write takes it first); on SQLite the write lock is held.
fn write_lock_held(app: &TestApp, user_id: &str) -> bool {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    match &app.settings.database {
        DatabaseLocation::Postgres(url) => {
            let mut conn = diesel::PgConnection::establish(url).unwrap();
            conn.batch_execute(&format!(
                "BEGIN; SELECT 1 FROM users WHERE id = '{user_id}' FOR UPDATE NOWAIT; ROLLBACK;"
            ))
            .is_err()
        }
        DatabaseLocation::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            let locked = conn
                .batch_execute("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE;")
                .is_err();
            let _ = conn.batch_execute("ROLLBACK;");
            locked
        }
    }
}

/// When to kill the server during a push.
enum Kill<'a> {
    After(Duration),
    /// As soon as the user's write transaction is seen open (or never, after the time).
    WhileWriting {
        user_id: &'a str,
        give_up_after: Duration,
    },
}

/// Starts pushing a batch of `prefix` rows to `server`; answers the push's status later.
fn push_in_background(
    app: &TestApp,
    server: &ServerProcess,
    token: &str,
    prefix: &str,
) -> tokio::task::JoinHandle<Result<u16, reqwest::Error>> {
    let body = batch(prefix);
    let request = app
        .client
        .post(format!("{}/v1/sync?last_pulled_at=0", server.address))
        .bearer_auth(token)
        .json(&body);
    tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
}

/// Waits until the user's write transaction is open (true), or until the push has ended or
/// `within` has passed (false).
async fn wait_for_write<T>(
    app: &TestApp,
    user_id: &str,
    in_flight: &tokio::task::JoinHandle<T>,
    within: Duration,
) -> bool {
    let deadline = Instant::now() + within;
    while !in_flight.is_finished() && Instant::now() < deadline {
        if write_lock_held(app, user_id) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

/// Pushes a batch, kills the server as `kill` says, restarts it and checks all-or-nothing.
/// Answers whether the kill landed while the write transaction was open, the push's answer
/// (if any) and how many of its rows were kept.
async fn kill_round(
    app: &TestApp,
    server: &mut ServerProcess,
    token: &str,
    prefix: &str,
    kill: Kill<'_>,
) -> (bool, Option<u16>, usize) {
    let in_flight = push_in_background(app, server, token, prefix);
    let mut killed_inside = false;
    match kill {
        Kill::After(delay) => tokio::time::sleep(delay).await,
        Kill::WhileWriting {
            user_id,
            give_up_after,
        } => killed_inside = wait_for_write(app, user_id, &in_flight, give_up_after).await,
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    let answered = in_flight.await.unwrap().ok();
    *server = start_process(app).await;
    let stored = stored_with_prefix(app, token, prefix).await;
    assert!(
        stored == 0 || stored == BATCH,
        "{prefix}: {stored} of {BATCH} rows survived the kill"
    );
    if answered == Some(200) {
        assert_eq!(stored, BATCH, "an acknowledged push must be durable");
    }
    (killed_inside, answered, stored)
}

async fn a_push_killed_midway_is_all_or_nothing(app: TestApp) {
    let (profile, tokens) = app.user("ann@example.com").await;
    let user_id = profile["id"].as_str().unwrap().to_owned();
    let mut server = start_process(&app).await;
    // How long a whole push takes here, to aim the kills inside it.
    let started = Instant::now();
    let response = push_to(&app, &server.address, &tokens.access, &batch("warm"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let full = started.elapsed();
    assert_eq!(
        stored_with_prefix(&app, &tokens.access, "warm").await,
        BATCH
    );

    let mut outcomes = Vec::new();
    for (round, fraction) in [0.1, 0.3, 0.5, 0.7, 0.9, 1.5].into_iter().enumerate() {
        let kill = Kill::After(full.mul_f64(fraction));
        let (_, answered, stored) = kill_round(
            &app,
            &mut server,
            &tokens.access,
            &format!("r{round}"),
            kill,
        )
        .await;
        outcomes.push((fraction, answered, stored));
    }
    eprintln!("kill outcomes (fraction of push time, answer, rows kept): {outcomes:?}");

    // Kills aimed inside the write transaction: wait until the push holds the write lock
    // (it has begun writing and not committed), then kill. At least one must land there
    // and leave nothing, or this test has not shown what it claims.
    let mut rolled_back_inside = 0;
    for round in 0..4 {
        let kill = Kill::WhileWriting {
            user_id: &user_id,
            give_up_after: full * 4,
        };
        let prefix = format!("aimed{round}");
        let (killed_inside, _, stored) =
            kill_round(&app, &mut server, &tokens.access, &prefix, kill).await;
        if killed_inside && stored == 0 {
            rolled_back_inside += 1;
        }
    }
    assert!(
        rolled_back_inside > 0,
        "no kill landed inside the push's transaction; the test proved nothing"
    );
    // The data is intact and writable after all the kills.
    let after = push(
        &app,
        &tokens.access,
        0,
        json!({"pain_entries": {"created": [pain_record("after", 1)]}}),
    )
    .await;
    assert_eq!(after.status(), 200);
    drop(server);
}

/// Sends SIGTERM, as a process manager does to stop a server (rolling deploys, scale-down).
fn terminate(server: &ServerProcess) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
}

/// Waits for the process to exit by itself; answers its exit status.
async fn exit_status(server: &mut ServerProcess, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = server.child.try_wait().expect("wait for the server") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit within {within:?} of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// SIGTERM while a push is writing, or while a slow client is still sending one: the server
/// stops taking connections, finishes the push (answered 200, every row stored), then exits
/// cleanly.
async fn sigterm_during_a_push_finishes_it_then_exits(app: TestApp) {
    let (profile, tokens) = app.user("ann@example.com").await;
    let user_id = profile["id"].as_str().unwrap().to_owned();
    let mut landed_inside = 0;
    for round in 0..4 {
        let mut server = start_process(&app).await;
        let prefix = format!("term{round}");
        let in_flight = push_in_background(&app, &server, &tokens.access, &prefix);
        let writing = wait_for_write(&app, &user_id, &in_flight, Duration::from_secs(20)).await;
        terminate(&server);
        let answered = in_flight.await.unwrap();
        let status = exit_status(&mut server, Duration::from_secs(40)).await;
        assert!(status.success(), "exit after SIGTERM: {status:?}");
        // Read back through the test's own server on the same database.
        let stored = stored_with_prefix(&app, &tokens.access, &prefix).await;
        if writing {
            landed_inside += 1;
            assert_eq!(
                answered.as_ref().ok(),
                Some(&200),
                "{prefix}: a push under way when SIGTERM came must be finished"
            );
            assert_eq!(stored, BATCH, "{prefix}: every row of the finished push");
        } else {
            assert!(stored == 0 || stored == BATCH, "{prefix}: {stored} rows");
        }
    }
    assert!(
        landed_inside > 0,
        "no SIGTERM landed while a push was writing; the test proved nothing"
    );

    // A slow phone: half its push is sent, then SIGTERM, then the rest two seconds later.
    // The request was accepted before the stop, so it must still be served in full.
    let mut server = start_process(&app).await;
    let body = batch("slow").to_string();
    let address = server.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/sync?last_pulled_at=0 HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        tokens.access,
        body.len()
    );
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&server);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Meanwhile a new connection is not served: the server is stopping.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let probe = fresh
        .get(format!("{}/health/live", server.address))
        .send()
        .await;
    assert!(probe.is_err(), "served after SIGTERM: {probe:?}");
    stream.write_all(rest).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "a request accepted before SIGTERM: {}",
        answer.lines().next().unwrap_or("no answer")
    );
    let status = exit_status(&mut server, Duration::from_secs(40)).await;
    assert!(status.success(), "exit after SIGTERM: {status:?}");
    assert_eq!(
        stored_with_prefix(&app, &tokens.access, "slow").await,
        BATCH
    );
}

async fn concurrent_pushers_never_make_the_cursor_skip(app: TestApp) {
    let (_, tokens) = app.user("ann@example.com").await;
    const PUSHERS: usize = 8;
    const PUSHES: usize = 15;
    const ROWS: usize = 10;
    let mut handles = Vec::new();
    for device in 0..PUSHERS {
        let client = app.client.clone();
        let url = app.url("/v1/sync?last_pulled_at=0");
        let token = tokens.access.clone();
        handles.push(tokio::spawn(async move {
            for push in 0..PUSHES {
                let records: Vec<Value> = (0..ROWS)
                    .map(|r| pain_record(&format!("d{device}-{push}-{r}"), 5))
                    .collect();
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"changes": {"pain_entries": {"created": records}}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        }));
    }
    // A ninth device follows the cursor in small pages while the others push.
    let mut pulled_times: HashMap<String, usize> = HashMap::new();
    let mut since = 0;
    let mut follow = |page: &Value| {
        for record in page["changes"]["pain_entries"]["updated"]
            .as_array()
            .unwrap()
        {
            *pulled_times
                .entry(record["id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        page["timestamp"].as_i64().unwrap()
    };
    while !handles.iter().all(|h| h.is_finished()) {
        let page = pull(
            &app,
            &tokens.access,
            &format!("last_pulled_at={since}&limit=37"),
        )
        .await;
        since = follow(&page);
    }
    for handle in handles {
        handle.await.unwrap();
    }
    loop {
        let page = pull(
            &app,
            &tokens.access,
            &format!("last_pulled_at={since}&limit=37"),
        )
        .await;
        since = follow(&page);
        if page["has_more"] == false {
            break;
        }
    }
    let expected: BTreeSet<String> = (0..PUSHERS)
        .flat_map(|d| {
            (0..PUSHES).flat_map(move |p| (0..ROWS).map(move |r| format!("d{d}-{p}-{r}")))
        })
        .collect();
    let got: BTreeSet<String> = pulled_times.keys().cloned().collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "missing: {:?}",
        expected.difference(&got).take(5).collect::<Vec<_>>()
    );
    assert_eq!(got, expected);
    let repeated: Vec<_> = pulled_times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "pulled more than once: {repeated:?}");
}
