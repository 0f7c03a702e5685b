//! Reports for someone else: the chart as SVG, a journal table as CSV, the whole account as
//! JSON.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Patient;
use crate::error::{ApiError, Problem};
use crate::insight::load;
use crate::reports::doctor::{self, DoctorParams};
use crate::reports::export::{self, ExportDocument};
use crate::reports::fhir;
use crate::reports::import::{self, ImportDocument, ImportSummary};
use crate::reports::journal_csv::{self, JournalTable};
use crate::reports::{chart, days_filter, PeriodParams};
use crate::routes::JsonObject;
use crate::state::AppState;

/// Largest import document: a decade of heavy use is ~10 MB.
pub const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, route) in [
        ("/v1/insights/chart.svg", web::get().to(chart_svg)),
        ("/v1/reports/journal.csv", web::get().to(journal_csv)),
        ("/v1/reports/doctor.pdf", web::get().to(doctor_pdf)),
        ("/v1/export", web::get().to(export_all)),
        ("/v1/export/fhir", web::get().to(export_fhir)),
        ("/v1/import", web::post().to(import_all)),
    ] {
        cfg.service(
            web::resource(path)
                .app_data(
                    web::JsonConfig::default()
                        .limit(IMPORT_BODY_LIMIT)
                        .error_handler(|err, _req| ApiError::from(err).into()),
                )
                .route(route)
                .default_service(web::to(crate::routes::method_not_allowed)),
        );
    }
}

/// The chart of a period: daily pain (overall, back, leg), painkiller doses and opioid MME per
/// day, massage sessions marked; SVG with a `viewBox`.
#[utoipa::path(
    get, path = "/v1/insights/chart.svg", tag = "reports", security(("bearer" = [])),
    params(PeriodParams),
    responses(
        (status = 200, description = "The chart", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn chart_svg(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<PeriodParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, period, days) = load::report_days(&state, user.user_id, query.into_inner()).await?;
    let svg = chart::render(&period, &days).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg))
}

/// The report for the doctor: one page for 90 days — the chart, the massage verdict with its
/// numbers, medications with doses and MME per day, massage sessions, weekly averages and the
/// latest PEG and Oswestry scores. Fonts embedded, text extractable.
#[utoipa::path(
    get, path = "/v1/reports/doctor.pdf", tag = "reports", security(("bearer" = [])),
    params(DoctorParams),
    responses(
        (status = 200, description = "The report", body = String, content_type = "application/pdf"),
        (status = 400, description = "Bad date or paper", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn doctor_pdf(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<DoctorParams>,
) -> Result<HttpResponse, ApiError> {
    let pdf = doctor::report(&state, user.user_id, query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"pain-journal-report.pdf\"",
        ))
        .body(pdf))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CsvParams {
    /// Which kind of entry.
    #[param(inline)]
    pub table: JournalTable,
    /// First local day, `YYYY-MM-DD` (default: the first entry). Medications have no day.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD` (default: the last entry); before `from`: no rows.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// One kind of entry as CSV (RFC 4180, header row, newest first, streamed): ISO instants in
/// UTC beside the local date; text that a spreadsheet would run as a formula starts with `'`.
#[utoipa::path(
    get, path = "/v1/reports/journal.csv", tag = "reports", security(("bearer" = [])),
    params(CsvParams),
    responses(
        (status = 200, description = "The rows", body = String, content_type = "text/csv"),
        (status = 400, description = "Bad table or date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn journal_csv(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<CsvParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    let filter = days_filter(&params.from, &params.to)?;
    let filename = format!("pain-journal-{}.csv", params.table.name());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(journal_csv::stream(
            state,
            user.user_id,
            params.table,
            filter,
        )))
}

/// Everything the account holds — profile and every journal entry with its notes — as one
/// versioned JSON document.
#[utoipa::path(
    get, path = "/v1/export", tag = "reports", security(("bearer" = [])),
    responses(
        (status = 200, body = ExportDocument),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_all(
    state: web::Data<AppState>,
    user: Patient,
) -> Result<HttpResponse, ApiError> {
    let user_id = user.user_id;
    let document = state
        .db(move |conn| {
            conn.read_transaction(|conn| {
                Ok(ExportDocument {
                    format: export::FORMAT,
                    version: export::VERSION,
                    exported_at: crate::journal::rfc3339(crate::db::now()),
                    profile: crate::auth::accounts::read_profile(conn, &user_id)?,
                    journal: export::read_journal(conn, &user_id)?,
                })
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"pain-journal-export.json\"",
        ))
        .json(document))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FhirParams {
    /// First local day, `YYYY-MM-DD` (default: the first entry).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD` (default: the last entry); before `from`: the patient only.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// The journal as a FHIR R4 (4.0.1) `Bundle` of type `collection`: the `Patient`, each pain
/// entry as `Observation`s (LOINC 72514-3; back and leg pain with their body site), each
/// intake as a patient-reported `MedicationStatement`, each massage as a `Procedure`
/// (SNOMED CT), each check-in as an `Observation` with its score.
#[utoipa::path(
    get, path = "/v1/export/fhir", tag = "reports", security(("bearer" = [])),
    params(FhirParams),
    responses(
        (status = 200, description = "A FHIR R4 Bundle", body = Object, content_type = "application/fhir+json"),
        (status = 400, description = "Bad date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_fhir(
    state: web::Data<AppState>,
    user: Patient,
    query: web::Query<FhirParams>,
) -> Result<HttpResponse, ApiError> {
    let params = query.into_inner();
    let filter = days_filter(&params.from, &params.to)?;
    let user_id = user.user_id;
    let bundle = state
        .db(move |conn| {
            conn.read_transaction(|conn| {
                let profile = crate::auth::accounts::read_profile(conn, &user_id)?;
                let journal = export::read_rows(conn, &user_id, &filter)?;
                fhir::bundle(
                    &profile,
                    &journal,
                    crate::journal::rfc3339(crate::db::now()),
                )
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(fhir::MEDIA_TYPE)
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"pain-journal-fhir.json\"",
        ))
        .json(bundle))
}

/// Loads an export document into this account, whose journal must be empty: every row or
/// none. Rows are validated like new entries and keep their ids, local days and times; each
/// gets a new version, so signed-in devices pull them. The profile is not changed.
#[utoipa::path(
    post, path = "/v1/import", tag = "reports", security(("bearer" = [])),
    request_body = ImportDocument,
    responses(
        (status = 200, body = ImportSummary),
        (status = 400, description = "Not JSON, or not shaped like a document", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The journal is not empty, or the document repeats an id", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 32 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Another format or version, or rows that break the rules (all listed)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_all(
    state: web::Data<AppState>,
    user: Patient,
    body: JsonObject<ImportDocument>,
) -> Result<HttpResponse, ApiError> {
    let document = body.into_inner();
    import::check_document(&document)?;
    let user_id = user.user_id;
    let summary = state
        .db(move |conn| {
            conn.write_transaction(|conn| import::load(conn, &user_id, &document, &mut |_| {}))
        })
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}
