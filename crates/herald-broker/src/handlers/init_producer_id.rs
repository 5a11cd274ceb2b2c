//! InitProducerId (key 22): a producer id for an idempotent producer.
//!
//! Like Kafka for a producer without a transactional id, every call gets a
//! fresh id with epoch 0 (an epoch bump request, KIP-360, is answered the
//! same way: a new id resets all sequences just as well). Ids are reserved
//! durably in blocks, so they are never reused across restarts.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use crate::Broker;

pub(super) async fn handle(
    broker: &Broker,
    req: InitProducerIdRequest,
    _version: i16,
) -> InitProducerIdResponse {
    let failed = |code: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(code.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    };
    if req.transactional_id.is_some() {
        // Transactions need a transaction coordinator herald does not have.
        tracing::info!(
            "refusing InitProducerId with a transactional id: transactions are not supported"
        );
        return failed(ResponseError::TransactionalIdAuthorizationFailed);
    }
    // Only the first id of a block touches the disk; run it off the workers anyway.
    let ids = broker.producers().ids();
    let allocated = tokio::task::spawn_blocking(move || ids.allocate()).await;
    match allocated {
        Ok(Ok(id)) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot allocate a producer id");
            failed(ResponseError::KafkaStorageError)
        }
        Err(e) => {
            tracing::error!(error = %e, "producer id task failed");
            failed(ResponseError::KafkaStorageError)
        }
    }
}
