//! Many accounts with journals, written by the database itself (`generate_series`), for the
//! benchmarks and tests that need a large database: seconds for a million rows, where the API
//! would take minutes. PostgreSQL only; nothing in the server calls it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// `users` accounts named `u1`…, each with `rows_per_user` rows of every journal kind (five
/// medications), then ANALYZE: a database where reading by owner matters. The accounts sign in
/// with the password whose PHC string is `password_hash` (email `u<n>@example.com`).
pub fn seed_users(
    conn: &mut PgConnection,
    users: i64,
    rows_per_user: i64,
    password_hash: &str,
) -> QueryResult<()> {
    // A PHC string has no quotes; doubled anyway so any text stays a literal.
    let password_hash = password_hash.replace('\'', "''");
    let sql = format!(
        "INSERT INTO users (id, email, password_hash, role, timezone, created_at, updated_at)
           SELECT 'u' || u, 'u' || u || '@example.com', '{password_hash}', 'patient', 'UTC', now(), now()
           FROM generate_series(1, {users}) u;
         INSERT INTO medications (user_id, id, name, drug_class, strength, strength_unit, form, active, version, created_at, updated_at)
           SELECT 'u' || u, 'm' || r, 'med', 'nsaid', 400, 'mg', 'tablet', true, r, now() - r * interval '1 hour', now()
           FROM generate_series(1, {users}) u, generate_series(1, 5) r;
         INSERT INTO pain_entries (user_id, id, recorded_at, local_date, intensity, regions, qualities, triggers, version, created_at, updated_at)
           SELECT 'u' || u, 'p' || r, now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 5, '[]', '[]', '[]', r, now(), now()
           FROM generate_series(1, {users}) u, generate_series(1, {rows_per_user}) r;
         INSERT INTO medication_intakes (user_id, id, medication_id, taken_at, local_date, quantity, version, created_at, updated_at)
           SELECT 'u' || u, 'i' || r, 'm1', now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 1, 1000 + r, now(), now()
           FROM generate_series(1, {users}) u, generate_series(1, {rows_per_user}) r;
         INSERT INTO massage_sessions (user_id, id, started_at, local_date, duration_min, kind, regions, version, created_at, updated_at)
           SELECT 'u' || u, 's' || r, now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 60, 'swedish', '[]', 2000 + r, now(), now()
           FROM generate_series(1, {users}) u, generate_series(1, {rows_per_user}) r;
         INSERT INTO check_ins (user_id, id, answered_at, local_date, kind, items, score, version, created_at, updated_at)
           SELECT 'u' || u, 'c' || r, now() - r * interval '6 hours', (now() - r * interval '6 hours')::date, 'peg', '[5,5,5]', 5, 3000 + r, now(), now()
           FROM generate_series(1, {users}) u, generate_series(1, {rows_per_user}) r;
         ANALYZE;"
    );
    conn.batch_execute(&sql)
}
