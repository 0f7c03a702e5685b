//! The Application: pool, migrations and the HTTP server on a bound listener.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Condition, DefaultHeaders};
use actix_web::{web, App, HttpResponse, HttpServer};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::config::Settings;
use crate::openapi::ApiDoc;
use crate::routes::{self, auth_rate_limit};
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener's port and server, when `METRICS_ADDR` is set.
    metrics: Option<(u16, Server)>,
}

/// Where the OpenAPI document is served; the docs page loads it from here.
const OPENAPI_PATH: &str = "/openapi.json";

impl Application {
    /// Connects to the database (running migrations) and binds `settings.bind_addr`; port 0
    /// picks a free port (tests).
    pub fn build(settings: &Settings) -> Result<Self, String> {
        let pool = crate::db::connect(&settings.database, settings.db_pool_size)?;
        let listener = TcpListener::bind(settings.bind_addr)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.bind_addr))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let state = web::Data::new(AppState::new(settings, pool));
        // Built once, outside the worker factory, so all workers share one counter per address.
        let rate_limit = auth_rate_limit(settings.auth_requests_per_minute);
        // Served from one shared buffer: utoipa's own route keeps a copy of the document's
        // structure in every worker (several MiB between them) and serialises it per request.
        let openapi_json = web::Bytes::from(
            serde_json::to_vec(&ApiDoc::openapi()).map_err(|e| format!("OpenAPI document: {e}"))?,
        );
        let cors_origins = settings.cors_origins.clone();
        let request_metrics = state.metrics.middleware()?;
        let metrics = match settings.metrics_addr {
            Some(address) => Some(metrics_server(address, &state)?),
            None => None,
        };

        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(
                    crate::auth::signed_out::signed_out_first,
                ))
                .wrap(actix_web::middleware::from_fn(refuse_nul_in_path))
                .wrap(security_headers())
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins),
                ))
                .wrap(TracingLogger::default())
                .wrap(request_metrics.clone())
                .app_data(state.clone())
                .configure(routes::extractor_configs)
                .configure(routes::health::configure)
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("Location", "/docs/"))
                            .finish()
                    }),
                )
                .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new([OPENAPI_PATH])))
                .route(OPENAPI_PATH, {
                    let document = openapi_json.clone();
                    web::get().to(move || {
                        let document = document.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type(header::ContentType::json())
                                .body(document)
                        }
                    })
                })
                .configure(|cfg| routes::v1(cfg, &rate_limit))
                .default_service(web::to(routes::not_found))
        })
        // Small JSON answers must not wait for the client's delayed ACK (Nagle).
        .tcp_nodelay(true)
        // On SIGTERM/SIGINT: stop accepting, let requests in flight finish (a push commits or
        // rolls back whole), and only after this long drop what is left.
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
        .listen(listener)
        .map_err(|e| format!("cannot serve: {e}"))?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            metrics,
        })
    }

    /// Stop the servers (tests use them to shut down before dropping their database).
    pub fn handles(&self) -> Vec<actix_web::dev::ServerHandle> {
        std::iter::once(&self.server)
            .chain(self.metrics.as_ref().map(|(_, server)| server))
            .map(Server::handle)
            .collect()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until stopped (SIGTERM/SIGINT stop both listeners).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => futures_util::future::try_join(self.server, metrics)
                .await
                .map(|_| ()),
            None => self.server.await,
        }
    }
}

/// `GET /metrics` on its own listener, with one worker: scrapes are rare and small.
fn metrics_server(
    address: std::net::SocketAddr,
    state: &web::Data<AppState>,
) -> Result<(u16, Server), String> {
    let listener = TcpListener::bind(address)
        .map_err(|e| format!("cannot listen on {address} (METRICS_ADDR): {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let metrics = web::Data::new(state.metrics.clone());
    let pool = web::Data::new(state.pool.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .app_data(pool.clone())
            .route("/metrics", web::get().to(crate::metrics::serve))
    })
    .workers(1)
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .listen(listener)
    .map_err(|e| format!("cannot serve metrics: {e}"))?
    .run();
    Ok((port, server))
}

/// Seconds a stopping server gives requests in flight: a five-year first sync or import takes
/// a few seconds at most; process managers wait 30 s before SIGKILL by default.
const SHUTDOWN_GRACE_SECS: u64 = 25;

/// A path with an encoded NUL (`%00`) names nothing, and PostgreSQL refuses NUL in text: such
/// a path parameter must never reach a query (it made a 500 there). Answered like any
/// unknown path, for every route at once.
async fn refuse_nul_in_path(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if request.uri().path().to_ascii_lowercase().contains("%00") {
        let response = request.error_response(crate::error::ApiError::NotFound);
        return Ok(response.map_into_right_body());
    }
    next.call(request)
        .await
        .map(actix_web::dev::ServiceResponse::map_into_left_body)
}

/// Every answer may hold health data: no cache may keep it, and no browser may guess its type.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// Browser clients on the origins named in `CORS_ORIGINS`, and no others.
fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(600)
}
