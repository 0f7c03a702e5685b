//! Black-box tests: the real app over HTTP, on SQLite and PostgreSQL.

mod helpers;

mod accounts;
mod errors;
mod ops;
mod tokens;
