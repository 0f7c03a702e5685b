//! What the benchmarks share: their server settings and a throw-away PostgreSQL database.

use diesel::prelude::*;
use pain_journal::config::Settings;
use pain_journal::db::DatabaseLocation;
use serde_json::{json, Value};

/// The password of every account a benchmark makes.
pub const PASSWORD: &str = "correct horse battery staple";

/// Registers `email` (Europe/Berlin) and answers the new profile.
pub async fn register(client: &reqwest::Client, base: &str, email: &str) -> Value {
    let body = json!({"email": email, "password": PASSWORD, "timezone": "Europe/Berlin"});
    answer(client.post(format!("{base}/v1/auth/register")).json(&body)).await
}

/// Signs `email` in and answers its access token.
pub async fn access_token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let body = json!({"email": email, "password": PASSWORD});
    let tokens = answer(client.post(format!("{base}/v1/auth/login")).json(&body)).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn answer(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

/// A server on a free loopback port, its sign-in limits out of the way.
pub fn settings(location: DatabaseLocation) -> Settings {
    let mut settings = Settings::from_lookup(|name| match name {
        "JWT_SECRET" => Some("bench-secret-bench-secret-bench-secret-0123456789".into()),
        "BIND_ADDR" => Some("127.0.0.1:0".into()),
        "AUTH_REQUESTS_PER_MINUTE" => Some("100000".into()),
        _ => None,
    })
    .unwrap();
    settings.database = location;
    settings
}

/// The PostgreSQL server to make databases on (`TEST_POSTGRES_URL`, else the local one), or
/// `None` when it does not answer.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1/postgres".into());
    PgConnection::establish(&url).ok().map(|_| url)
}

/// A new, empty database on that server, dropped with this value.
pub struct ScratchDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl ScratchDatabase {
    pub fn create(admin: &str) -> Self {
        let name = format!("pj_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .unwrap();
        let (scheme, rest) = admin.split_once("://").unwrap();
        let authority = rest.split('/').next().unwrap();
        Self {
            url: format!("{scheme}://{authority}/{name}"),
            admin: admin.to_owned(),
            name,
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = diesel::sql_query(drop).execute(&mut conn);
        }
    }
}
