//! Everything the person has, as one versioned JSON document (`GET /v1/export`): the profile
//! and every live journal row with its notes, as the API shows them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::accounts::Profile;
use crate::db::journal::ListFilter;
use crate::db::DbConn;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::journal::check_ins::CheckIn;
use crate::journal::massage_sessions::MassageSession;
use crate::journal::medication_intakes::MedicationIntake;
use crate::journal::medications::Medication;
use crate::journal::pain_entries::PainEntry;
use crate::sync::{visit_all, SyncTable, TableVisitor};

/// What `format` always says.
pub const FORMAT: &str = "pain-journal-export";
/// The document's version; a reader refuses versions it does not know.
pub const VERSION: u32 = 1;
/// Rows read per query.
const PAGE_ROWS: i64 = 5000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDocument {
    /// Always `pain-journal-export`.
    pub format: &'static str,
    /// The document's version (1).
    pub version: u32,
    /// When it was made (RFC 3339, UTC).
    pub exported_at: String,
    pub profile: Profile,
    /// Every live entry of each kind, newest first.
    pub journal: JournalTables,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct JournalTables {
    #[schema(value_type = Vec<Medication>)]
    pub medications: Vec<Value>,
    #[schema(value_type = Vec<PainEntry>)]
    pub pain_entries: Vec<Value>,
    #[schema(value_type = Vec<MedicationIntake>)]
    pub medication_intakes: Vec<Value>,
    #[schema(value_type = Vec<MassageSession>)]
    pub massage_sessions: Vec<Value>,
    #[schema(value_type = Vec<CheckIn>)]
    pub check_ins: Vec<Value>,
}

struct ReadAll<'a> {
    conn: &'a mut DbConn,
    user_id: &'a UserId,
    filter: &'a ListFilter,
    tables: BTreeMap<&'static str, Vec<Value>>,
}

impl TableVisitor for ReadAll<'_> {
    type Error = ApiError;

    fn visit<R: SyncTable>(&mut self) -> Result<(), ApiError> {
        let views = read_table::<R>(self.conn, self.user_id, self.filter)?;
        self.tables.insert(R::TABLE, views);
        Ok(())
    }
}

/// The user's live rows of one table within `filter`'s days, as the API shows them.
pub fn read_table<R: SyncTable>(
    conn: &mut DbConn,
    user_id: &UserId,
    filter: &ListFilter,
) -> Result<Vec<Value>, ApiError> {
    let mut filter = filter.clone();
    let mut views = Vec::new();
    loop {
        let rows = R::list(conn, user_id, &filter, PAGE_ROWS)?;
        for row in &rows {
            views.push(serde_json::to_value(R::view(row)).map_err(ApiError::internal)?);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE_ROWS => filter.before = Some(R::sort_key(last)),
            _ => return Ok(views),
        }
    }
}

/// Every live journal row of the user, read in one snapshot.
pub fn read_journal(conn: &mut DbConn, user_id: &UserId) -> Result<JournalTables, ApiError> {
    read_rows(conn, user_id, &ListFilter::default())
}

/// The user's live rows within `filter`'s days (medications have none: all of them).
pub fn read_rows(
    conn: &mut DbConn,
    user_id: &UserId,
    filter: &ListFilter,
) -> Result<JournalTables, ApiError> {
    let mut reader = ReadAll {
        conn,
        user_id,
        filter,
        tables: BTreeMap::new(),
    };
    visit_all(&mut reader)?;
    let mut take = |name: &str| reader.tables.remove(name).unwrap_or_default();
    Ok(JournalTables {
        medications: take("medications"),
        pain_entries: take("pain_entries"),
        medication_intakes: take("medication_intakes"),
        massage_sessions: take("massage_sessions"),
        check_ins: take("check_ins"),
    })
}
