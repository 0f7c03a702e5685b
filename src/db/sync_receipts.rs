//! `sync_push_receipts`: the stored answers of pushes that carried an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::sync_push_receipts as receipts;
use super::DbConn;
use crate::domain::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = receipts)]
pub struct Receipt {
    pub user_id: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub response: String,
    pub created_at: NaiveDateTime,
}

/// The receipt for `key` made after `not_before`, if any.
pub fn find_fresh(
    conn: &mut DbConn,
    user_id: &UserId,
    key: &str,
    not_before: NaiveDateTime,
) -> QueryResult<Option<Receipt>> {
    receipts::table
        .filter(receipts::user_id.eq(user_id.as_str()))
        .filter(receipts::idempotency_key.eq(key))
        .filter(receipts::created_at.ge(not_before))
        .select(receipts::all_columns)
        .first(conn)
        .optional()
}

/// Stores a receipt, first clearing the user's expired ones (including an old one with the
/// same key), so the table holds at most a day of pushes per user.
pub fn store(
    conn: &mut DbConn,
    receipt: &Receipt,
    expired_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        receipts::table
            .filter(receipts::user_id.eq(&receipt.user_id))
            .filter(receipts::created_at.lt(expired_before)),
    )
    .execute(conn)?;
    diesel::insert_into(receipts::table)
        .values(receipt)
        .execute(conn)
        .map(|_| ())
}
