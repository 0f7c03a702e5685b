//! `pain_entries`: how much it hurt, where and how, at one moment.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pain_entries, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct PainEntryRow {
    pub user_id: String,
    pub id: String,
    pub recorded_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub intensity: i32,
    pub back_pain: Option<i32>,
    pub leg_pain: Option<i32>,
    pub regions: String,
    pub qualities: String,
    pub triggers: String,
    pub notes: Option<String>,
    // Inserted as its own value (`journal_queries!`): a one-statement create sets it from
    // the number it reserves in the same statement.
    #[diesel(skip_insertion)]
    pub version: i64,
    pub deleted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

super::journal_queries!(pain_entries, PainEntryRow, recorded_at, dated: true, by_id: "pain_entries_user_id");
