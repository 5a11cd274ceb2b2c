//! Request handlers, one file per Kafka API, and the table of the versions
//! each is served at (the single source ApiVersions answers from).

mod api_versions;

use kafka_protocol::messages::{ApiKey, RequestKind, ResponseKind};
use kafka_protocol::protocol::{Message, VersionRange};

use crate::Broker;
use crate::codec::Request;

pub(crate) use api_versions::newer_version_response;

/// The versions served for one API.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Served {
    pub key: ApiKey,
    /// The lowest version advertised.
    pub min: i16,
    /// The highest version advertised.
    pub max: i16,
}

/// The versions both the request and the response codec can handle, so that
/// ApiVersions never advertises what the `kafka-protocol` structs cannot carry
/// (its `ApiKey::valid_versions()` over-reports for a few APIs).
fn codec_range<Req: Message, Resp: Message>() -> VersionRange {
    Req::VERSIONS.intersect(&Resp::VERSIONS)
}

macro_rules! served {
    ($key:ident, $req:ty, $resp:ty) => {{
        let r = codec_range::<$req, $resp>();
        Served {
            key: ApiKey::$key,
            min: r.min,
            max: r.max,
        }
    }};
}

/// Every API this broker answers, with the versions it advertises.
pub(crate) fn served() -> Vec<Served> {
    use kafka_protocol::messages::*;
    vec![served!(
        ApiVersions,
        ApiVersionsRequest,
        ApiVersionsResponse
    )]
}

/// Handles one decoded request. `None` means no response is sent (acks=0 produce).
pub(crate) async fn dispatch(broker: &Broker, request: Request) -> Option<ResponseKind> {
    let version = request.header.request_api_version;
    match request.body {
        RequestKind::ApiVersions(req) => Some(ResponseKind::ApiVersions(api_versions::handle(
            broker, &req, version,
        ))),
        other => {
            tracing::warn!(api = ?request.api_key, version, "request for an API this broker does not serve");
            let _ = other;
            None
        }
    }
}
