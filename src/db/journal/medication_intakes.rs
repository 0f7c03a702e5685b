//! `medication_intakes`: one dose taken, with the dose and MME derived when it was written.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = medication_intakes, treat_none_as_null = true)]
pub struct MedicationIntakeRow {
    pub user_id: String,
    pub id: String,
    pub medication_id: String,
    pub taken_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub quantity: f64,
    pub notes: Option<String>,
    pub dose_mg: Option<f64>,
    pub mme: Option<f64>,
    pub mme_table: Option<String>,
    pub version: i64,
    pub deleted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

super::journal_queries!(medication_intakes, MedicationIntakeRow, taken_at, dated: true);
