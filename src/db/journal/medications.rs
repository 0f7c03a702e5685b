//! `medications`: the patient's own list of painkillers.

use chrono::NaiveDateTime;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = medications, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MedicationRow {
    pub user_id: String,
    pub id: String,
    pub name: String,
    pub drug_class: String,
    pub opioid: Option<String>,
    pub strength: f64,
    pub strength_unit: String,
    pub form: String,
    pub active: bool,
    // Inserted as its own value (`journal_queries!`): a one-statement create sets it from
    // the number it reserves in the same statement.
    #[diesel(skip_insertion)]
    pub version: i64,
    pub deleted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

// A rowid table on SQLite: its PRIMARY KEY (user_id, id) is an index SQLite names itself.
super::journal_queries!(medications, MedicationRow, created_at, dated: false, by_id: "sqlite_autoindex_medications_1");
