//! `/v1/shares` (the patient's grants), `/v1/me/access-log` (who looked), and redeeming a
//! code (`/v1/clinician/shares/redeem`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Clinician, Patient};
use crate::domain::{DisplayName, FieldErrors};
use crate::error::{ApiError, Problem};
use crate::routes::JsonObject;
use crate::share::access::{self, AccessLogPage, AccessLogParams};
use crate::share::grants::{self, CreatedShare, NewShare, Redeemed, Share};
use crate::share::{secrets, Kind, Scope};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/shares")
            .route(web::get().to(list_shares))
            .route(web::post().to(create_share))
            .default_service(web::to(crate::routes::method_not_allowed)),
    )
    .service(
        web::resource("/v1/shares/{id}")
            .route(web::delete().to(revoke_share))
            .default_service(web::to(crate::routes::method_not_allowed)),
    )
    .service(
        web::resource("/v1/me/access-log")
            .route(web::get().to(access_log))
            .default_service(web::to(crate::routes::method_not_allowed)),
    )
    .service(
        web::resource("/v1/clinician/shares/redeem")
            .route(web::post().to(redeem))
            .default_service(web::to(crate::routes::method_not_allowed)),
    );
}

/// The client's address as the access log and the code throttle keep it (truncated).
pub fn client_address(request: &HttpRequest) -> Option<String> {
    request
        .peer_addr()
        .map(|peer| secrets::truncated_address(peer.ip()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "code", "scope": "summary", "label": "Dr. Weber, spine clinic", "expires_in_days": 90}))]
pub struct CreateShareRequest {
    /// `code` (typed into a clinician account) or `link` (a page anyone with it can open).
    #[schema(value_type = Kind)]
    pub kind: String,
    #[schema(value_type = Scope)]
    pub scope: String,
    /// Whom it is for, as the patient will recognise it (1–100 characters).
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub label: String,
    /// Days until it stops working (default 90, at most 365).
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_numbers::optional_whole"
    )]
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<i64>,
}

impl CreateShareRequest {
    fn parse(self) -> Result<NewShare, ApiError> {
        let mut errors = FieldErrors::default();
        let kind = errors.check(
            "kind",
            Kind::parse(&self.kind).ok_or_else(|| "must be one of: code, link".to_owned()),
        );
        let scope = errors.check(
            "scope",
            Scope::parse(&self.scope)
                .ok_or_else(|| "must be one of: summary, full, therapist".to_owned()),
        );
        let label = errors.check("label", DisplayName::parse(&self.label));
        let days = errors.check(
            "expires_in_days",
            match self.expires_in_days.unwrap_or(grants::DEFAULT_DAYS) {
                days @ 1..=grants::MAX_DAYS => Ok(days),
                _ => Err(format!("must be from 1 to {}", grants::MAX_DAYS)),
            },
        );
        errors.into_result().map_err(ApiError::Validation)?;
        match (kind, scope, label, days) {
            (Some(kind), Some(scope), Some(label), Some(days)) => Ok(NewShare {
                kind,
                scope,
                label: label.as_str().to_owned(),
                days,
            }),
            _ => Err(ApiError::internal("share request checked without errors")),
        }
    }
}

/// Share part of the journal with a clinician: the answer shows the code or link **once**
/// (only its hash is kept).
#[utoipa::path(
    post, path = "/v1/shares", tag = "sharing", security(("bearer" = [])),
    request_body = CreateShareRequest,
    responses(
        (status = 201, body = CreatedShare),
        (status = 400, description = "Unreadable body or unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (nothing to share)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad kind, scope, label or expiry", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_share(
    state: web::Data<AppState>,
    user: Patient,
    request: HttpRequest,
    body: JsonObject<CreateShareRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().parse()?;
    let origin = {
        let info = request.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let created = grants::create(&state, user.user_id, new, origin).await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareList {
    pub items: Vec<Share>,
}

/// The patient's shares, newest first, with their status and last access.
#[utoipa::path(
    get, path = "/v1/shares", tag = "sharing", security(("bearer" = [])),
    responses(
        (status = 200, body = ShareList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (nothing to share)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_shares(
    state: web::Data<AppState>,
    user: Patient,
) -> Result<HttpResponse, ApiError> {
    let items = grants::list(&state, user.user_id).await?;
    Ok(HttpResponse::Ok().json(ShareList { items }))
}

/// Revoke a share: it stops working on the very next request.
#[utoipa::path(
    delete, path = "/v1/shares/{id}", tag = "sharing", security(("bearer" = [])),
    params(("id" = String, Path, description = "A share id from the list")),
    responses(
        (status = 204, description = "Revoked (or already was)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (nothing to share)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such share of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_share(
    state: web::Data<AppState>,
    user: Patient,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    grants::revoke(&state, user.user_id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every look a clinician or a link took at the patient's data, newest first.
#[utoipa::path(
    get, path = "/v1/me/access-log", tag = "sharing", security(("bearer" = [])),
    params(AccessLogParams),
    responses(
        (status = 200, body = AccessLogPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal to look at)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn access_log(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<AccessLogParams>,
) -> Result<HttpResponse, ApiError> {
    let page = access::access_log(&state, user.user_id, query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "K7QH-M2XW-9PTD"}))]
pub struct RedeemRequest {
    /// The code the patient handed over; case, dashes and spaces do not matter.
    #[schema(max_length = 40)]
    pub code: String,
}

/// Redeem a patient's code into this clinician account (once; within 24 hours of its making).
#[utoipa::path(
    post, path = "/v1/clinician/shares/redeem", tag = "clinician", security(("bearer" = [])),
    request_body = RedeemRequest,
    responses(
        (status = 200, body = Redeemed),
        (status = 400, description = "Unreadable body or unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Wrong, used, revoked or expired code (they answer alike)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes from this account or address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn redeem(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    body: JsonObject<RedeemRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = client_address(&request);
    let redeemed = grants::redeem(&state, user.user_id, body.into_inner().code, address).await?;
    Ok(HttpResponse::Ok().json(redeemed))
}
