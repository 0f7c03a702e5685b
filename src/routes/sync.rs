//! `/v1/sync`: WatermelonDB-compatible pull (GET) and push (POST).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::PatientToken;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::sync::{self, PullParams, PullResponse, PushResponse};

/// A push may carry a month of offline entries. A heavy month is ~30 records a day × 30 days
/// ≈ 900 records; even if every one carried a maximal 4000-character note that is ~3.6 MB of
/// JSON. 8 MiB covers that twice over while bounding what one request can make the server
/// parse and hold in one transaction.
pub const PUSH_BODY_LIMIT: usize = 8 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushParams {
    /// The `timestamp` of the device's last pull (absent, empty, `null` or 0 when it never
    /// pulled).
    #[param(pattern = r"^(|null|undefined|0|[1-9][0-9]{0,14})$")]
    pub last_pulled_at: Option<String>,
}

/// The shape of a push body, for the document (the handler reads it as JSON and checks the
/// same shape, answering 400 where it differs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushBody {
    pub changes: PushChanges,
}

/// The tables a push may name; each at most once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushChanges {
    #[schema(nullable = false)]
    pub pain_entries: Option<PushLists>,
    #[schema(nullable = false)]
    pub medications: Option<PushLists>,
    #[schema(nullable = false)]
    pub medication_intakes: Option<PushLists>,
    #[schema(nullable = false)]
    pub massage_sessions: Option<PushLists>,
    #[schema(nullable = false)]
    pub check_ins: Option<PushLists>,
}

/// One table's changes. A record with invalid values comes back in `rejected`; the rest of
/// the push is applied.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushLists {
    #[schema(nullable = false)]
    pub created: Option<Vec<WireRecord>>,
    #[schema(nullable = false)]
    pub updated: Option<Vec<WireRecord>>,
    /// Ids of deleted records.
    #[schema(nullable = false)]
    pub deleted: Option<Vec<String>>,
}

/// A record as in pulls: instants as epoch milliseconds, sets as JSON text; other columns
/// as the REST fields. `_status`, `_changed`, derived and unknown columns are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WireRecord {
    pub id: String,
    #[serde(flatten)]
    #[schema(additional_properties)]
    pub columns: serde_json::Map<String, serde_json::Value>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/sync")
            .app_data(
                web::JsonConfig::default()
                    .limit(PUSH_BODY_LIMIT)
                    .error_handler(|err, _req| ApiError::from(err).into()),
            )
            .route(web::get().to(pull))
            .route(web::post().to(push))
            .default_service(web::to(crate::routes::method_not_allowed)),
    );
}

/// Pull the changes since `last_pulled_at`: live rows in `updated`, deletions in `deleted`.
#[utoipa::path(
    get, path = "/v1/sync", tag = "sync", security(("bearer" = [])),
    params(PullParams),
    responses(
        (status = 200, body = PullResponse),
        (status = 400, description = "Bad cursor or limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn pull(
    state: web::Data<AppState>,
    user: PatientToken,
    query: web::Query<PullParams>,
) -> Result<HttpResponse, ApiError> {
    let pulled = sync::pull(&state, user, query.into_inner()).await?;
    let records: usize = pulled
        .response
        .changes
        .values()
        .map(|t| t.created.len() + t.updated.len() + t.deleted.len())
        .sum();
    state
        .metrics
        .sync_records
        .with_label_values(&["pulled"])
        .inc_by(records as u64);
    let body = serde_json::to_vec(&pulled.response).map_err(ApiError::internal)?;
    if pulled.was_full() {
        // The next full pull may start; what this one freed goes back to the system.
        drop(pulled);
        tokio::task::spawn_blocking(crate::memory::give_back_freed);
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

/// Push a device's changes: `{"changes": {"<table>": {"created": [..], "updated": [..],
/// "deleted": [ids]}}}`, applied in one transaction.
#[utoipa::path(
    post, path = "/v1/sync", tag = "sync", security(("bearer" = [])),
    params(
        PushParams,
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{1,200}$", description = "Makes a retried push answer the first result (kept 24 h); 1–200 visible ASCII characters"),
    ),
    request_body(content = PushBody, description = "WatermelonDB changes; records as in pulls (instants in epoch ms, sets as JSON text); `_status`, `_changed`, derived and unknown columns are ignored", example = json!({
        "changes": {
            "pain_entries": {"created": [], "updated": [{"id": "pe1", "recorded_at": 1795851000000_i64, "intensity": 6, "regions": "[\"lower_back\"]", "_status": "updated", "_changed": "intensity"}], "deleted": []},
            "massage_sessions": {"created": [], "updated": [], "deleted": ["ms7"]}
        }
    })),
    responses(
        (status = 200, description = "Applied; invalid records are listed and were not stored", body = PushResponse),
        (status = 400, description = "Malformed changes, unknown table or bad cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A pushed record changed on the server since the last pull (nothing applied): pull, then push again", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 8 MiB", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn push(
    state: web::Data<AppState>,
    user: PatientToken,
    request: HttpRequest,
    query: web::Query<PushParams>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let key = match request.headers().get("idempotency-key") {
        None => None,
        Some(value) => Some(sync::parse_idempotency_key(value.to_str().unwrap_or(""))?),
    };
    let result = sync::push(
        &state,
        user,
        query.last_pulled_at.as_deref(),
        body.into_inner(),
        key,
    )
    .await?;
    state
        .metrics
        .sync_records
        .with_label_values(&["pushed"])
        .inc_by(result.applied as u64);
    Ok(HttpResponse::Ok().json(result))
}
