//! The consumer's background tasks: the driver owns the Kafka consumer
//! (poll, decode, commit, seek, pause), the retrier redelivers and
//! dead-letters nacked records.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use confluent_kafka::common::TopicPartition;
use confluent_kafka::consumer::{Consumer as _, OffsetAndMetadata};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::OwnedPermit;
use tokio::sync::{mpsc, oneshot};

use super::SeekTo;
use super::delivery::{Delivery, Nack, RawRecord, Shared};
use super::policy::{RetryPolicy, dead_letter};
use crate::ClientError;
use crate::kafka::{self, BytesConsumer, BytesProducer};
use crate::serdes::{Deserializer, Origin};
use crate::subject::Side;
use crate::wire::schema_id_header;

/// One item of a [`Consumer`](super::Consumer)'s stream: a delivery, or
/// why a record could not be delivered ([`ClientError::Decode`] for a
/// record that cannot be read, a retriable error for a transient failure).
pub type Item<T> = Result<Delivery<T>, ClientError>;

pub(crate) enum Command {
    Seek {
        topic: String,
        partition: Option<i32>,
        to: SeekTo,
        done: oneshot::Sender<Result<(), ClientError>>,
    },
    Pause(bool, oneshot::Sender<Result<(), ClientError>>),
    Commit(oneshot::Sender<Result<(), ClientError>>),
    Assignment(oneshot::Sender<Vec<(String, i32)>>),
    Close(oneshot::Sender<Result<(), ClientError>>),
}

/// What decoding needs, shared by the driver and the retrier.
pub(crate) struct Decoder<T> {
    pub(crate) de: Deserializer<T>,
    pub(crate) side: Side,
    pub(crate) shared: Arc<Shared>,
    pub(crate) policy: RetryPolicy,
    pub(crate) dlq: Option<Arc<BytesProducer>>,
}

impl<T: DeserializeOwned + Send + 'static> Decoder<T> {
    /// Decodes one record. An undecodable record is dead-lettered (when
    /// the policy has a topic), acknowledged, and returned as the error; a
    /// record whose schema cannot be fetched now is scheduled again.
    pub(crate) async fn decode(&self, raw: Arc<RawRecord>, attempt: u32, epoch: u64) -> Item<T> {
        let origin = Origin {
            topic: &raw.topic,
            partition: raw.partition,
            offset: raw.offset,
        };
        let header = kafka::header(&raw.headers, schema_id_header(self.side));
        let result = match &raw.value {
            Some(v) => self.de.deserialize(origin, header, v).await,
            None => Err(ClientError::Decode(crate::DecodeError {
                topic: raw.topic.clone(),
                partition: raw.partition,
                offset: raw.offset,
                schema: None,
                reason: "the record has no value (a tombstone)".to_owned(),
            })),
        };
        match result {
            Ok(value) => Ok(Delivery {
                value,
                raw,
                attempt,
                epoch,
                shared: self.shared.clone(),
                settled: AtomicBool::new(false),
            }),
            Err(ClientError::Decode(e)) => {
                self.poison(&raw, &e.to_string(), attempt, epoch).await;
                Err(ClientError::Decode(e))
            }
            Err(e) => {
                let _ = self.shared.nacks.send(Nack {
                    raw,
                    attempt,
                    error: e.to_string(),
                    epoch,
                });
                Err(e)
            }
        }
    }

    /// Gives up on a record: to the dead-letter topic if there is one,
    /// then acknowledged. If the dead-letter topic cannot be written, the
    /// record stays unacknowledged, so it is not lost.
    async fn poison(&self, raw: &RawRecord, error: &str, attempts: u32, epoch: u64) {
        if let (Some(producer), Some(topic)) = (&self.dlq, &self.policy.dead_letter_topic) {
            let mut wait = Duration::from_millis(100);
            for _ in 0..8 {
                match dead_letter(producer, topic, raw, error, attempts).await {
                    Ok(()) => {
                        self.shared.ack(raw, epoch);
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, topic, "dead-letter send failed; retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            }
            tracing::error!(topic = %raw.topic, partition = raw.partition, offset = raw.offset, "dead-letter topic unwritable; record left unacknowledged");
        } else {
            tracing::error!(topic = %raw.topic, partition = raw.partition, offset = raw.offset, attempts, error, "giving up on a record (no dead-letter topic)");
            self.shared.ack(raw, epoch);
        }
    }
}

/// Redelivers nacked records after their backoff, or gives up on them.
pub(crate) async fn retrier<T: DeserializeOwned + Send + 'static>(
    decoder: Arc<Decoder<T>>,
    mut nacks: mpsc::UnboundedReceiver<Nack>,
    out: mpsc::Sender<Item<T>>,
) {
    loop {
        // The nack sender lives in `Shared`, which this task holds too, so
        // the channel never closes by itself: end with the consumer's stream.
        let nack = tokio::select! {
            nack = nacks.recv() => nack,
            () = out.closed() => None,
        };
        let Some(nack) = nack else { return };
        if decoder.shared.acks.lock().epoch(&nack.raw.tp()) != nack.epoch {
            continue;
        }
        if nack.attempt >= decoder.policy.max_attempts.max(1) {
            decoder
                .poison(&nack.raw, &nack.error, nack.attempt, nack.epoch)
                .await;
            continue;
        }
        let delay = decoder.policy.delay(nack.attempt);
        let (decoder, out) = (decoder.clone(), out.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let item = decoder.decode(nack.raw, nack.attempt + 1, nack.epoch).await;
            let _ = out.send(item).await;
        });
    }
}

