//! A small test-only share consumer on the `kafka-protocol` codecs (the
//! SDK's ShareConsumer comes later in herald-client): ShareGroupHeartbeat
//! for membership, ShareFetch with piggybacked acknowledgements in a share
//! session, ShareAcknowledge, and the group-config and produce helpers the
//! share tests use. Every wait is bounded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use herald_log::{Batches, Uuid, decode_records};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::share_acknowledge_request::{
    AcknowledgePartition, AcknowledgeTopic, AcknowledgementBatch as AckBatchA,
};
use kafka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic,
};
use kafka_protocol::messages::{
    ApiKey, GroupId, IncrementalAlterConfigsRequest, ResponseKind, ShareAcknowledgeRequest,
    ShareFetchRequest, ShareGroupHeartbeatRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::common::raw::RawClient;

pub const ACCEPT: i8 = 1;
pub const RELEASE: i8 = 2;
pub const REJECT: i8 = 3;

pub fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_owned())
}

/// One record handed to the application.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub topic: Uuid,
    pub partition: i32,
    pub offset: i64,
    pub value: Option<Vec<u8>>,
    pub delivery_count: i16,
}

impl Delivery {
    /// The value as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.value.as_deref().unwrap_or_default()).into_owned()
    }
}

/// What one poll or commit brought back.
#[derive(Debug, Default)]
pub struct Polled {
    pub deliveries: Vec<Delivery>,
    /// Acknowledgements the broker confirmed: (topic, partition, offset, type).
    pub confirmed: Vec<(Uuid, i32, i64, i8)>,
    /// Partitions whose acknowledgements were refused, with the error code.
    pub refused: Vec<(Uuid, i32, i16)>,
    /// A top-level error code (0: none).
    pub error: i16,
}

/// A share consumer of one group.
pub struct ShareClient {
    raw: RawClient,
    pub group: String,
    pub member: String,
    pub member_epoch: i32,
    session_epoch: i32,
    pub assignment: Vec<(Uuid, Vec<i32>)>,
    pending: BTreeMap<(Uuid, i32), Vec<(i64, i8)>>,
    pub lock_timeout_ms: i32,
}

