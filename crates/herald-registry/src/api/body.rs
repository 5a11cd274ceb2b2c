//! Request bodies: JSON in any of Confluent's media types (and as
//! `application/octet-stream`), within the configured size limit.

use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::{Registry, RegistryError};

const ACCEPTED: [&str; 4] = [
    super::V1_JSON,
    super::GENERIC_JSON,
    super::PLAIN_JSON,
    "application/octet-stream",
];

/// A JSON request body. Unknown fields are ignored and `null` reads as
/// absent (clients send `"metadata": null`); a body over the limit is 42209,
/// malformed JSON 400, JSON of the wrong shape 422, another media type 415.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<Registry>> for JsonBody<T> {
    type Rejection = RegistryError;

    async fn from_request(
        request: Request,
        registry: &Arc<Registry>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let essence = content_type
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !ACCEPTED.contains(&essence.as_str()) {
                return Err(RegistryError::Http {
                    status: 415,
                    message: "HTTP 415 Unsupported Media Type".to_owned(),
                });
            }
        }
        let limit = registry.config().max_body_bytes;
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| RegistryError::SchemaTooLarge { limit })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let status = if e.is_data() { 422 } else { 400 };
            RegistryError::Http {
                status,
                message: format!("Unrecognized request body: {e}"),
            }
        })
    }
}
