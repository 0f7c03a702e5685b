//! Look-ups of one person's rows by many ids (or medication ids) that probe the unique key
//! once per id, whatever the planner believes about the person.
//!
//! PostgreSQL: `user_id = $1 AND id = ANY($2)` is planned from the table's statistics. A
//! person who is new to them (a first sync that uploads years of journal in pushes of a few
//! hundred rows, before autovacuum analyses the table) is estimated to have a few dozen rows,
//! and the planner then reads *all* their rows through the (user_id, version) index and
//! filters them by id: each push of the same size cost more than the one before (4 ms per 100
//! ids at 30,000 rows where the primary key answers in 0.2 ms). Here every id is its own
//! lateral probe, and an equality on both columns of the unique key is always planned as that
//! key's index scan. The same form finds the intakes of deleted medications through
//! (user_id, medication_id): `medication_id = ANY($ids)` needed a plan made for the values
//! at hand, so every push used to be planned afresh (`plan_cache_mode = force_custom_plan`).
//!
//! SQLite has no statistics unless ANALYZE ran, and without them it serves `user_id = ? AND
//! id IN (…)` on the four tables stored WITHOUT ROWID in (user_id, time, id) order from that
//! primary key's `user_id` prefix (presumably because the (user_id, id) index needs a second
//! probe into the table for each row it finds): every push read the person's whole table.
//! `INDEXED BY` names the index; a statement whose index is gone fails to prepare instead of
//! quietly scanning. The ids are bound as one JSON list, so the statement stays prepared.

use diesel::expression::Expression;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

/// PostgreSQL's `SELECT columns FROM unnest($keys) AS wanted(key) CROSS JOIN LATERAL (SELECT *
/// FROM table WHERE user_id = $1 AND key = wanted.key [AND NOT deleted] OFFSET 0)`: one probe
/// of an index that starts with (user_id, key) per key. `OFFSET 0` keeps the planner from
/// flattening the lateral subquery into a join, which it would plan from the statistics.
pub struct PgByKeys<'a, T, C> {
    pub table: T,
    /// The table's `all_columns`: their names, qualified by the table's, then name the probe.
    pub columns: C,
    pub key: &'static str,
    pub live_only: bool,
    pub user_id: &'a str,
    pub keys: &'a [String],
}

impl<T, C> QueryFragment<Pg> for PgByKeys<'_, T, C>
where
    T: QueryFragment<Pg>,
    C: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.columns.walk_ast(out.reborrow())?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(self.keys)?;
        out.push_sql(") AS \"wanted\"(\"key\") CROSS JOIN LATERAL (SELECT * FROM ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".\"user_id\" = ");
        out.push_bind_param::<Text, _>(self.user_id)?;
        out.push_sql(" AND ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".");
        out.push_identifier(self.key)?;
        out.push_sql(" = \"wanted\".\"key\"");
        if self.live_only {
            out.push_sql(" AND NOT ");
            self.table.walk_ast(out.reborrow())?;
            out.push_sql(".\"deleted\"");
        }
        out.push_sql(" OFFSET 0) AS ");
        self.table.walk_ast(out.reborrow())?;
        Ok(())
    }
}

impl<T, C> QueryId for PgByKeys<'_, T, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, C: Expression> Query for PgByKeys<'_, T, C> {
    type SqlType = C::SqlType;
}

impl<T, C, Conn> RunQueryDsl<Conn> for PgByKeys<'_, T, C> {}

/// SQLite's `SELECT columns FROM table INDEXED BY index WHERE user_id = ? AND key IN (SELECT
/// value FROM json_each(?))` (and `AND deleted = 0` with `live_only`): the index must start
/// with (user_id, key). The keys travel as one JSON array, so the statement's text is the same
/// for any number of them and stays prepared; an `IN (?, ?, …)` list was a new statement to
/// compile for every push (a tenth of a push of medications' instructions).
pub struct SqliteByKeys<T, C> {
    pub table: T,
    pub columns: C,
    pub index: &'static str,
    pub key: &'static str,
    pub live_only: bool,
    pub user_id: String,
    /// The keys as a JSON array of strings ([`keys_json`]).
    pub keys: String,
}

/// `keys` as the JSON array [`SqliteByKeys`] binds.
pub fn keys_json(keys: &[String]) -> String {
    // A list of strings always serialises; an empty list instead would make a push miss the
    // rows it names.
    serde_json::to_string(keys).expect("a list of strings serialises as JSON")
}

impl<T, C> QueryFragment<Sqlite> for SqliteByKeys<T, C>
where
    T: QueryFragment<Sqlite>,
    C: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.columns.walk_ast(out.reborrow())?;
        out.push_sql(" FROM ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(" INDEXED BY ");
        out.push_identifier(self.index)?;
        out.push_sql(" WHERE ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".\"user_id\" = ");
        out.push_bind_param::<Text, _>(&self.user_id)?;
        out.push_sql(" AND ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".");
        out.push_identifier(self.key)?;
        out.push_sql(" IN (SELECT \"value\" FROM json_each(");
        out.push_bind_param::<Text, _>(&self.keys)?;
        out.push_sql("))");
        if self.live_only {
            out.push_sql(" AND ");
            self.table.walk_ast(out.reborrow())?;
            out.push_sql(".\"deleted\" = 0");
        }
        Ok(())
    }
}

impl<T, C> QueryId for SqliteByKeys<T, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, C: Expression> Query for SqliteByKeys<T, C> {
    type SqlType = C::SqlType;
}

impl<T, C, Conn> RunQueryDsl<Conn> for SqliteByKeys<T, C> {}
