//! The five journal tables: rows and their queries. Every query takes the owner's id.
//!
//! The queries are the same for every table but for the table and its time column, so one
//! small macro writes them; each table's file holds its row type.

pub mod by_ids;
pub mod check_ins;
pub mod massage_sessions;
pub mod medication_intakes;
pub mod medications;
pub mod pain_entries;

use chrono::{NaiveDate, NaiveDateTime};

/// Ids per look-up by ids (one array or JSON list of them each).
pub const IDS_PER_QUERY: usize = 500;
/// Rows per multi-row INSERT (× ~15 columns stays under SQLite's parameter limit).
pub const ROWS_PER_INSERT: usize = 500;

/// Which rows a list wants: live rows, newest first, optionally within local days, and
/// strictly after a cursor position (time, id) in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub before: Option<(NaiveDateTime, String)>,
}

/// Writes `find`, `insert_if_absent`, `update`, `list` and `changed_since` for a journal table whose
/// rows are `$row`, ordered by `$time` (an instant column) and id; `$by_id` names its SQLite
/// index on (user_id, id), which a push's look-up of many ids goes through (see `by_ids`). The list and pull queries
/// are written once (`@list`, `@changed`) and built both for the running connection and,
/// for the plan tests, for each engine by name (`@builders`).
macro_rules! journal_queries {
    ($table:ident, $row:ident, $time:ident, dated: $dated:tt, by_id: $by_id:literal) => {
        use diesel::prelude::*;

        use crate::db::journal::ListFilter;
        use crate::db::schema::$table;
        use crate::db::DbConn;
        use crate::domain::UserId;

        /// The row with this id, live or tombstone.
        pub fn find(conn: &mut DbConn, user_id: &UserId, id: &str) -> QueryResult<Option<$row>> {
            crate::db::on_engine!(conn, |engine| {
                $table::table
                    .filter($table::user_id.eq(user_id.as_str()))
                    .filter($table::id.eq(id))
                    .select($table::all_columns)
                    .first(engine)
                    .optional()
            })
        }

        /// Inserts `row` unless the owner already has a row with its id (live or tombstone);
        /// true when it was inserted. One statement where a look-up and an insert were two.
        pub fn insert_if_absent(conn: &mut DbConn, row: &$row) -> QueryResult<bool> {
            let insert = diesel::insert_into($table::table)
                .values((row, $table::version.eq(row.version)))
                .on_conflict(($table::user_id, $table::id))
                .do_nothing();
            // On the engine's own connection: the MultiConnection has no ON CONFLICT.
            let inserted = match conn {
                DbConn::Pg(inner) => insert.execute(inner)?,
                DbConn::Sqlite(inner) => insert.execute(inner)?,
            };
            Ok(inserted == 1)
        }

        /// [`insert_if_absent`] in one statement with the reservation of its version, for a
        /// patient's create on PostgreSQL (`change_seq::insert_reserving`); `row.version` is
        /// not used.
        pub fn insert_reserving(
            conn: &mut diesel::PgConnection,
            row: &$row,
            patient: &crate::db::sessions::PatientSession,
            timezone: &str,
        ) -> QueryResult<crate::db::change_seq::ReservedInsert> {
            // The row's own columns (its Insertable leaves `version` out); the statement
            // selects them from the reservation.
            let values = Insertable::<$table::table>::values(row).values;
            crate::db::change_seq::insert_reserving(conn, patient, timezone, $table::table, values)
        }

        /// The rows with these ids, live or tombstone, in one query per few hundred ids.
        pub fn find_many(conn: &mut DbConn, user_id: &UserId, ids: &[String]) -> QueryResult<Vec<$row>> {
            let mut rows = Vec::new();
            for chunk in ids.chunks(crate::db::journal::IDS_PER_QUERY) {
                rows.extend(match &mut *conn {
                    // See `by_ids` for why PostgreSQL is not given `id = ANY(…)`.
                    DbConn::Pg(engine) => crate::db::journal::by_ids::PgByKeys {
                        table: $table::table,
                        columns: $table::all_columns,
                        key: "id",
                        live_only: false,
                        user_id: user_id.as_str(),
                        keys: chunk,
                    }
                    .load::<$row>(engine)?,
                    DbConn::Sqlite(engine) => find_many_query_sqlite(user_id, chunk).load::<$row>(engine)?,
                });
            }
            Ok(rows)
        }

        /// The SQLite statement of [`find_many`] for up to [`crate::db::journal::IDS_PER_QUERY`] ids, through
        /// the (user_id, id) index `$by_id` (see `by_ids`), so a test can read its plan.
        pub fn find_many_query_sqlite(
            user_id: &UserId,
            ids: &[String],
        ) -> crate::db::journal::by_ids::SqliteByKeys<$table::table, <$table::table as diesel::Table>::AllColumns> {
            crate::db::journal::by_ids::SqliteByKeys {
                table: $table::table,
                columns: $table::all_columns,
                index: $by_id,
                key: "id",
                live_only: false,
                user_id: user_id.as_str().to_owned(),
                keys: crate::db::journal::by_ids::keys_json(ids),
            }
        }

        /// Inserts rows with multi-row INSERTs (on the engine's own connection: the
        /// MultiConnection has no batch insert).
        pub fn insert_many(conn: &mut DbConn, rows: &[$row]) -> QueryResult<()> {
            for chunk in rows.chunks(crate::db::journal::ROWS_PER_INSERT) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|row| (row, $table::version.eq(row.version)))
                    .collect();
                let insert = diesel::insert_into($table::table).values(values);
                match conn {
                    DbConn::Pg(inner) => insert.execute(inner)?,
                    DbConn::Sqlite(inner) => insert.execute(inner)?,
                };
            }
            Ok(())
        }

        /// Writes every column of `row` over the stored row of the same owner and id.
        pub fn update(conn: &mut DbConn, row: &$row) -> QueryResult<()> {
            crate::db::on_engine!(conn, |engine| {
                diesel::update(
                    $table::table
                        .filter($table::user_id.eq(&row.user_id))
                        .filter($table::id.eq(&row.id)),
                )
                .set(row)
                .execute(engine)
                .map(|_| ())
            })
        }

        /// Live rows, newest first; at most `limit`.
        pub fn list(
            conn: &mut DbConn,
            user_id: &UserId,
            filter: &ListFilter,
            limit: i64,
        ) -> QueryResult<Vec<$row>> {
            let patient: Option<&crate::db::sessions::PatientSession> = None;
            crate::db::on_engine!(conn, |engine| {
                $crate::db::journal::journal_queries!(@list $table, $time, $dated, user_id, patient, filter, limit)
                    .load(engine)
            })
        }

        /// [`list`] for a patient's own request, checking in the same statement that the
        /// session is live and the account a patient's: one statement where the check and the
        /// list were two. No rows when the check fails, so an empty answer needs the check
        /// on its own to mean anything (`PatientToken::read`).
        pub fn list_for_patient(
            conn: &mut DbConn,
            patient: &crate::db::sessions::PatientSession,
            filter: &ListFilter,
            limit: i64,
        ) -> QueryResult<Vec<$row>> {
            if *filter == ListFilter::default() {
                // The first page with no filter, the list an app asks for most: the same
                // statement with a fixed shape, so diesel finds its prepared statement by type
                // instead of writing the boxed query's SQL text to look it up. Any filter
                // takes the boxed query below.
                return crate::db::on_engine!(conn, |engine| {
                    $crate::db::journal::journal_queries!(@first_page $table, $time, patient, limit)
                        .load(engine)
                });
            }
            let (user_id, patient) = (&patient.user_id, Some(patient));
            crate::db::on_engine!(conn, |engine| {
                $crate::db::journal::journal_queries!(@list $table, $time, $dated, user_id, patient, filter, limit)
                    .load(engine)
            })
        }

        $crate::db::journal::journal_queries!(@builders $table, $time, $dated, diesel::pg::Pg,
            list_query_pg, first_page_query_pg, changed_since_query_pg);
        $crate::db::journal::journal_queries!(@builders $table, $time, $dated, diesel::sqlite::Sqlite,
            list_query_sqlite, first_page_query_sqlite, changed_since_query_sqlite);

        /// Rows changed after version `since`, in version order (the sync pull): live ones
        /// and tombstones; with `everything_live`, also live rows of any version (a first
        /// sync or a schema migration). A first sync (`since` 0) needs no tombstones.
        pub fn changed_since(
            conn: &mut DbConn,
            user_id: &UserId,
            since: i64,
            everything_live: bool,
            limit: i64,
        ) -> QueryResult<Vec<$row>> {
            crate::db::on_engine!(conn, |engine| {
                $crate::db::journal::journal_queries!(@changed $table, user_id, since, everything_live, limit)
                    .load(engine)
            })
        }
    };
    // The list and pull queries built for one engine by name, so a test can read their plans
    // (the running connection builds its own through `list` and `changed_since`).
    (@builders $table:ident, $time:ident, $dated:tt, $db:ty, $list:ident, $first:ident, $changed:ident) => {
        /// The query [`list`] (without `patient`) or [`list_for_patient`] runs, built for one
        /// engine, so a test can read its plan.
        pub fn $list<'a>(
            user_id: &'a UserId,
            patient: Option<&'a crate::db::sessions::PatientSession>,
            filter: &'a ListFilter,
            limit: i64,
        ) -> $table::BoxedQuery<'a, $db> {
            $crate::db::journal::journal_queries!(@list $table, $time, $dated, user_id, patient, filter, limit)
        }

        /// The query [`list_for_patient`] runs for a first page with no filter, built for one
        /// engine, so a test can read its plan and compare it with [`$list`]'s.
        pub fn $first<'a>(
            patient: &'a crate::db::sessions::PatientSession,
            limit: i64,
        ) -> impl diesel::query_builder::QueryFragment<$db> + 'a {
            $crate::db::journal::journal_queries!(@first_page $table, $time, patient, limit)
        }

        /// The query [`changed_since`] runs, built for one engine, so a test can read its plan.
        pub fn $changed<'a>(
            user_id: &'a UserId,
            since: i64,
            everything_live: bool,
            limit: i64,
        ) -> $table::BoxedQuery<'a, $db> {
            $crate::db::journal::journal_queries!(@changed $table, user_id, since, everything_live, limit)
        }
    };
    // The list query with a patient's session and no filter, in a shape fixed at compile time
    // (not boxed): the same statement as `@list` builds for it (a test compares the SQL).
    (@first_page $table:ident, $time:ident, $patient:ident, $limit:ident) => {{
        use crate::db::schema::users;
        $table::table
            .filter($table::user_id.eq($patient.user_id.as_str()))
            .filter($table::deleted.eq(false))
            .filter(diesel::dsl::exists(users::table.filter(
                crate::db::sessions::is_live_patient(
                    $patient.user_id.as_str(),
                    $patient.session.as_str(),
                ),
            )))
            .order(($table::$time.desc(), $table::id.desc()))
            .limit($limit)
    }};
    // The list query, for whichever backend the caller's type asks for.
    // With a `$patient` session, only while it is live and the account a patient's: the
    // condition has no column of the table, so the engines test it once per statement.
    (@list $table:ident, $time:ident, $dated:tt, $user_id:ident, $patient:ident, $filter:ident, $limit:ident) => {{
        let mut query = $table::table
            .filter($table::user_id.eq($user_id.as_str()))
            .filter($table::deleted.eq(false))
            .into_boxed();
        if let Some(patient) = $patient {
            use crate::db::schema::users;
            query = query.filter(diesel::dsl::exists(users::table.filter(
                crate::db::sessions::is_live_patient(
                    patient.user_id.as_str(),
                    patient.session.as_str(),
                ),
            )));
        }
        $crate::db::journal::journal_queries!(@dates $dated, query, $table, $filter);
        if let Some((time, id)) = &$filter.before {
            query = query.filter(
                $table::$time
                    .lt(*time)
                    .or($table::$time.eq(*time).and($table::id.lt(id.clone()))),
            );
        }
        query
            .order(($table::$time.desc(), $table::id.desc()))
            .limit($limit)
            .select($table::all_columns)
    }};
    // The sync-pull query, likewise.
    (@changed $table:ident, $user_id:ident, $since:ident, $everything_live:ident, $limit:ident) => {{
        let mut query = $table::table
            .filter($table::user_id.eq($user_id.as_str()))
            .into_boxed();
        if $since == 0 {
            query = query.filter($table::deleted.eq(false));
        } else if $everything_live {
            query = query.filter($table::deleted.eq(false).or($table::version.gt($since)));
        } else {
            query = query.filter($table::version.gt($since));
        }
        query
            .order($table::version.asc())
            .limit($limit)
            .select($table::all_columns)
    }};
    (@dates true, $query:ident, $table:ident, $filter:ident) => {
        if let Some(from) = $filter.from {
            $query = $query.filter($table::local_date.ge(from));
        }
        if let Some(to) = $filter.to {
            $query = $query.filter($table::local_date.le(to));
        }
    };
    (@dates false, $query:ident, $table:ident, $filter:ident) => {
        let _ = $filter;
    };
}

pub(crate) use journal_queries;
