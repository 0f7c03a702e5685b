//! Medications: the patient's own list of painkillers, with what one unit contains.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant::Instant;
use super::medication_intakes::MedicationIntakes;
use super::{delegate_queries, unreadable, Resource, RowMeta};
use crate::db::journal::medication_intakes as intakes_table;
use crate::db::journal::medications::{self as table, MedicationRow};
use crate::db::{change_seq, DbConn};
use crate::domain::journal::{DoseForm, DrugClass, Opioid, StrengthUnit};
use crate::domain::mme::DoseFacts;
use crate::domain::UserId;
use crate::domain::{FieldError, FieldErrors};
use crate::error::ApiError;

/// A medication as the client sends it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "med-oxy-5",
    "name": "Oxycodone 5 mg",
    "drug_class": "opioid",
    "opioid": "oxycodone",
    "strength": 5,
    "strength_unit": "mg",
    "form": "tablet",
    "active": true
}))]
pub struct MedicationInput {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub id: Option<String>,
    /// 1–200 characters, e.g. "Ibuprofen 400".
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `opioid`, `nsaid`, `acetaminophen`, `gabapentinoid`, `muscle_relaxant`,
    /// `corticosteroid`, `other`.
    #[schema(value_type = DrugClass)]
    pub drug_class: String,
    /// Required for opioids, absent otherwise: `codeine`, `hydrocodone`, `hydromorphone`,
    /// `methadone`, `morphine`, `oxycodone`, `oxymorphone`, `tapentadol`, `tramadol`,
    /// `fentanyl_patch`.
    #[schema(value_type = Option<Opioid>)]
    pub opioid: Option<String>,
    /// Amount in one unit of `form` (per ml for liquids), > 0.
    #[schema(exclusive_minimum = 0, maximum = 100000)]
    pub strength: f64,
    /// `mg` (default), or `mcg_per_hour` for a patch.
    #[serde(default = "default_unit")]
    #[schema(value_type = StrengthUnit)]
    pub strength_unit: String,
    /// `tablet`, `capsule`, `liquid_ml`, `patch`, `injection`, `other`.
    #[schema(value_type = DoseForm)]
    pub form: String,
    /// Still taken (default true); inactive ones stay in history.
    #[serde(default = "default_active")]
    pub active: bool,
}

fn default_unit() -> String {
    StrengthUnit::Mg.as_str().to_owned()
}

