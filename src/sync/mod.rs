//! Offline sync, wire-compatible with WatermelonDB (DESIGN.md §5).
//!
//! The cursor is the user's change counter: every write takes numbers from it under the
//! user's row lock, so per user the numbers follow commit order and each row version is
//! unique. A pull answers the rows whose `version` is above the client's `last_pulled_at`, read
//! in one snapshot; a push applies a device's changes in one transaction.
//!
//! Outcomes we chose:
//! - **Conflicts**: a pushed record whose server row changed after `last_pulled_at` *to
//!   different values* (or a push onto a row deleted after it) answers 409 and applies nothing;
//!   the app pulls, WatermelonDB merges per column (local changes win for the columns the
//!   device changed) and pushes again. A push whose records equal what the server holds is no
//!   conflict: that is a retry of a push whose answer was lost, and it changes nothing.
//! - **Delete vs edit**: deletion wins. An edit pushed onto a deleted row is refused (409, or
//!   a rejection when the device already pulled the deletion), and a delete pushed after
//!   another device's edit is applied once the deleting device has pulled that edit.
//!   WatermelonDB itself keeps a local deletion over a pulled update, and drops a local edit
//!   when the row comes back deleted, so both devices converge on the tombstone.
//! - **Invalid records** are rejected one by one (`experimentalRejectedIds` + `rejected`);
//!   everything valid in the same push is applied.
//! - **`migration`** (sent by WatermelonDB after a schema migration): the server sends every
//!   live row again (as on a first sync), plus the deletions after `last_pulled_at`, so new
//!   tables and columns are filled; records always carry all columns.

pub mod records;
mod tables;

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::auth::PatientToken;
use crate::db::{self, change_seq, sync_receipts, users, DbConn};
use crate::domain::journal::ClientId;
use crate::domain::{FieldError, Timezone, UserId};
use crate::error::ApiError;
use crate::journal::{Resource, RowMeta};
use crate::state::AppState;
pub use tables::{visit_all, TableVisitor, TABLE_NAMES};

/// A journal kind that syncs.
pub trait SyncTable: Resource {
    const TABLE: &'static str;
    /// Fields a pushed record may set (besides `id`).
    const INPUT_FIELDS: &'static [&'static str];
    /// Fields that travel as epoch milliseconds.
    const INSTANT_FIELDS: &'static [&'static str];
    /// Fields that travel as JSON text.
    const JSON_TEXT_FIELDS: &'static [&'static str];
    fn row_id(row: &Self::Row) -> &str;
    fn row_version(row: &Self::Row) -> i64;
    fn changed_since(
        conn: &mut DbConn,
        user_id: &UserId,
        since: i64,
        everything_live: bool,
        limit: i64,
    ) -> diesel::QueryResult<Vec<Self::Row>>;
    /// Puts back what an imported row had before: its local day and when it was first and
    /// last written (its version is always new: see `reports::import`).
    fn restore_history(row: &mut Self::Row, history: &History);
}

/// What an imported row keeps from its earlier life; `None` keeps the value just built.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub local_date: Option<chrono::NaiveDate>,
    pub created_at: Option<chrono::NaiveDateTime>,
    pub updated_at: Option<chrono::NaiveDateTime>,
}

/// Replayed pushes are kept this long.
pub const IDEMPOTENCY_WINDOW: chrono::Duration = chrono::Duration::hours(24);
pub const MAX_PULL_LIMIT: i64 = 10_000;
/// Full pulls (a first sync, a migration) built at once by one server. Each holds the whole
/// journal in memory while it is read and written out (~65 MB for five busy years); sixteen
/// phones doing their first sync together took the server past 1 GiB. One at a time keeps
/// memory bounded; they are rare, and the other core serves everyone else meanwhile.
pub const FULL_PULLS_AT_ONCE: usize = 1;
/// Cursors stay below 2^53 so JavaScript numbers hold them exactly.
pub const MAX_CURSOR: i64 = (1 << 53) - 1;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// The `timestamp` of the last pull; absent, empty, `null` or 0 for a first sync.
    #[param(pattern = r"^(|null|undefined|0|[1-9][0-9]{0,14})$")]
    pub last_pulled_at: Option<String>,
    /// The app's schema version (accepted; every record carries all columns).
    pub schema_version: Option<String>,
    /// WatermelonDB's migration info (JSON) after a schema migration: when present and not
    /// null, every live row is sent again.
    pub migration: Option<String>,
    /// At most this many rows; then `has_more` tells whether to pull again.
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
}

