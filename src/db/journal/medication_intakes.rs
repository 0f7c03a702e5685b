//! `medication_intakes`: one dose taken, with the dose and MME derived when it was written.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = medication_intakes, treat_none_as_null = true, treat_none_as_default_value = false)]
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
    // Inserted as its own value (`journal_queries!`): a one-statement create sets it from
    // the number it reserves in the same statement.
    #[diesel(skip_insertion)]
    pub version: i64,
    pub deleted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

super::journal_queries!(medication_intakes, MedicationIntakeRow, taken_at, dated: true, by_id: "medication_intakes_user_id");

/// The live intakes of these medications (what deleting the medications takes with them).
pub fn live_of_medications(
    conn: &mut DbConn,
    user_id: &UserId,
    medication_ids: &[String],
) -> QueryResult<Vec<MedicationIntakeRow>> {
    let mut rows = Vec::new();
    for chunk in medication_ids.chunks(crate::db::journal::IDS_PER_QUERY) {
        rows.extend(match &mut *conn {
            DbConn::Pg(engine) => {
                live_of_medications_query_pg(user_id, chunk).load::<MedicationIntakeRow>(engine)?
            }
            DbConn::Sqlite(engine) => live_of_medications_query_sqlite(user_id, chunk)
                .load::<MedicationIntakeRow>(engine)?,
        });
    }
    Ok(rows)
}

/// The PostgreSQL statement of [`live_of_medications`]: one probe of the
/// (user_id, medication_id) index per medication, whatever plan is cached (see
/// `journal::by_ids`).
pub fn live_of_medications_query_pg<'a>(
    user_id: &'a UserId,
    medication_ids: &'a [String],
) -> crate::db::journal::by_ids::PgByKeys<
    'a,
    medication_intakes::table,
    <medication_intakes::table as diesel::Table>::AllColumns,
> {
    crate::db::journal::by_ids::PgByKeys {
        table: medication_intakes::table,
        columns: medication_intakes::all_columns,
        key: "medication_id",
        live_only: true,
        user_id: user_id.as_str(),
        keys: medication_ids,
    }
}

/// The SQLite statement of [`live_of_medications`], through the (user_id, medication_id)
/// index (see `journal::by_ids`), so a test can read its plan.
pub fn live_of_medications_query_sqlite(
    user_id: &UserId,
    medication_ids: &[String],
) -> crate::db::journal::by_ids::SqliteByKeys<
    medication_intakes::table,
    <medication_intakes::table as diesel::Table>::AllColumns,
> {
    crate::db::journal::by_ids::SqliteByKeys {
        table: medication_intakes::table,
        columns: medication_intakes::all_columns,
        index: "medication_intakes_user_medication",
        key: "medication_id",
        live_only: true,
        user_id: user_id.as_str().to_owned(),
        keys: crate::db::journal::by_ids::keys_json(medication_ids),
    }
}
