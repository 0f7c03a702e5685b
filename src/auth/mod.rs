//! Authentication: password hashing, access tokens (JWT), refresh-token rotation, the
//! `AuthUser` extractor, and the account use-cases built on them.

pub mod accounts;
pub mod extractor;
pub mod jwt;
pub mod password;
pub mod refresh;
pub mod sessions;
pub mod signed_out;

pub use extractor::{AuthUser, Clinician, Found, Patient, PatientToken};
