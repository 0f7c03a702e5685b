//! `AuthUser`: the signed-in user of a request, taken from `Authorization: Bearer <jwt>`.
//!
//! Besides the token's signature and claims, the session it names must still be live, so
//! signing a device out, changing the password or erasing the account stops its access
//! tokens at once instead of up to 15 minutes later.
//!
//! `Patient` is the same for the routes only a patient has (the journal, sync, insight,
//! reports, shares): a clinician has no journal, and answers 403 there; `Clinician` is the
//! converse for the clinician routes. `PatientToken` is a `Patient` whose session is checked
//! inside the request's own database work, for the busiest routes (see its doc).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::db::change_seq::{self, Reservation};
use crate::db::sessions::{self, PatientSession};
use crate::db::users;
use crate::db::DbConn;
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

pub(crate) fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
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

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("AppState is not registered"))
}

/// The role of the session's user, or 401 when the session has been signed out.
fn live_role(
    conn: &mut DbConn,
    user_id: &UserId,
    session: &SessionFamilyId,
) -> Result<Role, ApiError> {
    let role = sessions::live_role(conn, user_id, session)?
        .ok_or(ApiError::Unauthorized("This session has been signed out."))?;
    Role::parse(&role).map_err(ApiError::internal)
}

fn require_patient(role: Role) -> Result<(), ApiError> {
    match role {
        Role::Patient => Ok(()),
        Role::Clinician => Err(ApiError::Forbidden(
            "A clinician account has no journal; use the /v1/clinician routes.",
        )),
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state?;
            let verified = state.jwt.verify(&token?)?;
            let (user_id, session) = (verified.user_id.clone(), verified.session.clone());
            let role = state
                .db(move |conn| live_role(conn, &user_id, &session))
                .await?;
            Ok(AuthUser {
                user_id: verified.user_id,
                session: verified.session,
                role,
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
            require_patient(user.role)?;
            Ok(Patient {
                user_id: user.user_id,
                session: user.session,
            })
        })
    }
}

/// What a read found, so that [`PatientToken::read`] knows when it found nothing.
pub trait Found {
    fn is_nothing(&self) -> bool;
}

/// A patient's request whose token is verified but whose session is not read yet: it is read
/// at the start of the request's own database work, in [`PatientToken::db`]. A `Patient`
/// reads it on a blocking thread and connection of its own before the handler runs, so a
/// route that makes one trip to the database pays two hand-offs to the blocking pool and two
/// pool checkouts; under load those hand-offs were the server's largest cost. The user id is
/// reachable only inside that work, after the check, so no handler can act on a session that
/// has been signed out. The check still comes first in the trip: a revoked session stops on
/// its next request, as with `Patient`.
#[derive(Debug)]
pub struct PatientToken {
    user_id: UserId,
    session: SessionFamilyId,
    timezone_hint: Option<String>,
}

impl FromRequest for PatientToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(app_state(req).and_then(|state| {
            let verified = state.jwt.verify(&bearer_token(req)?)?;
            Ok(PatientToken {
                user_id: verified.user_id,
                session: verified.session,
                timezone_hint: verified.timezone_hint,
            })
        }))
    }
}

impl PatientToken {
    /// Runs `work` on one pooled connection with the session, unchecked, and the token's
    /// timezone hint, when the token has one; `None` (and `work` never runs) when it has
    /// not. For work that checks the session in its own statement and tells by itself
    /// whether it did (the one-statement create); on `None` from it the caller takes a
    /// checked path.
    pub async fn with_hint<T, F>(&self, state: &AppState, work: F) -> Result<Option<T>, ApiError>
    where
        F: FnOnce(&mut DbConn, &PatientSession, &str) -> Result<Option<T>, ApiError>
            + Send
            + 'static,
        T: Send + 'static,
    {
        let Some(timezone) = self.timezone_hint.clone() else {
            return Ok(None);
        };
        let patient = PatientSession {
            user_id: self.user_id.clone(),
            session: self.session.clone(),
        };
        state.db(move |conn| work(conn, &patient, &timezone)).await
    }

    /// Runs `work` for this patient on one pooled connection, after checking on it that the
    /// session is live and the account a patient's (401 / 403 otherwise, and `work` never runs).
    pub async fn db<T, F>(self, state: &AppState, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &UserId) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let PatientToken {
            user_id, session, ..
        } = self;
        state
            .db(move |conn| {
                require_patient(live_role(conn, &user_id, &session)?)?;
                work(conn, &user_id)
            })
            .await
    }

    /// Runs a read that checks the session in its own statement: `work` gets the session to
    /// put in it (the journal lists take it as [`PatientSession`]), and the separate check of
    /// [`PatientToken::db`] is saved. A read that found nothing cannot tell a live session
    /// from a signed-out one, so then the check runs on its own: 401 / 403, or the empty
    /// answer when the session is live.
    pub async fn read<T, F>(self, state: &AppState, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &PatientSession) -> Result<T, ApiError> + Send + 'static,
        T: Found + Send + 'static,
    {
        let patient = PatientSession {
            user_id: self.user_id,
            session: self.session,
        };
        state
            .db(move |conn| {
                let found = work(conn, &patient)?;
                if found.is_nothing() {
                    require_patient(live_role(conn, &patient.user_id, &patient.session)?)?;
                }
                Ok(found)
            })
            .await
    }

    /// Runs `work` with the patient's change counter, read in the same statement that checks
    /// the session ([`users::live_patient_change_seq`]): a sync pull that is already up to date
    /// is answered from that one statement. When the check fails, `work` never runs and the
    /// answer says why (401 / 403).
    pub async fn with_change_seq<T, F>(self, state: &AppState, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &UserId, i64) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let patient = PatientSession {
            user_id: self.user_id,
            session: self.session,
        };
        state
            .db(move |conn| {
                let Some(counter) = users::live_patient_change_seq(conn, &patient)? else {
                    require_patient(live_role(conn, &patient.user_id, &patient.session)?)?;
                    // Signed out between the two statements.
                    return Err(ApiError::Unauthorized("This session has been signed out."));
                };
                work(conn, &patient.user_id, counter)
            })
            .await
    }

    /// Runs `work` in a write transaction ([`DbConn::write_transaction`]) that opens by
    /// reserving `count` change numbers for this patient (the user's row lock, STYLE 12). The
    /// same statement checks the session and the role, so a write makes no separate trip for
    /// them; when it reserves nothing, `work` never runs and the answer says why (401 / 403).
    /// On SQLite the session is also checked before the transaction: the database has one
    /// writer, so a signed-out token would otherwise queue for the writer's turn, hold it for
    /// its refusal and make every live writer behind it wait.
    pub async fn write<T, F>(self, state: &AppState, count: i64, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &UserId, Reservation) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let PatientToken {
            user_id, session, ..
        } = self;
        state
            .db(move |conn| {
                if matches!(conn, DbConn::Sqlite(_)) {
                    require_patient(live_role(conn, &user_id, &session)?)?;
                }
                let transaction = |conn: &mut DbConn| {
                    let reserved =
                        change_seq::reserve_for_patient_session(conn, &user_id, &session, count)?;
                    match reserved {
                        Some(reservation) => work(conn, &user_id, reservation),
                        None => {
                            require_patient(live_role(conn, &user_id, &session)?)?;
                            Err(ApiError::internal(
                                "a live patient session could not reserve a change number",
                            ))
                        }
                    }
                };
                conn.write_transaction(transaction)
            })
            .await
    }
}
