//! `/v1/clinician/*`: what a signed-in clinician sees of the patients who shared with them.
//! Read-only (GET only). Every view is checked against a live grant and logged in the
//! transaction that reads it (`share::access`); a patient who did not share, or not this, is
//! 404 like one who does not exist.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Clinician;
use crate::error::{ApiError, Problem};
use crate::insight::load::{self, InsightParams, MassageEffect, WeeklyParams, WeeklySeries};
use crate::insight::series::{daily, weekly};
use crate::journal::massage_sessions::{MassageSession, MassageSessions};
use crate::journal::pain_entries::PainEntries;
use crate::journal::{self, ListParams, Page, UndatedListParams};
use crate::reports::doctor::{self, DoctorParams};
use crate::reports::{chart, PeriodParams};
use crate::routes::shares::client_address;
use crate::share::access::{self, SharedPatient, Viewer};
use crate::share::views::{massage_view, MassageView};
use crate::share::View;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let get = |path: &str, route: actix_web::Route| {
        web::resource(path.to_owned())
            .route(route)
            .default_service(web::to(crate::routes::method_not_allowed))
    };
    cfg.service(get("/v1/clinician/patients", web::get().to(patients)))
        .service(get(
            "/v1/clinician/patients/{patient}/summary",
            web::get().to(summary),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/weekly",
            web::get().to(weekly_series),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/chart.svg",
            web::get().to(chart_svg),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/report.pdf",
            web::get().to(report_pdf),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/massage",
            web::get().to(massage),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/page",
            web::get().to(page),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/pain-entries",
            web::get().to(pain_entries),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/medications",
            web::get().to(medications),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/medication-intakes",
            web::get().to(medication_intakes),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/massage-sessions",
            web::get().to(massage_sessions),
        ))
        .service(get(
            "/v1/clinician/patients/{patient}/check-ins",
            web::get().to(check_ins),
        ));
}

