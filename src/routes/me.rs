//! `/v1/me*`: the signed-in user's account and sessions.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use crate::auth::accounts::{self, Profile, ProfileChange};
use crate::auth::sessions::{self, SessionInfo};
use crate::auth::AuthUser;
use crate::domain::{DisplayName, FieldErrors, NewPassword, SessionFamilyId, Timezone};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Tells an absent field (`None`: leave it) from an explicit `null` (`Some(None)`: clear it).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "Ann B.", "timezone": "America/New_York"}))]
pub struct PatchMeRequest {
    /// A new name (1–100 characters, no control characters), or `null` to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$")]
    pub display_name: Option<Option<String>>,
    /// An IANA timezone name; applies to entries recorded from now on (recorded days keep
    /// their date). Cannot be null.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    pub timezone: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Erasing the account needs the current password again: a session alone is not enough.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "correct horse battery staple"}))]
pub struct DeleteMeRequest {
    pub password: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionInfo>,
}

const UNAUTHORIZED: &str = "Missing, invalid or expired access token";

/// The signed-in user's profile.
#[utoipa::path(
    get, path = "/v1/me", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, body = Profile),
        (status = 401, description = UNAUTHORIZED, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(accounts::profile(&state, user.user_id).await?))
}

/// Change the display name or timezone.
#[utoipa::path(
    patch, path = "/v1/me", tag = "me", security(("bearer" = [])),
    request_body = PatchMeRequest,
    responses(
        (status = 200, description = "The changed profile", body = Profile),
        (status = 400, description = "Unreadable body or unknown field (e.g. role, email)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = UNAUTHORIZED, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn patch_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::routes::JsonObject<PatchMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut errors = FieldErrors::default();
    let display_name = match body.display_name {
        None => Some(None),
        Some(None) => Some(Some(None)),
        Some(Some(raw)) => errors
            .check("display_name", DisplayName::parse(&raw))
            .map(|name| Some(Some(name))),
    };
    let timezone = match body.timezone {
        None => Some(None),
        Some(None) => errors.check("timezone", Err("cannot be removed, only changed".into())),
        Some(Some(raw)) => errors.check("timezone", Timezone::parse(&raw)).map(Some),
    };
    errors.into_result().map_err(ApiError::Validation)?;
    let change = ProfileChange {
        display_name: display_name.flatten(),
        timezone: timezone.flatten(),
    };
    Ok(HttpResponse::Ok().json(accounts::update_profile(&state, user.user_id, change).await?))
}

/// Erase the account and everything recorded under it. This cannot be undone.
///
/// The current password must be sent again (re-authentication): a wrong one answers 422 and
/// counts as a failed login; too many failures lock the account like failed logins do (429).
#[utoipa::path(
    delete, path = "/v1/me", tag = "me", security(("bearer" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "The account and all its data are gone"),
        (status = 400, description = "Unreadable body or unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = UNAUTHORIZED, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::routes::JsonObject<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts::delete_account(&state, user.user_id, body.into_inner().password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The devices signed in to this account.
#[utoipa::path(
    get, path = "/v1/me/sessions", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, body = SessionList),
        (status = 401, description = UNAUTHORIZED, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let items = sessions::list(&state, user.user_id, user.session).await?;
    Ok(HttpResponse::Ok().json(SessionList { items }))
}

/// Sign one device out.
#[utoipa::path(
    delete, path = "/v1/me/sessions/{id}", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path, description = "A session id from the session list")),
    responses(
        (status = 204, description = "That device is signed out"),
        (status = 401, description = UNAUTHORIZED, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let family = SessionFamilyId::from_trusted(path.into_inner());
    sessions::revoke(&state, user.user_id, family).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the password; every other device is signed out.
#[utoipa::path(
    post, path = "/v1/me/password", tag = "me", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions are revoked"),
        (status = 401, description = UNAUTHORIZED, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password or too short a new one", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::routes::JsonObject<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new_password =
        NewPassword::parse(&body.new_password).map_err(|r| ApiError::invalid("new_password", r))?;
    accounts::change_password(
        &state,
        user.user_id,
        user.session,
        body.current_password,
        new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
