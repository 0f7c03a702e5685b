//! The `sessions` table: refresh tokens (stored as hashes), grouped in families per device.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{sessions, users};
use super::DbConn;
use crate::domain::{SessionFamilyId, SessionId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub user_id: String,
    pub id: String,
    pub family_id: String,
    pub device_name: Option<String>,
    pub token_hash: String,
    pub rotated_from: Option<String>,
    pub signed_in_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub user_id: &'a str,
    pub id: &'a str,
    pub family_id: &'a str,
    pub device_name: Option<&'a str>,
    pub token_hash: &'a str,
    pub rotated_from: Option<&'a str>,
    pub signed_in_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, session: &NewSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
}

pub fn find_by_token_hash(
    conn: &mut DbConn,
    user_id: &UserId,
    token_hash: &str,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id.as_str()))
        .filter(sessions::token_hash.eq(token_hash))
        .select(sessions::all_columns)
        .first(conn)
        .optional()
}

/// Marks a token as exchanged. Answers false when it already was: a concurrent use of the
/// same token, which counts as reuse.
pub fn mark_rotated(
    conn: &mut DbConn,
    user_id: &UserId,
    session_id: &SessionId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id.as_str()))
            .filter(sessions::id.eq(session_id.as_str()))
            .filter(sessions::rotated_at.is_null()),
    )
    .set((sessions::rotated_at.eq(now), sessions::updated_at.eq(now)))
    .execute(conn)
    .map(|rows| rows == 1)
}

/// Revokes every token of a family; answers how many rows were touched.
pub fn revoke_family(
    conn: &mut DbConn,
    user_id: &UserId,
    family_id: &SessionFamilyId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id.as_str()))
            .filter(sessions::family_id.eq(family_id.as_str()))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::updated_at.eq(now)))
    .execute(conn)
}

/// Revokes every family of the user except `keep` (after a password change).
pub fn revoke_all_except(
    conn: &mut DbConn,
    user_id: &UserId,
    keep: &SessionFamilyId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id.as_str()))
            .filter(sessions::family_id.ne(keep.as_str()))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::updated_at.eq(now)))
    .execute(conn)
}

pub fn family_exists(
    conn: &mut DbConn,
    user_id: &UserId,
    family_id: &SessionFamilyId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sessions::table
            .filter(sessions::user_id.eq(user_id.as_str()))
            .filter(sessions::family_id.eq(family_id.as_str())),
    ))
    .get_result(conn)
}

/// True while the family has not been revoked: what an access token's `sid` must point at.
/// An SQL condition, so that a statement can check the session along with its own work.
#[diesel::dsl::auto_type]
pub fn is_live<'a>(user_id: &'a str, family_id: &'a str) -> _ {
    diesel::dsl::exists(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::family_id.eq(family_id))
            .filter(sessions::revoked_at.is_null()),
    )
}

/// True while the family is live and the account a patient's: the condition on `users` that
/// a patient's write (`change_seq`) and list (`journal_queries!`) carry in their own statement.
#[diesel::dsl::auto_type]
pub fn is_live_patient<'a>(user_id: &'a str, family_id: &'a str) -> _ {
    let patient: &'a str = crate::domain::Role::Patient.as_str();
    let live: is_live<'a> = is_live(user_id, family_id);
    users::id.eq(user_id).and(users::role.eq(patient)).and(live)
}

/// The owner and session a patient's token names, for a read that checks the session in its
/// own statement (see `journal_queries!`'s `list_for_patient`) instead of in one before it.
#[derive(Debug, Clone)]
pub struct PatientSession {
    pub user_id: UserId,
    pub session: SessionFamilyId,
}

/// The account's role when the session is still live (one statement); `None` when it was
/// signed out or the account erased.
pub fn live_role(
    conn: &mut DbConn,
    user_id: &UserId,
    family_id: &SessionFamilyId,
) -> QueryResult<Option<String>> {
    crate::db::on_engine!(conn, |engine| {
        users::table
            .filter(users::id.eq(user_id.as_str()))
            .filter(is_live(user_id.as_str(), family_id.as_str()))
            .select(users::role)
            .first(engine)
            .optional()
    })
}

/// The token each signed-in device holds now: one row per live family.
pub fn list_active_heads(
    conn: &mut DbConn,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id.as_str()))
        .filter(sessions::rotated_at.is_null())
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::created_at.desc())
        .select(sessions::all_columns)
        .load(conn)
}
