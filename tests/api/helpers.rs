//! The test harness: the real app on a random port against a fresh database, over HTTP.
//!
//! Every test runs on SQLite (a new file) and on PostgreSQL (a new database, dropped after).
//! PostgreSQL comes from `TEST_POSTGRES_URL`, or from `postgres://postgres@127.0.0.1/postgres`
//! when that answers. Without PostgreSQL every PostgreSQL leg fails, so that a green run
//! means both engines ran; `PJ_ALLOW_SKIP=1` turns those failures into skips with a note
//! (never in CI).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use diesel::prelude::*;
use diesel::PgConnection;
use pain_journal::config::Settings;
use pain_journal::db::DatabaseLocation;
use pain_journal::startup::Application;
use serde_json::{json, Value};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs a test body once per engine: `both_engines!(name, …)` makes `name::sqlite` and
/// `name::postgres` from `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Engine::Sqlite).await;
                super::$name(app.expect("SQLite is always available")).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Engine::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
    // The same with settings changed by `adjust(&mut Settings)` before the app starts.
    (settings: $adjust:ident; $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Engine::Sqlite, super::$adjust).await;
                super::$name(app.expect("SQLite is always available")).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn_with($crate::helpers::Engine::Postgres, super::$adjust).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

/// Where test databases are made: the server URL (any database on it) or `None`.
fn postgres_admin_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let configured = std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|v| !v.is_empty());
        let url = configured
            .clone()
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1/postgres".to_owned());
        match PgConnection::establish(&url) {
            Ok(_) => Some(url),
            Err(e) if configured.is_some() || !skips_allowed() => panic!(
                "PostgreSQL at {url} is unreachable ({e}); start it, set TEST_POSTGRES_URL, \
                 or run with PJ_ALLOW_SKIP=1 to skip the PostgreSQL legs"
            ),
            Err(_) => {
                eprintln!(
                    "note: PJ_ALLOW_SKIP=1: PostgreSQL not reachable at {url}; its legs skipped"
                );
                None
            }
        }
    })
    .clone()
}

/// Whether a test leg whose engine or tool is missing may be skipped instead of failing:
/// only when asked with `PJ_ALLOW_SKIP=1`, and never in CI.
pub fn skips_allowed() -> bool {
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    !in_ci && std::env::var("PJ_ALLOW_SKIP").is_ok_and(|v| v == "1")
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, query) = match rest.split_once('/') {
        Some((authority, path)) => (authority, path.split_once('?').map(|(_, q)| q)),
        None => (rest, None),
    };
    match query {
        Some(q) => format!("{scheme}://{authority}/{database}?{q}"),
        None => format!("{scheme}://{authority}/{database}"),
    }
}

/// A throw-away database, removed when dropped.
enum Scratch {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Scratch::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Scratch::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn);
                }
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    /// The metrics listener of the first server, when `metrics_addr` was set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub engine: Engine,
    pub settings: Settings,
    servers: Vec<actix_web::dev::ServerHandle>,
    // Dropped last: the database outlives the servers using it.
    _scratch: std::sync::Arc<Scratch>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for server in &self.servers {
            // Stopping is asynchronous; the PostgreSQL drop uses FORCE for any connection left.
            drop(server.stop(false));
        }
    }
}

pub fn test_settings(database: DatabaseLocation) -> Settings {
    let mut settings = Settings::from_lookup(|name| match name {
        "JWT_SECRET" => Some(JWT_SECRET.to_owned()),
        "BIND_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DB_POOL_SIZE" => Some("4".to_owned()),
        "HTTP_WORKERS" => Some("2".to_owned()),
        "AUTH_REQUESTS_PER_MINUTE" => Some("10000".to_owned()),
        "LOGIN_MAX_FAILURES" => Some("5".to_owned()),
        _ => None,
    })
    .expect("test settings are valid");
    settings.database = database;
    settings
}

impl TestApp {
    /// A fresh app and database on `engine`; `None` when that engine is not available here.
    pub async fn spawn(engine: Engine) -> Option<TestApp> {
        Self::spawn_with(engine, |_| {}).await
    }

