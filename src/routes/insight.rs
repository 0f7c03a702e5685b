//! `/v1/insights/*`: what the journal says about massage and painkillers.

use actix_web::{web, HttpResponse};

use crate::auth::Patient;
use crate::error::{ApiError, Problem};
use crate::insight::load::{self, InsightParams, MassageEffect, WeeklyParams, WeeklySeries};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/insights/massage-effect")
            .route(web::get().to(massage_effect))
            .default_service(web::to(crate::routes::method_not_allowed)),
    )
    .service(
        web::resource("/v1/insights/weekly")
            .route(web::get().to(weekly))
            .default_service(web::to(crate::routes::method_not_allowed)),
    );
}

/// Does massage lower my painkiller use? Weeks with vs without massage (adjusted for pain and
/// time, with a 95% interval), the days around each session, the trend, the same for pain, a
/// verdict and a one-sentence summary; plus the daily and weekly series.
#[utoipa::path(
    get, path = "/v1/insights/massage-effect", tag = "insights", security(("bearer" = [])),
    params(InsightParams),
    responses(
        (status = 200, body = MassageEffect),
        (status = 400, description = "Bad date range or window", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn massage_effect(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<InsightParams>,
) -> Result<HttpResponse, ApiError> {
    let report = load::massage_effect(&state, user.user_id, query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The ISO-weekly series alone (for the app's chart).
#[utoipa::path(
    get, path = "/v1/insights/weekly", tag = "insights", security(("bearer" = [])),
    params(WeeklyParams),
    responses(
        (status = 200, body = WeeklySeries),
        (status = 400, description = "Bad date range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn weekly(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<WeeklyParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(load::weekly_series(&state, user.user_id, query.into_inner()).await?))
}