fn viewer(user: &Clinician, patient: String) -> Viewer {
    Viewer::Clinician {
        clinician: user.user_id.clone(),
        patient,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PatientList {
    pub items: Vec<SharedPatient>,
}

/// The patients who shared with this clinician: who, what, until when, and when they last
/// wrote to their journal.
#[utoipa::path(
    get, path = "/v1/clinician/patients", tag = "clinician", security(("bearer" = [])),
    responses(
        (status = 200, body = PatientList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn patients(
    state: web::Data<AppState>,
    user: Clinician,
) -> Result<HttpResponse, ApiError> {
    let items = access::patients(&state, user.user_id).await?;
    Ok(HttpResponse::Ok().json(PatientList { items }))
}

/// The patient's massage insight (scope `summary` or `full`), as the patient sees it.
#[utoipa::path(
    get, path = "/v1/clinician/patients/{patient}/summary", tag = "clinician", security(("bearer" = [])),
    params(("patient" = String, Path, description = "A patient id from the list"), InsightParams),
    responses(
        (status = 200, body = MassageEffect),
        (status = 400, description = "Bad date range or window", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live grant of this patient shows this", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn summary(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    patient: web::Path<String>,
    query: web::Query<InsightParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    let range = load::parse_range(&params.from, &params.to)?;
    let window_days = load::window_days(params.window_days)?;
    let journal = access::read_as(
        &state,
        viewer(&user, patient.into_inner()),
        View::Summary,
        "summary".into(),
        client_address(&request),
        move |conn, opened| load::read_journal(conn, &opened.patient, &range),
    )
    .await?;
    let effect = tokio::task::spawn_blocking(move || load::effect_of(&journal, window_days))
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(effect))
}

/// The patient's weekly series (scope `summary` or `full`).
#[utoipa::path(
    get, path = "/v1/clinician/patients/{patient}/weekly", tag = "clinician", security(("bearer" = [])),
    params(("patient" = String, Path, description = "A patient id from the list"), WeeklyParams),
    responses(
        (status = 200, body = WeeklySeries),
        (status = 400, description = "Bad date range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live grant of this patient shows this", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn weekly_series(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    patient: web::Path<String>,
    query: web::Query<WeeklyParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    let range = load::parse_range(&params.from, &params.to)?;
    let journal = access::read_as(
        &state,
        viewer(&user, patient.into_inner()),
        View::Summary,
        "weekly".into(),
        client_address(&request),
        move |conn, opened| load::read_journal(conn, &opened.patient, &range),
    )
    .await?;
    let weeks = weekly(&daily(&journal, None, None));
    Ok(HttpResponse::Ok().json(WeeklySeries { weeks }))
}

/// The patient's chart (scope `summary` or `full`), as in their report.
#[utoipa::path(
    get, path = "/v1/clinician/patients/{patient}/chart.svg", tag = "clinician", security(("bearer" = [])),
    params(("patient" = String, Path, description = "A patient id from the list"), PeriodParams),
    responses(
        (status = 200, description = "The chart", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live grant of this patient shows this", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn chart_svg(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    patient: web::Path<String>,
    query: web::Query<PeriodParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    crate::reports::check_period(&params)?;
    let (_, period, journal) = access::read_as(
        &state,
        viewer(&user, patient.into_inner()),
        View::Summary,
        "chart".into(),
        client_address(&request),
        move |conn, opened| load::read_report(conn, &opened.patient, &params),
    )
    .await?;
    let svg = tokio::task::spawn_blocking(move || {
        chart::render(
            &period,
            &daily(&journal, Some(period.from), Some(period.to)),
        )
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg))
}

/// The patient's report for the doctor (scope `summary` or `full`).
#[utoipa::path(
    get, path = "/v1/clinician/patients/{patient}/report.pdf", tag = "clinician", security(("bearer" = [])),
    params(("patient" = String, Path, description = "A patient id from the list"), DoctorParams),
    responses(
        (status = 200, description = "The report", body = String, content_type = "application/pdf"),
        (status = 400, description = "Bad date or paper", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live grant of this patient shows this", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report_pdf(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    patient: web::Path<String>,
    query: web::Query<DoctorParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    crate::reports::check_period(&PeriodParams {
        from: params.from.clone(),
        to: params.to.clone(),
    })?;
    let viewer = viewer(&user, patient.into_inner());
    let address = client_address(&request);
    let pdf = doctor::render_from(&state, params, move |conn, period| {
        conn.write_transaction(|conn| {
            let opened = access::enter(conn, &viewer, View::Summary, "report_pdf", address)?;
            doctor::read_snapshot(conn, &opened.patient, period)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"pain-journal-report.pdf\"",
        ))
        .body(pdf))
}

/// The share page (as a link opens it) for a signed-in clinician: HTML for an app's web view.
#[utoipa::path(
    get, path = "/v1/clinician/patients/{patient}/page", tag = "clinician", security(("bearer" = [])),
    params(("patient" = String, Path, description = "A patient id from the list")),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live grant of this patient", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn page(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    patient: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let body = crate::share::page::for_clinician(
        &state,
        user.user_id,
        patient.into_inner(),
        client_address(&request),
    )
    .await?;
    Ok(crate::routes::share_page::html(HttpResponse::Ok(), body))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MassageParams {
    /// Weeks of pain regions to count, back from today (default 8, at most 52).
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<i64>,
}

/// Massage sessions and recent pain regions (scope `therapist` or `full`); no medications.
#[utoipa::path(
    get, path = "/v1/clinician/patients/{patient}/massage", tag = "clinician", security(("bearer" = [])),
    params(("patient" = String, Path, description = "A patient id from the list"), MassageParams),
    responses(
        (status = 200, body = MassageView),
        (status = 400, description = "Bad number of weeks", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live grant of this patient shows this", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn massage(
    state: web::Data<AppState>,
    user: Clinician,
    request: HttpRequest,
    patient: web::Path<String>,
    query: web::Query<MassageParams>,
) -> Result<HttpResponse, ApiError> {
    let weeks = query.into_inner().weeks.unwrap_or(8);
    if !(1..=52).contains(&weeks) {
        return Err(ApiError::BadRequest("weeks: must be from 1 to 52".into()));
    }
    let view = access::read_as(
        &state,
        viewer(&user, patient.into_inner()),
        View::Massage,
        "massage".into(),
        client_address(&request),
        move |conn, opened| massage_view(conn, &opened.patient, weeks),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The journal lists for scope `full`, one handler per kind of entry.
macro_rules! journal_list {
    ($name:ident, $resource:ty, $view:ty, $params:ty, $path:literal, $what:literal) => {
        #[doc = concat!("The patient's ", $what, " with notes, newest first (scope `full`).")]
        #[utoipa::path(
            get, path = $path, tag = "clinician", security(("bearer" = [])),
            operation_id = concat!("clinician_", stringify!($name)),
            params(("patient" = String, Path, description = "A patient id from the list"), $params),
            responses(
                (status = 200, body = Page<$view>),
                (status = 400, description = "Bad filter, limit or cursor", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Not a clinician account", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No live grant of this patient shows this", body = Problem, content_type = "application/problem+json"),
            )
        )]
        pub async fn $name(
            state: web::Data<AppState>,
            user: Clinician,
            request: HttpRequest,
            patient: web::Path<String>,
            query: web::Query<$params>,
        ) -> Result<HttpResponse, ApiError> {
            let params: ListParams = query.into_inner().into();
            let (filter, limit) = params.parse()?;
            let page = access::read_as(
                &state,
                viewer(&user, patient.into_inner()),
                View::Journal,
                stringify!($name).into(),
                client_address(&request),
                move |conn, opened| journal::list_on::<$resource>(conn, &opened.patient, &filter, limit),
            )
            .await?;
            Ok(HttpResponse::Ok().json(page))
        }
    };
}

journal_list!(
    pain_entries,
    PainEntries,
    crate::journal::pain_entries::PainEntry,
    ListParams,
    "/v1/clinician/patients/{patient}/pain-entries",
    "pain entries"
);
journal_list!(
    medications,
    crate::journal::medications::Medications,
    crate::journal::medications::Medication,
    UndatedListParams,
    "/v1/clinician/patients/{patient}/medications",
    "medications"
);
journal_list!(
    medication_intakes,
    crate::journal::medication_intakes::MedicationIntakes,
    crate::journal::medication_intakes::MedicationIntake,
    ListParams,
    "/v1/clinician/patients/{patient}/medication-intakes",
    "medication intakes"
);
journal_list!(
    massage_sessions,
    MassageSessions,
    MassageSession,
    ListParams,
    "/v1/clinician/patients/{patient}/massage-sessions",
    "massage sessions"
);
journal_list!(
    check_ins,
    crate::journal::check_ins::CheckIns,
    crate::journal::check_ins::CheckIn,
    ListParams,
    "/v1/clinician/patients/{patient}/check-ins",
    "check-ins"
);
