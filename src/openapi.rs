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
    ),
    components(schemas(crate::error::Problem, crate::domain::FieldError)),
    modifiers(&BearerAuth),
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

/// The document as checked in: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}
