//! The journal use-cases: create (idempotent by client id), read, change, delete (tombstone)
//! and list, the same for all five kinds of entry.
//!
//! Each kind implements [`Resource`]: how its request is parsed into a [`Resource::Draft`]
//! (valid values only), how a draft becomes a row, and how a row is shown. The operations
//! below then hold the rules once: ownership in every query, one change number per write
//! taken from the user's counter, tombstones instead of deletes.

pub mod check_ins;
pub mod days;
pub mod instant;
pub mod massage_sessions;
pub mod medication_intakes;
pub mod medications;
pub mod paging;
pub mod pain_entries;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::PatientToken;
use crate::db::sessions::PatientSession;
use crate::db::{self, change_seq, journal::ListFilter, DbConn};
use crate::domain::journal::ClientId;
use crate::domain::{FieldError, Timezone, UserId};
use crate::error::ApiError;
use crate::state::AppState;
pub use paging::{ListParams, Page, UndatedListParams};

/// What a new or rewritten row needs besides the client's values.
pub struct RowMeta<'a> {
    pub user_id: &'a UserId,
    pub id: &'a ClientId,
    pub version: i64,
    pub timezone: Timezone,
    pub now: NaiveDateTime,
}

impl<'a> RowMeta<'a> {
    /// For a row written now with the first number of `reservation`.
    fn new(
        user_id: &'a UserId,
        id: &'a ClientId,
        reservation: &change_seq::Reservation,
    ) -> Result<Self, ApiError> {
        Ok(RowMeta {
            user_id,
            id,
            version: reservation.first_version,
            timezone: user_timezone(&reservation.timezone)?,
            now: db::now(),
        })
    }
}

/// One kind of journal entry.
pub trait Resource: 'static {
    type Row: Clone + Send + 'static;
    /// The request body of a create (and, merged over the stored values, of a PATCH).
    type Input: Serialize + DeserializeOwned + Send + 'static;
    /// The client's values, validated; equal drafts mean an idempotent repeat.
    type Draft: Clone + PartialEq + Send;
    /// What the API answers.
    type View: Serialize + Send + 'static;

    fn input_id(input: &Self::Input) -> Option<&str>;
    fn parse(input: &Self::Input, now: DateTime<Utc>) -> Result<Self::Draft, Vec<FieldError>>;
    /// The stored values as a request would send them.
    fn input_from_row(row: &Self::Row) -> Self::Input;
    /// Rows of other tables that building a row reads (an intake's medication).
    type Related: Default;
    /// True when [`Resource::related`] reads something: such a create keeps its transaction,
    /// so that what it read cannot change before it writes.
    const READS_RELATED: bool = false;
    /// Reads what `drafts` refer to, once for a whole write: a push of 1,000 intakes makes
    /// one query for their medications, not 1,000.
    fn related(
        _conn: &mut DbConn,
        _user_id: &UserId,
        _drafts: &[&Self::Draft],
    ) -> Result<Self::Related, ApiError> {
        Ok(Self::Related::default())
    }
    /// Builds the row to store. `previous` is the stored row on a change; `related` holds
    /// what [`Resource::related`] read for this draft.
    fn build_row(
        draft: Self::Draft,
        meta: RowMeta<'_>,
        previous: Option<&Self::Row>,
        related: &Self::Related,
    ) -> Result<Self::Row, ApiError>;
    /// The row as a tombstone: id, owner, version and `deleted` kept, every value cleared
    /// (a deleted entry must not keep what it said about the person's health).
    fn tombstone(row: &Self::Row, version: i64, now: NaiveDateTime) -> Self::Row;
    /// What else goes when these rows were deleted, in the same transaction (a medication
    /// takes its intakes with it). `deleted` holds the rows as they were before deletion.
    fn after_delete(
        _conn: &mut DbConn,
        _user_id: &UserId,
        _deleted: &[Self::Row],
    ) -> Result<(), ApiError> {
        Ok(())
    }
    fn view(row: &Self::Row) -> Self::View;
    fn is_deleted(row: &Self::Row) -> bool;
    /// The position of a row in lists: (time, id), newest first.
    fn sort_key(row: &Self::Row) -> (NaiveDateTime, String);

    fn find(
        conn: &mut DbConn,
        user_id: &UserId,
        id: &str,
    ) -> diesel::QueryResult<Option<Self::Row>>;
    fn insert_if_absent(conn: &mut DbConn, row: &Self::Row) -> diesel::QueryResult<bool>;
    /// [`Resource::insert_if_absent`] with its version reserved in the same statement, for
    /// a live patient session whose timezone is still `timezone` (PostgreSQL).
    fn insert_reserving(
        conn: &mut diesel::PgConnection,
        row: &Self::Row,
        patient: &PatientSession,
        timezone: &str,
    ) -> diesel::QueryResult<change_seq::ReservedInsert>;
    fn set_version(row: &mut Self::Row, version: i64);
    fn update(conn: &mut DbConn, row: &Self::Row) -> diesel::QueryResult<()>;
    fn list(
        conn: &mut DbConn,
        user_id: &UserId,
        filter: &ListFilter,
        limit: i64,
    ) -> diesel::QueryResult<Vec<Self::Row>>;
    /// [`Resource::list`] that checks the patient's session in the same statement.
    fn list_for_patient(
        conn: &mut DbConn,
        patient: &PatientSession,
        filter: &ListFilter,
        limit: i64,
    ) -> diesel::QueryResult<Vec<Self::Row>>;
    fn find_many(
        conn: &mut DbConn,
        user_id: &UserId,
        ids: &[String],
    ) -> diesel::QueryResult<Vec<Self::Row>>;
    fn insert_many(conn: &mut DbConn, rows: &[Self::Row]) -> diesel::QueryResult<()>;
}

