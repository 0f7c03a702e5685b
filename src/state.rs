//! What every request handler shares: the pool, the hasher, the token keys and the policy
//! numbers. Nothing here is per-user state, so any number of servers can run side by side.

use std::time::Duration;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Hasher;
use crate::config::Settings;
use crate::db::Pool;
use crate::error::ApiError;
use crate::metrics::{Metrics, Waiting};

pub struct AppState {
    pub pool: Pool,
    /// One turn per pooled connection, handed out first come first served (see
    /// [`AppState::db`]).
    connection_turns: std::sync::Arc<tokio::sync::Semaphore>,
    pub hasher: Hasher,
    /// Turns for full sync pulls (see [`crate::sync::FULL_PULLS_AT_ONCE`]).
    pub full_pulls: std::sync::Arc<tokio::sync::Semaphore>,
    pub metrics: Metrics,
    pub jwt: JwtKeys,
    pub refresh_token_ttl: Duration,
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
    /// Whether the pool is PostgreSQL's: the one-statement create exists only there, and
    /// knowing it here saves SQLite's creates a pool hop that could only decline.
    pub on_postgres: bool,
}

impl AppState {
    pub fn new(settings: &Settings, pool: Pool) -> Self {
        let metrics = Metrics::new();
        Self {
            connection_turns: std::sync::Arc::new(tokio::sync::Semaphore::new(
                pool.max_size() as usize
            )),
            pool,
            hasher: Hasher::new(
                settings.max_concurrent_hashes,
                metrics.hashes_waiting.clone(),
            ),
            full_pulls: std::sync::Arc::new(tokio::sync::Semaphore::new(
                crate::sync::FULL_PULLS_AT_ONCE,
            )),
            metrics,
            jwt: JwtKeys::new(&settings.jwt_secret, settings.access_token_ttl),
            refresh_token_ttl: settings.refresh_token_ttl,
            login_max_failures: settings.login_max_failures,
            login_failure_window: settings.login_failure_window,
            on_postgres: matches!(settings.database, crate::db::DatabaseLocation::Postgres(_)),
        }
    }
}

impl AppState {
    /// Runs blocking database work off the async workers (see [`crate::db::run`]), for the
    /// use-cases, whose errors are [`ApiError`]s.
    ///
    /// Work takes a turn before it takes a blocking thread: there are as many turns as pooled
    /// connections, given in order of arrival (tokio's semaphore is fair). Without them, under
    /// load every request held a blocking thread while it waited in the pool, and the pool
    /// hands a returned connection to whichever thread asks first, not to the one that waited
    /// longest, so a few requests waited many turns.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut crate::db::DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        // Counted as waiting until a blocking thread holds a connection.
        let waiting = Waiting::on(&self.metrics.pool_waiting);
        let turn = tokio::time::timeout(
            crate::db::POOL_WAIT,
            self.connection_turns.clone().acquire_owned(),
        )
        .await
        .map_err(|_| ApiError::Unavailable("no database connection came free in time".into()))?
        .map_err(ApiError::internal)?;
        crate::db::run(&self.pool, move |conn| {
            drop(waiting);
            let result = work(conn);
            // Given back with the connection, which the pool takes back right after.
            drop(turn);
            result
        })
        .await
    }
}
