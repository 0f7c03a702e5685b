//! The JSON body extractor for typed request bodies.
//!
//! serde reads a struct from a JSON array too (`["ann@example.com", "…"]` as a login), and
//! an all-optional struct from `[]`; the API documents objects, so anything else is a 400.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A request body that must be a JSON object of shape `T`.
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size, content type and syntax are checked (and answered) by the JSON config.
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = json.await?;
            if !value.is_object() {
                return Err(ApiError::BadRequest("The body must be a JSON object.".into()).into());
            }
            serde_json::from_value(value)
                .map(JsonObject)
                .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")).into())
        })
    }
}
