//! Account use-cases: register, log in, read and change the profile, change the password,
//! erase the account.

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::sessions::{self, TokenPair};
use crate::db::{self, users};
use crate::domain::{DisplayName, Email, NewPassword, Role, SessionFamilyId, Timezone, UserId};
use crate::error::ApiError;
use crate::state::AppState;

/// The account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6f3c1e-8f0a-4a57-9d55-2f8d1c3b9e10",
    "email": "ann@example.com",
    "display_name": "Ann",
    "role": "patient",
    "timezone": "Europe/Berlin",
    "created_at": "2026-11-27T09:30:00Z"
}))]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub timezone: String,
    pub created_at: chrono::DateTime<Utc>,
}

impl Profile {
    fn from_row(row: users::UserRow) -> Result<Self, ApiError> {
        Ok(Profile {
            role: Role::parse(&row.role).map_err(ApiError::internal)?,
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            timezone: row.timezone,
            created_at: row.created_at.and_utc(),
        })
    }
}

pub struct Registration {
    pub email: Email,
    pub password: NewPassword,
    pub timezone: Timezone,
    pub display_name: Option<DisplayName>,
    pub role: Role,
}

pub async fn register(state: &AppState, registration: Registration) -> Result<Profile, ApiError> {
    let password_hash = state
        .hasher
        .hash(registration.password.expose().to_owned())
        .await?;
    let row = state
        .db(move |conn| {
            let now = db::now();
            let id = UserId::generate();
            let new_user = users::NewUser {
                id: id.as_str(),
                email: registration.email.as_str(),
                password_hash: &password_hash,
                display_name: registration.display_name.as_ref().map(DisplayName::as_str),
                role: registration.role.as_str(),
                timezone: registration.timezone.name(),
                change_seq: 1,
                failed_logins: 0,
                created_at: now,
                updated_at: now,
            };
            users::insert(conn, &new_user).map_err(|e| {
                if db::is_unique_violation(&e) {
                    ApiError::Conflict("An account with this email already exists.".into())
                } else {
                    e.into()
                }
            })
        })
        .await?;
    Profile::from_row(row)
}

const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("The email or password is wrong.");

/// Checks the password and starts a session for the device.
///
/// An unknown email and a wrong password answer alike, and take as long (a dummy hash is
/// verified). An account with too many recent failures answers 429 before any hashing; the
/// failures are counted in the database so the limit holds across servers.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    device_name: Option<String>,
) -> Result<TokenPair, ApiError> {
    let window = failure_window(state);
    let user = match Email::parse(email) {
        Ok(email) => {
            state
                .db(move |conn| Ok(users::find_by_email(conn, email.as_str())?))
                .await?
        }
        Err(_) => None,
    };
    if let Some(user) = &user {
        if let Some(retry_after_secs) = lockout_remaining(user, state.login_max_failures, window) {
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
    }
    let too_long = password.chars().count() > NewPassword::MAX_CHARS;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let verified = state.hasher.verify(password, stored_hash).await? && !too_long;
    let Some(user) = user else {
        return Err(BAD_CREDENTIALS);
    };
    let user_id = UserId::from_trusted(user.id);
    let timezone = user.timezone;
    if !verified {
        record_failed_login(state, user_id, window).await?;
        return Err(BAD_CREDENTIALS);
    }
    let owner = user_id.clone();
    let ttl = sessions::refresh_ttl(state);
    let (family, token) = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                users::clear_failed_logins(conn, &owner)?;
                sessions::start_family(conn, ttl, &owner, device_name.as_deref(), db::now())
            })
        })
        .await?;
    sessions::token_pair(state, &user_id, &family, token.token, &timezone)
}

fn failure_window(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.login_failure_window).unwrap_or(chrono::Duration::minutes(15))
}

async fn record_failed_login(
    state: &AppState,
    user_id: UserId,
    window: chrono::Duration,
) -> Result<(), ApiError> {
    state
        .db(move |conn| {
            Ok(users::record_failed_login(
                conn,
                &user_id,
                db::now(),
                window,
            )?)
        })
        .await
}

