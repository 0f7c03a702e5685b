//! The day view: everything recorded on one of the user's local days.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::massage_sessions::{MassageSession, MassageSessions};
use super::medication_intakes::{MedicationIntake, MedicationIntakes};
use super::pain_entries::{PainEntries, PainEntry};
use super::Resource;
use crate::auth::PatientToken;
use crate::db::{journal::ListFilter, DbConn};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::state::AppState;

/// A day holds far fewer entries than this; the cap only bounds the answer.
const MAX_PER_KIND: i64 = 1000;

/// Everything recorded on one local day (not the insight's daily series, also called Day).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = JournalDay)]
pub struct Day {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// In time order, earliest first.
    pub pain_entries: Vec<PainEntry>,
    pub medication_intakes: Vec<MedicationIntake>,
    pub massage_sessions: Vec<MassageSession>,
}

fn on_day<R: Resource>(
    conn: &mut DbConn,
    user_id: &UserId,
    date: NaiveDate,
) -> Result<Vec<R::View>, ApiError> {
    let filter = ListFilter {
        from: Some(date),
        to: Some(date),
        before: None,
    };
    let rows = R::list(conn, user_id, &filter, MAX_PER_KIND)?;
    Ok(rows.iter().rev().map(R::view).collect())
}

pub async fn day(state: &AppState, user: PatientToken, date: NaiveDate) -> Result<Day, ApiError> {
    user.db(state, move |conn, user_id| {
        // One read transaction, so the three lists agree with each other.
        conn.read_transaction(|conn| {
            Ok(Day {
                date,
                pain_entries: on_day::<PainEntries>(conn, user_id, date)?,
                medication_intakes: on_day::<MedicationIntakes>(conn, user_id, date)?,
                massage_sessions: on_day::<MassageSessions>(conn, user_id, date)?,
            })
        })
    })
    .await
}
