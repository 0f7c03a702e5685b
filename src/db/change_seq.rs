//! The per-user change counter (`users.change_seq`): every journal write takes numbers from
//! it, under the user's row lock, so per user the numbers follow commit order.

use diesel::prelude::*;

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
    let (last, timezone): (i64, String) =
        diesel::update(users::table.filter(users::id.eq(user_id.as_str())))
            .set(users::change_seq.eq(users::change_seq + count))
            .returning((users::change_seq, users::timezone))
            .get_result(conn)?;
    Ok(Reservation {
        first_version: last - count + 1,
        timezone,
    })
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
    let reserved: Option<(i64, String)> = diesel::update(
        users::table
            .filter(users::id.eq(user_id.as_str()))
            .filter(users::role.eq(Role::Patient.as_str()))
            .filter(sessions::is_live(user_id.as_str(), session.as_str())),
    )
    .set(users::change_seq.eq(users::change_seq + count))
    .returning((users::change_seq, users::timezone))
    .get_result(conn)
    .optional()?;
    Ok(reserved.map(|(last, timezone)| Reservation {
        first_version: last - count + 1,
        timezone,
    }))
}
