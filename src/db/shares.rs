//! The sharing tables: `share_grants` (what a patient shared, with whom, until when),
//! `access_log` (every look taken) and `redeem_throttle` (wrong codes counted).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    access_log, massage_sessions, medication_intakes, pain_entries, redeem_throttle, share_grants,
    users,
};
use super::DbConn;
use crate::domain::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = share_grants)]
pub struct GrantRow {
    pub user_id: String,
    pub id: String,
    pub kind: String,
    pub scope: String,
    pub label: String,
    pub secret_hash: String,
    pub clinician_id: Option<String>,
    pub redeem_by: Option<NaiveDateTime>,
    pub redeemed_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_access_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, grant: &GrantRow) -> QueryResult<()> {
    diesel::insert_into(share_grants::table)
        .values(grant)
        .execute(conn)
        .map(|_| ())
}

/// The patient's grants, newest first.
pub fn list(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<GrantRow>> {
    share_grants::table
        .filter(share_grants::user_id.eq(user_id.as_str()))
        .order((share_grants::created_at.desc(), share_grants::id.desc()))
        .select(GrantRow::as_select())
        .load(conn)
}

/// Revokes one of the patient's grants; `false` when there is no such grant of theirs.
pub fn revoke(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let found = share_grants::table
        .filter(share_grants::user_id.eq(user_id.as_str()))
        .filter(share_grants::id.eq(id))
        .select(share_grants::revoked_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?;
    match found {
        None => Ok(false),
        Some(Some(_)) => Ok(true),
        Some(None) => {
            diesel::update(
                share_grants::table
                    .filter(share_grants::user_id.eq(user_id.as_str()))
                    .filter(share_grants::id.eq(id)),
            )
            .set((
                share_grants::revoked_at.eq(Some(now)),
                share_grants::updated_at.eq(now),
            ))
            .execute(conn)?;
            Ok(true)
        }
    }
}

/// The grant a code or link token names (by the secret's hash; the hash is unique).
pub fn find_by_secret(conn: &mut DbConn, secret_hash: &str) -> QueryResult<Option<GrantRow>> {
    share_grants::table
        .filter(share_grants::secret_hash.eq(secret_hash))
        .select(GrantRow::as_select())
        .first(conn)
        .optional()
}

/// Links an unredeemed, unexpired code grant to the clinician, in one statement so two
/// clinicians racing with one code cannot both win; `true` when this call redeemed it.
pub fn redeem(
    conn: &mut DbConn,
    grant: &GrantRow,
    clinician: &UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        share_grants::table
            .filter(share_grants::user_id.eq(&grant.user_id))
            .filter(share_grants::id.eq(&grant.id))
            .filter(share_grants::kind.eq("code"))
            .filter(share_grants::clinician_id.is_null())
            .filter(share_grants::redeemed_at.is_null())
            .filter(share_grants::revoked_at.is_null())
            .filter(share_grants::redeem_by.gt(now))
            .filter(share_grants::expires_at.gt(now)),
    )
    .set((
        share_grants::clinician_id.eq(Some(clinician.as_str())),
        share_grants::redeemed_at.eq(Some(now)),
        share_grants::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The live grants redeemed by a clinician, with the patient's display name and the time of
/// their last journal change.
pub fn for_clinician(
    conn: &mut DbConn,
    clinician: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<(GrantRow, Option<String>)>> {
    share_grants::table
        .inner_join(users::table.on(users::id.eq(share_grants::user_id)))
        .filter(share_grants::clinician_id.eq(clinician.as_str()))
        .filter(share_grants::revoked_at.is_null())
        .filter(share_grants::expires_at.gt(now))
        .order((share_grants::user_id, share_grants::created_at))
        .select((GrantRow::as_select(), users::display_name))
        .load(conn)
}

/// A clinician's live grants from one patient.
pub fn from_patient(
    conn: &mut DbConn,
    patient: &UserId,
    clinician: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<GrantRow>> {
    share_grants::table
        .filter(share_grants::user_id.eq(patient.as_str()))
        .filter(share_grants::clinician_id.eq(clinician.as_str()))
        .filter(share_grants::revoked_at.is_null())
        .filter(share_grants::expires_at.gt(now))
        .select(GrantRow::as_select())
        .load(conn)
}

pub fn touch(conn: &mut DbConn, grant: &GrantRow, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        share_grants::table
            .filter(share_grants::user_id.eq(&grant.user_id))
            .filter(share_grants::id.eq(&grant.id)),
    )
    .set(share_grants::last_access_at.eq(Some(now)))
    .execute(conn)
    .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_log)]
pub struct AccessRow {
    pub user_id: String,
    pub id: String,
    pub share_id: String,
    pub clinician_id: Option<String>,
    pub viewer: String,
    pub what: String,
    pub address: Option<String>,
    pub at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn log_access(conn: &mut DbConn, entry: &AccessRow) -> QueryResult<()> {
    diesel::insert_into(access_log::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

/// One page of the patient's access log, newest first, before the cursor `(at, id)`.
pub fn access_page(
    conn: &mut DbConn,
    user_id: &UserId,
    before: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AccessRow>> {
    let mut query = access_log::table
        .filter(access_log::user_id.eq(user_id.as_str()))
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            access_log::at
                .lt(at)
                .or(access_log::at.eq(at).and(access_log::id.lt(id))),
        );
    }
    query
        .order((access_log::at.desc(), access_log::id.desc()))
        .limit(limit)
        .select(AccessRow::as_select())
        .load(conn)
}

/// How many wrong codes `subject` sent in the window that is still open (and when it
/// started); `None` when it has no open window.
pub fn failures(
    conn: &mut DbConn,
    subject: &str,
    window_open_since: NaiveDateTime,
) -> QueryResult<Option<(i32, NaiveDateTime)>> {
    redeem_throttle::table
        .filter(redeem_throttle::subject.eq(subject))
        .filter(redeem_throttle::window_start.gt(window_open_since))
        .select((redeem_throttle::failures, redeem_throttle::window_start))
        .first(conn)
        .optional()
}

/// Counts one wrong code for `subject` in one statement: on within an open window, or from 1
/// in a new one.
pub fn record_failure(
    conn: &mut DbConn,
    subject: &str,
    user_id: Option<&UserId>,
    now: NaiveDateTime,
    window: chrono::Duration,
) -> QueryResult<()> {
    use diesel::dsl::case_when;
    let window_open = redeem_throttle::window_start.gt(now - window);
    let upsert = diesel::insert_into(redeem_throttle::table)
        .values((
            redeem_throttle::subject.eq(subject),
            redeem_throttle::user_id.eq(user_id.map(UserId::as_str)),
            redeem_throttle::failures.eq(1),
            redeem_throttle::window_start.eq(now),
        ))
        .on_conflict(redeem_throttle::subject)
        .do_update()
        .set((
            redeem_throttle::failures
                .eq(case_when(window_open, redeem_throttle::failures + 1).otherwise(1)),
            redeem_throttle::window_start
                .eq(case_when(window_open, redeem_throttle::window_start).otherwise(now)),
        ));
    // The MultiConnection has no upsert: each engine runs it on its own connection.
    match conn {
        DbConn::Pg(inner) => upsert.execute(inner)?,
        DbConn::Sqlite(inner) => upsert.execute(inner)?,
    };
    Ok(())
}

/// When the patient last wrote to the journal they record daily (pain, doses, massages).
pub fn last_journal_activity(
    conn: &mut DbConn,
    patient: &UserId,
) -> QueryResult<Option<NaiveDateTime>> {
    use diesel::dsl::max;
    let pain: Option<NaiveDateTime> = pain_entries::table
        .filter(pain_entries::user_id.eq(patient.as_str()))
        .select(max(pain_entries::updated_at))
        .first(conn)?;
    let intakes: Option<NaiveDateTime> = medication_intakes::table
        .filter(medication_intakes::user_id.eq(patient.as_str()))
        .select(max(medication_intakes::updated_at))
        .first(conn)?;
    let massages: Option<NaiveDateTime> = massage_sessions::table
        .filter(massage_sessions::user_id.eq(patient.as_str()))
        .select(max(massage_sessions::updated_at))
        .first(conn)?;
    Ok([pain, intakes, massages].into_iter().flatten().max())
}
