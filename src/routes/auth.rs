//! `/v1/auth/*`: register, login, refresh, logout.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::accounts::{self, Profile, Registration};
use crate::auth::sessions::{self, TokenPair};
use crate::domain::{DisplayName, Email, FieldErrors, NewPassword, Role, Timezone};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ann@example.com",
    "password": "a long passphrase",
    "timezone": "Europe/Berlin",
    "display_name": "Ann",
    "role": "patient"
}))]
pub struct RegisterRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 12 to 1024 characters.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    /// IANA timezone name: decides which local day each entry belongs to.
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// 1–100 characters, no control characters.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// `patient` (default) or `clinician`.
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
}

impl RegisterRequest {
    fn parse(self) -> Result<Registration, ApiError> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let password = errors.check("password", NewPassword::parse(&self.password));
        let timezone = errors.check("timezone", Timezone::parse(&self.timezone));
        let display_name = match self.display_name.as_deref() {
            None => Some(None),
            Some(raw) => errors
                .check("display_name", DisplayName::parse(raw))
                .map(Some),
        };
        let role = errors.check(
            "role",
            self.role.as_deref().map_or(Ok(Role::Patient), Role::parse),
        );
        errors.into_result().map_err(ApiError::Validation)?;
        match (email, password, timezone, display_name, role) {
            (Some(email), Some(password), Some(timezone), Some(display_name), Some(role)) => {
                Ok(Registration {
                    email,
                    password,
                    timezone,
                    display_name,
                    role,
                })
            }
            _ => Err(ApiError::internal("a field failed without an error")),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@example.com", "password": "a long passphrase", "device_name": "Ann's phone"}))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Shown in the session list, e.g. "Ann's phone" (at most 100 characters, no control
    /// characters).
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub device_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Create an account.
#[utoipa::path(
    post, path = "/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account was created", body = Profile),
        (status = 400, description = "Unreadable body or unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    body: crate::routes::JsonObject<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let registration = body.into_inner().parse()?;
    let profile = accounts::register(&state, registration).await?;
    Ok(HttpResponse::Created().json(profile))
}

/// Sign in a device: answers an access token and a refresh token.
#[utoipa::path(
    post, path = "/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, description = "Unreadable body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password (the two answer alike)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The device name is too long", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts, from this address or on this account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    body: crate::routes::JsonObject<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        email,
        password,
        device_name,
    } = body.into_inner();
    let device_name = match device_name {
        None => None,
        Some(raw) => {
            Some(DisplayName::parse(&raw).map_err(|r| ApiError::invalid("device_name", r))?)
        }
    };
    let tokens = accounts::login(
        &state,
        &email,
        password,
        device_name.map(|d| d.as_str().to_owned()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Exchange a refresh token for a new pair. Each refresh token works once; presenting one
/// again signs that session out everywhere.
#[utoipa::path(
    post, path = "/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: crate::routes::JsonObject<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let tokens = sessions::rotate(&state, body.into_inner().refresh_token).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Sign this device out (its refresh token and access tokens stop working).
#[utoipa::path(
    post, path = "/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out (also when the token was unknown)"),
        (status = 400, description = "Unreadable body", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    state: web::Data<AppState>,
    body: crate::routes::JsonObject<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    sessions::logout(&state, body.into_inner().refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}