/// A create's outcome: new (201) or the same entry sent again (200).
pub enum Saved<V> {
    Created(V),
    Existing(V),
}

/// Writes a [`Resource`]'s query methods by calling the table module's functions.
macro_rules! delegate_queries {
    ($table:ident, $row:ty) => {
        fn find(
            conn: &mut crate::db::DbConn,
            user_id: &crate::domain::UserId,
            id: &str,
        ) -> diesel::QueryResult<Option<$row>> {
            $table::find(conn, user_id, id)
        }

        fn insert_if_absent(conn: &mut crate::db::DbConn, row: &$row) -> diesel::QueryResult<bool> {
            $table::insert_if_absent(conn, row)
        }

        fn insert_reserving(
            conn: &mut diesel::PgConnection,
            row: &$row,
            patient: &crate::db::sessions::PatientSession,
            timezone: &str,
        ) -> diesel::QueryResult<crate::db::change_seq::ReservedInsert> {
            $table::insert_reserving(conn, row, patient, timezone)
        }

        fn set_version(row: &mut $row, version: i64) {
            row.version = version;
        }

        fn update(conn: &mut crate::db::DbConn, row: &$row) -> diesel::QueryResult<()> {
            $table::update(conn, row)
        }

        fn list(
            conn: &mut crate::db::DbConn,
            user_id: &crate::domain::UserId,
            filter: &crate::db::journal::ListFilter,
            limit: i64,
        ) -> diesel::QueryResult<Vec<$row>> {
            $table::list(conn, user_id, filter, limit)
        }

        fn list_for_patient(
            conn: &mut crate::db::DbConn,
            patient: &crate::db::sessions::PatientSession,
            filter: &crate::db::journal::ListFilter,
            limit: i64,
        ) -> diesel::QueryResult<Vec<$row>> {
            $table::list_for_patient(conn, patient, filter, limit)
        }

        fn find_many(
            conn: &mut crate::db::DbConn,
            user_id: &crate::domain::UserId,
            ids: &[String],
        ) -> diesel::QueryResult<Vec<$row>> {
            $table::find_many(conn, user_id, ids)
        }

        fn insert_many(conn: &mut crate::db::DbConn, rows: &[$row]) -> diesel::QueryResult<()> {
            $table::insert_many(conn, rows)
        }
    };
}
pub(crate) use delegate_queries;

/// For a draft that failed without naming a field (cannot happen once every field parsed).
pub(crate) fn unreadable() -> Vec<FieldError> {
    vec![FieldError::new("body", "could not be read")]
}

fn validation(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(errors)
}

fn stored_draft<R: Resource>(row: &R::Row) -> Option<R::Draft> {
    R::parse(&R::input_from_row(row), Utc::now()).ok()
}

fn user_timezone(name: &str) -> Result<Timezone, ApiError> {
    Timezone::parse(name).map_err(ApiError::internal)
}

// Every write below takes the user's counter first (`PatientToken::write`, which also checks
// the session in that statement): that row lock orders all writes of one user (STYLE 12). A request that then writes nothing (a repeat,
// a no-op PATCH) leaves an unused number behind; gaps in versions are harmless.

