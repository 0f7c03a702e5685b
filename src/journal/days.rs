//! The day view: everything recorded on one of the user's local days.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::massage_sessions::{MassageSession, MassageSessions};
use super::medication_intakes::{MedicationIntake, MedicationIntakes};
use super::pain_entries::{PainEntries, PainEntry};
use super::Resource;
use crate::auth::{Found, PatientToken};
use crate::db::sessions::PatientSession;
use crate::db::{journal::ListFilter, DbConn};
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

impl Found for Day {
    fn is_nothing(&self) -> bool {
        self.pain_entries.is_empty()
            && self.medication_intakes.is_empty()
            && self.massage_sessions.is_empty()
    }
}

/// Each list checks the session in its own statement (`list_for_patient`), so a signed-out
/// session gets three empty lists and then its 401 from [`PatientToken::read`]; no list
/// may skip the check, or a day of intakes alone would show a signed-out phone its intakes.
fn on_day<R: Resource>(
    conn: &mut DbConn,
    patient: &PatientSession,
    date: NaiveDate,
) -> Result<Vec<R::View>, ApiError> {
    let filter = ListFilter {
        from: Some(date),
        to: Some(date),
        before: None,
    };
    let rows = R::list_for_patient(conn, patient, &filter, MAX_PER_KIND)?;
    Ok(rows.iter().rev().map(R::view).collect())
}

/// Five trips on PostgreSQL: BEGIN, the three lists, COMMIT (a separate session check made
/// six); the check runs on its own only when the day is empty.
pub async fn day(state: &AppState, user: PatientToken, date: NaiveDate) -> Result<Day, ApiError> {
    user.read(state, move |conn, patient| {
        // One read transaction, so the three lists (and their session checks) agree.
        conn.read_transaction(|conn| {
            Ok(Day {
                date,
                pain_entries: on_day::<PainEntries>(conn, patient, date)?,
                medication_intakes: on_day::<MedicationIntakes>(conn, patient, date)?,
                massage_sessions: on_day::<MassageSessions>(conn, patient, date)?,
            })
        })
    })
    .await
}
