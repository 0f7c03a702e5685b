//! The per-user change counter (`users.change_seq`): every journal write takes numbers from
//! it, under the user's row lock, so per user the numbers follow commit order.

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::users;
use super::sessions;
use super::sessions::PatientSession;
use super::DbConn;
use crate::domain::{SessionFamilyId, UserId};

/// What a write transaction learns when it reserves numbers.
pub struct Reservation {
    /// The first of the `count` numbers reserved (the rest follow it).
    pub first_version: i64,
    /// The user's timezone at this moment, for the local day of what is written.
    pub timezone: String,
}

/// Reserves `count` consecutive versions for the user. Must run inside a write transaction:
/// the UPDATE locks the user's row (PostgreSQL) or the database (SQLite, BEGIN IMMEDIATE)
/// until commit, so no two transactions of one user interleave their numbers.
pub fn reserve(conn: &mut DbConn, user_id: &UserId, count: i64) -> QueryResult<Reservation> {
    let reserved = run(conn, count, users::id.eq(user_id.as_str()))?;
    reserved.ok_or(diesel::result::Error::NotFound)
}

/// [`reserve`] for a patient's request, checking in the same statement that the session is
/// live and the account a patient's: `None` (and nothing reserved) when it is not. A write
/// then needs no trip of its own for the session check.
pub fn reserve_for_patient_session(
    conn: &mut DbConn,
    user_id: &UserId,
    session: &SessionFamilyId,
    count: i64,
) -> QueryResult<Option<Reservation>> {
    let condition = sessions::is_live_patient(user_id.as_str(), session.as_str());
    run(conn, count, condition)
}

fn run<W>(conn: &mut DbConn, count: i64, condition: W) -> QueryResult<Option<Reservation>>
where
    W: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite>,
{
    let statement = ReserveStatement { count, condition };
    let reserved: Option<(i64, String)> = match conn {
        DbConn::Pg(inner) => statement.get_result(inner).optional()?,
        DbConn::Sqlite(inner) => statement.get_result(inner).optional()?,
    };
    Ok(reserved.map(|(last, timezone)| Reservation {
        first_version: last - count + 1,
        timezone,
    }))
}

/// `UPDATE users SET change_seq = change_seq + ? WHERE … RETURNING change_seq, timezone`,
/// written out here rather than with `diesel::update` because diesel marks every UPDATE it
/// builds as not to be kept prepared: this statement opens every write, and re-parsing and
/// re-planning it each time was a measurable share of PostgreSQL's CPU under load. Its SQL
/// is fixed per condition, so the connection's statement cache keeps it (keyed by the text).
struct ReserveStatement<W> {
    count: i64,
    condition: W,
}

impl<W, DB> QueryFragment<DB> for ReserveStatement<W>
where
    DB: Backend,
    W: QueryFragment<DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    DB: diesel::sql_types::HasSqlType<BigInt>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE \"users\" SET \"change_seq\" = \"change_seq\" + ");
        out.push_bind_param::<BigInt, _>(&self.count)?;
        out.push_sql(" WHERE ");
        self.condition.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING \"change_seq\", \"timezone\"");
        Ok(())
    }
}

impl<W> QueryId for ReserveStatement<W> {
    type QueryId = ();
    // Keyed by its SQL text in the statement cache: the condition differs between callers.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<W> Query for ReserveStatement<W> {
    type SqlType = (BigInt, Text);
}

impl<W, Conn> RunQueryDsl<Conn> for ReserveStatement<W> {}

/// What [`insert_reserving`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum ReservedInsert {
    /// The row is stored with this version.
    Inserted(i64),
    /// A number was taken, but the user already has a row with this id (nothing written).
    AlreadyThere,
    /// Nothing was reserved or written: the session has ended, the account is not a
    /// patient's, or the timezone the row was built for is no longer the user's. The caller
    /// takes the transaction path, which tells these apart.
    NotReserved,
}

/// One create in one statement on PostgreSQL: reserve the next number for a live patient's
/// session and insert the row with it, or do neither —
/// `WITH reserved AS (UPDATE users … RETURNING change_seq), inserted AS (INSERT INTO t (…)
/// SELECT …, change_seq FROM reserved ON CONFLICT DO NOTHING RETURNING version)
/// SELECT (SELECT change_seq FROM reserved), (SELECT version FROM inserted)`.
/// The transaction path makes four trips for this (BEGIN, reserve, insert, COMMIT); under
/// load those trips were most of the database's CPU per create.
///
/// The row's local day was worked out in `timezone` before the statement (from the token's
/// hint), so the statement reserves only while that is still the user's timezone. The row
/// lock the UPDATE takes orders this write with the user's others exactly as the
/// transaction's does. The row is selected *from* the reservation, so when nothing is
/// reserved no row is offered at all: nothing is written, nothing is answered about a row
/// the session may not see, and PostgreSQL sees no error (the first form inserted a NULL
/// version and let the NOT NULL constraint refuse it, which logged an ERROR line for every
/// signed-out retry). `values` are the row's columns but `version`, which the statement sets.
pub fn insert_reserving<T, V>(
    conn: &mut diesel::PgConnection,
    patient: &PatientSession,
    timezone: &str,
    table: T,
    values: V,
) -> QueryResult<ReservedInsert>
where
    T: diesel::Table + QueryFragment<Pg>,
    V: diesel::insertable::InsertValues<Pg, T>,
{
    let condition = sessions::is_live_patient(patient.user_id.as_str(), patient.session.as_str())
        .and(users::timezone.eq(timezone));
    let statement = WithReserved {
        condition,
        table,
        values,
    };
    let (reserved, inserted) = statement.get_result::<(Option<i64>, Option<i64>)>(conn)?;
    Ok(match (reserved, inserted) {
        (None, _) => ReservedInsert::NotReserved,
        (Some(_), None) => ReservedInsert::AlreadyThere,
        (Some(_), Some(version)) => ReservedInsert::Inserted(version),
    })
}

/// The statement of [`insert_reserving`]; it always answers one row.
struct WithReserved<W, T, V> {
    condition: W,
    table: T,
    values: V,
}

impl<W, T, V> QueryFragment<Pg> for WithReserved<W, T, V>
where
    W: QueryFragment<Pg>,
    T: diesel::Table + QueryFragment<Pg>,
    V: diesel::insertable::InsertValues<Pg, T>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH \"reserved\" AS (UPDATE \"users\" SET \"change_seq\" = \"change_seq\" + 1 WHERE ",
        );
        self.condition.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING \"change_seq\"), \"inserted\" AS (INSERT INTO ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(" (");
        self.values.column_names(out.reborrow())?;
        out.push_sql(", \"version\") SELECT ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(
            ", \"change_seq\" FROM \"reserved\" ON CONFLICT (\"user_id\", \"id\") DO NOTHING \
             RETURNING \"version\") SELECT (SELECT \"change_seq\" FROM \"reserved\"), \
             (SELECT \"version\" FROM \"inserted\")",
        );
        Ok(())
    }
}

impl<W, T, V> QueryId for WithReserved<W, T, V> {
    type QueryId = ();
    // Keyed by its SQL text in the statement cache, like `ReserveStatement`.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<W, T, V> Query for WithReserved<W, T, V> {
    type SqlType = (Nullable<BigInt>, Nullable<BigInt>);
}

impl<W, T, V> RunQueryDsl<diesel::PgConnection> for WithReserved<W, T, V> {}
