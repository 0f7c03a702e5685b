//! `massage_sessions`: a massage, professional or self-given, and how it felt.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = massage_sessions, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MassageSessionRow {
    pub user_id: String,
    pub id: String,
    pub started_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub duration_min: i32,
    pub kind: String,
    pub pressure: Option<String>,
    pub therapist: Option<String>,
    pub regions: String,
    pub pain_before: Option<i32>,
    pub pain_after: Option<i32>,
    pub soreness_next_day: Option<i32>,
    pub notes: Option<String>,
    // Inserted as its own value (`journal_queries!`): a one-statement create sets it from
    // the number it reserves in the same statement.
    #[diesel(skip_insertion)]
    pub version: i64,
    pub deleted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

super::journal_queries!(massage_sessions, MassageSessionRow, started_at, dated: true, by_id: "massage_sessions_user_id");