impl ShareClient {
    /// Joins `group` subscribed to `topics`, heartbeating until it has an
    /// assignment (10 s at most).
    pub async fn join(addr: SocketAddr, group: &str, member: &str, topics: &[&str]) -> Self {
        let mut c = ShareClient {
            raw: RawClient::connect(addr).await,
            group: group.to_owned(),
            member: member.to_owned(),
            member_epoch: 0,
            session_epoch: 0,
            assignment: Vec::new(),
            pending: BTreeMap::new(),
            lock_timeout_ms: 0,
        };
        let req = ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s(group)))
            .with_member_id(s(member))
            .with_member_epoch(0)
            .with_subscribed_topic_names(Some(topics.iter().map(|t| TopicName(s(t))).collect()));
        let code = c.send_heartbeat(&req).await;
        assert_eq!(code, 0, "join {group} as {member}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while c.assignment.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no assignment for {member}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(c.heartbeat().await, 0);
        }
        c
    }

    /// Reconnects to `addr` (after a broker restart); the share session is gone.
    pub async fn reconnect(&mut self, addr: SocketAddr) {
        self.raw = RawClient::connect(addr).await;
        self.session_epoch = 0;
    }

    async fn send_heartbeat(&mut self, req: &ShareGroupHeartbeatRequest) -> i16 {
        let ResponseKind::ShareGroupHeartbeat(resp) =
            self.raw.call(ApiKey::ShareGroupHeartbeat, 1, req).await
        else {
            panic!("not a ShareGroupHeartbeat response");
        };
        if resp.error_code == 0 {
            self.member_epoch = resp.member_epoch;
            if let Some(a) = resp.assignment {
                self.assignment = a
                    .topic_partitions
                    .into_iter()
                    .map(|t| (t.topic_id, t.partitions))
                    .collect();
            }
        }
        resp.error_code
    }

    /// One heartbeat; rejoins with epoch 0 when fenced or unknown.
    pub async fn heartbeat(&mut self) -> i16 {
        let req = ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s(&self.group)))
            .with_member_id(s(&self.member))
            .with_member_epoch(self.member_epoch);
        let code = self.send_heartbeat(&req).await;
        if code == ResponseError::UnknownMemberId.code()
            || code == ResponseError::FencedMemberEpoch.code()
        {
            panic!("member {} lost its membership (code {code})", self.member);
        }
        code
    }

    /// Leaves the group.
    pub async fn leave(&mut self) -> i16 {
        let req = ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(s(&self.group)))
            .with_member_id(s(&self.member))
            .with_member_epoch(-1);
        self.send_heartbeat(&req).await
    }

    /// Marks a delivery for acknowledgement with the next request.
    pub fn ack(&mut self, d: &Delivery, kind: i8) {
        self.pending
            .entry((d.topic, d.partition))
            .or_default()
            .push((d.offset, kind));
    }

    fn take_pending(&mut self) -> BTreeMap<(Uuid, i32), Vec<(i64, i8)>> {
        std::mem::take(&mut self.pending)
    }

    fn next_epoch(&mut self) {
        self.session_epoch = if self.session_epoch == i32::MAX {
            1
        } else {
            self.session_epoch + 1
        };
    }

    /// ShareFetch: sends the pending acknowledgements (one batch per record:
    /// acknowledged individually) and returns what was acquired, keeping
    /// only offsets inside the acquired ranges.
    pub async fn poll(&mut self, max_records: i32, max_wait_ms: i32) -> Polled {
        // A session opens without acknowledgements: those still pending
        // when it was lost cannot be sent (the records come back).
        let mut lost = Vec::new();
        if self.session_epoch == 0 {
            lost = self
                .take_pending()
                .into_keys()
                .map(|(t, p)| (t, p, ResponseError::ShareSessionNotFound.code()))
                .collect();
        }
        let pending = self.take_pending();
        let mut topics: BTreeMap<Uuid, BTreeMap<i32, Vec<AcknowledgementBatch>>> = BTreeMap::new();
        for (topic, partitions) in &self.assignment {
            for p in partitions {
                topics.entry(*topic).or_default().entry(*p).or_default();
            }
        }
        for ((topic, p), acks) in &pending {
            let batches = topics.entry(*topic).or_default().entry(*p).or_default();
            for (offset, kind) in acks {
                batches.push(
                    AcknowledgementBatch::default()
                        .with_first_offset(*offset)
                        .with_last_offset(*offset)
                        .with_acknowledge_types(vec![*kind]),
                );
            }
        }
        let req = ShareFetchRequest::default()
            .with_group_id(Some(GroupId(s(&self.group))))
            .with_member_id(Some(s(&self.member)))
            .with_share_session_epoch(self.session_epoch)
            .with_max_wait_ms(max_wait_ms)
            .with_min_bytes(1)
            .with_max_bytes(16 << 20)
            .with_max_records(max_records)
            .with_batch_size(max_records)
            .with_topics(
                topics
                    .into_iter()
                    .map(|(topic, partitions)| {
                        FetchTopic::default().with_topic_id(topic).with_partitions(
                            partitions
                                .into_iter()
                                .map(|(p, acks)| {
                                    FetchPartition::default()
                                        .with_partition_index(p)
                                        .with_acknowledgement_batches(acks)
                                })
                                .collect(),
                        )
                    })
                    .collect(),
            );
        let ResponseKind::ShareFetch(resp) = self.raw.call(ApiKey::ShareFetch, 1, &req).await
        else {
            panic!("not a ShareFetch response");
        };
        let mut out = Polled {
            error: resp.error_code,
            refused: lost,
            ..Polled::default()
        };
        if resp.error_code != 0 {
            // The session is gone (e.g. after a restart): start a new one.
            self.session_epoch = 0;
            return out;
        }
        self.next_epoch();
        self.lock_timeout_ms = resp.acquisition_lock_timeout_ms;
        for t in resp.responses {
            for p in t.partitions {
                if let Some(acks) = pending.get(&(t.topic_id, p.partition_index)) {
                    if p.acknowledge_error_code == 0 {
                        out.confirmed.extend(
                            acks.iter()
                                .map(|(o, k)| (t.topic_id, p.partition_index, *o, *k)),
                        );
                    } else {
                        out.refused
                            .push((t.topic_id, p.partition_index, p.acknowledge_error_code));
                    }
                }
                let ranges: Vec<(i64, i64, i16)> = p
                    .acquired_records
                    .iter()
                    .map(|r| (r.first_offset, r.last_offset, r.delivery_count))
                    .collect();
                let Some(records) = p.records else { continue };
                for batch in Batches::new(&records) {
                    for r in decode_records(batch.bytes()).expect("records decode") {
                        let offset = batch.base_offset() + i64::from(r.offset_delta);
                        if let Some(&(_, _, count)) =
                            ranges.iter().find(|(f, l, _)| (*f..=*l).contains(&offset))
                        {
                            out.deliveries.push(Delivery {
                                topic: t.topic_id,
                                partition: p.partition_index,
                                offset,
                                value: r.value,
                                delivery_count: count,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// ShareAcknowledge of the pending acknowledgements (`close`: with the
    /// final epoch, closing the session).
    pub async fn commit(&mut self, close: bool) -> Polled {
        let pending = self.take_pending();
        if self.session_epoch == 0 {
            return Polled::default();
        }
        let req = ShareAcknowledgeRequest::default()
            .with_group_id(Some(GroupId(s(&self.group))))
            .with_member_id(Some(s(&self.member)))
            .with_share_session_epoch(if close { -1 } else { self.session_epoch })
            .with_topics(
                pending
                    .iter()
                    .fold(
                        BTreeMap::<Uuid, Vec<AcknowledgePartition>>::new(),
                        |mut m, ((t, p), acks)| {
                            m.entry(*t).or_default().push(
                                AcknowledgePartition::default()
                                    .with_partition_index(*p)
                                    .with_acknowledgement_batches(
                                        acks.iter()
                                            .map(|(o, k)| {
                                                AckBatchA::default()
                                                    .with_first_offset(*o)
                                                    .with_last_offset(*o)
                                                    .with_acknowledge_types(vec![*k])
                                            })
                                            .collect(),
                                    ),
                            );
                            m
                        },
                    )
                    .into_iter()
                    .map(|(t, ps)| {
                        AcknowledgeTopic::default()
                            .with_topic_id(t)
                            .with_partitions(ps)
                    })
                    .collect(),
            );
        let ResponseKind::ShareAcknowledge(resp) =
            self.raw.call(ApiKey::ShareAcknowledge, 1, &req).await
        else {
            panic!("not a ShareAcknowledge response");
        };
        let mut out = Polled {
            error: resp.error_code,
            ..Polled::default()
        };
        if close {
            self.session_epoch = 0;
        } else if resp.error_code == 0 {
            self.next_epoch();
        }
        for t in resp.responses {
            for p in t.partitions {
                let acks = pending.get(&(t.topic_id, p.partition_index));
                match (p.error_code, acks) {
                    (0, Some(acks)) => out.confirmed.extend(
                        acks.iter()
                            .map(|(o, k)| (t.topic_id, p.partition_index, *o, *k)),
                    ),
                    (0, None) => {}
                    (code, _) => out.refused.push((t.topic_id, p.partition_index, code)),
                }
            }
        }
        out
    }
}

/// Sets share-group configurations with IncrementalAlterConfigs on the
/// GROUP resource (type 32), as `kafka-configs.sh --entity-type groups` does.
pub async fn set_group_configs(addr: SocketAddr, group: &str, pairs: &[(&str, &str)]) {
    let mut raw = RawClient::connect(addr).await;
    let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(32)
            .with_resource_name(s(group))
            .with_configs(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        AlterableConfig::default()
                            .with_name(s(k))
                            .with_config_operation(0)
                            .with_value(Some(s(v)))
                    })
                    .collect(),
            ),
    ]);
    let ResponseKind::IncrementalAlterConfigs(resp) =
        raw.call(ApiKey::IncrementalAlterConfigs, 1, &req).await
    else {
        panic!("not an IncrementalAlterConfigs response");
    };
    assert_eq!(
        resp.responses[0].error_code, 0,
        "group configs: {:?}",
        resp.responses[0].error_message
    );
}

/// An rdkafka producer (`acks=all`) with small batches, so records spread
/// over many stored batches.
pub fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", "1")
        .set("batch.num.messages", "50")
        .create()
        .expect("producer")
}

/// Produces `values` to partition 0 of `topic`, waiting for every ack.
pub async fn produce(
    producer: &FutureProducer,
    topic: &str,
    values: impl IntoIterator<Item = String>,
) {
    let sends: Vec<_> = values
        .into_iter()
        .map(|v| {
            let producer = producer.clone();
            let topic = topic.to_owned();
            async move {
                producer
                    .send(
                        FutureRecord::<(), _>::to(&topic).partition(0).payload(&v),
                        Duration::from_secs(30),
                    )
                    .await
                    .expect("delivered")
            }
        })
        .collect();
    futures_util::future::join_all(sends).await;
}

/// The id of `topic`.
pub fn topic_id(log: &herald_log::Log, topic: &str) -> Uuid {
    log.topic(topic).expect("topic exists").id
}
