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
    /// The API.
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
    let mut all = vec![served!(
        ApiVersions,
        ApiVersionsRequest,
        ApiVersionsResponse
    )];
    all.extend(crate::groups::served());
    all
}

/// What the connection does after a request was handled.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this response (boxed: response bodies are large).
    Respond(Box<ResponseKind>),
    /// Send nothing (acks=0 produce: the client does not wait).
    #[allow(dead_code)] // produced by the Produce handler
    NoResponse,
    /// Close the connection, as Kafka does for a request it cannot parse or
    /// serve at all; the reason is logged.
    Close(String),
}

/// Handles one decoded request.
pub(crate) async fn dispatch(broker: &Broker, request: Request) -> Outcome {
    let version = request.header.request_api_version;
    let body = match crate::groups::dispatch(broker, &request.header, request.body).await {
        Ok(response) => return response,
        Err(body) => body,
    };
    match body {
        RequestKind::ApiVersions(req) => Outcome::Respond(Box::new(ResponseKind::ApiVersions(
            api_versions::handle(broker, &req, version),
        ))),
        _ => Outcome::Close(format!(
            "{:?} v{version} is not served by this broker",
            request.api_key
        )),
    }
}
