//! Sessions: one refresh-token family per device login, rotated on each use (RFC 9700).
//!
//! Presenting a token that was already exchanged means two parties hold it — the device and
//! a thief — so the whole family is revoked and both must sign in again.

use chrono::{NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::refresh;
use crate::db::{self, sessions, users, DbConn};
use crate::domain::{SessionFamilyId, SessionId, UserId};
use crate::error::ApiError;
use crate::state::AppState;

/// What login and refresh answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
    "refresh_token": "5f0c…-…-….Xq3…",
    "token_type": "Bearer",
    "expires_in": 900
}))]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer …`, valid `expires_in` seconds.
    pub access_token: String,
    /// Exchange it at `/v1/auth/refresh` for a new pair; it works once.
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// A signed-in device, as the user sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// The session id (use it to sign that device out).
    pub id: String,
    pub device_name: Option<String>,
    pub signed_in_at: chrono::DateTime<Utc>,
    pub last_refreshed_at: chrono::DateTime<Utc>,
    pub expires_at: chrono::DateTime<Utc>,
    /// True for the session of the token making this request.
    pub current: bool,
}

fn utc(t: NaiveDateTime) -> chrono::DateTime<Utc> {
    t.and_utc()
}

/// Starts a new family for a device that just proved the password (blocking; call inside a
/// write transaction).
pub fn start_family(
    conn: &mut DbConn,
    ttl: chrono::Duration,
    user_id: &UserId,
    device_name: Option<&str>,
    now: NaiveDateTime,
) -> Result<(SessionFamilyId, refresh::RefreshToken), ApiError> {
    let family = SessionFamilyId::generate();
    let token = refresh::generate(user_id);
    sessions::insert(
        conn,
        &sessions::NewSession {
            user_id: user_id.as_str(),
            id: SessionId::generate().as_str(),
            family_id: family.as_str(),
            device_name,
            token_hash: &token.hash,
            rotated_from: None,
            signed_in_at: now,
            created_at: now,
            updated_at: now,
            expires_at: now + ttl,
        },
    )?;
    Ok((family, token))
}

/// How long a refresh token stays valid after it is issued.
pub fn refresh_ttl(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.refresh_token_ttl).unwrap_or(chrono::Duration::days(30))
}

/// The pair a sign-in or a refresh answers; `timezone` is the user's now (the access token's
/// hint, see `jwt::Claims::tz`).
pub fn token_pair(
    state: &AppState,
    user_id: &UserId,
    family: &SessionFamilyId,
    refresh_token: String,
    timezone: &str,
) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: state.jwt.issue(user_id, family, Some(timezone))?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.jwt.ttl.as_secs(),
    })
}

const INVALID_REFRESH: ApiError = ApiError::Unauthorized("The refresh token is not valid.");

enum Rotation {
    /// The new token of the family, and the user's timezone now.
    Rotated(SessionFamilyId, refresh::RefreshToken, String),
    /// The token had been exchanged before: the family is now revoked.
    Reused,
}

/// Exchanges a refresh token for a new pair.
pub async fn rotate(state: &AppState, presented: String) -> Result<TokenPair, ApiError> {
    let Some(user_id) = refresh::claimed_owner(&presented) else {
        return Err(INVALID_REFRESH);
    };
    let presented_hash = refresh::hash(&presented);
    let ttl = refresh_ttl(state);
    let owner = user_id.clone();
    let outcome = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let now = db::now();
                let Some(row) = sessions::find_by_token_hash(conn, &owner, &presented_hash)? else {
                    return Err(INVALID_REFRESH);
                };
                let family = SessionFamilyId::from_trusted(row.family_id.clone());
                if row.revoked_at.is_some() || row.expires_at <= now {
                    return Err(INVALID_REFRESH);
                }
                let this_token = SessionId::from_trusted(row.id.clone());
                if row.rotated_at.is_some()
                    || !sessions::mark_rotated(conn, &owner, &this_token, now)?
                {
                    sessions::revoke_family(conn, &owner, &family, now)?;
                    return Ok(Rotation::Reused);
                }
                let token = refresh::generate(&owner);
                sessions::insert(
                    conn,
                    &sessions::NewSession {
                        user_id: owner.as_str(),
                        id: SessionId::generate().as_str(),
                        family_id: family.as_str(),
                        device_name: row.device_name.as_deref(),
                        token_hash: &token.hash,
                        rotated_from: Some(&row.id),
                        signed_in_at: row.signed_in_at,
                        created_at: now,
                        updated_at: now,
                        expires_at: now + ttl,
                    },
                )?;
                let timezone = users::find(conn, &owner)?.timezone;
                Ok(Rotation::Rotated(family, token, timezone))
            })
        })
        .await?;
    match outcome {
        Rotation::Rotated(family, token, timezone) => {
            token_pair(state, &user_id, &family, token.token, &timezone)
        }
        Rotation::Reused => {
            tracing::warn!(user_id = %user_id, "refresh token reused; session family revoked");
            Err(ApiError::Unauthorized(
                "The refresh token was already used; this session has been signed out.",
            ))
        }
    }
}

/// Signs out the device holding `presented`. Unknown tokens are ignored (nothing to undo).
pub async fn logout(state: &AppState, presented: String) -> Result<(), ApiError> {
    let Some(user_id) = refresh::claimed_owner(&presented) else {
        return Ok(());
    };
    let presented_hash = refresh::hash(&presented);
    state
        .db(move |conn| {
            if let Some(row) = sessions::find_by_token_hash(conn, &user_id, &presented_hash)? {
                let family = SessionFamilyId::from_trusted(row.family_id);
                sessions::revoke_family(conn, &user_id, &family, db::now())?;
            }
            Ok(())
        })
        .await
}

pub async fn list(
    state: &AppState,
    user_id: UserId,
    current: SessionFamilyId,
) -> Result<Vec<SessionInfo>, ApiError> {
    let rows = state
        .db(move |conn| Ok(sessions::list_active_heads(conn, &user_id, db::now())?))
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| SessionInfo {
            current: row.family_id == current.as_str(),
            id: row.family_id,
            device_name: row.device_name,
            signed_in_at: utc(row.signed_in_at),
            last_refreshed_at: utc(row.created_at),
            expires_at: utc(row.expires_at),
        })
        .collect())
}

/// Signs one of the user's devices out. Another user's session id answers 404.
pub async fn revoke(
    state: &AppState,
    user_id: UserId,
    family: SessionFamilyId,
) -> Result<(), ApiError> {
    state
        .db(move |conn| {
            if !sessions::family_exists(conn, &user_id, &family)? {
                return Err(ApiError::NotFound);
            }
            sessions::revoke_family(conn, &user_id, &family, db::now())?;
            Ok(())
        })
        .await
}