/// Creates an entry. Sending an id that already holds the same values answers the stored
/// entry (a retried request creates no duplicate); the same id with other values, or the id
/// of a deleted entry, is a conflict. Ids are per user: another user's ids are invisible.
pub async fn create<R: Resource>(
    state: &AppState,
    user: PatientToken,
    input: R::Input,
) -> Result<Saved<R::View>, ApiError> {
    let draft = R::parse(&input, Utc::now()).map_err(validation)?;
    let id = match R::input_id(&input) {
        Some(raw) => ClientId::parse(raw).map_err(|reason| ApiError::invalid("id", reason))?,
        None => ClientId::generate(),
    };
    if let Some(saved) = create_in_one_statement::<R>(state, &user, &draft, &id).await? {
        return Ok(saved);
    }
    // Lock, then write: a racing create of the same id waits for the lock, then finds it.
    user.write(state, 1, move |conn, user_id, reservation| {
        let related = R::related(conn, user_id, &[&draft])?;
        let meta = RowMeta::new(user_id, &id, &reservation)?;
        let row = R::build_row(draft.clone(), meta, None, &related)?;
        if !R::insert_if_absent(conn, &row)? {
            return existing_for_create::<R>(conn, user_id, &id, &draft);
        }
        Ok(Saved::Created(R::view(&row)))
    })
    .await
}

/// [`create`] in one statement (`change_seq::insert_reserving`): on PostgreSQL, for a token
/// with a timezone hint and an entry that reads no other table. `None` when it does not
/// apply or reserved nothing (a signed-out session, a clinician, a timezone changed since
/// the token was issued): then the transaction path runs and answers those.
async fn create_in_one_statement<R: Resource>(
    state: &AppState,
    user: &PatientToken,
    draft: &R::Draft,
    id: &ClientId,
) -> Result<Option<Saved<R::View>>, ApiError> {
    if R::READS_RELATED || !state.on_postgres {
        return Ok(None);
    }
    let (draft, id) = (draft.clone(), id.clone());
    user.with_hint(state, move |conn, patient, timezone| {
        let DbConn::Pg(pg) = conn else {
            return Ok(None);
        };
        let Ok(zone) = Timezone::parse(timezone) else {
            return Ok(None);
        };
        let meta = RowMeta {
            user_id: &patient.user_id,
            id: &id,
            version: 0, // set by the statement
            timezone: zone,
            now: db::now(),
        };
        let mut row = R::build_row(draft.clone(), meta, None, &R::Related::default())?;
        match R::insert_reserving(pg, &row, patient, timezone)? {
            change_seq::ReservedInsert::Inserted(version) => {
                R::set_version(&mut row, version);
                Ok(Some(Saved::Created(R::view(&row))))
            }
            change_seq::ReservedInsert::AlreadyThere => {
                existing_for_create::<R>(conn, &patient.user_id, &id, &draft).map(Some)
            }
            change_seq::ReservedInsert::NotReserved => Ok(None),
        }
    })
    .await
}

/// The answer to a create whose id the user already has: the stored entry when it holds the
/// same values (a retried request), else a conflict.
fn existing_for_create<R: Resource>(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &ClientId,
    draft: &R::Draft,
) -> Result<Saved<R::View>, ApiError> {
    let existing = R::find(conn, user_id, id.as_str())?
        .ok_or_else(|| ApiError::internal("an insert met a row that is not there"))?;
    if R::is_deleted(&existing) {
        return Err(ApiError::Conflict(
            "An entry with this id was deleted; create it with a new id.".into(),
        ));
    }
    if stored_draft::<R>(&existing).as_ref() == Some(draft) {
        return Ok(Saved::Existing(R::view(&existing)));
    }
    Err(ApiError::Conflict(
        "An entry with this id exists with other values; change it with PATCH.".into(),
    ))
}

/// A malformed id cannot name anything of the user's: it answers 404 like a missing one.
fn lookup_id(raw: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(raw).map_err(|_| ApiError::NotFound)
}

fn live<R: Resource>(row: Option<R::Row>) -> Result<R::Row, ApiError> {
    row.filter(|row| !R::is_deleted(row))
        .ok_or(ApiError::NotFound)
}

pub async fn get<R: Resource>(
    state: &AppState,
    user: PatientToken,
    id: String,
) -> Result<R::View, ApiError> {
    let id = lookup_id(&id)?;
    user.db(state, move |conn, user_id| {
        let row = live::<R>(R::find(conn, user_id, id.as_str())?)?;
        Ok(R::view(&row))
    })
    .await
}

