//! The one application error type and its rendering as `application/problem+json` (RFC 7807).
//!
//! This is the only place where HTTP statuses are chosen. Internal causes are logged, never
//! sent to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Well-formed JSON whose values break the rules (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A request that cannot be read: malformed JSON, unknown fields, bad query (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Missing, expired or otherwise unacceptable credentials (401).
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Signed in, but this kind of account may not do this (403): e.g. a clinician on the
    /// journal routes.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Missing or belonging to someone else: the two answer alike (404).
    #[error("not found")]
    NotFound,
    /// The route exists but not with this method (405); `allow` lists the methods it has.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database cannot be reached right now (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected storage failure (500); the cause is logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:pain-journal:problem:validation",
    "title": "Some fields are not valid",
    "status": 422,
    "detail": "password: must be at least 12 characters",
    "errors": [{"field": "password", "reason": "must be at least 12 characters"}]
}))]
pub struct Problem {
    /// A URN naming the kind of problem; stable, safe to switch on.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: each offending field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// A validation problem about a single field.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, reason)])
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation(_) => ("validation", "Some fields are not valid"),
            ApiError::BadRequest(_) => ("bad-request", "The request cannot be read"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed for this account"),
            ApiError::NotFound => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported content type")
            }
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.reason))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::BadRequest(detail)
            | ApiError::Conflict(detail)
            | ApiError::PayloadTooLarge(detail)
            | ApiError::UnsupportedMediaType(detail) => detail.clone(),
            ApiError::Unauthorized(detail) | ApiError::Forbidden(detail) => (*detail).to_owned(),
            ApiError::NotFound => "No such resource.".into(),
            ApiError::MethodNotAllowed { allow } => {
                format!("This resource does not accept that method; it accepts {allow}.")
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} seconds.")
            }
            ApiError::Unavailable(_) => "The database is not reachable; try again soon.".into(),
            ApiError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        Problem {
            problem_type: format!("urn:pain-journal:problem:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors: match self {
                ApiError::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => ApiError::NotFound,
            // Two requests raced to write the same key: the loser learns it exists (a 409,
            // which a client can act on), never an internal error.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ApiError::Conflict(
                "Something with this key was written at the same moment; read it and retry.".into(),
            ),
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                ApiError::Conflict("This refers to something that no longer exists.".into())
            }
            // The database dropped the connection (a restart): a retry will find a new one.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => ApiError::Unavailable(info.message().to_owned()),
            other => ApiError::internal(other),
        }
    }
}

impl crate::db::WorkError for ApiError {
    /// Storage failures answer 500 or 503; everything else is a decision of the work's own.
    fn may_be_a_lost_connection(&self) -> bool {
        matches!(self, ApiError::Unavailable(_) | ApiError::Internal(_))
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(error: crate::db::DbError) -> Self {
        match error {
            crate::db::DbError::Unavailable(cause) => ApiError::Unavailable(cause.to_string()),
            crate::db::DbError::TaskFailed(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(error)
    }
}

impl From<actix_web::error::JsonPayloadError> for ApiError {
    fn from(error: actix_web::error::JsonPayloadError) -> Self {
        use actix_web::error::JsonPayloadError as E;
        match error {
            E::ContentType => ApiError::UnsupportedMediaType(
                "Send the body as JSON with Content-Type: application/json.".into(),
            ),
            E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => {
                ApiError::PayloadTooLarge(format!("The body must be at most {limit} bytes."))
            }
            E::Deserialize(e) => ApiError::BadRequest(format!("Invalid JSON body: {e}")),
            other => ApiError::BadRequest(format!("Cannot read the JSON body: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ApiError;
    use crate::db::WorkError;

    #[test]
    fn only_storage_failures_make_the_pool_check_the_connection() {
        let refusals = [
            ApiError::NotFound,
            ApiError::Conflict("taken".into()),
            ApiError::Validation(vec![]),
            ApiError::BadRequest("bad".into()),
            ApiError::Unauthorized("signed out"),
            ApiError::Forbidden("clinician"),
        ];
        for refusal in refusals {
            assert!(!refusal.may_be_a_lost_connection(), "{refusal}");
        }
        let from_storage: ApiError = diesel::result::Error::BrokenTransactionManager.into();
        for failure in [ApiError::Unavailable("gone".into()), from_storage] {
            assert!(failure.may_be_a_lost_connection(), "{failure}");
        }
    }
}