/// Changes of one table.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct TableChanges {
    /// Always empty: live rows go in `updated` (the app sets `sendCreatedAsUpdated`).
    pub created: Vec<Value>,
    // Held as JSON text: as `Value` maps, one per record, a first sync of years of journal
    // took several times the memory.
    #[schema(value_type = Vec<Value>)]
    pub updated: Vec<Box<RawValue>>,
    /// Ids of rows deleted since `last_pulled_at`.
    pub deleted: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "changes": {
        "pain_entries": {"created": [], "updated": [{"id": "pe1", "recorded_at": 1795851000000_i64, "local_date": "2026-11-27", "intensity": 6, "regions": "[\"lower_back\"]", "qualities": "[]", "triggers": "[]", "notes": null, "back_pain": null, "leg_pain": null, "version": 12, "created_at": 1795851000000_i64, "updated_at": 1795851000000_i64}], "deleted": ["pe0"]},
        "medications": {"created": [], "updated": [], "deleted": []},
        "medication_intakes": {"created": [], "updated": [], "deleted": []},
        "massage_sessions": {"created": [], "updated": [], "deleted": []},
        "check_ins": {"created": [], "updated": [], "deleted": []}
    },
    "timestamp": 12,
    "has_more": false
}))]
pub struct PullResponse {
    pub changes: BTreeMap<String, TableChanges>,
    /// Pass as `last_pulled_at` next time (> 0).
    pub timestamp: i64,
    /// True when `limit` cut the answer: pull again from `timestamp`.
    pub has_more: bool,
}

/// One record that a push could not store, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rejection {
    pub table: String,
    pub id: String,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"experimentalRejectedIds": {"pain_entries": ["pe9"]}, "rejected": [{"table": "pain_entries", "id": "pe9", "field": "intensity", "reason": "must be a whole number from 0 to 10"}], "applied": 41}))]
pub struct PushResponse {
    /// Rejected ids by table, as WatermelonDB 0.28 reads them: those records stay unsynced on
    /// the phone.
    #[serde(rename = "experimentalRejectedIds")]
    pub experimental_rejected_ids: BTreeMap<String, Vec<String>>,
    pub rejected: Vec<Rejection>,
    /// Rows written (records equal to the stored ones are not rewritten).
    pub applied: usize,
}