/// Changes an entry with a JSON merge patch (RFC 7396): the fields sent replace the stored
/// ones, `null` clears an optional field, the result is validated as a whole. A patch that
/// changes nothing writes nothing.
pub async fn update<R: Resource>(
    state: &AppState,
    user: PatientToken,
    id: String,
    patch: serde_json::Value,
) -> Result<R::View, ApiError> {
    let id = lookup_id(&id)?;
    let serde_json::Value::Object(patch) = patch else {
        return Err(ApiError::BadRequest(
            "A PATCH body must be a JSON object.".into(),
        ));
    };
    // Lock, then read: a PATCH merged over a row read before a concurrent write committed
    // would write the stale fields (or a deleted row) back.
    user.write(state, 1, move |conn, user_id, reservation| {
        let existing = live::<R>(R::find(conn, user_id, id.as_str())?)?;
        let input: R::Input = merge_patch(&R::input_from_row(&existing), patch)?;
        if R::input_id(&input) != Some(id.as_str()) {
            return Err(ApiError::invalid("id", "cannot be changed"));
        }
        let draft = R::parse(&input, Utc::now()).map_err(validation)?;
        if stored_draft::<R>(&existing).as_ref() == Some(&draft) {
            return Ok(R::view(&existing));
        }
        let related = R::related(conn, user_id, &[&draft])?;
        let meta = RowMeta::new(user_id, &id, &reservation)?;
        let row = R::build_row(draft, meta, Some(&existing), &related)?;
        R::update(conn, &row)?;
        Ok(R::view(&row))
    })
    .await
}

/// Deletes an entry: it leaves lists at once, and a tombstone stays so that synced phones
/// learn of the deletion.
pub async fn delete<R: Resource>(
    state: &AppState,
    user: PatientToken,
    id: String,
) -> Result<(), ApiError> {
    let id = lookup_id(&id)?;
    user.write(state, 1, move |conn, user_id, reservation| {
        let existing = live::<R>(R::find(conn, user_id, id.as_str())?)?;
        R::update(
            conn,
            &R::tombstone(&existing, reservation.first_version, db::now()),
        )?;
        R::after_delete(conn, user_id, std::slice::from_ref(&existing))?;
        Ok(())
    })
    .await
}

pub async fn list<R: Resource>(
    state: &AppState,
    user: PatientToken,
    params: ListParams,
) -> Result<Page<R::View>, ApiError> {
    let (filter, limit) = params.parse()?;
    user.read(state, move |conn, patient| {
        // One more than asked tells whether there is a next page.
        let rows = R::list_for_patient(conn, patient, &filter, limit + 1)?;
        Ok(page_of::<R>(rows, limit))
    })
    .await
}

/// One page of a list, read on `conn` (in the caller's transaction).
pub fn list_on<R: Resource>(
    conn: &mut DbConn,
    user_id: &UserId,
    filter: &ListFilter,
    limit: i64,
) -> Result<Page<R::View>, ApiError> {
    // One more than asked tells whether there is a next page.
    let rows = R::list(conn, user_id, filter, limit + 1)?;
    Ok(page_of::<R>(rows, limit))
}

/// The page shown for `rows`, read with one more than `limit` to tell whether a next page
/// exists.
fn page_of<R: Resource>(mut rows: Vec<R::Row>, limit: i64) -> Page<R::View> {
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|row| paging::encode_cursor(&R::sort_key(row)))
    } else {
        None
    };
    Page {
        items: rows.iter().map(R::view).collect(),
        next_cursor,
    }
}

/// Applies a JSON merge patch to `current` and reads the result back as `T`.
fn merge_patch<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<T, ApiError> {
    let mut merged = serde_json::to_value(current).map_err(ApiError::internal)?;
    let object = merged
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("an input is not a JSON object"))?;
    for (key, value) in patch {
        object.insert(key, value);
    }
    serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")))
}

/// The local day of an instant: kept from the stored row when the instant did not change, so
/// that a later timezone change never moves recorded days.
pub fn local_date_for(
    instant: NaiveDateTime,
    timezone: &Timezone,
    previous: Option<(NaiveDateTime, chrono::NaiveDate)>,
) -> chrono::NaiveDate {
    match previous {
        Some((previous_instant, previous_date)) if previous_instant == instant => previous_date,
        _ => crate::domain::journal::local_date(instant, timezone),
    }
}

/// The instant a tombstone holds instead of the entry's own (its time is a health value too).
pub fn cleared_instant() -> NaiveDateTime {
    DateTime::UNIX_EPOCH.naive_utc()
}

/// The local day a tombstone holds instead of the entry's own.
pub fn cleared_date() -> chrono::NaiveDate {
    cleared_instant().date()
}

/// An instant as the API shows it: RFC 3339 in UTC.
pub fn rfc3339(instant: NaiveDateTime) -> String {
    instant::Instant(instant).to_string()
}
