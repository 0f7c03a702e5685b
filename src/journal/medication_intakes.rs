//! Medication intakes: a dose taken, with its mg and (for opioids) MME derived from the
//! medication when written, and the factor table's version stored beside it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant::Instant;
use super::medications::dose_facts;
use super::{
    cleared_date, cleared_instant, delegate_queries, local_date_for, rfc3339, unreadable, Resource,
    RowMeta,
};
use crate::db::journal::medication_intakes::{self as table, MedicationIntakeRow};
use crate::db::journal::medications::{self, MedicationRow};
use crate::db::DbConn;
use crate::domain::journal::{parse_instant, parse_text, ClientId, NOTES_MAX_CHARS};
use crate::domain::{mme, FieldError, FieldErrors, UserId};
use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "in-2026-11-27-0900",
    "medication_id": "med-oxy-5",
    "taken_at": "2026-11-27T09:00:00+01:00",
    "quantity": 1,
    "notes": null
}))]
pub struct MedicationIntakeInput {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub id: Option<String>,
    /// One of the user's own medications.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub medication_id: String,
    /// RFC 3339 with offset; at most 24 h ahead.
    #[schema(format = DateTime)]
    pub taken_at: String,
    /// Units of the medication's form (tablets, ml, patches), above 0 and at most 100.
    pub quantity: f64,
    #[schema(max_length = 4000, pattern = "^[^\\x00]*$")]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MedicationIntake {
    pub id: String,
    pub medication_id: String,
    #[schema(value_type = String)]
    pub taken_at: Instant,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "super::instant::serialize_date")]
    pub local_date: chrono::NaiveDate,
    pub quantity: f64,
    pub notes: Option<String>,
    /// strength × quantity, when the strength is in mg.
    pub dose_mg: Option<f64>,
    /// Morphine milligram equivalents, for opioids (a fentanyl patch: its 3 days of wear).
    pub mme: Option<f64>,
    /// The conversion table `mme` was computed with, e.g. `cdc-2022`.
    pub mme_table: Option<String>,
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Instant,
    #[schema(value_type = String)]
    pub updated_at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MedicationIntakeDraft {
    medication_id: ClientId,
    taken_at: NaiveDateTime,
    quantity: f64,
    notes: Option<String>,
}

pub const MAX_QUANTITY: f64 = 100.0;

fn parse_quantity(raw: f64) -> Result<f64, String> {
    if raw.is_finite() && raw > 0.0 && raw <= MAX_QUANTITY {
        Ok(raw)
    } else {
        Err(format!(
            "must be a number above 0 and at most {MAX_QUANTITY}"
        ))
    }
}

pub struct MedicationIntakes;

impl Resource for MedicationIntakes {
    type Row = MedicationIntakeRow;
    type Input = MedicationIntakeInput;
    type Draft = MedicationIntakeDraft;
    type View = MedicationIntake;
    type Related = HashMap<String, MedicationRow>;
    const READS_RELATED: bool = true;

    fn input_id(input: &MedicationIntakeInput) -> Option<&str> {
        input.id.as_deref()
    }

    fn parse(
        input: &MedicationIntakeInput,
        now: DateTime<Utc>,
    ) -> Result<MedicationIntakeDraft, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let medication_id = errors.check("medication_id", ClientId::parse(&input.medication_id));
        let taken_at = errors.check("taken_at", parse_instant(&input.taken_at, now));
        let quantity = errors.check("quantity", parse_quantity(input.quantity));
        let notes = errors.check("notes", parse_text(input.notes.as_deref(), NOTES_MAX_CHARS));
        errors.into_result()?;
        let draft = || {
            Some(MedicationIntakeDraft {
                medication_id: medication_id?,
                taken_at: taken_at?,
                quantity: quantity?,
                notes: notes?,
            })
        };
        draft().ok_or_else(unreadable)
    }

    fn input_from_row(row: &MedicationIntakeRow) -> MedicationIntakeInput {
        MedicationIntakeInput {
            id: Some(row.id.clone()),
            medication_id: row.medication_id.clone(),
            taken_at: rfc3339(row.taken_at),
            quantity: row.quantity,
            notes: row.notes.clone(),
        }
    }

    /// The user's own medications the drafts name (by id), read in one query.
    fn related(
        conn: &mut DbConn,
        user_id: &UserId,
        drafts: &[&MedicationIntakeDraft],
    ) -> Result<HashMap<String, MedicationRow>, ApiError> {
        let mut ids: Vec<String> = drafts
            .iter()
            .map(|d| d.medication_id.as_str().to_owned())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(medications::find_many(conn, user_id, &ids)?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect())
    }

    /// Derives the dose from the user's own, live medication; any other id is refused as if
    /// it did not exist.
    fn build_row(
        draft: MedicationIntakeDraft,
        meta: RowMeta<'_>,
        previous: Option<&MedicationIntakeRow>,
        medications: &HashMap<String, MedicationRow>,
    ) -> Result<MedicationIntakeRow, ApiError> {
        let medication = medications
            .get(draft.medication_id.as_str())
            .filter(|m| !m.deleted)
            .ok_or_else(|| ApiError::invalid("medication_id", "is not one of your medications"))?;
        let facts = dose_facts(medication)
            .ok_or_else(|| ApiError::internal("a stored medication has unknown values"))?;
        let derived = mme::derive(facts, draft.quantity);
        Ok(MedicationIntakeRow {
            user_id: meta.user_id.to_string(),
            id: meta.id.as_str().to_owned(),
            medication_id: draft.medication_id.as_str().to_owned(),
            local_date: local_date_for(
                draft.taken_at,
                &meta.timezone,
                previous.map(|p| (p.taken_at, p.local_date)),
            ),
            taken_at: draft.taken_at,
            quantity: draft.quantity,
            notes: draft.notes,
            dose_mg: derived.dose_mg,
            mme: derived.mme,
            mme_table: derived.mme_table.map(str::to_owned),
            version: meta.version,
            deleted: false,
            created_at: previous.map_or(meta.now, |p| p.created_at),
            updated_at: meta.now,
        })
    }

    fn tombstone(
        row: &MedicationIntakeRow,
        version: i64,
        now: NaiveDateTime,
    ) -> MedicationIntakeRow {
        // The medication id stays: the foreign key to the (tombstoned) medication needs it.
        MedicationIntakeRow {
            user_id: row.user_id.clone(),
            id: row.id.clone(),
            medication_id: row.medication_id.clone(),
            taken_at: cleared_instant(),
            local_date: cleared_date(),
            quantity: 0.0,
            notes: None,
            dose_mg: None,
            mme: None,
            mme_table: None,
            version,
            deleted: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn view(row: &MedicationIntakeRow) -> MedicationIntake {
        MedicationIntake {
            id: row.id.clone(),
            medication_id: row.medication_id.clone(),
            taken_at: Instant(row.taken_at),
            local_date: row.local_date,
            quantity: row.quantity,
            notes: row.notes.clone(),
            dose_mg: row.dose_mg,
            mme: row.mme,
            mme_table: row.mme_table.clone(),
            version: row.version,
            created_at: Instant(row.created_at),
            updated_at: Instant(row.updated_at),
        }
    }

    fn is_deleted(row: &MedicationIntakeRow) -> bool {
        row.deleted
    }

    fn sort_key(row: &MedicationIntakeRow) -> (NaiveDateTime, String) {
        (row.taken_at, row.id.clone())
    }

    delegate_queries!(table, MedicationIntakeRow);
}