fn default_active() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Medication {
    pub id: String,
    pub name: String,
    pub drug_class: String,
    pub opioid: Option<String>,
    pub strength: f64,
    pub strength_unit: String,
    pub form: String,
    pub active: bool,
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Instant,
    #[schema(value_type = String)]
    pub updated_at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MedicationDraft {
    name: String,
    drug_class: DrugClass,
    opioid: Option<Opioid>,
    strength: f64,
    unit: StrengthUnit,
    form: DoseForm,
    active: bool,
}

pub const NAME_MAX_CHARS: usize = 200;
pub const MAX_STRENGTH: f64 = 100_000.0;

/// Like display names: the bounds hold for what was sent (the schema's `maxLength`), then
/// the spaces around it are dropped.
fn parse_name(raw: &str) -> Result<String, String> {
    if raw.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let name = raw.trim();
    if name.is_empty() || raw.chars().count() > NAME_MAX_CHARS {
        return Err(format!("must be 1 to {NAME_MAX_CHARS} characters"));
    }
    Ok(name.to_owned())
}

fn parse_strength(raw: f64) -> Result<f64, String> {
    if raw.is_finite() && raw > 0.0 && raw <= MAX_STRENGTH {
        Ok(raw)
    } else {
        Err(format!(
            "must be a number above 0 and at most {MAX_STRENGTH}"
        ))
    }
}

/// The dose arithmetic of a stored medication (for its intakes).
pub fn dose_facts(row: &MedicationRow) -> Option<DoseFacts> {
    Some(DoseFacts {
        opioid: row.opioid.as_deref().map(Opioid::parse).transpose().ok()?,
        strength: row.strength,
        unit: StrengthUnit::parse(&row.strength_unit).ok()?,
        form: DoseForm::parse(&row.form).ok()?,
    })
}

pub struct Medications;

impl Resource for Medications {
    type Row = MedicationRow;
    type Input = MedicationInput;
    type Draft = MedicationDraft;
    type View = Medication;
    type Related = ();

    fn input_id(input: &MedicationInput) -> Option<&str> {
        input.id.as_deref()
    }

    fn parse(
        input: &MedicationInput,
        _now: DateTime<Utc>,
    ) -> Result<MedicationDraft, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", parse_name(&input.name));
        let drug_class = errors.check("drug_class", DrugClass::parse(&input.drug_class));
        let opioid = errors.check(
            "opioid",
            input.opioid.as_deref().map(Opioid::parse).transpose(),
        );
        let strength = errors.check("strength", parse_strength(input.strength));
        let unit = errors.check("strength_unit", StrengthUnit::parse(&input.strength_unit));
        let form = errors.check("form", DoseForm::parse(&input.form));
        match (drug_class, opioid) {
            (Some(DrugClass::Opioid), Some(None)) => {
                errors.check::<()>(
                    "opioid",
                    Err("is required when drug_class is opioid".into()),
                );
            }
            (Some(class), Some(Some(_))) if class != DrugClass::Opioid => {
                errors.check::<()>("opioid", Err("is only for drug_class opioid".into()));
            }
            _ => {}
        }
        let is_patch_opioid = opioid == Some(Some(Opioid::FentanylPatch));
        match unit {
            Some(StrengthUnit::McgPerHour) if form != Some(DoseForm::Patch) => {
                errors.check::<()>(
                    "strength_unit",
                    Err("mcg_per_hour is only for form patch".into()),
                );
            }
            Some(StrengthUnit::Mg) if is_patch_opioid => {
                errors.check::<()>(
                    "strength_unit",
                    Err("a fentanyl patch is dosed in mcg_per_hour".into()),
                );
            }
            _ => {}
        }
        if is_patch_opioid && form.is_some() && form != Some(DoseForm::Patch) {
            errors.check::<()>("form", Err("a fentanyl patch has form patch".into()));
        }
        errors.into_result()?;
        let draft = || {
            Some(MedicationDraft {
                name: name?,
                drug_class: drug_class?,
                opioid: opioid?,
                strength: strength?,
                unit: unit?,
                form: form?,
                active: input.active,
            })
        };
        draft().ok_or_else(unreadable)
    }

    fn input_from_row(row: &MedicationRow) -> MedicationInput {
        MedicationInput {
            id: Some(row.id.clone()),
            name: row.name.clone(),
            drug_class: row.drug_class.clone(),
            opioid: row.opioid.clone(),
            strength: row.strength,
            strength_unit: row.strength_unit.clone(),
            form: row.form.clone(),
            active: row.active,
        }
    }

    fn build_row(
        draft: MedicationDraft,
        meta: RowMeta<'_>,
        previous: Option<&MedicationRow>,
        _related: &(),
    ) -> Result<MedicationRow, ApiError> {
        Ok(MedicationRow {
            user_id: meta.user_id.to_string(),
            id: meta.id.as_str().to_owned(),
            name: draft.name,
            drug_class: draft.drug_class.as_str().to_owned(),
            opioid: draft.opioid.map(|o| o.as_str().to_owned()),
            strength: draft.strength,
            strength_unit: draft.unit.as_str().to_owned(),
            form: draft.form.as_str().to_owned(),
            active: draft.active,
            version: meta.version,
            deleted: false,
            created_at: previous.map_or(meta.now, |p| p.created_at),
            updated_at: meta.now,
        })
    }

    /// Deleting a medication deletes its intakes: they would otherwise lose what they
    /// were (the tombstone keeps no class or strength), and a deleted medication's history
    /// cannot be told apart from a mistake. A medication stopped for good is set inactive.
    fn after_delete(
        conn: &mut DbConn,
        user_id: &UserId,
        deleted: &[MedicationRow],
    ) -> Result<(), ApiError> {
        let ids: Vec<String> = deleted.iter().map(|row| row.id.clone()).collect();
        let intakes = intakes_table::live_of_medications(conn, user_id, &ids)?;
        if intakes.is_empty() {
            return Ok(());
        }
        let reservation = change_seq::reserve(conn, user_id, intakes.len() as i64)?;
        let now = crate::db::now();
        for (version, intake) in (reservation.first_version..).zip(&intakes) {
            intakes_table::update(conn, &MedicationIntakes::tombstone(intake, version, now))?;
        }
        Ok(())
    }

    fn tombstone(row: &MedicationRow, version: i64, now: NaiveDateTime) -> MedicationRow {
        MedicationRow {
            user_id: row.user_id.clone(),
            id: row.id.clone(),
            name: String::new(),
            drug_class: String::new(),
            opioid: None,
            strength: 0.0,
            strength_unit: String::new(),
            form: String::new(),
            active: false,
            version,
            deleted: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn view(row: &MedicationRow) -> Medication {
        Medication {
            id: row.id.clone(),
            name: row.name.clone(),
            drug_class: row.drug_class.clone(),
            opioid: row.opioid.clone(),
            strength: row.strength,
            strength_unit: row.strength_unit.clone(),
            form: row.form.clone(),
            active: row.active,
            version: row.version,
            created_at: Instant(row.created_at),
            updated_at: Instant(row.updated_at),
        }
    }

    fn is_deleted(row: &MedicationRow) -> bool {
        row.deleted
    }

    fn sort_key(row: &MedicationRow) -> (NaiveDateTime, String) {
        (row.created_at, row.id.clone())
    }

    delegate_queries!(table, MedicationRow);
}
