//! `/s/{token}`: the page a share link opens, its PDF, and the page's stylesheet.
//!
//! Strict headers: a Content-Security-Policy that allows no script at all and nothing from
//! another origin, no referrer (the token is in the URL), no indexing, no caching.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::error::ApiError;
use crate::reports::doctor::{self, DoctorParams};
use crate::routes::shares::client_address;
use crate::share::access::{self, Viewer};
use crate::share::{page, View};
use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../assets/web/share.css");

/// No script may run, nothing may load from elsewhere, no form may post, no frame may hold it.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/s/{token}")
            .route(web::get().to(share_page))
            .default_service(web::to(crate::routes::method_not_allowed)),
    )
    .service(
        web::resource("/s/{token}/report.pdf")
            .route(web::get().to(share_pdf))
            .default_service(web::to(crate::routes::method_not_allowed)),
    )
    .service(
        web::resource("/assets/share.css")
            .route(web::get().to(stylesheet))
            .default_service(web::to(crate::routes::method_not_allowed)),
    );
}

fn strict(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("X-Robots-Tag", "noindex, nofollow"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    response
}

pub fn html(response: HttpResponseBuilder, body: String) -> HttpResponse {
    strict(response)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A link that does not work (expired, revoked, unknown) gets a plain page, not JSON.
fn gone_or(error: ApiError) -> Result<HttpResponse, ApiError> {
    match error {
        ApiError::NotFound => Ok(html(HttpResponse::NotFound(), page::gone())),
        other => Err(other),
    }
}

/// The shared summary as a web page (no account needed; every opening is logged).
#[utoipa::path(
    get, path = "/s/{token}", tag = "sharing",
    params(("token" = String, Path, description = "The link token from the share's URL")),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
        (status = 404, description = "Expired, revoked or unknown link: a plain page saying so", body = String, content_type = "text/html"),
    )
)]
pub async fn share_page(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    match page::for_link(&state, token.into_inner(), client_address(&request)).await {
        Ok(body) => Ok(html(HttpResponse::Ok(), body)),
        Err(error) => gone_or(error),
    }
}

/// The doctor's report of a shared summary (scope `summary` or `full`).
#[utoipa::path(
    get, path = "/s/{token}/report.pdf", tag = "sharing",
    params(("token" = String, Path, description = "The link token from the share's URL")),
    responses(
        (status = 200, description = "The report", body = String, content_type = "application/pdf"),
        (status = 404, description = "Expired, revoked or unknown link, or a share without the summary", body = String, content_type = "text/html"),
    )
)]
pub async fn share_pdf(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let viewer = Viewer::Link {
        token: token.into_inner(),
    };
    let address = client_address(&request);
    let pdf = doctor::render_from(&state, DoctorParams::default(), move |conn, period| {
        conn.write_transaction(|conn| {
            let opened = access::enter(conn, &viewer, View::Summary, "report_pdf", address)?;
            doctor::read_snapshot(conn, &opened.patient, period)
        })
    })
    .await;
    match pdf {
        Ok(pdf) => Ok(strict(HttpResponse::Ok())
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"pain-journal-report.pdf\"",
            ))
            .body(pdf)),
        Err(error) => gone_or(error),
    }
}

/// The share page's stylesheet (served from here: the page allows no inline style).
#[utoipa::path(
    get, path = "/assets/share.css", tag = "sharing",
    responses((status = 200, description = "The stylesheet", body = String, content_type = "text/css")),
)]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
