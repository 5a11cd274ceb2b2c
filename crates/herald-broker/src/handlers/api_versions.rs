//! ApiVersions (key 18): which APIs and versions this broker serves.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};

use super::served;
use crate::Broker;

pub(super) fn handle(
    _broker: &Broker,
    _req: &ApiVersionsRequest,
    _version: i16,
) -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(0)
        .with_api_keys(api_keys())
        .with_finalized_features_epoch(-1)
}

fn api_keys() -> Vec<ApiVersion> {
    served()
        .into_iter()
        .map(|s| {
            ApiVersion::default()
                .with_api_key(s.key as i16)
                .with_min_version(s.min)
                .with_max_version(s.max)
        })
        .collect()
}

/// The answer to an ApiVersions request newer than we know (KIP-511): encoded
/// at v0, UNSUPPORTED_VERSION, with our ranges so the client can retry at a
/// version we serve.
pub(crate) fn newer_version_response() -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(ResponseError::UnsupportedVersion.code())
        .with_api_keys(api_keys())
}
