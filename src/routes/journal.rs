//! `/v1/<journal kind>` and `/v1/days/{date}`: the journal over REST.
//!
//! The five kinds share one set of handlers (list, create, get, PATCH, delete) over the
//! generic use-cases in `journal`; a small macro stamps them out per kind so that each route
//! has its own documented `#[utoipa::path]`.

use actix_web::{web, HttpResponse};

use crate::auth::PatientToken;
use crate::domain::journal::parse_date;
use crate::error::{ApiError, Problem};
use crate::journal::days::{self, Day};
use crate::state::AppState;

macro_rules! journal_routes {
    (
        $module:ident, $one:ident, $resource:ty, $input:ty, $view:ty, params: $params:ty,
        tag: $tag:tt, list: $list_path:tt, item: $item_path:tt, what: $what:tt
    ) => {
        pub mod $module {
            use actix_web::{web, HttpResponse};

            use crate::auth::PatientToken;
            use crate::error::{ApiError, Problem};
            use crate::journal::{self, Page, Saved};
            use crate::state::AppState;

            pub fn configure(cfg: &mut web::ServiceConfig) {
                cfg.service(
                    web::resource($list_path)
                        .route(web::get().to(list))
                        .route(web::post().to(create))
                        .default_service(web::to(crate::routes::method_not_allowed)),
                )
                .service(
                    web::resource($item_path)
                        .route(web::get().to(get))
                        .route(web::patch().to(update))
                        .route(web::delete().to(delete))
                        .default_service(web::to(crate::routes::method_not_allowed)),
                );
            }

            #[doc = concat!("List ", $what, ", newest first.")]
            #[utoipa::path(
                get, path = $list_path, tag = $tag, security(("bearer" = [])),
                operation_id = concat!("list_", stringify!($module)),
                params($params),
                responses(
                    (status = 200, body = Page<$view>),
                    (status = 400, description = "Bad filter, limit or cursor", body = Problem, content_type = "application/problem+json"),
                    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                    (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
                )
            )]
            pub async fn list(
                state: web::Data<AppState>,
                user: PatientToken,
                query: web::Query<$params>,
            ) -> Result<HttpResponse, ApiError> {
                journal::list::<$resource>(&state, user, query.into_inner().into())
                    .await?
                    .into_response()
            }

            #[doc = concat!("Record ", $what, ". Sending the same id and values again answers the stored one (200).")]
            #[utoipa::path(
                post, path = $list_path, tag = $tag, security(("bearer" = [])),
                operation_id = concat!("create_", stringify!($one)),
                request_body = $input,
                responses(
                    (status = 201, description = "Created", body = $view),
                    (status = 200, description = "The same id and values were sent before: the stored entry", body = $view),
                    (status = 400, description = "Unreadable body, wrong type or unknown field", body = Problem, content_type = "application/problem+json"),
                    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                    (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
                    (status = 409, description = "The id exists with other values, or was deleted", body = Problem, content_type = "application/problem+json"),
                    (status = 422, description = "A value breaks a rule; nothing was stored", body = Problem, content_type = "application/problem+json"),
                )
            )]
            pub async fn create(
                state: web::Data<AppState>,
                user: PatientToken,
                body: crate::routes::JsonObject<$input>,
            ) -> Result<HttpResponse, ApiError> {
                match journal::create::<$resource>(&state, user, body.into_inner()).await? {
                    Saved::Created(view) => Ok(HttpResponse::Created().json(view)),
                    Saved::Existing(view) => Ok(HttpResponse::Ok().json(view)),
                }
            }

            #[doc = concat!("Read one of ", $what, ".")]
            #[utoipa::path(
                get, path = $item_path, tag = $tag, security(("bearer" = [])),
                operation_id = concat!("get_", stringify!($one)),
                params(("id" = String, Path, description = "The entry's id")),
                responses(
                    (status = 200, body = $view),
                    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                    (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
                    (status = 404, description = "No such entry of yours", body = Problem, content_type = "application/problem+json"),
                )
            )]
            pub async fn get(
                state: web::Data<AppState>,
                user: PatientToken,
                id: web::Path<String>,
            ) -> Result<HttpResponse, ApiError> {
                let view = journal::get::<$resource>(&state, user, id.into_inner()).await?;
                Ok(HttpResponse::Ok().json(view))
            }

            #[doc = concat!("Change one of ", $what, " (JSON merge patch: send only the fields to change; null clears an optional one).")]
            #[utoipa::path(
                patch, path = $item_path, tag = $tag, security(("bearer" = [])),
                operation_id = concat!("update_", stringify!($one)),
                params(("id" = String, Path, description = "The entry's id")),
                request_body(content = $input, description = "Any subset of the fields"),
                responses(
                    (status = 200, description = "The changed entry", body = $view),
                    (status = 400, description = "Unreadable body, wrong type or unknown field", body = Problem, content_type = "application/problem+json"),
                    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                    (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
                    (status = 404, description = "No such entry of yours", body = Problem, content_type = "application/problem+json"),
                    (status = 422, description = "A value breaks a rule; nothing was changed", body = Problem, content_type = "application/problem+json"),
                )
            )]
            pub async fn update(
                state: web::Data<AppState>,
                user: PatientToken,
                id: web::Path<String>,
                body: web::Json<serde_json::Value>,
            ) -> Result<HttpResponse, ApiError> {
                let view = journal::update::<$resource>(&state, user, id.into_inner(), body.into_inner()).await?;
                Ok(HttpResponse::Ok().json(view))
            }

            #[doc = concat!("Delete one of ", $what, " (it leaves every list; synced devices learn of it).")]
            #[utoipa::path(
                delete, path = $item_path, tag = $tag, security(("bearer" = [])),
                operation_id = concat!("delete_", stringify!($one)),
                params(("id" = String, Path, description = "The entry's id")),
                responses(
                    (status = 204, description = "Deleted"),
                    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
                    (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
                    (status = 404, description = "No such entry of yours", body = Problem, content_type = "application/problem+json"),
                )
            )]
            pub async fn delete(
                state: web::Data<AppState>,
                user: PatientToken,
                id: web::Path<String>,
            ) -> Result<HttpResponse, ApiError> {
                journal::delete::<$resource>(&state, user, id.into_inner()).await?;
                Ok(HttpResponse::NoContent().finish())
            }
        }
    };
}

