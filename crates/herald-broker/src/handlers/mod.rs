//! Request handlers, one file per Kafka API, and the table of the versions
//! each is served at (the single source ApiVersions answers from).

mod alter_configs;
mod api_versions;
pub(crate) mod configs;
mod create_partitions;
mod create_topics;
mod delete_records;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
pub(crate) mod errors;
mod fetch;
mod incremental_alter_configs;
mod init_producer_id;
mod list_offsets;
mod metadata;
mod produce;
mod unsupported;

use std::net::SocketAddr;

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
    // Produce is advertised from v0 although v0–2 are refused: librdkafka
    // before 2.11.1 only compresses when the range starts at 0 (KAFKA-18659).
    let produce = Served {
        min: 0,
        ..served!(Produce, ProduceRequest, ProduceResponse)
    };
    let mut all = vec![
        produce,
        served!(Fetch, FetchRequest, FetchResponse),
        served!(ListOffsets, ListOffsetsRequest, ListOffsetsResponse),
        served!(Metadata, MetadataRequest, MetadataResponse),
        served!(ApiVersions, ApiVersionsRequest, ApiVersionsResponse),
        served!(
            InitProducerId,
            InitProducerIdRequest,
            InitProducerIdResponse
        ),
        served!(
            DescribeCluster,
            DescribeClusterRequest,
            DescribeClusterResponse
        ),
        served!(CreateTopics, CreateTopicsRequest, CreateTopicsResponse),
        served!(DeleteTopics, DeleteTopicsRequest, DeleteTopicsResponse),
        served!(
            CreatePartitions,
            CreatePartitionsRequest,
            CreatePartitionsResponse
        ),
        served!(DeleteRecords, DeleteRecordsRequest, DeleteRecordsResponse),
        served!(
            DescribeConfigs,
            DescribeConfigsRequest,
            DescribeConfigsResponse
        ),
        served!(AlterConfigs, AlterConfigsRequest, AlterConfigsResponse),
        served!(
            IncrementalAlterConfigs,
            IncrementalAlterConfigsRequest,
            IncrementalAlterConfigsResponse
        ),
    ];
    all.extend(crate::groups::served());
    all.extend(crate::share::served());
    all.sort_by_key(|s| s.key as i16);
    all
}

/// What the connection does after a request was handled.
pub(crate) enum Outcome {
    /// Send this response (boxed: response bodies are large).
    Respond(Box<ResponseKind>),
    /// Send nothing (acks=0 produce: the client does not wait).
    NoResponse,
    /// Close the connection, as Kafka does for a request it cannot parse or
    /// serve at all; the reason is logged.
    Close(String),
    /// The request's effects are in order (e.g. its batches are written);
    /// what remains (waiting for an fsync, then the response) runs while the
    /// connection goes on to the next request. Responses still leave in order.
    Deferred(std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send>>),
}

fn respond(body: impl Into<ResponseKind>) -> Outcome {
    Outcome::Respond(Box::new(body.into()))
}

/// Whether `version` of `key` is in the advertised range.
fn is_served(key: ApiKey, version: i16) -> bool {
    served()
        .iter()
        .any(|s| s.key == key && (s.min..=s.max).contains(&version))
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Respond(body) => f.debug_tuple("Respond").field(body).finish(),
            Outcome::NoResponse => f.write_str("NoResponse"),
            Outcome::Close(reason) => f.debug_tuple("Close").field(reason).finish(),
            Outcome::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

/// Answers a request for an API or version that is not served, by its key
/// and version alone (its body was not decoded).
pub(crate) fn not_served(api_key: ApiKey, version: i16) -> Outcome {
    unsupported::respond(api_key, version)
}

/// Handles one decoded request from the client at `peer` (group members
/// are described with their address, as Kafka does).
pub(crate) async fn dispatch(broker: &Broker, request: Request, peer: SocketAddr) -> Outcome {
    let version = request.header.request_api_version;
    let api_key = request.api_key;
    let body = match crate::groups::dispatch(broker, &request.header, peer, request.body).await {
        Ok(response) => return response,
        Err(body) => body,
    };
    let body = match crate::share::dispatch(broker, &request.header, peer, body).await {
        Ok(response) => return response,
        Err(body) => body,
    };
    if !is_served(api_key, version) {
        return unsupported::respond(api_key, version);
    }
    match body {
        RequestKind::ApiVersions(req) => respond(api_versions::handle(broker, &req, version)),
        RequestKind::Metadata(req) => respond(metadata::handle(broker, req, version).await),
        RequestKind::Produce(req) => produce::handle(broker, req, version).await,
        RequestKind::Fetch(req) => respond(fetch::handle(broker, req, version).await),
        RequestKind::ListOffsets(req) => respond(list_offsets::handle(broker, req, version).await),
        RequestKind::InitProducerId(req) => {
            respond(init_producer_id::handle(broker, req, version).await)
        }
        RequestKind::DescribeCluster(req) => {
            respond(describe_cluster::handle(broker, &req, version))
        }
        RequestKind::CreateTopics(req) => {
            respond(create_topics::handle(broker, req, version).await)
        }
        RequestKind::DeleteTopics(req) => {
            respond(delete_topics::handle(broker, req, version).await)
        }
        RequestKind::CreatePartitions(req) => {
            respond(create_partitions::handle(broker, req, version).await)
        }
        RequestKind::DeleteRecords(req) => {
            respond(delete_records::handle(broker, req, version).await)
        }
        RequestKind::DescribeConfigs(req) => {
            respond(describe_configs::handle(broker, &req, version).await)
        }
        RequestKind::AlterConfigs(req) => {
            respond(alter_configs::handle(broker, req, version).await)
        }
        RequestKind::IncrementalAlterConfigs(req) => {
            respond(incremental_alter_configs::handle(broker, req, version).await)
        }
        _ => unsupported::respond(api_key, version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_serves_every_data_and_admin_api_once_with_codec_ranges() {
        use ApiKey::*;
        let all = served();
        for key in [
            Produce,
            Fetch,
            ListOffsets,
            Metadata,
            ApiVersions,
            InitProducerId,
            DescribeCluster,
            CreateTopics,
            DeleteTopics,
            CreatePartitions,
            DeleteRecords,
            DescribeConfigs,
            AlterConfigs,
            IncrementalAlterConfigs,
        ] {
            assert_eq!(
                all.iter().filter(|s| s.key == key).count(),
                1,
                "{key:?} listed once"
            );
        }
        let get = |key| all.iter().find(|s| s.key == key).copied().unwrap();
        // P4: Produce from 0; P13: InitProducerId only up to what the structs encode.
        assert_eq!((get(Produce).min, get(Produce).max), (0, 13));
        assert_eq!((get(InitProducerId).min, get(InitProducerId).max), (0, 5));
        assert_eq!((get(Fetch).min, get(Fetch).max), (4, 18));
        assert_eq!((get(Metadata).min, get(Metadata).max), (0, 13));
        assert!(is_served(Produce, 1) && !is_served(Fetch, 3) && !is_served(EndTxn, 0));
    }
}
