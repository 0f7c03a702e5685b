//! The per-user change counter (`users.change_seq`): every journal write takes numbers from
//! it, under the user's row lock, so per user the numbers follow commit order.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{BigInt, Text};

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
/// session and insert `insert`'s row with it, or do neither —
/// `WITH reserved AS (UPDATE users … RETURNING change_seq) INSERT … ON CONFLICT DO NOTHING
/// RETURNING version`. The transaction path makes four trips for this (BEGIN, reserve,
/// insert, COMMIT); under load those trips were most of the database's CPU per create.
///
/// The row's local day was worked out in `timezone` before the statement (from the token's
/// hint), so the statement reserves only while that is still the user's timezone. The row
/// lock the UPDATE takes orders this write with the user's others exactly as the
/// transaction's does. `insert` must set `version` to [`ReservedVersion`]: when nothing is
/// reserved that is NULL, which PostgreSQL refuses before it looks for a conflicting id,
/// so nothing is written (and nothing is answered about a row the session may not see).
pub fn insert_reserving<I>(
    conn: &mut diesel::PgConnection,
    patient: &PatientSession,
    timezone: &str,
    insert: I,
) -> QueryResult<ReservedInsert>
where
    I: QueryFragment<Pg>,
{
    let condition = sessions::is_live_patient(patient.user_id.as_str(), patient.session.as_str())
        .and(users::timezone.eq(timezone));
    let statement = WithReserved { condition, insert };
    match statement.get_result::<i64>(conn).optional() {
        Ok(Some(version)) => Ok(ReservedInsert::Inserted(version)),
        Ok(None) => Ok(ReservedInsert::AlreadyThere),
        Err(Error::DatabaseError(DatabaseErrorKind::NotNullViolation, info))
            if info.column_name() == Some("version") =>
        {
            Ok(ReservedInsert::NotReserved)
        }
        Err(other) => Err(other),
    }
}

/// The number the `reserved` step of [`insert_reserving`] took: `(SELECT change_seq FROM
/// reserved)`, NULL when it took none.
#[derive(Debug, Clone, Copy)]
pub struct ReservedVersion;

impl Expression for ReservedVersion {
    type SqlType = BigInt;
}

impl QueryFragment<Pg> for ReservedVersion {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(SELECT \"change_seq\" FROM \"reserved\")");
        Ok(())
    }
}

impl QueryId for ReservedVersion {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<QS> AppearsOnTable<QS> for ReservedVersion {}
impl<QS> SelectableExpression<QS> for ReservedVersion {}
impl<GB> ValidGrouping<GB> for ReservedVersion {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

/// `WITH "reserved" AS (UPDATE "users" SET "change_seq" = "change_seq" + 1 WHERE …
/// RETURNING "change_seq") <insert>`.
struct WithReserved<W, I> {
    condition: W,
    insert: I,
}

impl<W, I> QueryFragment<Pg> for WithReserved<W, I>
where
    W: QueryFragment<Pg>,
    I: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "WITH \"reserved\" AS (UPDATE \"users\" SET \"change_seq\" = \"change_seq\" + 1 WHERE ",
        );
        self.condition.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING \"change_seq\") ");
        self.insert.walk_ast(out.reborrow())
    }
}

impl<W, I> QueryId for WithReserved<W, I> {
    type QueryId = ();
    // Keyed by its SQL text in the statement cache, like `ReserveStatement`.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<W, I> Query for WithReserved<W, I> {
    type SqlType = BigInt;
}

impl<W, I> RunQueryDsl<diesel::PgConnection> for WithReserved<W, I> {}
