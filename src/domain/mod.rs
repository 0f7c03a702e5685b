//! Domain values: types that can only hold valid data, built through `parse`. No I/O here.

mod account;
mod ids;
pub mod journal;
pub mod mme;
pub mod whole_numbers;

pub use account::{DisplayName, Email, NewPassword, Role, Timezone};
pub use ids::{SessionFamilyId, SessionId, UserId};

/// Why a value was refused, for the `errors` list of a validation problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The request field, e.g. `password`.
    pub field: String,
    /// A sentence saying what is wrong, e.g. "must be at least 12 characters".
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Collects field errors while a request body is parsed into domain values, so a client
/// learns about every bad field at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value, or records the reason under `field` and returns `None`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                self.0.push(FieldError::new(field, reason));
                None
            }
        }
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}
