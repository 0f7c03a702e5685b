//! pain-journal: the backend a sciatica / chronic-pain journal app syncs to.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod insight;
pub mod journal;
pub mod memory;
pub mod metrics;
pub mod openapi;
pub mod private_files;
pub mod reports;
pub mod routes;
pub mod share;
pub mod startup;
pub mod state;
pub mod sync;
pub mod telemetry;
