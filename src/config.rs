//! Typed settings from the environment (and `.env`); see `.env.example` for every variable.
//!
//! A bad value stops start-up with one line naming the variable. Secrets are never printed.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use rand::RngCore;

use crate::db::DatabaseLocation;
use crate::private_files::{create_private_dir, write_private_file};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/pain-journal.db";
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";
/// HS256 wants a key of at least 256 bits.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct Settings {
    pub database: DatabaseLocation,
    pub bind_addr: SocketAddr,
    pub jwt_secret: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub db_pool_size: u32,
    /// Argon2 hashes allowed to run at once (each holds ~19 MiB).
    pub max_concurrent_hashes: usize,
    /// Login/registration requests allowed per client address per minute.
    pub auth_requests_per_minute: u32,
    /// Failed logins of one account allowed per `login_failure_window` before it answers 429.
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Browser origins allowed to call the API from another site (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Where Prometheus metrics are served (`GET /metrics`); none by default.
    pub metrics_addr: Option<SocketAddr>,
}

// Hand-written so the JWT secret can never reach a log line.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database)
            .field("bind_addr", &self.bind_addr)
            .field("metrics_addr", &self.metrics_addr)
            .field("jwt_secret", &"***")
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .finish_non_exhaustive()
    }
}

/// A configuration error: which variable, and what is wrong with it.
#[derive(Debug)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configuration error: {}: {}",
            self.variable, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}

fn error(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl Settings {
    /// Reads the settings from the process environment, after loading `.env` if present.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is not.
        if let Err(e) = dotenvy::dotenv() {
            if !e.not_found() {
                return Err(error(".env", e.to_string()));
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let database =
            DatabaseLocation::parse(&database_url).map_err(|e| error("DATABASE_URL", e))?;

        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| DEFAULT_BIND_ADDR.into())
            .parse()
            .map_err(|_| error("BIND_ADDR", "must be host:port, e.g. 127.0.0.1:8080"))?;

        let jwt_secret = match (get("JWT_SECRET"), &database) {
            (Some(secret), _) => {
                if secret.len() < MIN_JWT_SECRET_BYTES {
                    return Err(error(
                        "JWT_SECRET",
                        format!("must be at least {MIN_JWT_SECRET_BYTES} bytes (256 bits)"),
                    ));
                }
                secret.into_bytes()
            }
            (None, DatabaseLocation::Sqlite(path)) => {
                local_jwt_secret(path).map_err(|e| error("JWT_SECRET", e))?
            }
            (None, DatabaseLocation::Postgres(_)) => {
                return Err(error(
                    "JWT_SECRET",
                    "is required with PostgreSQL (all servers must share it)",
                ))
            }
        };

        let number = |name: &'static str, default: u64, min: u64, max: u64| {
            let Some(raw) = get(name) else {
                return Ok(default);
            };
            match raw.trim().parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(error(
                    name,
                    format!("must be a whole number from {min} to {max}"),
                )),
            }
        };

        Ok(Settings {
            database,
            bind_addr,
            jwt_secret,
            access_token_ttl: Duration::from_secs(number(
                "ACCESS_TOKEN_TTL_SECS",
                900,
                30,
                86_400,
            )?),
            refresh_token_ttl: Duration::from_secs(
                number("REFRESH_TOKEN_TTL_DAYS", 30, 1, 365)? * 86_400,
            ),
            db_pool_size: number("DB_POOL_SIZE", default_pool_size(), 1, 1_000)? as u32,
            max_concurrent_hashes: number("MAX_CONCURRENT_HASHES", 2, 1, 64)? as usize,
            auth_requests_per_minute: number("AUTH_REQUESTS_PER_MINUTE", 20, 1, 100_000)? as u32,
            login_max_failures: number("LOGIN_MAX_FAILURES", 10, 1, 1_000)? as u32,
            login_failure_window: Duration::from_secs(number(
                "LOGIN_FAILURE_WINDOW_SECS",
                900,
                1,
                86_400,
            )?),
            workers: match get("HTTP_WORKERS") {
                None => None,
                Some(_) => Some(number("HTTP_WORKERS", 0, 1, 256)? as usize),
            },
            cors_origins: parse_origins(get("CORS_ORIGINS").as_deref())
                .map_err(|e| error("CORS_ORIGINS", e))?,
            metrics_addr: match get("METRICS_ADDR") {
                None => None,
                Some(raw) => Some(raw.parse().map_err(|_| {
                    error("METRICS_ADDR", "must be host:port, e.g. 127.0.0.1:9090")
                })?),
            },
        })
    }
}

/// Connections per server unless `DB_POOL_SIZE` says: three per core of this machine.
///
/// The requests' statements compete for the CPU, so connections beyond a few per core add no
/// throughput, only statements running side by side and finishing late. On a 2-core machine
/// under 16 connections of creates (`benches/load.sh`'s, alternated A/B runs), 10 connections
/// gave a p99 over 10 ms in 10 of 14 runs, 6 in none of 10 (8.0–9.7 ms), for 0–9% fewer
/// creates a second; 5 and 4 cost 1–18% of the rate for no better p99.
fn default_pool_size() -> u64 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    3 * cores as u64
}

/// `CORS_ORIGINS`: a comma-separated list of origins such as `https://app.example.com`
/// (scheme, host and optional port; no path, no wildcard: a health API names its clients).
fn parse_origins(raw: Option<&str>) -> Result<Vec<String>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(|| format!("{origin}: must start with https:// or http://"))?;
            let valid_host = !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if valid_host {
                Ok(origin.to_owned())
            } else {
                Err(format!(
                    "{origin}: must be scheme://host[:port], without a path or *"
                ))
            }
        })
        .collect()
}

/// For a local SQLite database without `JWT_SECRET`: a random secret made once and kept in
/// `jwt-secret` beside the database file, so tokens survive restarts.
fn local_jwt_secret(database_file: &Path) -> Result<Vec<u8>, String> {
    let dir = match database_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let path = dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read(&path) {
        if existing.len() >= MIN_JWT_SECRET_BYTES {
            return Ok(existing);
        }
        return Err(format!(
            "{} is shorter than 32 bytes; delete it",
            path.display()
        ));
    }
    create_private_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut secret = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let encoded = hex::encode(secret).into_bytes();
    write_private_file(&path, &encoded)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn cors_origins_are_exact_origins() {
        assert_eq!(parse_origins(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_origins(Some("https://app.example.com, http://localhost:5173")).unwrap(),
            vec!["https://app.example.com", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "app.example.com",
            "https://app.example.com/path",
            "https://",
        ] {
            assert!(parse_origins(Some(bad)).is_err(), "{bad}");
        }
    }

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn postgres_requires_a_jwt_secret() {
        let err = settings(&[("DATABASE_URL", "postgres://localhost/x")]).unwrap_err();
        assert_eq!(err.variable, "JWT_SECRET");
    }

    #[test]
    fn short_secrets_are_refused() {
        let err = settings(&[("JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.variable, "JWT_SECRET");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("BIND_ADDR", "nowhere"),
            ("ACCESS_TOKEN_TTL_SECS", "-5"),
            ("DB_POOL_SIZE", "0"),
        ] {
            let err = settings(&[("JWT_SECRET", SECRET), (var, value)]).unwrap_err();
            assert_eq!(err.variable, var);
            assert!(err.to_string().contains(var));
        }
    }

    #[test]
    fn defaults_apply() {
        let s = settings(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(s.access_token_ttl, Duration::from_secs(900));
        assert_eq!(s.bind_addr.to_string(), DEFAULT_BIND_ADDR);
        assert!(!format!("{s:?}").contains(SECRET));
    }
}
