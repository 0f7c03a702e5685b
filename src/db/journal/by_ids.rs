//! The PostgreSQL look-up of one person's rows by many ids, as one probe of the primary key
//! per id whatever the planner believes about the person.
//!
//! `user_id = $1 AND id = ANY($2)` is planned from the table's statistics. A person who is
//! new to them (a first sync that uploads years of journal in pushes of a few hundred rows,
//! before autovacuum analyses the table) is estimated to have a few dozen rows, and the
//! planner then reads *all* their rows through the (user_id, version) index and filters them
//! by id: each push of the same size cost more than the one before (4 ms per 100 ids at
//! 30,000 rows where the primary key answers in 0.2 ms). Here every id is its own lateral
//! probe, `LIMIT 1` keeps the planner from flattening it into a join, and an equality on
//! both columns of the unique key is always planned as that key's index scan.

use diesel::expression::Expression;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Text};
use diesel::{QueryResult, RunQueryDsl};

pub struct ByIds<'a, T, C> {
    pub table: T,
    /// The table's `all_columns`: their names, qualified by the table's, then name the probe.
    pub columns: C,
    pub user_id: &'a str,
    pub ids: &'a [String],
}

impl<T, C> QueryFragment<Pg> for ByIds<'_, T, C>
where
    T: QueryFragment<Pg>,
    C: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.columns.walk_ast(out.reborrow())?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(self.ids)?;
        out.push_sql(") AS \"wanted\"(\"id\") CROSS JOIN LATERAL (SELECT * FROM ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".\"user_id\" = ");
        out.push_bind_param::<Text, _>(self.user_id)?;
        out.push_sql(" AND ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".\"id\" = \"wanted\".\"id\" LIMIT 1) AS ");
        self.table.walk_ast(out.reborrow())?;
        Ok(())
    }
}

impl<T, C> QueryId for ByIds<'_, T, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T, C: Expression> Query for ByIds<'_, T, C> {
    type SqlType = C::SqlType;
}

impl<T, C, Conn> RunQueryDsl<Conn> for ByIds<'_, T, C> {}