/// Reads `last_pulled_at`, accepting exactly the documented pattern: digits without sign,
/// spaces or leading zeros, at most 15 of them (a counter never gets near 10^15, well below
/// 2^53).
pub fn parse_cursor(raw: Option<&str>) -> Result<i64, ApiError> {
    let bad = || ApiError::BadRequest("last_pulled_at: must be a whole number ≥ 0 or null".into());
    match raw {
        None | Some("") | Some("null") | Some("undefined") => Ok(0),
        Some(text) => {
            let plain = (1..=15).contains(&text.len())
                && text.bytes().all(|b| b.is_ascii_digit())
                && (text == "0" || !text.starts_with('0'));
            match text.parse::<i64>() {
                Ok(n) if plain && n <= MAX_CURSOR => Ok(n),
                _ => Err(bad()),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Pull

struct PullEntry {
    version: i64,
    table: &'static str,
    deleted: bool,
    id: String,
    record: Box<RawValue>,
}

struct Puller<'a> {
    conn: &'a mut DbConn,
    user_id: &'a UserId,
    since: i64,
    everything_live: bool,
    fetch: i64,
    entries: Vec<PullEntry>,
}

impl TableVisitor for Puller<'_> {
    type Error = ApiError;

    fn visit<R: SyncTable>(&mut self) -> Result<(), ApiError> {
        let rows = R::changed_since(
            self.conn,
            self.user_id,
            self.since,
            self.everything_live,
            self.fetch,
        )?;
        for row in &rows {
            self.entries.push(PullEntry {
                version: R::row_version(row),
                table: R::TABLE,
                deleted: R::is_deleted(row),
                id: R::row_id(row).to_owned(),
                record: serde_json::value::to_raw_value(&records::to_wire::<R>(&R::view(row)))
                    .map_err(ApiError::internal)?,
            });
        }
        Ok(())
    }
}

/// A pull's answer; a full pull holds its turn until the answer has been written out.
pub struct Pulled {
    pub response: PullResponse,
    turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Pulled {
    /// Whether this was a full pull (everything since 0, or every live row).
    pub fn was_full(&self) -> bool {
        self.turn.is_some()
    }
}

pub async fn pull(
    state: &AppState,
    user: PatientToken,
    params: PullParams,
) -> Result<Pulled, ApiError> {
    let since = parse_cursor(params.last_pulled_at.as_deref())?;
    let everything_live = params
        .migration
        .as_deref()
        .is_some_and(|m| !matches!(m.trim(), "" | "null" | "undefined"));
    let limit = match params.limit {
        None => None,
        Some(l) if (1..=MAX_PULL_LIMIT).contains(&l) => Some(l),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "limit: must be from 1 to 10000".into(),
            ))
        }
    };
    let turn = if since == 0 || everything_live {
        let turns = state.full_pulls.clone();
        Some(turns.acquire_owned().await.map_err(ApiError::internal)?)
    } else {
        None
    };
    let response = user
        .with_change_seq(state, move |conn, user_id, counter| {
            if since >= counter && !everything_live {
                // Nothing changed since the cursor: the counter was read with the session
                // check, so an up-to-date pull (most of them) makes that one trip.
                return Ok(PullResponse {
                    changes: empty_changes(),
                    timestamp: counter.max(1),
                    has_more: false,
                });
            }
            conn.read_transaction_planned_once(|conn| {
                // Read again inside the snapshot, so that the rows and the cursor agree.
                let counter = users::find(conn, user_id)?.change_seq;
                let mut puller = Puller {
                    conn,
                    user_id,
                    since,
                    everything_live,
                    // One more than asked tells whether there is more.
                    fetch: limit.map_or(i64::from(i32::MAX), |l| l + 1),
                    entries: Vec::new(),
                };
                visit_all(&mut puller)?;
                let mut entries = puller.entries;
                entries.sort_by_key(|e| e.version);
                let has_more = limit.is_some_and(|l| entries.len() as i64 > l);
                let timestamp = match limit {
                    Some(l) if has_more => {
                        entries.truncate(l as usize);
                        entries.last().map_or(counter, |e| e.version)
                    }
                    _ => counter,
                };
                let mut changes = empty_changes();
                for entry in entries {
                    let table = changes.entry(entry.table.to_owned()).or_default();
                    if entry.deleted {
                        table.deleted.push(entry.id);
                    } else {
                        table.updated.push(entry.record);
                    }
                }
                Ok(PullResponse {
                    changes,
                    timestamp: timestamp.max(1),
                    has_more,
                })
            })
        })
        .await?;
    Ok(Pulled { response, turn })
}

