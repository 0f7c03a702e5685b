//! Storage: one diesel `MultiConnection` over SQLite and PostgreSQL, its pool and migrations.
//!
//! Engine differences (pragmas, immediate transactions, migrations) stay in this module; the
//! rest of the code only sees [`DbConn`] and [`Pool`].

pub mod change_seq;
pub mod filler;
pub mod journal;
pub mod schema;
pub mod sessions;
pub mod shares;
pub mod sync_receipts;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, ManageConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::private_files;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Connections kept open when the server is quiet; the rest close after [`POOL_IDLE_CLOSE`].
/// An open SQLite connection holds up to 2 MiB of page cache, and a full pool of them kept
/// the idle server 20 MiB larger; reopening one costs a millisecond or two.
const POOL_MIN_IDLE: u32 = 1;
/// How long an unused connection above [`POOL_MIN_IDLE`] stays open (r2d2 checks every 30 s).
const POOL_IDLE_CLOSE: Duration = Duration::from_secs(20);

/// How long work waits for a pooled connection before it gives up (503).
pub const POOL_WAIT: Duration = Duration::from_secs(10);

/// SQLite has one writer at a time. The writers of this process take turns here, first come
/// first served, instead of meeting SQLite's busy handler, which sleeps in growing steps (up to
/// 100 ms) and let a create wait half a second under load. Writers in other processes on the
/// same file still meet the busy handler. One lock for the process: a server has one database.
static SQLITE_WRITER: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$engine` bound to the engine's own connection (`PgConnection` or
/// `SqliteConnection`); the body is compiled once per engine, so a query built in it is typed
/// for that engine.
///
/// For statements run on every request. Through the `MultiConnection` a statement is wrapped
/// in a form that writes its whole SQL text each time diesel walks it, twice per execution
/// (the prepared-statement cache check and the bind collection), whether or not its shape is
/// fixed: 9% of a list's instructions (callgrind, `benches/instructions.sh`). On the engine's
/// own connection a statement of fixed shape is found in the cache by its type and only its
/// values are collected.
macro_rules! on_engine {
    ($conn:expr, |$engine:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($engine) => $body,
            $crate::db::DbConn::Sqlite($engine) => $body,
        }
    };
}
pub(crate) use on_engine;

pub type Pool = diesel::r2d2::Pool<Manager>;
pub type PooledConn = diesel::r2d2::PooledConnection<Manager>;

thread_local! {
    /// Set by [`run`] when the connection it used turned out dead, read when that connection
    /// goes back to the pool (on the same thread, at the end of `run`).
    static CONNECTION_LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The pool's connection manager: diesel's, used without r2d2's test on checkout. That test
/// is a `SELECT 1` before every use of a connection, a round trip as dear as the request's own
/// statements (a list is two). A connection is checked only after work on it failed, and
/// dropped then if it no longer answers (see [`run`]), so a database restart costs one failed
/// request per open connection instead of a ping on every request.
#[derive(Debug)]
pub struct Manager(ConnectionManager<DbConn>);

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        self.0.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        CONNECTION_LOST.with(|lost| lost.replace(false)) || self.0.has_broken(conn)
    }
}

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A SQLite file (`sqlite://path/to/file.db`, relative to the working directory).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, passed to libpq as it is.
    Postgres(String),
}

