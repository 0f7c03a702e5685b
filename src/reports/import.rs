//! `POST /v1/import`: an export document loaded into an account whose journal is empty, in
//! one transaction — every row or none.
//!
//! Each row goes through the same validation as a new entry (the document is input like any
//! other), keeps its id (ids are per user), its local day and when it was first and last
//! written, and gets a **new version** from the account's own counter: a device already
//! signed in to this account pulls what was imported on its next sync, which an older
//! version could slip under.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::export::{FORMAT, VERSION};
use crate::db::journal::ListFilter;
use crate::db::{change_seq, DbConn};
use crate::domain::journal::ClientId;
use crate::domain::{FieldError, Timezone, UserId};
use crate::error::ApiError;
use crate::journal::RowMeta;
use crate::sync::{visit_all, History, SyncTable, TableVisitor, TABLE_NAMES};

/// At most this many problems are reported for one document.
const MAX_REPORTED_ERRORS: usize = 100;

/// An export document (`GET /v1/export`); `profile` and `exported_at` are read but not
/// applied: the account keeps its own name, time zone and email.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportDocument {
    /// Must be `pain-journal-export`.
    #[schema(pattern = "^pain-journal-export$")]
    pub format: String,
    /// Must be 1.
    #[schema(minimum = 1, maximum = 1)]
    pub version: u32,
    #[serde(default)]
    pub exported_at: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub profile: Option<Value>,
    pub journal: ImportTables,
}

/// Rows per table as `GET /v1/export` writes them (fields the server derives — version,
/// MME, scores — are ignored and made again). A table left out has no rows.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportTables {
    #[schema(value_type = Option<Vec<Object>>)]
    pub medications: Option<Vec<Map<String, Value>>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub pain_entries: Option<Vec<Map<String, Value>>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub medication_intakes: Option<Vec<Map<String, Value>>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub massage_sessions: Option<Vec<Map<String, Value>>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub check_ins: Option<Vec<Map<String, Value>>>,
}

impl ImportDocument {
    /// Rows in the document, all tables.
    pub fn rows(&self) -> usize {
        self.journal.total()
    }
}

impl ImportTables {
    fn rows(&self, table: &str) -> &[Map<String, Value>] {
        let rows = match table {
            "medications" => &self.medications,
            "pain_entries" => &self.pain_entries,
            "medication_intakes" => &self.medication_intakes,
            "massage_sessions" => &self.massage_sessions,
            "check_ins" => &self.check_ins,
            _ => &None,
        };
        rows.as_deref().unwrap_or_default()
    }

    fn total(&self) -> usize {
        TABLE_NAMES.iter().map(|t| self.rows(t).len()).sum()
    }
}

/// How many rows of each kind were imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    pub imported: BTreeMap<String, usize>,
}

/// Checks what can be checked before touching the database: the format and the version.
pub fn check_document(document: &ImportDocument) -> Result<(), ApiError> {
    if document.format != FORMAT {
        return Err(ApiError::invalid(
            "format",
            format!("must be \"{FORMAT}\" (a pain-journal export)"),
        ));
    }
    if document.version != VERSION {
        return Err(ApiError::invalid(
            "version",
            format!("this server reads version {VERSION} documents"),
        ));
    }
    Ok(())
}

/// Loads the document's rows for `user_id` on `conn` (the caller's write transaction);
/// `progress` hears of each row checked (the CLI draws a bar with it).
pub fn load(
    conn: &mut DbConn,
    user_id: &UserId,
    document: &ImportDocument,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    let total = document.journal.total();
    // Lock the account first (STYLE 12), then look: a racing write cannot slip in between.
    let reservation = change_seq::reserve(conn, user_id, total as i64)?;
    let mut loader = Loader {
        conn,
        user_id,
        document,
        timezone: Timezone::parse(&reservation.timezone).map_err(ApiError::internal)?,
        next_version: reservation.first_version,
        now: crate::db::now(),
        errors: Vec::new(),
        imported: BTreeMap::new(),
        checking_empty: true,
        progress,
    };
    visit_all(&mut loader)?;
    loader.checking_empty = false;
    visit_all(&mut loader)?;
    if !loader.errors.is_empty() {
        loader.errors.truncate(MAX_REPORTED_ERRORS);
        return Err(ApiError::Validation(loader.errors));
    }
    Ok(ImportSummary {
        imported: loader.imported,
    })
}