/// Every table, each with nothing in it: WatermelonDB expects all of them in a pull.
fn empty_changes() -> BTreeMap<String, TableChanges> {
    TABLE_NAMES
        .iter()
        .map(|t| ((*t).to_owned(), TableChanges::default()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Push

/// One table's part of a push, as sent.
#[derive(Debug, Default)]
struct TablePush {
    /// `created` and `updated` together: both mean "make the server row equal to this".
    records: Vec<(String, Map<String, Value>)>,
    deleted: Vec<String>,
}

/// Reads the `changes` object; a malformed structure is a 400 (a broken client, not a bad
/// record).
fn parse_changes(body: Value) -> Result<BTreeMap<String, TablePush>, ApiError> {
    let bad = |what: String| ApiError::BadRequest(format!("changes: {what}"));
    let Value::Object(mut object) = body else {
        return Err(bad("the body must be a JSON object".into()));
    };
    if let Some(key) = object.keys().find(|k| k.as_str() != "changes") {
        return Err(bad(format!(
            "unknown field `{key}`; send {{\"changes\": {{…}}}}"
        )));
    }
    let Some(Value::Object(changes)) = object.remove("changes") else {
        return Err(bad("missing or not an object".into()));
    };
    let mut tables = BTreeMap::new();
    for (table, value) in changes {
        if !TABLE_NAMES.contains(&table.as_str()) {
            let known = TABLE_NAMES.join(", ");
            return Err(bad(format!("unknown table `{table}`; tables are {known}")));
        }
        let Value::Object(lists) = value else {
            return Err(bad(format!("{table} must be an object")));
        };
        let mut push = TablePush::default();
        for (list, items) in lists {
            let Value::Array(items) = items else {
                return Err(bad(format!("{table}.{list} must be an array")));
            };
            match list.as_str() {
                "created" | "updated" => {
                    for item in items {
                        let Value::Object(record) = item else {
                            return Err(bad(format!("{table}.{list} holds a non-object")));
                        };
                        let Some(Value::String(id)) = record.get("id") else {
                            return Err(bad(format!(
                                "{table}.{list} holds a record without a string id"
                            )));
                        };
                        push.records.push((id.clone(), record));
                    }
                }
                "deleted" => {
                    for item in items {
                        let Value::String(id) = item else {
                            return Err(bad(format!("{table}.deleted must hold string ids")));
                        };
                        push.deleted.push(id);
                    }
                }
                other => return Err(bad(format!("{table}: unknown list `{other}`"))),
            }
        }
        tables.insert(table, push);
    }
    Ok(tables)
}

/// Hands out the versions reserved for a push, in order.
struct Versions {
    next: i64,
    timezone: Timezone,
}

struct Pusher<'a> {
    conn: &'a mut DbConn,
    user_id: &'a UserId,
    since: i64,
    tables: &'a BTreeMap<String, TablePush>,
    /// The records that conflict, as `table/id`.
    conflicts: Vec<String>,
    /// The versions reserved for this push (`None` when it writes nothing).
    versions: Option<Versions>,
    response: PushResponse,
    /// What the deletions of this push take with them, run once every table is applied.
    after_deletes: Vec<AfterDelete>,
}

type AfterDelete = Box<dyn FnOnce(&mut DbConn, &UserId) -> Result<(), ApiError>>;

fn reject(response: &mut PushResponse, table: &str, id: &str, error: FieldError) {
    response
        .experimental_rejected_ids
        .entry(table.to_owned())
        .or_default()
        .push(id.to_owned());
    response.rejected.push(Rejection {
        table: table.to_owned(),
        id: id.to_owned(),
        field: error.field,
        reason: error.reason,
    });
}

/// The pushed record as a draft, or why it cannot be one.
fn draft_of<R: SyncTable>(id: &str, record: &Map<String, Value>) -> Result<R::Draft, FieldError> {
    ClientId::parse(id).map_err(|reason| FieldError::new("id", reason))?;
    let input = records::from_wire::<R>(id, record)?;
    R::parse(&input, Utc::now()).map_err(|mut errors| errors.remove(0))
}

fn stored_draft<R: SyncTable>(row: &R::Row) -> Option<R::Draft> {
    R::parse(&R::input_from_row(row), Utc::now()).ok()
}

impl TablePush {
    /// The ids to look up: only well-formed ones (a malformed id names nothing stored, and
    /// PostgreSQL refuses some strings, e.g. with NUL, outright). Malformed ones are rejected
    /// record by record.
    fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .records
            .iter()
            .map(|(id, _)| id)
            .chain(&self.deleted)
            .filter(|id| ClientId::parse(id).is_ok())
            .cloned()
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl Pusher<'_> {
    /// The stored rows (live or tombstone) of every id the push names, by id: one query per
    /// few hundred ids instead of one per record.
    fn existing<R: SyncTable>(
        &mut self,
        push: &TablePush,
    ) -> Result<HashMap<String, R::Row>, ApiError> {
        let rows = R::find_many(self.conn, self.user_id, &push.ids())?;
        Ok(rows
            .into_iter()
            .map(|row| (R::row_id(&row).to_owned(), row))
            .collect())
    }

    fn check_conflicts<R: SyncTable>(
        &mut self,
        push: &TablePush,
        existing: &HashMap<String, R::Row>,
    ) {
        for (id, record) in &push.records {
            let Some(row) = existing.get(id) else {
                continue;
            };
            let changed_since_pull = R::row_version(row) > self.since;
            let conflict = if R::is_deleted(row) {
                changed_since_pull
            } else {
                changed_since_pull
                    && match draft_of::<R>(id, record) {
                        Ok(draft) => stored_draft::<R>(row).as_ref() != Some(&draft),
                        // Invalid: it will be rejected, not a conflict.
                        Err(_) => false,
                    }
            };
            if conflict {
                self.conflicts.push(format!("{}/{id}", R::TABLE));
            }
        }
        for id in &push.deleted {
            if let Some(row) = existing.get(id) {
                if !R::is_deleted(row) && R::row_version(row) > self.since {
                    self.conflicts.push(format!("{}/{id}", R::TABLE));
                }
            }
        }
    }

    fn apply<R: SyncTable>(
        &mut self,
        push: &TablePush,
        mut existing: HashMap<String, R::Row>,
    ) -> Result<(), ApiError> {
        let Some(versions) = self.versions.as_mut() else {
            return Err(ApiError::internal("push applied without reserved versions"));
        };
        // New rows are inserted together after the loop; a later record with the same id in
        // this push replaces the earlier one.
        let mut new_rows: Vec<R::Row> = Vec::new();
        let mut new_index: HashMap<String, usize> = HashMap::new();
        let drafts: Vec<(&String, Result<R::Draft, FieldError>)> = push
            .records
            .iter()
            .map(|(id, record)| (id, draft_of::<R>(id, record)))
            .collect();
        let valid: Vec<&R::Draft> = drafts.iter().filter_map(|(_, d)| d.as_ref().ok()).collect();
        let related = R::related(self.conn, self.user_id, &valid)?;
        for (id, draft) in drafts {
            let draft = match draft {
                Ok(draft) => draft,
                Err(error) => {
                    reject(&mut self.response, R::TABLE, id, error);
                    continue;
                }
            };
            let previous = existing.get(id);
            if let Some(row) = previous {
                if R::is_deleted(row) {
                    // Deleted before the device's last pull: it should have dropped the record.
                    reject(
                        &mut self.response,
                        R::TABLE,
                        id,
                        FieldError::new("id", "was deleted"),
                    );
                    continue;
                }
                if stored_draft::<R>(row).as_ref() == Some(&draft) {
                    continue;
                }
            }
            let client_id = ClientId::parse(id).map_err(ApiError::internal)?;
            let meta = RowMeta {
                user_id: self.user_id,
                id: &client_id,
                version: versions.next,
                timezone: versions.timezone,
                now: db::now(),
            };
            match R::build_row(draft, meta, previous, &related) {
                Ok(row) => {
                    versions.next += 1;
                    self.response.applied += 1;
                    if previous.is_some() {
                        R::update(self.conn, &row)?;
                        existing.insert(id.clone(), row);
                    } else if let Some(&index) = new_index.get(id) {
                        new_rows[index] = row;
                    } else {
                        new_index.insert(id.clone(), new_rows.len());
                        new_rows.push(row);
                    }
                }
                Err(ApiError::Validation(mut errors)) => {
                    reject(&mut self.response, R::TABLE, id, errors.remove(0));
                }
                Err(other) => return Err(other),
            }
        }
        R::insert_many(self.conn, &new_rows)?;
        if !push.deleted.is_empty() {
            // A record created and deleted in the same push.
            for row in new_rows {
                existing.insert(R::row_id(&row).to_owned(), row);
            }
        }
        let mut deleted_rows = Vec::new();
        for id in &push.deleted {
            if let Err(reason) = ClientId::parse(id) {
                reject(
                    &mut self.response,
                    R::TABLE,
                    id,
                    FieldError::new("id", reason),
                );
                continue;
            }
            if let Some(row) = existing.remove(id) {
                if !R::is_deleted(&row) {
                    R::update(self.conn, &R::tombstone(&row, versions.next, db::now()))?;
                    versions.next += 1;
                    self.response.applied += 1;
                    deleted_rows.push(row);
                }
            }
        }
        if !deleted_rows.is_empty() {
            self.after_deletes.push(Box::new(move |conn, user_id| {
                R::after_delete(conn, user_id, &deleted_rows)
            }));
        }
        Ok(())
    }
}

impl TableVisitor for Pusher<'_> {
    type Error = ApiError;

    fn visit<R: SyncTable>(&mut self) -> Result<(), ApiError> {
        let tables = self.tables;
        let Some(push) = tables.get(R::TABLE) else {
            return Ok(());
        };
        // One lookup serves both the conflict check and the writes. After a conflict the
        // remaining tables are only checked (to name every conflict); the transaction is then
        // rolled back, writes of earlier tables included.
        let existing = self.existing::<R>(push)?;
        self.check_conflicts::<R>(push, &existing);
        if self.conflicts.is_empty() && self.versions.is_some() {
            self.apply::<R>(push, existing)?;
        }
        Ok(())
    }
}

/// Checks an `Idempotency-Key` header value.
pub fn parse_idempotency_key(raw: &str) -> Result<String, ApiError> {
    let ok = (1..=200).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::BadRequest(
            "Idempotency-Key: must be 1–200 visible ASCII characters".into(),
        ))
    }
}

