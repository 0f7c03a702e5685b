//! `check_ins`: questionnaires (PEG weekly, Oswestry monthly), scored by the server.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = check_ins, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CheckInRow {
    pub user_id: String,
    pub id: String,
    pub answered_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub kind: String,
    pub items: String,
    pub score: f64,
    // Inserted as its own value (`journal_queries!`): a one-statement create sets it from
    // the number it reserves in the same statement.
    #[diesel(skip_insertion)]
    pub version: i64,
    pub deleted: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

super::journal_queries!(check_ins, CheckInRow, answered_at, dated: true, by_id: "check_ins_user_id");
