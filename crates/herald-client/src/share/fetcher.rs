//! One fetch loop per broker that leads an assigned partition. It keeps a
//! share session with that broker (epoch 0 opens it, each answer moves it
//! on, -1 closes it), sends the queued acknowledgements piggybacked on
//! ShareFetch (or alone with ShareAcknowledge while the in-flight limit is
//! reached), and hands the acquired records, decoded, to the stream.
//!
//! It long-polls only while nothing is in flight: with messages out, their
//! acknowledgements wake the loop, so they reach the broker at once and
//! the next records come back with the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::share_acknowledge_request::{
    AcknowledgePartition, AcknowledgeTopic, AcknowledgementBatch as AckBatch,
};
use kafka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic, ForgottenTopic,
};
use kafka_protocol::messages::share_fetch_response::PartitionData;
use kafka_protocol::messages::{ShareAcknowledgeRequest, ShareFetchRequest};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::watch;

use super::ShareError;
use super::acks::{AckKind, AckQueue, PendingAck, Tp};
use super::conn::{Connection, REQUEST_TIMEOUT, timed};
use super::message::{AckRoute, ShareMessage};
use super::records::{RawRecord, unpack};
use super::shared::{
    Encoded, Shared, batches, by_partition, finish, group_id, is_routing_error, is_session_error,
    next_epoch,
};

/// The fetch loop of one broker.
pub(crate) struct Fetcher<T> {
    shared: Arc<Shared<T>>,
    node: i32,
    queue: Arc<AckQueue>,
    conn: Option<Connection>,
    epoch: i32,
    session: BTreeSet<Tp>,
}

