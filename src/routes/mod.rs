//! HTTP: thin handlers and their request/response types. Each handler extracts, calls one
//! use-case function and maps the result.

pub mod auth;
pub mod clinician;
pub mod health;
pub mod insight;
pub mod journal;
mod json_object;
pub mod me;
mod rate_limit;
pub mod reports;
pub mod share_page;
pub mod shares;
pub mod sync;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;
pub use json_object::JsonObject;
pub use rate_limit::{auth_rate_limit, AuthRateLimit};

/// Largest JSON body accepted by the account routes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// Every error actix raises before a handler runs (bad JSON, wrong content type, oversized
/// body, bad path or query) becomes a problem+json answer.
pub fn extractor_configs(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_BODY_LIMIT)
            .error_handler(|err, _req| ApiError::from(err).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest(format!("Invalid query string: {err}")).into()
    }))
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, _req| ApiError::BadRequest(format!("Invalid path: {err}")).into()),
    );
}

/// The `/v1` API.
pub fn v1(cfg: &mut web::ServiceConfig, rate_limit: &AuthRateLimit) {
    let limited = || actix_governor::Governor::new(rate_limit);
    cfg.configure(journal::configure)
        .configure(sync::configure)
        .configure(insight::configure)
        .configure(reports::configure)
        .configure(shares::configure)
        .configure(clinician::configure)
        .configure(share_page::configure)
        .service(
            web::scope("/v1")
                .service(
                    web::resource("/auth/register")
                        .wrap(limited())
                        .route(web::post().to(auth::register))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/auth/login")
                        .wrap(limited())
                        .route(web::post().to(auth::login))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/auth/refresh")
                        .route(web::post().to(auth::refresh))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/auth/logout")
                        .route(web::post().to(auth::logout))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/me")
                        .route(web::get().to(me::get_me))
                        .route(web::patch().to(me::patch_me))
                        .route(web::delete().to(me::delete_me))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/me/sessions")
                        .route(web::get().to(me::list_sessions))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/me/sessions/{id}")
                        .route(web::delete().to(me::revoke_session))
                        .default_service(web::to(method_not_allowed)),
                )
                .service(
                    web::resource("/me/password")
                        .route(web::post().to(me::change_password))
                        .default_service(web::to(method_not_allowed)),
                ),
        );
}

/// 405 with the `Allow` header a client (and RFC 9110) expects: the methods the OpenAPI
/// document lists for the matched path, so the header can never disagree with the spec.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allow = req
        .match_pattern()
        .and_then(|pattern| documented_methods().get(&pattern).cloned())
        .unwrap_or_default();
    Err(ApiError::MethodNotAllowed { allow })
}

/// Path pattern -> "GET, POST", from the OpenAPI document (built once).
fn documented_methods() -> &'static std::collections::HashMap<String, String> {
    use std::sync::OnceLock;
    use utoipa::OpenApi;
    static METHODS: OnceLock<std::collections::HashMap<String, String>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let spec = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap_or_default();
        let mut methods = std::collections::HashMap::new();
        if let Some(paths) = spec["paths"].as_object() {
            for (path, operations) in paths {
                let mut names: Vec<String> = operations
                    .as_object()
                    .map(|ops| ops.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                names.sort();
                methods.insert(path.clone(), names.join(", "));
            }
        }
        methods
    })
}

pub async fn not_found(_req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
