//! How each journal kind syncs: its table name and which fields change shape on the wire.

use super::SyncTable;
use crate::db::journal::{
    check_ins, massage_sessions, medication_intakes, medications, pain_entries,
};
use crate::journal::check_ins::CheckIns;
use crate::journal::massage_sessions::MassageSessions;
use crate::journal::medication_intakes::MedicationIntakes;
use crate::journal::medications::Medications;
use crate::journal::pain_entries::PainEntries;

/// Writes the row accessors of a [`SyncTable`].
macro_rules! sync_rows {
    (@local_date dated, $row:ident, $history:ident) => {
        if let Some(date) = $history.local_date {
            $row.local_date = date;
        }
    };
    (@local_date undated, $row:ident, $history:ident) => {};
    ($table:ident, $dated:tt) => {
        fn restore_history(row: &mut Self::Row, history: &super::History) {
            row.created_at = history.created_at.unwrap_or(row.created_at);
            row.updated_at = history.updated_at.unwrap_or(row.updated_at);
            sync_rows!(@local_date $dated, row, history);
        }

        fn row_id(row: &Self::Row) -> &str {
            &row.id
        }

        fn row_version(row: &Self::Row) -> i64 {
            row.version
        }

        fn changed_since(
            conn: &mut crate::db::DbConn,
            user_id: &crate::domain::UserId,
            since: i64,
            everything_live: bool,
            limit: i64,
        ) -> diesel::QueryResult<Vec<Self::Row>> {
            $table::changed_since(conn, user_id, since, everything_live, limit)
        }
    };
}

impl SyncTable for Medications {
    const TABLE: &'static str = "medications";
    const INPUT_FIELDS: &'static [&'static str] = &[
        "name",
        "drug_class",
        "opioid",
        "strength",
        "strength_unit",
        "form",
        "active",
    ];
    const INSTANT_FIELDS: &'static [&'static str] = &[];
    const JSON_TEXT_FIELDS: &'static [&'static str] = &[];
    sync_rows!(medications, undated);
}

impl SyncTable for PainEntries {
    const TABLE: &'static str = "pain_entries";
    const INPUT_FIELDS: &'static [&'static str] = &[
        "recorded_at",
        "intensity",
        "back_pain",
        "leg_pain",
        "regions",
        "qualities",
        "triggers",
        "notes",
    ];
    const INSTANT_FIELDS: &'static [&'static str] = &["recorded_at"];
    const JSON_TEXT_FIELDS: &'static [&'static str] = &["regions", "qualities", "triggers"];
    sync_rows!(pain_entries, dated);
}

impl SyncTable for MedicationIntakes {
    const TABLE: &'static str = "medication_intakes";
    const INPUT_FIELDS: &'static [&'static str] =
        &["medication_id", "taken_at", "quantity", "notes"];
    const INSTANT_FIELDS: &'static [&'static str] = &["taken_at"];
    const JSON_TEXT_FIELDS: &'static [&'static str] = &[];
    sync_rows!(medication_intakes, dated);
}

impl SyncTable for MassageSessions {
    const TABLE: &'static str = "massage_sessions";
    const INPUT_FIELDS: &'static [&'static str] = &[
        "started_at",
        "duration_min",
        "kind",
        "pressure",
        "therapist",
        "regions",
        "pain_before",
        "pain_after",
        "soreness_next_day",
        "notes",
    ];
    const INSTANT_FIELDS: &'static [&'static str] = &["started_at"];
    const JSON_TEXT_FIELDS: &'static [&'static str] = &["regions"];
    sync_rows!(massage_sessions, dated);
}

impl SyncTable for CheckIns {
    const TABLE: &'static str = "check_ins";
    const INPUT_FIELDS: &'static [&'static str] = &["answered_at", "kind", "items"];
    const INSTANT_FIELDS: &'static [&'static str] = &["answered_at"];
    const JSON_TEXT_FIELDS: &'static [&'static str] = &["items"];
    sync_rows!(check_ins, dated);
}

/// Something done for each synced table, in dependency order (medications before intakes).
pub trait TableVisitor {
    type Error;
    fn visit<R: SyncTable>(&mut self) -> Result<(), Self::Error>;
}

pub const TABLE_NAMES: [&str; 5] = [
    "medications",
    "pain_entries",
    "medication_intakes",
    "massage_sessions",
    "check_ins",
];

pub fn visit_all<V: TableVisitor>(visitor: &mut V) -> Result<(), V::Error> {
    visitor.visit::<Medications>()?;
    visitor.visit::<PainEntries>()?;
    visitor.visit::<MedicationIntakes>()?;
    visitor.visit::<MassageSessions>()?;
    visitor.visit::<CheckIns>()
}
