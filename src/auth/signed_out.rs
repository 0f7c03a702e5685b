//! A signed-out device is told that before anything else about its request.
//!
//! The handlers check the session inside their own database work, which runs after actix has
//! read the path, query and body: a signed-out device that sent a bad body or filter was
//! answered 400 or 422, learning what it got wrong instead of that it must sign in again. So
//! an answer that refuses a request's input, when the request carries a valid access token,
//! becomes 401 if that token's session has ended. The check is one statement, on refusals
//! only: answers that succeed, and requests without a token, cost nothing more.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use super::extractor::bearer_token;
use crate::db::sessions;
use crate::error::ApiError;
use crate::state::AppState;

/// Statuses that refuse what the request sent, rather than who sent it.
fn refuses_input(status: actix_web::http::StatusCode) -> bool {
    matches!(status.as_u16(), 400 | 404 | 405 | 409 | 413 | 415 | 422)
}

pub async fn signed_out_first(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(request).await?;
    // Only refusals pay for the token; the sign-in routes take credentials in their body.
    let refused =
        refuses_input(response.status()) && !response.request().path().starts_with("/v1/auth/");
    let token = refused
        .then(|| {
            let state = response
                .request()
                .app_data::<web::Data<AppState>>()?
                .clone();
            let token = bearer_token(response.request()).ok()?;
            let verified = state.jwt.verify(&token).ok()?;
            Some((state, verified))
        })
        .flatten();
    let Some((state, token)) = token else {
        return Ok(response.map_into_left_body());
    };
    let live = state
        .db(move |conn| {
            sessions::live_role(conn, &token.user_id, &token.session).map_err(ApiError::from)
        })
        .await;
    match live {
        Ok(None) => {
            let refusal = ApiError::Unauthorized("This session has been signed out.");
            Ok(response
                .into_response(refusal.error_response())
                .map_into_right_body())
        }
        // Live, or the check itself failed: the handler's answer stands.
        _ => Ok(response.map_into_left_body()),
    }
}
