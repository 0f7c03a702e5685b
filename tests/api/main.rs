//! Black-box tests: the real app over HTTP, on SQLite and PostgreSQL.

mod helpers;

mod insight;

mod accounts;
mod browser;
mod concurrency;
mod errors;
mod fhir;
mod journal;
mod journal_indexes;
mod journal_inputs;
mod many_servers;
mod one_statement_create;
mod ops;
mod reports;
mod request_plans;
mod sharing;
mod sync;
mod sync_safety;
mod tokens;
mod watermelon;
