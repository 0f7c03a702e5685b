//! Per-client-address throttling of login and registration (actix-governor).
//!
//! This counter lives in process memory: with several servers each allows the full rate, which
//! is acceptable because the per-account limit on failed logins is kept in the database.

use std::net::IpAddr;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::governor::NotUntil;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};

use crate::error::ApiError;

/// Keys requests by the connecting peer's address. Not `X-Forwarded-For`, which any client
/// can forge; behind a proxy, configure the proxy to throttle instead.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress;

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        req.peer_addr()
            .map(|addr| addr.ip())
            .ok_or_else(|| SimpleKeyExtractionError::new("cannot tell the client address"))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }
        .error_response()
    }
}

pub type AuthRateLimit = GovernorConfig<ClientAddress, NoOpMiddleware<QuantaInstant>>;

/// `per_minute` requests per address and minute, with bursts of the same size.
pub fn auth_rate_limit(per_minute: u32) -> AuthRateLimit {
    let per_minute = per_minute.max(1);
    GovernorConfigBuilder::default()
        .key_extractor(ClientAddress)
        .requests_per_minute(u64::from(per_minute))
        .burst_size(per_minute)
        .finish()
        .expect("a positive rate and burst make a valid governor config")
}