impl DatabaseLocation {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite://data/pain-journal.db".into(),
                );
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err("must start with sqlite:// or postgres://".into())
        }
    }

    fn connection_string(&self) -> String {
        match self {
            Self::Sqlite(path) => path.to_string_lossy().into_owned(),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// Per-connection SQLite settings; WAL is set once before the pool exists (see [`connect`]).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            c.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; \
                 PRAGMA synchronous = NORMAL;"
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens the database, runs pending migrations and builds the pool.
///
/// A first plain connection is made before the pool because `MultiConnection::establish`
/// hides the real cause ("Invalid connection url") of a failure such as a wrong password.
pub fn connect(location: &DatabaseLocation, pool_size: u32) -> Result<Pool, String> {
    match location {
        DatabaseLocation::Sqlite(path) => {
            create_parent_dir(path)?;
            // SQLite gives its -wal and -shm files the rights of the database file.
            private_files::ensure_private_file(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            for suffix in ["-wal", "-shm"] {
                let mut side_file = path.clone().into_os_string();
                side_file.push(suffix);
                private_files::restrict_to_owner(Path::new(&side_file))
                    .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
            }
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| format!("cannot open SQLite database {}: {e}", path.display()))?;
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
            ))
            .map_err(|e| format!("cannot set WAL mode on {}: {e}", path.display()))?;
            run_migrations_on(&mut conn, SQLITE_MIGRATIONS)?;
        }
        DatabaseLocation::Postgres(url) => {
            let mut conn = PgConnection::establish(url)
                .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
            run_migrations_on(&mut conn, POSTGRES_MIGRATIONS)?;
        }
    }
    let manager = Manager(ConnectionManager::new(location.connection_string()));
    diesel::r2d2::Pool::builder()
        .test_on_check_out(false)
        .max_size(pool_size)
        .min_idle(Some(POOL_MIN_IDLE.min(pool_size)))
        .idle_timeout(Some(POOL_IDLE_CLOSE))
        .connection_timeout(POOL_WAIT)
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .map_err(|e| format!("cannot build the connection pool: {e}"))
}

/// Runs pending migrations only (the `migrate` command).
pub fn migrate(location: &DatabaseLocation) -> Result<(), String> {
    connect(location, 1).map(|_| ())
}

fn create_parent_dir(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => private_files::create_private_dir(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display())),
        _ => Ok(()),
    }
}

fn run_migrations_on<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<(), String>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    conn.run_pending_migrations(migrations)
        .map(|_| ())
        .map_err(|e| format!("migrations failed: {e}"))
}

impl DbConn {
    /// Runs `f` in a transaction that holds the write lock from its first statement.
    ///
    /// SQLite's default (deferred) transaction upgrades to a writer lazily and then fails with
    /// SQLITE_BUSY without honouring the busy timeout when another writer got in first, so
    /// every transaction that reads and then writes must begin IMMEDIATE there. PostgreSQL
    /// uses an ordinary transaction (row locks are taken by the queries themselves).
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        match self {
            DbConn::Pg(_) => self.transaction_from("BEGIN", f),
            DbConn::Sqlite(_) => {
                let turn = SQLITE_WRITER.lock();
                let result = self.transaction_from("BEGIN IMMEDIATE", f);
                // Hands the lock to the writer that waited longest.
                parking_lot::MutexGuard::unlock_fair(turn);
                result
            }
        }
    }

    /// Runs `f` on one consistent snapshot: several reads that must agree with each other
    /// (REPEATABLE READ on PostgreSQL; a read transaction in WAL mode on SQLite).
    pub fn read_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let begin = match self {
            DbConn::Pg(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            DbConn::Sqlite(_) => "BEGIN DEFERRED",
        };
        self.transaction_from(begin, f)
    }

    /// [`Self::read_transaction`] whose statements PostgreSQL plans once for any values
    /// (`plan_cache_mode = force_generic_plan`, set in the same trip as BEGIN), for reads whose
    /// best plan does not depend on the values: the sync pull's `user_id = $1 AND version >
    /// $2` goes through (user_id, version) whatever they are. Left to itself, PostgreSQL plans
    /// those statements anew on every execution, and that planning grows with the database's
    /// statistics: a pull of one change cost 1.13–1.22x as much with a million journal rows
    /// as on an almost empty database, and 1.00–1.01x planned once (`cargo bench --bench
    /// scale`).
    pub fn read_transaction_planned_once<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let begin = match self {
            DbConn::Pg(_) => {
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
                 SET LOCAL plan_cache_mode = force_generic_plan"
            }
            DbConn::Sqlite(_) => "BEGIN DEFERRED",
        };
        self.transaction_from(begin, f)
    }

    fn transaction_from<T, E, F>(&mut self, begin: &str, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        match self {
            DbConn::Pg(inner) => AnsiTransactionManager::begin_transaction_sql(inner, begin)?,
            DbConn::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, begin)?,
        }
        match f(self) {
            Ok(value) => {
                <DbConn as Connection>::TransactionManager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => {
                <DbConn as Connection>::TransactionManager::rollback_transaction(self)?;
                Err(error)
            }
        }
    }

    /// Answers whether the database responds (the readiness probe).
    pub fn ping(&mut self) -> QueryResult<()> {
        diesel::sql_query("SELECT 1").execute(self).map(|_| ())
    }
}