/// Applies a device's changes in one transaction (see the module doc for the rules).
pub async fn push(
    state: &AppState,
    user: PatientToken,
    last_pulled_at: Option<&str>,
    body: Value,
    idempotency_key: Option<String>,
) -> Result<PushResponse, ApiError> {
    let push = ParsedPush::new(last_pulled_at, body, idempotency_key)?;
    // The transaction opens with the user's row lock, taken by the statement that also checks
    // the session, before any read.
    user.write(
        state,
        push.first_reservation(),
        move |conn, user_id, reserved| push.apply(conn, user_id, reserved),
    )
    .await
}

/// [`push`] for the server's own tools (the demo journal): as the account's owner, with no
/// session to check.
pub async fn push_as_owner(
    state: &AppState,
    user_id: UserId,
    body: Value,
) -> Result<PushResponse, ApiError> {
    let push = ParsedPush::new(None, body, None)?;
    state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let reserved = change_seq::reserve(conn, &user_id, push.first_reservation())?;
                push.apply(conn, &user_id, reserved)
            })
        })
        .await
}

/// A push whose body has been read, ready to apply.
struct ParsedPush {
    since: i64,
    tables: BTreeMap<String, TablePush>,
    writes: usize,
    idempotency_key: Option<String>,
    /// The fingerprint of a push that may be replayed (one with an Idempotency-Key).
    request_hash: Option<String>,
}

