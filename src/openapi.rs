//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations.
//!
//! The same document is checked in as `openapi/openapi.json`; a test fails when they differ.
//! Regenerate with `cargo run -- openapi > openapi/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pain-journal",
        description = "Backend of a sciatica / chronic-pain journal: pain, painkillers, massage \
                       sessions, and whether massage lowers painkiller use. Errors are \
                       application/problem+json (RFC 7807).",
    ),
    paths(
        routes::health::live,
        routes::health::ready,
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::me::get_me,
        routes::me::patch_me,
        routes::me::delete_me,
        routes::me::list_sessions,
        routes::me::revoke_session,
        routes::me::change_password,
        routes::journal::pain_entries::list,
        routes::journal::pain_entries::create,
        routes::journal::pain_entries::get,
        routes::journal::pain_entries::update,
        routes::journal::pain_entries::delete,
        routes::journal::medications::list,
        routes::journal::medications::create,
        routes::journal::medications::get,
        routes::journal::medications::update,
        routes::journal::medications::delete,
        routes::journal::medication_intakes::list,
        routes::journal::medication_intakes::create,
        routes::journal::medication_intakes::get,
        routes::journal::medication_intakes::update,
        routes::journal::medication_intakes::delete,
        routes::journal::massage_sessions::list,
        routes::journal::massage_sessions::create,
        routes::journal::massage_sessions::get,
        routes::journal::massage_sessions::update,
        routes::journal::massage_sessions::delete,
        routes::journal::check_ins::list,
        routes::journal::check_ins::create,
        routes::journal::check_ins::get,
        routes::journal::check_ins::update,
        routes::journal::check_ins::delete,
        routes::journal::day,
        routes::sync::pull,
        routes::sync::push,
        routes::insight::massage_effect,
        routes::insight::weekly,
        routes::reports::chart_svg,
        routes::reports::journal_csv,
        routes::reports::doctor_pdf,
        routes::reports::export_all,
        routes::reports::export_fhir,
        routes::reports::import_all,
        routes::shares::create_share,
        routes::shares::list_shares,
        routes::shares::revoke_share,
        routes::shares::access_log,
        routes::shares::redeem,
        routes::clinician::patients,
        routes::clinician::summary,
        routes::clinician::weekly_series,
        routes::clinician::chart_svg,
        routes::clinician::report_pdf,
        routes::clinician::massage,
        routes::clinician::page,
        routes::clinician::pain_entries,
        routes::clinician::medications,
        routes::clinician::medication_intakes,
        routes::clinician::massage_sessions,
        routes::clinician::check_ins,
        routes::share_page::share_page,
        routes::share_page::share_pdf,
        routes::share_page::stylesheet,
    ),
    components(schemas(crate::error::Problem, crate::domain::FieldError)),
    modifiers(&BearerAuth, &CommonResponses, &PatchSchemas),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "me", description = "The signed-in user's account and devices"),
        (name = "pain entries", description = "How much it hurts, where and how"),
        (name = "medications", description = "The patient's painkillers"),
        (name = "medication intakes", description = "Doses taken, with mg and MME derived"),
        (name = "massage sessions", description = "Massages and how they felt"),
        (name = "check-ins", description = "PEG and Oswestry questionnaires, scored by the server"),
        (name = "days", description = "Everything of one local day"),
        (name = "sync", description = "Offline sync, wire-compatible with WatermelonDB"),
        (name = "insights", description = "Does massage lower my painkiller use? From the user's own data"),
        (name = "reports", description = "The chart, the journal as CSV and the whole account as JSON, to take elsewhere"),
        (name = "sharing", description = "The patient shares part of the journal with a clinician, and sees every look"),
        (name = "clinician", description = "What a clinician sees of the patients who shared with them (read-only)"),
        (name = "ops", description = "Probes and documentation"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The answers every operation can give besides its own, listed on each operation so that
/// the document names every status the server sends: 400 for an unreadable query, path or
/// body; 413 and 415 for a body too large or not JSON; 401 without a valid token; 404 for
/// a path naming nothing of the user's; 503 while the database is unreachable.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let has_body = operation.request_body.is_some();
                let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let signed_in = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut common = Vec::new();
                if has_body || has_params {
                    common.push(("400", "The request cannot be read (see `detail`)"));
                }
                if has_body {
                    common.push(("413", "The body is too large"));
                    common.push(("415", "The body is not `application/json`"));
                }
                if signed_in {
                    common.push(("401", "Missing, invalid or expired access token"));
                }
                if path.contains('{') {
                    common.push(("404", "No such resource of yours"));
                }
                if path != "/health/live" {
                    common.push(("503", "The database is not reachable; try again soon"));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                }
            }
        }
    }
}

/// A PATCH is a JSON merge patch: any subset of the fields. Its body is documented as the
/// kind's input schema with nothing required (`PainEntryInput` -> `PainEntryPatch`), made
/// here so the two can never drift apart.
struct PatchSchemas;

impl Modify for PatchSchemas {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, RefOr};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for item in openapi.paths.paths.values_mut() {
            let Some(body) = item.patch.as_mut().and_then(|op| op.request_body.as_mut()) else {
                continue;
            };
            for content in body.content.values_mut() {
                let Some(RefOr::Ref(reference)) = &content.schema else {
                    continue;
                };
                let Some(input) = reference.ref_location.rsplit('/').next() else {
                    continue;
                };
                let Some(patch_name) = input.strip_suffix("Input").map(|k| format!("{k}Patch"))
                else {
                    continue;
                };
                let Some(schema) = components.schemas.get(input) else {
                    continue;
                };
                let Ok(mut json) = serde_json::to_value(schema) else {
                    continue;
                };
                if let Some(object) = json.as_object_mut() {
                    object.remove("required");
                    object.remove("example");
                    object.insert(
                        "description".into(),
                        format!(
                            "Any subset of the fields of {input}; null clears an optional one."
                        )
                        .into(),
                    );
                }
                let Ok(patch) = serde_json::from_value(json) else {
                    continue;
                };
                components.schemas.insert(patch_name.clone(), patch);
                content.schema = Some(RefOr::Ref(Ref::from_schema_name(patch_name)));
            }
        }
    }
}

fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// The document as checked in: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}
