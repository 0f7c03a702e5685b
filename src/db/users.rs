//! The `users` table: accounts, their change counter and their failed-login count.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::sessions::{is_live_patient, PatientSession};
use super::DbConn;
use crate::domain::UserId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: Option<String>,
    pub role: String,
    pub timezone: String,
    pub change_seq: i64,
    pub failed_logins: i32,
    pub failed_login_window_start: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: Option<&'a str>,
    pub role: &'a str,
    pub timezone: &'a str,
    pub change_seq: i64,
    pub failed_logins: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, user: &NewUser<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(users::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, user_id: &UserId) -> QueryResult<UserRow> {
    users::table
        .filter(users::id.eq(user_id.as_str()))
        .select(users::all_columns)
        .first(conn)
}

/// The patient's change counter, read in the statement that checks the session (live family,
/// patient account); `None` when either check fails. Every change to the journal raises the
/// counter in the change's own transaction, so a pull whose cursor has reached it has nothing
/// to fetch.
pub fn live_patient_change_seq(
    conn: &mut DbConn,
    patient: &PatientSession,
) -> QueryResult<Option<i64>> {
    let (user_id, family_id) = (patient.user_id.as_str(), patient.session.as_str());
    crate::db::on_engine!(conn, |engine| {
        users::table
            .filter(is_live_patient(user_id, family_id))
            .select(users::change_seq)
            .first(engine)
            .optional()
    })
}

/// The names these accounts show to others (display name, else email), by id, in one
/// query; ids of erased accounts are absent.
pub fn shown_names(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<std::collections::HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, Option<String>, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name, users::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, display_name, email)| (id, display_name.unwrap_or(email)))
        .collect())
}

/// Looks an account up by its (already case-folded) email: the only query not keyed by a
/// user id, because login is how a user id is learnt.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(users::all_columns)
        .first(conn)
        .optional()
}

/// Changes the profile fields; `None` leaves a field as it is.
pub fn update_profile(
    conn: &mut DbConn,
    user_id: &UserId,
    display_name: Option<Option<&str>>,
    timezone: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<UserRow> {
    #[derive(AsChangeset)]
    #[diesel(table_name = users, treat_none_as_null = false)]
    struct ProfileChanges<'a> {
        display_name: Option<Option<&'a str>>,
        timezone: Option<&'a str>,
        updated_at: NaiveDateTime,
    }
    diesel::update(users::table.filter(users::id.eq(user_id.as_str())))
        .set(ProfileChanges {
            display_name,
            timezone,
            updated_at: now,
        })
        .returning(users::all_columns)
        .get_result(conn)
}

pub fn set_password_hash(
    conn: &mut DbConn,
    user_id: &UserId,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::id.eq(user_id.as_str())))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Records one failed login in one statement: counts on within an open window, or starts a
/// new window. Both columns are computed from the row as the UPDATE finds it under its lock,
/// so parallel wrong guesses are each counted (a read-then-write would lose some).
pub fn record_failed_login(
    conn: &mut DbConn,
    user_id: &UserId,
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<()> {
    use diesel::dsl::case_when;
    let window_open = users::failed_login_window_start.gt(now - window);
    diesel::update(users::table.filter(users::id.eq(user_id.as_str())))
        .set((
            users::failed_logins.eq(case_when(window_open, users::failed_logins + 1).otherwise(1)),
            users::failed_login_window_start.eq(case_when(
                window_open,
                users::failed_login_window_start,
            )
            .otherwise(Some(now))),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn clear_failed_logins(conn: &mut DbConn, user_id: &UserId) -> QueryResult<()> {
    diesel::update(
        users::table
            .filter(users::id.eq(user_id.as_str()))
            .filter(users::failed_logins.ne(0)),
    )
    .set((
        users::failed_logins.eq(0),
        users::failed_login_window_start.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Erases the account; every table's rows of this user go with it (`ON DELETE CASCADE`).
pub fn delete(conn: &mut DbConn, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(users::table.filter(users::id.eq(user_id.as_str()))).execute(conn)
}