struct Loader<'a> {
    conn: &'a mut DbConn,
    user_id: &'a UserId,
    document: &'a ImportDocument,
    timezone: Timezone,
    next_version: i64,
    now: NaiveDateTime,
    errors: Vec<FieldError>,
    imported: BTreeMap<String, usize>,
    /// The first pass only checks that the journal holds no live row.
    checking_empty: bool,
    progress: &'a mut dyn FnMut(u64),
}

fn instant(value: Option<&Value>) -> Option<NaiveDateTime> {
    let text = value?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).naive_utc())
}

fn date(value: Option<&Value>) -> Option<NaiveDate> {
    crate::domain::journal::parse_date(value?.as_str()?).ok()
}

/// Where in the document a problem is: `journal.<table>[i]` or `journal.<table>[i].<field>`.
fn field_path(table: &str, i: usize, field: &str) -> String {
    match field {
        "" => format!("journal.{table}[{i}]"),
        _ => format!("journal.{table}[{i}].{field}"),
    }
}

impl TableVisitor for Loader<'_> {
    type Error = ApiError;

    fn visit<R: SyncTable>(&mut self) -> Result<(), ApiError> {
        if self.checking_empty {
            return if R::list(self.conn, self.user_id, &ListFilter::default(), 1)?.is_empty() {
                Ok(())
            } else {
                Err(ApiError::Conflict(
                    "This account's journal is not empty: import into an account without entries."
                        .into(),
                ))
            };
        }
        let items = self.document.journal.rows(R::TABLE);
        let mut parsed = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            (self.progress)(1);
            let at = |field: &str| field_path(R::TABLE, i, field);
            // Only what a client may send; what the server derives (MME, scores) is derived
            // again, so a document cannot set it.
            let fields: Map<String, Value> = std::iter::once("id")
                .chain(R::INPUT_FIELDS.iter().copied())
                .filter_map(|f| item.get(f).map(|v| (f.to_owned(), v.clone())))
                .collect();
            let id = match item.get("id").and_then(Value::as_str).map(ClientId::parse) {
                Some(Ok(id)) => id,
                Some(Err(reason)) => {
                    self.errors.push(FieldError::new(at("id"), reason));
                    continue;
                }
                None => {
                    self.errors.push(FieldError::new(at("id"), "is required"));
                    continue;
                }
            };
            let input: R::Input = match serde_json::from_value(Value::Object(fields)) {
                Ok(input) => input,
                Err(e) => {
                    self.errors.push(FieldError::new(at(""), e.to_string()));
                    continue;
                }
            };
            let draft = match R::parse(&input, Utc::now()) {
                Ok(draft) => draft,
                Err(errors) => {
                    self.errors.extend(
                        errors
                            .into_iter()
                            .map(|e| FieldError::new(at(&e.field), e.reason)),
                    );
                    continue;
                }
            };
            parsed.push((i, item, id, draft));
        }
        let drafts: Vec<&R::Draft> = parsed.iter().map(|(_, _, _, draft)| draft).collect();
        let related = R::related(self.conn, self.user_id, &drafts)?;
        let mut rows = Vec::with_capacity(parsed.len());
        for (i, item, id, draft) in parsed {
            let at = |field: &str| field_path(R::TABLE, i, field);
            let meta = RowMeta {
                user_id: self.user_id,
                id: &id,
                version: self.next_version,
                timezone: self.timezone,
                now: self.now,
            };
            self.next_version += 1;
            let mut row = match R::build_row(draft, meta, None, &related) {
                Ok(row) => row,
                Err(ApiError::Validation(errors)) => {
                    self.errors.extend(
                        errors
                            .into_iter()
                            .map(|e| FieldError::new(at(&e.field), e.reason)),
                    );
                    continue;
                }
                Err(other) => return Err(other),
            };
            R::restore_history(
                &mut row,
                &History {
                    local_date: date(item.get("local_date")),
                    created_at: instant(item.get("created_at")),
                    updated_at: instant(item.get("updated_at")),
                },
            );
            rows.push(row);
        }
        if self.errors.is_empty() {
            R::insert_many(self.conn, &rows)?;
        }
        self.imported.insert(R::TABLE.to_owned(), rows.len());
        Ok(())
    }
}