impl ParsedPush {
    fn new(
        last_pulled_at: Option<&str>,
        body: Value,
        idempotency_key: Option<String>,
    ) -> Result<Self, ApiError> {
        let since = parse_cursor(last_pulled_at)?;
        let request_hash = idempotency_key
            .as_ref()
            .map(|_| hex::encode(Sha256::digest(format!("{since}\n{body}").as_bytes())));
        let tables = parse_changes(body)?;
        let writes = tables
            .values()
            .map(|t| t.records.len() + t.deleted.len())
            .sum();
        Ok(ParsedPush {
            since,
            tables,
            writes,
            idempotency_key,
            request_hash,
        })
    }

    /// The numbers to reserve with the user's row lock, which is taken before any read: a
    /// concurrent push with the same Idempotency-Key waits for it and then finds the first
    /// one's receipt. A push that may be a replay reserves nothing until it knows it is not
    /// one, so a replay moves no counter; a push without a key reserves its numbers at once.
    fn first_reservation(&self) -> i64 {
        if self.idempotency_key.is_some() {
            0
        } else {
            self.writes as i64
        }
    }

    /// Applies the push in the open transaction that reserved `reserved`
    /// ([`Self::first_reservation`]).
    fn apply(
        self,
        conn: &mut DbConn,
        user_id: &UserId,
        reserved: change_seq::Reservation,
    ) -> Result<PushResponse, ApiError> {
        let ParsedPush {
            since,
            tables,
            writes,
            idempotency_key,
            request_hash,
        } = self;
        let now = db::now();
        if let (Some(key), Some(hash)) = (&idempotency_key, &request_hash) {
            if let Some(receipt) =
                sync_receipts::find_fresh(conn, user_id, key, now - IDEMPOTENCY_WINDOW)?
            {
                if &receipt.request_hash != hash {
                    return Err(ApiError::Conflict(
                        "This Idempotency-Key was used for a different push.".into(),
                    ));
                }
                return serde_json::from_str(&receipt.response).map_err(ApiError::internal);
            }
        }
        // Numbers for every record up front (some may go unused: gaps are harmless); a
        // conflict rolls the reservation back with everything else.
        let reservation = if idempotency_key.is_some() {
            change_seq::reserve(conn, user_id, writes as i64)?
        } else {
            reserved
        };
        let versions = if writes > 0 {
            Some(Versions {
                next: reservation.first_version,
                timezone: Timezone::parse(&reservation.timezone).map_err(ApiError::internal)?,
            })
        } else {
            None
        };
        let mut pusher = Pusher {
            conn,
            user_id,
            since,
            tables: &tables,
            conflicts: Vec::new(),
            versions,
            response: PushResponse::default(),
            after_deletes: Vec::new(),
        };
        visit_all(&mut pusher)?;
        if !pusher.conflicts.is_empty() {
            return Err(ApiError::Conflict(format!(
                "Changed on the server since your last pull: {}. Pull, then push again.",
                pusher.conflicts.join(", ")
            )));
        }
        // After every table: a medication deleted in this push takes its intakes with
        // it even when the same push also changed them.
        for after_delete in std::mem::take(&mut pusher.after_deletes) {
            after_delete(pusher.conn, user_id)?;
        }
        let response = pusher.response;
        if let (Some(key), Some(request_hash)) = (idempotency_key, request_hash) {
            let receipt = sync_receipts::Receipt {
                user_id: user_id.to_string(),
                idempotency_key: key,
                request_hash,
                response: serde_json::to_string(&response).map_err(ApiError::internal)?,
                created_at: now,
            };
            sync_receipts::store(conn, &receipt, now - IDEMPOTENCY_WINDOW)?;
        }
        Ok(response)
    }
}
