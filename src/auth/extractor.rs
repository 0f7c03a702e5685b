//! `AuthUser`: the signed-in user of a request, taken from `Authorization: Bearer <jwt>`.
//!
//! Besides the token's signature and claims, the session it names must still be live, so
//! signing a device out, changing the password or erasing the account stops its access
//! tokens at once instead of up to 15 minutes later.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::db::sessions;
use crate::domain::{SessionFamilyId, UserId};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct AuthUser {
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
            let live = state
                .db(move |conn| Ok(sessions::family_is_active(conn, &user_id, &session)?))
                .await?;
            if !live {
                return Err(ApiError::Unauthorized("This session has been signed out."));
            }
            Ok(AuthUser {
                user_id: verified.user_id,
                session: verified.session,
            })
        })
    }
}