impl<T: Send + 'static> Fetcher<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>, node: i32) -> Self {
        let queue = shared.queue(node);
        Fetcher {
            shared,
            node,
            queue,
            conn: None,
            epoch: 0,
            session: BTreeSet::new(),
        }
    }

    pub(crate) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut routes = self.shared.routes.clone();
        let in_flight_count = self.shared.in_flight.clone();
        let queue = self.queue.clone();
        let mut backoff = Duration::from_millis(100);
        loop {
            // Register for wake-ups before looking at the state they signal.
            let in_flight_changed = in_flight_count.notify.notified();
            tokio::pin!(in_flight_changed);
            in_flight_changed.as_mut().enable();
            if *stop.borrow() {
                break;
            }
            let wanted = routes
                .borrow_and_update()
                .get(&self.node)
                .cloned()
                .unwrap_or_default();
            let in_flight = self.shared.in_flight.get();
            let room = self.shared.max_in_flight.saturating_sub(in_flight);
            let acks = self.queue.take();
            let idle = wanted.is_empty() && self.session.is_empty();
            let mut long_polled = false;
            let started = tokio::time::Instant::now();
            let result = if (room == 0 || idle) && !acks.is_empty() {
                self.acknowledge(acks).await.map(|()| 0)
            } else if room > 0 && !(idle && acks.is_empty()) {
                long_polled = in_flight == 0 && acks.is_empty();
                let wait = if long_polled {
                    self.shared.max_wait
                } else {
                    Duration::ZERO
                };
                self.fetch(&wanted, acks, room, wait).await
            } else {
                // Full or idle: wait for an acknowledgement or a new route.
                Ok(0)
            };
            let pause = match result {
                Ok(n) => {
                    backoff = Duration::from_millis(100);
                    // Records came, acks went, or the broker already
                    // waited: go again at once.
                    // (A long poll that came back early and empty met
                    // partition errors: do not hammer the broker.)
                    if n > 0 {
                        None
                    } else if long_polled {
                        (started.elapsed() < self.shared.max_wait / 2)
                            .then_some(Duration::from_millis(100))
                    } else {
                        Some(self.shared.max_wait)
                    }
                }
                Err(e) => {
                    tracing::debug!(node = self.node, error = %e, "share fetch failed");
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    Some(wait)
                }
            };
            if let Some(pause) = pause {
                // Nothing came back: wait for something to do.
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = queue.notify.notified() => {}
                    _ = &mut in_flight_changed => {}
                    _ = routes.changed() => {}
                    _ = stop.changed() => {}
                }
            }
        }
        self.close().await;
    }

    /// A connection to this loop's broker.
    async fn conn(&mut self) -> Result<&mut Connection, ShareError> {
        if self.conn.is_none() {
            let address = self
                .shared
                .cluster
                .read(|s| s.brokers.get(&self.node).cloned());
            let Some(address) = address else {
                self.shared.refresh.notify_one();
                return Err(ShareError::protocol(
                    format!("node {}", self.node),
                    "the broker is no longer in the cluster metadata",
                ));
            };
            self.conn = Some(self.shared.cluster.connect(&address).await?);
        }
        self.conn.as_mut().ok_or(ShareError::Closed)
    }

    /// Forgets the session (and the connection when it failed): what was
    /// acquired in it comes back from the broker after the lock expires.
    fn lose_session(&mut self, drop_connection: bool) {
        self.epoch = 0;
        self.session.clear();
        self.queue.next_generation();
        if drop_connection {
            self.conn = None;
        }
    }

    /// One ShareFetch: sends `acks`, acquires up to `room` records from
    /// `wanted` and hands them out. Returns how many acks went out plus
    /// how many records came back.
    async fn fetch(
        &mut self,
        wanted: &BTreeSet<Tp>,
        acks: Vec<PendingAck>,
        room: usize,
        wait: Duration,
    ) -> Result<usize, ShareError> {
        let acks = self.current(acks);
        let mut acks = by_partition(acks);
        if self.epoch == 0 {
            // A session opens without acknowledgements (Kafka refuses
            // them): those from a lost session cannot be delivered.
            for a in std::mem::take(&mut acks).into_values().flatten() {
                a.lose("the share session with the broker was reset");
            }
        }
        // Acks for partitions no longer in the session cannot be sent.
        for (tp, list) in std::mem::take(&mut acks) {
            if self.session.contains(&tp) || wanted.contains(&tp) {
                acks.insert(tp, list);
            } else {
                for a in list {
                    a.lose("the partition is no longer assigned to this consumer");
                }
            }
        }
        let sent = acks.values().map(Vec::len).sum::<usize>();
        let add: BTreeSet<Tp> = wanted.difference(&self.session).copied().collect();
        let forget: BTreeSet<Tp> = self
            .session
            .difference(wanted)
            .filter(|tp| !acks.contains_key(tp))
            .copied()
            .collect();
        let mut topics: BTreeMap<uuid::Uuid, Vec<FetchPartition>> = BTreeMap::new();
        let listed: BTreeSet<Tp> = add.iter().chain(acks.keys()).copied().collect();
        for tp in &listed {
            let batches = acks.get(tp).map(|a| batches(a)).unwrap_or_default();
            topics.entry(tp.0).or_default().push(
                FetchPartition::default()
                    .with_partition_index(tp.1)
                    .with_acknowledgement_batches(
                        batches
                            .into_iter()
                            .map(|(first, last, types)| {
                                AcknowledgementBatch::default()
                                    .with_first_offset(first)
                                    .with_last_offset(last)
                                    .with_acknowledge_types(types)
                            })
                            .collect(),
                    ),
            );
        }
        let mut forgotten: BTreeMap<uuid::Uuid, Vec<i32>> = BTreeMap::new();
        for tp in &forget {
            forgotten.entry(tp.0).or_default().push(tp.1);
        }
        let room = i32::try_from(room).unwrap_or(i32::MAX);
        let request = ShareFetchRequest::default()
            .with_group_id(Some(group_id(&self.shared)))
            .with_member_id(Some(StrBytes::from_string(self.shared.member_id.clone())))
            .with_share_session_epoch(self.epoch)
            .with_max_wait_ms(i32::try_from(wait.as_millis()).unwrap_or(i32::MAX))
            .with_min_bytes(1)
            .with_max_bytes(self.shared.max_bytes)
            .with_max_records(room)
            .with_batch_size(room)
            .with_topics(
                topics
                    .into_iter()
                    .map(|(id, partitions)| {
                        FetchTopic::default()
                            .with_topic_id(id)
                            .with_partitions(partitions)
                    })
                    .collect(),
            )
            .with_forgotten_topics_data(
                forgotten
                    .into_iter()
                    .map(|(id, partitions)| {
                        ForgottenTopic::default()
                            .with_topic_id(id)
                            .with_partitions(partitions)
                    })
                    .collect(),
            );
        let response = match self.conn().await {
            Ok(conn) => timed("ShareFetch", wait + REQUEST_TIMEOUT, conn.call(&request)).await,
            Err(e) => Err(e),
        };
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                self.lose_session(true);
                for a in acks.into_values().flatten() {
                    a.lose("the connection to the broker failed");
                }
                return Err(e);
            }
        };
        if response.error_code != 0 {
            let code = response.error_code;
            let message = response.error_message.map(|m| m.to_string());
            if is_session_error(code) {
                self.lose_session(false);
                for a in acks.into_values().flatten() {
                    a.lose("the broker no longer knows the share session");
                }
                return Ok(1);
            }
            for a in acks.into_values().flatten() {
                a.refuse(code, message.clone());
            }
            if code == ResponseError::UnknownMemberId.code() {
                // Not a member (yet, or any more): the heartbeat sorts
                // that out; start a fresh session afterwards.
                self.lose_session(false);
            }
            return Err(ShareError::broker("ShareFetch", code, message));
        }
        self.epoch = next_epoch(self.epoch);
        self.session.extend(add);
        for tp in &forget {
            self.session.remove(tp);
        }
        let mut delivered = 0;
        for topic in response.responses {
            for p in topic.partitions {
                let tp = (topic.topic_id, p.partition_index);
                if let Some(list) = acks.remove(&tp) {
                    finish(
                        list,
                        p.acknowledge_error_code,
                        p.acknowledge_error_message.as_ref(),
                    );
                }
                delivered += self.deliver(tp, p).await;
            }
        }
        for a in acks.into_values().flatten() {
            a.lose("the broker did not answer for the partition");
        }
        Ok(sent + delivered)
    }

    /// Decodes and hands out what one partition's answer acquired.
    async fn deliver(&mut self, tp: Tp, p: PartitionData) -> usize {
        if p.error_code != 0 {
            if is_routing_error(p.error_code) {
                self.session.remove(&tp);
                self.shared.refresh.notify_one();
            }
            tracing::debug!(
                node = self.node,
                partition = tp.1,
                code = p.error_code,
                "share fetch partition error"
            );
            return 0;
        }
        if p.acquired_records.is_empty() {
            return 0;
        }
        let topic: Arc<str> = match self
            .shared
            .cluster
            .read(|s| s.topics.get(&tp.0).map(|t| t.name.clone()))
        {
            Some(name) => Arc::from(name.as_str()),
            None => {
                self.shared.refresh.notify_one();
                Arc::from(tp.0.to_string().as_str())
            }
        };
        let ranges: Vec<(i64, i64, i16)> = p
            .acquired_records
            .iter()
            .map(|r| (r.first_offset, r.last_offset, r.delivery_count))
            .collect();
        let records = p.records.unwrap_or_default();
        let unpacked = match unpack(records, &ranges, self.shared.max_inflated) {
            Ok(u) => u,
            Err(e) => {
                // Unreadable batches: hand the records back (they count
                // against the delivery limit, so they end archived).
                for (first, last, _) in &ranges {
                    for offset in *first..=(*last).min(first.saturating_add(100_000)) {
                        self.ack_now(tp, &topic, offset, AckKind::Release);
                    }
                }
                let broker = self
                    .conn
                    .as_ref()
                    .map_or_else(String::new, |c| c.broker().to_owned());
                let _ = self
                    .shared
                    .items
                    .send(Err(e.into_share_error(broker, &topic, tp.1)));
                return 0;
            }
        };
        for offset in unpacked.gaps {
            self.ack_now(tp, &topic, offset, AckKind::Gap);
        }
        let mut handed = 0;
        for r in unpacked.records {
            handed += usize::from(self.hand_out(tp, &topic, r).await);
        }
        handed
    }

    /// Keeps the acknowledgements of records acquired in the current
    /// session; fails the others.
    fn current(&self, acks: Vec<PendingAck>) -> Vec<PendingAck> {
        let generation = self.queue.generation();
        let (current, stale): (Vec<_>, Vec<_>) =
            acks.into_iter().partition(|a| a.generation == generation);
        for a in stale {
            a.lose("the record was acquired in an earlier share session, which has ended");
        }
        current
    }

    /// Queues an acknowledgement nobody waits for (sent with the next request).
    fn ack_now(&self, tp: Tp, topic: &Arc<str>, offset: i64, kind: AckKind) {
        self.queue.push(PendingAck {
            tp,
            topic: topic.clone(),
            offset,
            kind,
            generation: self.queue.generation(),
            reply: None,
        });
    }

    async fn hand_out(&self, tp: Tp, topic: &Arc<str>, r: RawRecord) -> bool {
        let header = r
            .headers
            .iter()
            .find(|(k, _)| k == self.shared.value_header)
            .and_then(|(_, v)| v.clone());
        let decoded = (self.shared.decode)(Encoded {
            topic: topic.clone(),
            partition: tp.1,
            offset: r.offset,
            header,
            payload: r.value.clone(),
        })
        .await;
        let value = match decoded {
            Ok(v) => v,
            Err(e) => {
                // A record that cannot be read is rejected (to the
                // dead-letter topic, if any); a registry that cannot be
                // reached now hands the record back for later.
                let kind = if e.is_retriable() {
                    AckKind::Release
                } else {
                    AckKind::Reject
                };
                self.ack_now(tp, topic, r.offset, kind);
                let _ = self.shared.items.send(Err(ShareError::from(e)));
                return false;
            }
        };
        self.shared.in_flight.add(1);
        let message = ShareMessage {
            value,
            tp,
            topic: topic.clone(),
            offset: r.offset,
            timestamp: r.timestamp,
            delivery_count: r.delivery_count,
            key: r.key,
            payload: r.value,
            headers: r.headers,
            route: Some(AckRoute {
                queue: self.queue.clone(),
                generation: self.queue.generation(),
                in_flight: self.shared.in_flight.clone(),
                mode: self.shared.mode,
            }),
        };
        // If the application dropped the stream, the message drops here
        // and settles itself by the consumer's mode.
        self.shared.items.send(Ok(message)).is_ok()
    }

    /// ShareAcknowledge of `acks` in the current session (`close`: with
    /// epoch -1, closing it).
    async fn acknowledge_in(
        &mut self,
        acks: Vec<PendingAck>,
        close: bool,
    ) -> Result<(), ShareError> {
        let acks = self.current(acks);
        if self.epoch == 0 {
            for a in acks {
                a.lose("no share session is open with the broker");
            }
            return Ok(());
        }
        let acks = by_partition(acks);
        let mut topics: BTreeMap<uuid::Uuid, Vec<AcknowledgePartition>> = BTreeMap::new();
        for (tp, list) in &acks {
            topics.entry(tp.0).or_default().push(
                AcknowledgePartition::default()
                    .with_partition_index(tp.1)
                    .with_acknowledgement_batches(
                        batches(list)
                            .into_iter()
                            .map(|(first, last, types)| {
                                AckBatch::default()
                                    .with_first_offset(first)
                                    .with_last_offset(last)
                                    .with_acknowledge_types(types)
                            })
                            .collect(),
                    ),
            );
        }
        let request = ShareAcknowledgeRequest::default()
            .with_group_id(Some(group_id(&self.shared)))
            .with_member_id(Some(StrBytes::from_string(self.shared.member_id.clone())))
            .with_share_session_epoch(if close { -1 } else { self.epoch })
            .with_topics(
                topics
                    .into_iter()
                    .map(|(id, partitions)| {
                        AcknowledgeTopic::default()
                            .with_topic_id(id)
                            .with_partitions(partitions)
                    })
                    .collect(),
            );
        let response = match self.conn().await {
            Ok(conn) => timed("ShareAcknowledge", REQUEST_TIMEOUT, conn.call(&request)).await,
            Err(e) => Err(e),
        };
        let mut acks = acks;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                self.lose_session(true);
                for a in acks.into_values().flatten() {
                    a.lose("the connection to the broker failed");
                }
                return Err(e);
            }
        };
        if response.error_code != 0 {
            let code = response.error_code;
            if is_session_error(code) {
                self.lose_session(false);
            }
            let message = response.error_message.map(|m| m.to_string());
            for a in acks.into_values().flatten() {
                a.refuse(code, message.clone());
            }
            return Err(ShareError::broker("ShareAcknowledge", code, message));
        }
        if close {
            self.lose_session(false);
        } else {
            self.epoch = next_epoch(self.epoch);
        }
        for topic in response.responses {
            for p in topic.partitions {
                if let Some(list) = acks.remove(&(topic.topic_id, p.partition_index)) {
                    finish(list, p.error_code, p.error_message.as_ref());
                }
                if is_routing_error(p.error_code) {
                    self.shared.refresh.notify_one();
                }
            }
        }
        for a in acks.into_values().flatten() {
            a.lose("the broker did not answer for the partition");
        }
        Ok(())
    }

    async fn acknowledge(&mut self, acks: Vec<PendingAck>) -> Result<(), ShareError> {
        self.acknowledge_in(acks, false).await
    }

    /// Sends what is queued and closes the session; later acknowledgements
    /// of this broker's messages fail (their records come back).
    async fn close(mut self) {
        let acks = self.queue.take();
        if self.epoch != 0 {
            if let Err(e) = self.acknowledge_in(acks, true).await {
                tracing::debug!(node = self.node, error = %e, "closing the share session failed");
            }
        } else {
            for a in acks {
                a.lose("the consumer closed");
            }
        }
        self.queue.close("the consumer closed");
    }
}