/// Checks the current password again before an irreversible change (ASVS 4.0.3 V3.7.1), so
/// that a stolen or left-open session alone cannot erase the account or take it over. A
/// wrong password counts as a failed login (422 on `field`); a locked account answers 429.
async fn reauthenticate(
    state: &AppState,
    user_id: &UserId,
    password: String,
    field: &str,
) -> Result<(), ApiError> {
    let window = failure_window(state);
    let owner = user_id.clone();
    let user = state.db(move |conn| Ok(users::find(conn, &owner)?)).await?;
    if let Some(retry_after_secs) = lockout_remaining(&user, state.login_max_failures, window) {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let too_long = password.chars().count() > NewPassword::MAX_CHARS;
    if state
        .hasher
        .verify(password, Some(user.password_hash))
        .await?
        && !too_long
    {
        return Ok(());
    }
    record_failed_login(state, user_id.clone(), window).await?;
    Err(ApiError::invalid(field, "is not your current password"))
}

/// Seconds until the account may try again, when it has used up its failed attempts.
fn lockout_remaining(
    user: &users::UserRow,
    max_failures: u32,
    window: chrono::Duration,
) -> Option<u64> {
    let start = user.failed_login_window_start?;
    let ends = start + window;
    let now = db::now();
    if user.failed_logins < max_failures as i32 || ends <= now {
        return None;
    }
    Some((ends - now).num_seconds().max(1) as u64)
}

pub async fn profile(state: &AppState, user_id: UserId) -> Result<Profile, ApiError> {
    state.db(move |conn| read_profile(conn, &user_id)).await
}

/// The profile, on a connection the caller holds (to read it in the same snapshot as more).
pub fn read_profile(conn: &mut crate::db::DbConn, user_id: &UserId) -> Result<Profile, ApiError> {
    Profile::from_row(users::find(conn, user_id)?)
}

/// A change of profile; `None` leaves a field alone, `Some(None)` clears the display name.
pub struct ProfileChange {
    pub display_name: Option<Option<DisplayName>>,
    pub timezone: Option<Timezone>,
}

/// Changes the profile. A new timezone applies to entries recorded from now on; days already
/// recorded keep the local date they were given.
pub async fn update_profile(
    state: &AppState,
    user_id: UserId,
    change: ProfileChange,
) -> Result<Profile, ApiError> {
    let row = state
        .db(move |conn| {
            let display_name = change
                .display_name
                .as_ref()
                .map(|name| name.as_ref().map(DisplayName::as_str));
            let timezone = change.timezone.map(|tz| tz.name());
            Ok(users::update_profile(
                conn,
                &user_id,
                display_name,
                timezone,
                db::now(),
            )?)
        })
        .await?;
    Profile::from_row(row)
}

/// Changes the password after checking the current one, and signs out every other device.
pub async fn change_password(
    state: &AppState,
    user_id: UserId,
    current_session: SessionFamilyId,
    current_password: String,
    new_password: NewPassword,
) -> Result<(), ApiError> {
    reauthenticate(state, &user_id, current_password, "current_password").await?;
    let new_hash = state.hasher.hash(new_password.expose().to_owned()).await?;
    state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let now = db::now();
                users::set_password_hash(conn, &user_id, &new_hash, now)?;
                crate::db::sessions::revoke_all_except(conn, &user_id, &current_session, now)?;
                Ok(())
            })
        })
        .await
}

/// Erases the account and everything recorded under it, once the password is confirmed.
pub async fn delete_account(
    state: &AppState,
    user_id: UserId,
    password: String,
) -> Result<(), ApiError> {
    reauthenticate(state, &user_id, password, "password").await?;
    state
        .db(move |conn| match users::delete(conn, &user_id)? {
            0 => Err(ApiError::NotFound),
            _ => Ok(()),
        })
        .await
}
