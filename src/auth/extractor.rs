//! `AuthUser`: the signed-in user of a request, taken from `Authorization: Bearer <jwt>`.
//!
//! Besides the token's signature and claims, the session it names must still be live, so
//! signing a device out, changing the password or erasing the account stops its access
//! tokens at once instead of up to 15 minutes later.
//!
//! `Patient` is the same for the routes only a patient has (the journal, sync, insight,
//! reports, shares): a clinician has no journal, and answers 403 there; `Clinician` is the
//! converse for the clinician routes.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::db::sessions;
use crate::domain::{Role, SessionFamilyId, UserId};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: UserId,
    pub session: SessionFamilyId,
    /// Read with the session check (the same statement), so it is never stale.
    pub role: Role,
}

/// A signed-in patient: the owner of a journal.
#[derive(Debug, Clone)]
pub struct Patient {
    pub user_id: UserId,
    pub session: SessionFamilyId,
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "Send an access token: Authorization: Bearer <token>.",
        ))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("The Authorization header is not readable."))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized(
            "The Authorization header must be: Bearer <token>.",
        )),
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState is not registered"))?;
            let verified = state.jwt.verify(&token?)?;
            let (user_id, session) = (verified.user_id.clone(), verified.session.clone());
            let role = state
                .db(move |conn| Ok(sessions::live_role(conn, &user_id, &session)?))
                .await?
                .ok_or(ApiError::Unauthorized("This session has been signed out."))?;
            Ok(AuthUser {
                user_id: verified.user_id,
                session: verified.session,
                role: Role::parse(&role).map_err(ApiError::internal)?,
            })
        })
    }
}

/// A signed-in clinician: sees what patients shared, never writes.
#[derive(Debug, Clone)]
pub struct Clinician {
    pub user_id: UserId,
}

impl FromRequest for Clinician {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            match user.role {
                Role::Clinician => Ok(Clinician {
                    user_id: user.user_id,
                }),
                Role::Patient => Err(ApiError::Forbidden(
                    "Only a clinician account can do this; register one with role clinician.",
                )),
            }
        })
    }
}

impl FromRequest for Patient {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            match user.role {
                Role::Patient => Ok(Patient {
                    user_id: user.user_id,
                    session: user.session,
                }),
                Role::Clinician => Err(ApiError::Forbidden(
                    "A clinician account has no journal; use the /v1/clinician routes.",
                )),
            }
        })
    }
}