pub(crate) struct Driver<T> {
    pub(crate) consumer: BytesConsumer,
    pub(crate) decoder: Arc<Decoder<T>>,
    pub(crate) out: mpsc::Sender<Item<T>>,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) grouped: bool,
    pub(crate) commit_interval: Duration,
}

impl<T: DeserializeOwned + Send + 'static> Driver<T> {
    pub(crate) async fn run(mut self) {
        let mut last_commit = Instant::now();
        loop {
            while let Ok(command) = self.commands.try_recv() {
                if let Some(done) = self.command(command).await {
                    self.finish(done).await;
                    return;
                }
            }
            if self.out.is_closed() {
                let _ = self.commit().await;
                let _ = self.consumer.close().await;
                return;
            }
            if last_commit.elapsed() >= self.commit_interval {
                if let Err(e) = self.commit().await {
                    tracing::warn!(error = %e, "offset commit failed; will retry");
                }
                last_commit = Instant::now();
            }
            let records = match self.consumer.poll(Duration::from_millis(100)).await {
                Ok(r) => r,
                Err(e) => {
                    let e = ClientError::kafka("poll", e);
                    let retriable = e.is_retriable();
                    if self.out.send(Err(e)).await.is_err() || !retriable {
                        let _ = self.consumer.close().await;
                        return;
                    }
                    continue;
                }
            };
            // Partitions sought while this batch was being handed out: the
            // rest of the batch for them is from before the seek.
            let mut sought: Vec<(String, i32)> = Vec::new();
            for r in records {
                let tp = (r.topic().to_owned(), r.partition());
                if sought.contains(&tp) {
                    continue;
                }
                let Some(permit) = self.room(&mut sought).await else {
                    return;
                };
                if sought.contains(&tp) {
                    continue;
                }
                let raw = Arc::new(RawRecord {
                    topic: tp.0,
                    partition: tp.1,
                    offset: r.offset(),
                    timestamp: r.timestamp(),
                    key: r.key().cloned(),
                    value: r.value().cloned(),
                    headers: kafka::from_record_headers(r.headers()),
                });
                let epoch = self
                    .decoder
                    .shared
                    .acks
                    .lock()
                    .delivered(&raw.tp(), raw.offset);
                permit.send(self.decoder.decode(raw, 1, epoch).await);
            }
        }
    }

    /// Waits for room in the stream's buffer while still serving commands,
    /// so a `seek`, `commit` or `close` made while the application is not
    /// reading does not wait for it. `None`: the consumer is finished.
    async fn room(&mut self, sought: &mut Vec<(String, i32)>) -> Option<OwnedPermit<Item<T>>> {
        loop {
            let out = self.out.clone();
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(Command::Seek { topic, partition, to, done }) => {
                        let result = self.seek(&topic, partition, to).await;
                        if let Ok(targets) = &result {
                            sought.extend(targets.iter().cloned());
                        }
                        let _ = done.send(result.map(|_| ()));
                    }
                    Some(command) => {
                        if let Some(done) = self.command(command).await {
                            self.finish(done).await;
                            return None;
                        }
                    }
                    None => {}
                },
                permit = out.reserve_owned() => return permit.ok(),
            }
        }
    }

    /// Commits what is acknowledged and leaves: the reply to `close`.
    async fn finish(&mut self, done: oneshot::Sender<Result<(), ClientError>>) {
        let result = self.commit().await;
        let closed = self
            .consumer
            .close()
            .await
            .map_err(|e| ClientError::kafka("close consumer", e));
        let _ = done.send(result.and(closed));
    }

    /// Runs a command; returns the reply channel when it was `Close`.
    async fn command(
        &mut self,
        command: Command,
    ) -> Option<oneshot::Sender<Result<(), ClientError>>> {
        match command {
            Command::Close(done) => return Some(done),
            Command::Assignment(done) => {
                let mut assigned: Vec<(String, i32)> = self
                    .consumer
                    .assignment()
                    .into_iter()
                    .map(|tp| (tp.topic().to_owned(), tp.partition()))
                    .collect();
                assigned.sort();
                let _ = done.send(assigned);
            }
            Command::Commit(done) => {
                let _ = done.send(self.commit().await);
            }
            Command::Pause(pause, done) => {
                let assigned: Vec<TopicPartition> =
                    self.consumer.assignment().into_iter().collect();
                let result = if pause {
                    self.consumer.pause(&assigned).await
                } else {
                    self.consumer.resume(&assigned).await
                };
                let _ = done.send(result.map_err(|e| ClientError::kafka("pause/resume", e)));
            }
            Command::Seek {
                topic,
                partition,
                to,
                done,
            } => {
                let _ = done.send(self.seek(&topic, partition, to).await.map(|_| ()));
            }
        }
        None
    }

    async fn seek(
        &mut self,
        topic: &str,
        partition: Option<i32>,
        to: SeekTo,
    ) -> Result<Vec<(String, i32)>, ClientError> {
        let targets: Vec<TopicPartition> = self
            .consumer
            .assignment()
            .into_iter()
            .filter(|tp| tp.topic() == topic && partition.is_none_or(|p| p == tp.partition()))
            .collect();
        if targets.is_empty() {
            return Err(ClientError::config(format!(
                "no assigned partition of {topic} to seek"
            )));
        }
        let op = |e| ClientError::kafka(format!("seek {topic}"), e);
        match to {
            // The client resolves these lazily, at its next fetch; resolve
            // them now so that "latest" is the end as of the call, not as
            // of some later moment that skips records produced meanwhile.
            SeekTo::Earliest | SeekTo::Latest => {
                if to == SeekTo::Earliest {
                    self.consumer
                        .seek_to_beginning(&targets)
                        .await
                        .map_err(op)?;
                } else {
                    self.consumer.seek_to_end(&targets).await.map_err(op)?;
                }
                for tp in &targets {
                    self.consumer.position(tp).await.map_err(op)?;
                }
            }
            SeekTo::Offset(o) => {
                for tp in &targets {
                    self.consumer
                        .seek_with_offset(tp.clone(), o)
                        .await
                        .map_err(op)?;
                }
            }
            SeekTo::Timestamp(ms) => {
                let query = targets.iter().map(|tp| (tp.clone(), ms)).collect();
                let found = self.consumer.offsets_for_times(query).await.map_err(op)?;
                for tp in &targets {
                    match found.get(tp).cloned().flatten() {
                        Some(at) => self
                            .consumer
                            .seek_with_offset(tp.clone(), at.offset())
                            .await
                            .map_err(op)?,
                        None => self
                            .consumer
                            .seek_to_end(std::slice::from_ref(tp))
                            .await
                            .map_err(op)?,
                    }
                }
            }
        }
        let sought: Vec<(String, i32)> = targets
            .iter()
            .map(|tp| (tp.topic().to_owned(), tp.partition()))
            .collect();
        let mut acks = self.decoder.shared.acks.lock();
        for tp in &sought {
            acks.reset(tp);
        }
        Ok(sought)
    }

    /// Commits every partition's acknowledged prefix that moved.
    async fn commit(&mut self) -> Result<(), ClientError> {
        let assigned = self.consumer.assignment();
        let due = {
            let mut acks = self.decoder.shared.acks.lock();
            // A revoked partition's acknowledgements belong to its new owner now.
            for tp in acks.partitions() {
                if !assigned.contains(&TopicPartition::new(tp.0.as_str(), tp.1)) {
                    acks.forget(&tp);
                }
            }
            acks.to_commit()
        };
        if due.is_empty() || !self.grouped {
            return Ok(());
        }
        let mut offsets = HashMap::new();
        for ((topic, partition), offset) in &due {
            let at =
                OffsetAndMetadata::new(*offset).map_err(|e| ClientError::kafka("commit", e))?;
            offsets.insert(TopicPartition::new(topic.as_str(), *partition), at);
        }
        self.consumer
            .commit_sync_with_offsets(offsets)
            .await
            .map_err(|e| ClientError::kafka("commit offsets", e))?;
        let mut acks = self.decoder.shared.acks.lock();
        for (tp, offset) in due {
            acks.committed(&tp, offset);
        }
        Ok(())
    }
}
