//! The per-user change counter (`users.change_seq`): every journal write takes numbers from
//! it, under the user's row lock, so per user the numbers follow commit order.

use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Text};

use super::schema::users;
use super::sessions;
use super::DbConn;
use crate::domain::{Role, SessionFamilyId, UserId};

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
    let condition = users::id
        .eq(user_id.as_str())
        .and(users::role.eq(Role::Patient.as_str()))
        .and(sessions::is_live(user_id.as_str(), session.as_str()));
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
