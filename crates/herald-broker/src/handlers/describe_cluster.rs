//! DescribeCluster (key 60): this single node is the whole cluster, broker
//! and controller alike.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};

use super::errors::str_bytes;
use super::metadata::CLUSTER_OPS;
use crate::Broker;

pub(super) fn handle(
    broker: &Broker,
    req: &DescribeClusterRequest,
    _version: i16,
) -> DescribeClusterResponse {
    let (host, port) = broker.advertised();
    let node = broker.config().node_id;
    let ops = if req.include_cluster_authorized_operations {
        CLUSTER_OPS
    } else {
        i32::MIN
    };
    DescribeClusterResponse::default()
        // Asked for brokers (1) or controllers (2): the answer is the same node.
        .with_endpoint_type(req.endpoint_type)
        .with_cluster_id(str_bytes(&broker.config().cluster_id))
        .with_controller_id(BrokerId(node))
        .with_brokers(vec![
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(node))
                .with_host(str_bytes(host))
                .with_port(i32::from(port))
                .with_rack(None),
        ])
        .with_cluster_authorized_operations(ops)
}