    pub async fn spawn_with(engine: Engine, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (location, scratch) = match engine {
            Engine::Sqlite => {
                let dir = std::env::temp_dir().join(format!("pain-journal-test-{id}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                (
                    DatabaseLocation::Sqlite(dir.join("test.db")),
                    Scratch::Sqlite(dir),
                )
            }
            Engine::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("pj_test_{id}");
                let mut conn = PgConnection::establish(&admin_url).expect("admin connection");
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .expect("create test database");
                let url = with_database(&admin_url, &name);
                (
                    DatabaseLocation::Postgres(url),
                    Scratch::Postgres { admin_url, name },
                )
            }
        };
        let mut settings = test_settings(location);
        adjust(&mut settings);
        let mut app = TestApp {
            address: String::new(),
            metrics_address: None,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            engine,
            settings,
            servers: Vec::new(),
            _scratch: std::sync::Arc::new(scratch),
        };
        app.address = app.start_server().await;
        Some(app)
    }

    /// Starts one more server on the same database (as behind a load balancer); answers its
    /// base address.
    pub async fn start_server(&mut self) -> String {
        let application = Application::build(&self.settings).expect("the app starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        if let Some(port) = application.metrics_port() {
            self.metrics_address = Some(format!("http://127.0.0.1:{port}"));
        }
        self.servers.extend(application.handles());
        tokio::spawn(application.run_until_stopped());
        address
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// GET that must answer 200; answers the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get_auth(path, token).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// POST that must answer `status`; answers the JSON body.
    pub async fn post_expect(&self, path: &str, token: &str, body: &Value, status: u16) -> Value {
        let response = self.post_auth(path, token, body).await;
        let got = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(got, status, "POST {path} {body} -> {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Registers `email` with [`PASSWORD`]; panics unless it answers 201.
    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post_json(
                "/v1/auth/register",
                &json!({"email": email, "password": PASSWORD, "timezone": "Europe/Berlin"}),
            )
            .await;
        assert_eq!(response.status(), 201, "register {email}");
        response.json().await.unwrap()
    }

    /// Logs in and answers the token pair.
    pub async fn login(&self, email: &str, device: &str) -> Tokens {
        let response = self
            .post_json(
                "/v1/auth/login",
                &json!({"email": email, "password": PASSWORD, "device_name": device}),
            )
            .await;
        assert_eq!(response.status(), 200, "login {email}");
        let body: Value = response.json().await.unwrap();
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A registered, logged-in user.
    pub async fn user(&self, email: &str) -> (Value, Tokens) {
        let profile = self.register(email).await;
        let tokens = self.login(email, "test device").await;
        (profile, tokens)
    }
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// Asserts a problem+json answer with `status`, and answers its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:pain-journal:problem:"));
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

#[derive(diesel::QueryableByName)]
struct TableName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Looks straight into the app's database, to check what is stored (never to set up state).
impl TestApp {
    pub fn db(&self) -> pain_journal::db::PooledConn {
        pain_journal::db::connect(&self.settings.database, 1)
            .expect("a direct connection")
            .get()
            .expect("a pooled connection")
    }

    /// The failed-login count stored for the account with this email.
    pub fn failed_logins(&self, email: &str) -> i64 {
        use pain_journal::db::schema::users;
        let count: i32 = users::table
            .filter(users::email.eq(email))
            .select(users::failed_logins)
            .first(&mut *self.db())
            .expect("the account exists");
        count.into()
    }

    /// Every table of the database but the migration bookkeeping.
    pub fn tables(&self) -> Vec<String> {
        let sql = match self.engine {
            Engine::Postgres => {
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_%'"
            }
            Engine::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_%' ESCAPE '\\'"
            }
        };
        let mut names: Vec<String> = diesel::sql_query(sql)
            .load::<TableName>(&mut *self.db())
            .expect("list tables")
            .into_iter()
            .map(|t| t.name)
            .collect();
        names.sort();
        names
    }

    /// How many rows each table holds for `user_id` (`users` by its id, the rest by their
    /// `user_id`), for every table there is, so a table added later is checked too.
    pub fn rows_of_user(&self, user_id: &str) -> Vec<(String, i64)> {
        assert!(user_id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        let mut conn = self.db();
        self.tables()
            .into_iter()
            .map(|table| {
                let owner = if table == "users" { "id" } else { "user_id" };
                let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {owner} = '{user_id}'");
                let count = diesel::sql_query(&sql)
                    .get_result::<Count>(&mut *conn)
                    .unwrap_or_else(|e| panic!("{sql}: every table must have {owner}: {e}"));
                (table, count.n)
            })
            .collect()
    }
}