journal_routes!(
    pain_entries, pain_entry, crate::journal::pain_entries::PainEntries,
    crate::journal::pain_entries::PainEntryInput, crate::journal::pain_entries::PainEntry,
    params: crate::journal::ListParams,
    tag: "pain entries", list: "/v1/pain-entries", item: "/v1/pain-entries/{id}", what: "pain entries"
);
journal_routes!(
    medications, medication, crate::journal::medications::Medications,
    crate::journal::medications::MedicationInput, crate::journal::medications::Medication,
    params: crate::journal::UndatedListParams,
    tag: "medications", list: "/v1/medications", item: "/v1/medications/{id}", what: "medications"
);
journal_routes!(
    medication_intakes, medication_intake, crate::journal::medication_intakes::MedicationIntakes,
    crate::journal::medication_intakes::MedicationIntakeInput,
    crate::journal::medication_intakes::MedicationIntake, params: crate::journal::ListParams,
    tag: "medication intakes", list: "/v1/medication-intakes", item: "/v1/medication-intakes/{id}",
    what: "medication intakes"
);
journal_routes!(
    massage_sessions, massage_session, crate::journal::massage_sessions::MassageSessions,
    crate::journal::massage_sessions::MassageSessionInput,
    crate::journal::massage_sessions::MassageSession, params: crate::journal::ListParams,
    tag: "massage sessions", list: "/v1/massage-sessions", item: "/v1/massage-sessions/{id}",
    what: "massage sessions"
);
journal_routes!(
    check_ins, check_in, crate::journal::check_ins::CheckIns, crate::journal::check_ins::CheckInInput,
    crate::journal::check_ins::CheckIn, params: crate::journal::ListParams,
    tag: "check-ins", list: "/v1/check-ins", item: "/v1/check-ins/{id}", what: "check-ins"
);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(pain_entries::configure)
        .configure(medications::configure)
        .configure(medication_intakes::configure)
        .configure(massage_sessions::configure)
        .configure(check_ins::configure)
        .service(
            web::resource("/v1/days/{date}")
                .route(web::get().to(day))
                .default_service(web::to(crate::routes::method_not_allowed)),
        );
}

/// Everything recorded on one local day: pain entries, intakes and massages, earliest first.
#[utoipa::path(
    get, path = "/v1/days/{date}", tag = "days", security(("bearer" = [])),
    params(("date" = String, Path, format = Date, description = "A local day, YYYY-MM-DD")),
    responses(
        (status = 200, body = Day),
        (status = 400, description = "Not a date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A clinician account (no journal)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn day(
    state: web::Data<AppState>,
    user: PatientToken,
    date: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let date = parse_date(&date).map_err(|why| ApiError::BadRequest(format!("date: {why}")))?;
    Ok(HttpResponse::Ok().json(days::day(&state, user, date).await?))
}