/// The current instant as stored: UTC, truncated to microseconds so that both engines
/// give back exactly what was written.
pub fn now() -> NaiveDateTime {
    truncate_to_micros(Utc::now().naive_utc())
}

pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// True when a diesel error is a unique-constraint violation (e.g. an email registered twice
/// by two concurrent requests).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Why storage work could not run at all (as opposed to a query that failed).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had from the pool in time: the database is down or saturated.
    #[error("no database connection: {0}")]
    Unavailable(#[from] diesel::r2d2::PoolError),
    /// The blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    TaskFailed(String),
}

/// What [`run`] asks of the work's error: whether it could come from the connection itself.
/// A refusal the work decided on (not found, a conflict, a bad value) cannot, and costs no
/// check of the connection.
pub trait WorkError: From<DbError> {
    fn may_be_a_lost_connection(&self) -> bool;
}

/// Runs blocking database work on the blocking thread pool with a pooled connection, so the
/// async workers never wait on I/O. The work's own error type passes through; storage only
/// adds [`DbError`] for what happens around it.
pub async fn run<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: WorkError + Send + 'static,
{
    crate::memory::note_activity();
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        let result = work(&mut conn);
        if let Err(error) = &result {
            if error.may_be_a_lost_connection() && conn.ping().is_err() {
                CONNECTION_LOST.with(|lost| lost.set(true));
            }
        }
        result
    })
    .await
    .map_err(|e| E::from(DbError::TaskFailed(e.to_string())))?
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::ptr::null_mut;

    use libsqlite3_sys as ffi;

    /// Compiles `sql` once on the bundled SQLite (the one diesel uses), runs it with each of
    /// `limits` bound to its parameter, and answers how often SQLite compiled it again.
    fn recompilations(sql: &str, limits: &[i64]) -> i32 {
        let sql = CString::new(sql).expect("no NUL in the SQL");
        // SAFETY: one connection and one statement, used on this thread only and released
        // before returning; every pointer passed comes from SQLite or outlives the call.
        unsafe {
            let mut db = null_mut();
            assert_eq!(
                ffi::sqlite3_open(c":memory:".as_ptr(), &mut db),
                ffi::SQLITE_OK
            );
            let setup = c"CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);
                          INSERT INTO t (b) VALUES ('x'), ('y'), ('z');";
            let created = ffi::sqlite3_exec(db, setup.as_ptr(), None, null_mut(), null_mut());
            assert_eq!(created, ffi::SQLITE_OK);
            let mut statement = null_mut();
            let prepared = ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut statement,
                null_mut(),
            );
            assert_eq!(prepared, ffi::SQLITE_OK);
            for &limit in limits {
                ffi::sqlite3_reset(statement);
                ffi::sqlite3_bind_int64(statement, 1, limit);
                while ffi::sqlite3_step(statement) == ffi::SQLITE_ROW {}
            }
            let count = ffi::sqlite3_stmt_status(statement, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            ffi::sqlite3_finalize(statement);
            ffi::sqlite3_close(db);
            count
        }
    }

    #[test]
    fn sqlite_keeps_statements_with_a_bound_limit_prepared() {
        // Diesel binds every LIMIT; a list statement is run with the same limit again and
        // again, the session check with LIMIT 1. None of that may recompile the statement.
        let runs = [51, 51, 51, 11, 1];
        // Without the flag this counts 5 (checked with `LIBSQLITE3_FLAGS=" "`).
        assert_eq!(
            recompilations("SELECT b FROM t ORDER BY a DESC LIMIT ?", &runs),
            0,
            "SQLite must be built with SQLITE_ENABLE_QPSG (.cargo/config.toml)"
        );
    }
}
