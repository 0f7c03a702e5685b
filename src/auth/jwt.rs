//! Access tokens: short-lived HS256 JWTs with pinned algorithm, issuer and audience.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::{SessionFamilyId, UserId};
use crate::error::ApiError;

pub const ISSUER: &str = "pain-journal";
pub const AUDIENCE: &str = "pain-journal-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session (refresh-token family) the token was issued for.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    /// The user's timezone when the token was issued: a hint, never trusted. A create on
    /// PostgreSQL works out the entry's local day with it and writes in one statement that
    /// checks it is still the user's timezone (else it takes the longer path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// What a verified access token says.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub user_id: UserId,
    pub session: SessionFamilyId,
    /// The `tz` claim (see [`Claims::tz`]).
    pub timezone_hint: Option<String>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        // Only HS256 is accepted, whatever the token's header claims (no `none`, no RS/HS
        // confusion); `exp`, `iss`, `aud` and `sub` must all be present and right.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn issue(
        &self,
        user_id: &UserId,
        session: &SessionFamilyId,
        timezone: Option<&str>,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_string(),
            sid: session.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            tz: timezone.map(str::to_owned),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<VerifiedToken, ApiError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("The access token has expired.")
                }
                _ => ApiError::Unauthorized("The access token is not valid."),
            }
        })?;
        Ok(VerifiedToken {
            user_id: UserId::from_trusted(data.claims.sub),
            session: SessionFamilyId::from_trusted(data.claims.sid),
            timezone_hint: data.claims.tz,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_verifies_with_its_own_key_only() {
        let keys = JwtKeys::new(SECRET, Duration::from_secs(60));
        let user = UserId::generate();
        let token = keys
            .issue(&user, &SessionFamilyId::generate(), Some("Europe/Berlin"))
            .unwrap();
        let verified = keys.verify(&token).unwrap();
        assert_eq!(verified.user_id, user);
        assert_eq!(verified.timezone_hint.as_deref(), Some("Europe/Berlin"));
        let other = JwtKeys::new(b"another secret another secret 32", Duration::from_secs(60));
        assert!(other.verify(&token).is_err());
    }
}
