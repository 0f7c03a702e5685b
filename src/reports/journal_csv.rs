//! One journal table as CSV (RFC 4180, header row), streamed page by page from one read
//! snapshot, so a five-year journal is never held in memory whole — nor twice.
//!
//! Cells come from the same view the JSON API answers (ISO instants in UTC beside the local
//! date), so the two never disagree. Text that a spreadsheet would run as a formula (starting
//! with `= + - @`, tab or CR) gets a leading `'`; numbers are written as numbers.

use actix_web::web::Bytes;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::db::journal::ListFilter;
use crate::db::DbConn;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::state::AppState;
use crate::sync::{visit_all, SyncTable, TableVisitor};

/// Rows read and written per step.
const PAGE_ROWS: i64 = 1000;
/// Pages written ahead of a slow reader (bounds the memory of one download).
const PAGES_AHEAD: usize = 2;

/// A journal table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JournalTable {
    PainEntries,
    Medications,
    MedicationIntakes,
    MassageSessions,
    CheckIns,
}

impl JournalTable {
    pub fn name(self) -> &'static str {
        match self {
            JournalTable::PainEntries => "pain_entries",
            JournalTable::Medications => "medications",
            JournalTable::MedicationIntakes => "medication_intakes",
            JournalTable::MassageSessions => "massage_sessions",
            JournalTable::CheckIns => "check_ins",
        }
    }

    /// The columns, in the order of the JSON view's fields.
    pub fn columns(self) -> &'static [&'static str] {
        const BOOKKEEPING: [&str; 3] = ["version", "created_at", "updated_at"];
        match self {
            JournalTable::PainEntries => &[
                "id",
                "recorded_at",
                "local_date",
                "intensity",
                "back_pain",
                "leg_pain",
                "regions",
                "qualities",
                "triggers",
                "notes",
                BOOKKEEPING[0],
                BOOKKEEPING[1],
                BOOKKEEPING[2],
            ],
            JournalTable::Medications => &[
                "id",
                "name",
                "drug_class",
                "opioid",
                "strength",
                "strength_unit",
                "form",
                "active",
                BOOKKEEPING[0],
                BOOKKEEPING[1],
                BOOKKEEPING[2],
            ],
            JournalTable::MedicationIntakes => &[
                "id",
                "medication_id",
                "taken_at",
                "local_date",
                "quantity",
                "notes",
                "dose_mg",
                "mme",
                "mme_table",
                BOOKKEEPING[0],
                BOOKKEEPING[1],
                BOOKKEEPING[2],
            ],
            JournalTable::MassageSessions => &[
                "id",
                "started_at",
                "local_date",
                "duration_min",
                "kind",
                "pressure",
                "therapist",
                "regions",
                "pain_before",
                "pain_after",
                "soreness_next_day",
                "notes",
                BOOKKEEPING[0],
                BOOKKEEPING[1],
                BOOKKEEPING[2],
            ],
            JournalTable::CheckIns => &[
                "id",
                "answered_at",
                "local_date",
                "kind",
                "items",
                "score",
                BOOKKEEPING[0],
                BOOKKEEPING[1],
                BOOKKEEPING[2],
            ],
        }
    }
}

/// Text a spreadsheet would not run: a leading `'` before a formula character.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// One cell: empty for null, lists joined with `;`, text neutralised, numbers as they are.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => neutralise(text).into_owned(),
        Some(Value::Array(items)) => {
            let joined: Vec<String> = items.iter().map(|item| cell(Some(item))).collect();
            neutralise(&joined.join(";")).into_owned()
        }
        Some(other) => other.to_string(),
    }
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Bytes, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    Ok(Bytes::from(bytes))
}

type Chunk = Result<Bytes, ApiError>;

/// Writes the table's pages into `out`, newest first, until done or the reader is gone.
struct PageWriter<'a> {
    conn: &'a mut DbConn,
    user_id: &'a UserId,
    table: JournalTable,
    filter: ListFilter,
    out: &'a mpsc::Sender<Chunk>,
}

impl TableVisitor for PageWriter<'_> {
    type Error = ApiError;

    fn visit<R: SyncTable>(&mut self) -> Result<(), ApiError> {
        if R::TABLE != self.table.name() {
            return Ok(());
        }
        let columns = self.table.columns();
        let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        if self.out.blocking_send(csv_bytes(&[header])).is_err() {
            return Ok(());
        }
        let mut filter = self.filter.clone();
        loop {
            let rows = R::list(self.conn, self.user_id, &filter, PAGE_ROWS)?;
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    let view = serde_json::to_value(R::view(row)).unwrap_or(Value::Null);
                    columns.iter().map(|c| cell(view.get(c))).collect()
                })
                .collect();
            if self.out.blocking_send(csv_bytes(&cells)).is_err() {
                return Ok(()); // The client went away: nothing more to read.
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE_ROWS => {
                    filter.before = Some(R::sort_key(last));
                }
                _ => return Ok(()),
            }
        }
    }
}

/// The CSV of `table` for `filter`'s days, as a stream of chunks. It reads in one snapshot
/// on a blocking thread and hands over a page at a time; an error after the first chunk ends
/// the stream early (the answer's status is already sent).
pub fn stream(
    state: actix_web::web::Data<AppState>,
    user_id: UserId,
    table: JournalTable,
    filter: ListFilter,
) -> impl Stream<Item = Chunk> {
    let (tx, rx) = mpsc::channel::<Chunk>(PAGES_AHEAD);
    actix_web::rt::spawn(async move {
        let out = tx.clone();
        let done = state
            .db(move |conn| {
                conn.read_transaction(|conn| {
                    visit_all(&mut PageWriter {
                        conn,
                        user_id: &user_id,
                        table,
                        filter,
                        out: &out,
                    })
                })
            })
            .await;
        if let Err(error) = done {
            let _ = tx.send(Err(error)).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_neutralised_and_numbers_left_alone() {
        for text in ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(Some(&json!(text))), format!("'{text}"));
        }
        assert_eq!(cell(Some(&json!("fine = text"))), "fine = text");
        assert_eq!(cell(Some(&json!(-2.5))), "-2.5");
        assert_eq!(cell(Some(&json!(null))), "");
        assert_eq!(cell(None), "");
        assert_eq!(cell(Some(&json!(["a", "b"]))), "a;b");
        assert_eq!(cell(Some(&json!([3, null, 4]))), "3;;4");
        assert_eq!(cell(Some(&json!(true))), "true");
    }

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        let bytes =
            csv_bytes(&[vec!["a,b".into(), "say \"hi\"".into(), "two\nlines".into()]]).unwrap();
        assert_eq!(&bytes[..], b"\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }
}
