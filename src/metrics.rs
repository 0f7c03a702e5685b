//! Prometheus metrics, served only on `METRICS_ADDR` (a separate listener, e.g. on a private
//! interface), never on the public API port: they would tell anyone how busy the service is.
//!
//! - `pain_journal_http_requests_total` and `pain_journal_http_requests_duration_seconds`:
//!   by route pattern (`/v1/pain-entries/{id}`, never the raw path; unknown paths count as
//!   `unmatched`), method and status — the `actix-web-prom` middleware;
//! - `pain_journal_db_pool_connections{state="in_use"|"idle"}` and
//!   `pain_journal_db_pool_waiting`: work waiting for a connection (or a blocking thread);
//! - `pain_journal_sync_records_total{direction="pushed"|"pulled"}`;
//! - `pain_journal_password_hashes_waiting`: sign-ins waiting for an argon2 permit.

use actix_web::{web, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::db::Pool;

const NAMESPACE: &str = "pain_journal";

/// The registry and the metrics the code updates. Cheap to clone (the metrics are shared).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pool_connections: IntGaugeVec,
    pub pool_waiting: IntGauge,
    pub sync_records: IntCounterVec,
    pub hashes_waiting: IntGauge,
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help).namespace(NAMESPACE)
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let pool_connections = IntGaugeVec::new(
            opts(
                "db_pool_connections",
                "Database connections of this server by state",
            ),
            &["state"],
        )
        .expect("a valid metric");
        let pool_waiting = IntGauge::with_opts(opts(
            "db_pool_waiting",
            "Database work waiting for a blocking thread and a pooled connection",
        ))
        .expect("a valid metric");
        let sync_records = IntCounterVec::new(
            opts(
                "sync_records_total",
                "Sync records pushed (written) and pulled",
            ),
            &["direction"],
        )
        .expect("a valid metric");
        let hashes_waiting = IntGauge::with_opts(opts(
            "password_hashes_waiting",
            "Password hashes waiting for an argon2 permit",
        ))
        .expect("a valid metric");
        for metric in [
            Box::new(pool_connections.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(pool_waiting.clone()),
            Box::new(sync_records.clone()),
            Box::new(hashes_waiting.clone()),
        ] {
            registry
                .register(metric)
                .expect("each metric registered once");
        }
        Self {
            registry,
            pool_connections,
            pool_waiting,
            sync_records,
            hashes_waiting,
        }
    }

    /// The request middleware, recording into this registry.
    pub fn middleware(&self) -> Result<PrometheusMetrics, String> {
        PrometheusMetricsBuilder::new(NAMESPACE)
            .registry(self.registry.clone())
            .mask_unmatched_patterns("unmatched")
            .build()
            .map_err(|e| format!("metrics: {e}"))
    }

    /// The text exposition of every metric, with the pool read now.
    pub fn render(&self, pool: &Pool) -> Vec<u8> {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        let in_use = i64::from(state.connections) - idle;
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(in_use);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        let mut out = Vec::new();
        // Encoding gathered metrics into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts one waiter on `gauge` while it lives.
pub struct Waiting(IntGauge);

impl Waiting {
    pub fn on(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `GET /metrics` on the metrics listener.
pub async fn serve(metrics: web::Data<Metrics>, pool: web::Data<Pool>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(TextEncoder::new().format_type())
        .body(metrics.render(&pool))
}
