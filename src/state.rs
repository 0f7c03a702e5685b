//! What every request handler shares: the pool, the hasher, the token keys and the policy
//! numbers. Nothing here is per-user state, so any number of servers can run side by side.

use std::time::Duration;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Hasher;
use crate::config::Settings;
use crate::db::Pool;
use crate::error::ApiError;

pub struct AppState {
    pub pool: Pool,
    pub hasher: Hasher,
    pub jwt: JwtKeys,
    pub refresh_token_ttl: Duration,
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
}

impl AppState {
    pub fn new(settings: &Settings, pool: Pool) -> Self {
        Self {
            pool,
            hasher: Hasher::new(settings.max_concurrent_hashes),
            jwt: JwtKeys::new(&settings.jwt_secret, settings.access_token_ttl),
            refresh_token_ttl: settings.refresh_token_ttl,
            login_max_failures: settings.login_max_failures,
            login_failure_window: settings.login_failure_window,
        }
    }
}

impl AppState {
    /// Runs blocking database work off the async workers (see [`crate::db::run`]), for the
    /// use-cases, whose errors are [`ApiError`]s.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut crate::db::DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        crate::db::run(&self.pool, work).await
    }
}
