//! Request/reply over topics: [`Requester`] publishes a request with
//! `reply-to` and `correlation-id` headers and waits for the reply with
//! the same correlation id; [`Responder`] answers on the topic the request
//! names.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::kafka::{self, BytesProducer};
use crate::registry::SchemaRegistryClient;
use crate::serdes::{SchemaSource, Serializer, SerializerConfig};
use crate::transport::KafkaConfig;
use crate::{ClientError, Consumer, Message, Producer, headers};

type Waiters<Resp> = Arc<Mutex<HashMap<String, oneshot::Sender<Resp>>>>;

/// Sends `Req`s and awaits `Resp`s. Any number of requests may be in flight
/// at once, from any number of tasks; each reply finds its caller by
/// correlation id, and replies nobody waits for (late ones) are dropped.
pub struct Requester<Req, Resp> {
    producer: Producer<Req>,
    reply_topic: String,
    waiting: Waiters<Resp>,
    reader: tokio::task::JoinHandle<()>,
}

impl<Req, Resp> std::fmt::Debug for Requester<Req, Resp> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Requester")
            .field("reply_topic", &self.reply_topic)
            .finish_non_exhaustive()
    }
}

impl<Req: Serialize, Resp: DeserializeOwned + Send + 'static> Requester<Req, Resp> {
    /// Sends with `requests` and reads replies from `replies`, which should
    /// be a group-less consumer of `reply_topic` started from the latest
    /// offset (each requester sees every reply and keeps its own).
    pub fn new(
        requests: Producer<Req>,
        mut replies: Consumer<Resp>,
        reply_topic: impl Into<String>,
    ) -> Self {
        let waiting: Waiters<Resp> = Arc::new(Mutex::new(HashMap::new()));
        let map = waiting.clone();
        let reader = tokio::spawn(async move {
            while let Some(item) = replies.next().await {
                let Ok(delivery) = item else { continue };
                let id = delivery
                    .header(headers::CORRELATION_ID)
                    .map(|v| String::from_utf8_lossy(v).into_owned());
                let (value, rest) = delivery.into_parts();
                rest.ack();
                if let Some(tx) = id.and_then(|id| map.lock().remove(&id)) {
                    let _ = tx.send(value);
                }
            }
        });
        Requester {
            producer: requests,
            reply_topic: reply_topic.into(),
            waiting,
            reader,
        }
    }

    /// Builds both handles: a producer of `Req` to `request_topic` and a
    /// group-less consumer of `Resp` on `reply_topic` from now on.
    pub async fn connect(
        cluster: &KafkaConfig,
        registry: &SchemaRegistryClient,
        request_topic: &str,
        reply_topic: &str,
        request_schema: SchemaSource,
        reply_schema: SchemaSource,
    ) -> Result<Self, ClientError> {
        let producer = Producer::builder(cluster, registry, request_topic)
            .schema(request_schema)
            .build()
            .await?;
        let replies = Consumer::builder(cluster, registry)
            .topic(reply_topic)
            .schema(reply_schema)
            .check_compatibility(false)
            .build()
            .await?;
        Ok(Requester::new(producer, replies, reply_topic))
    }

    /// Sends `request` and waits up to `timeout` for its reply.
    pub async fn request(&self, request: &Req, timeout: Duration) -> Result<Resp, ClientError> {
        let id = uuid::Uuid::now_v7().to_string();
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().insert(id.clone(), tx);
        let message = Message::new(request)
            .header(headers::REPLY_TO, self.reply_topic.clone())
            .header(headers::CORRELATION_ID, id.clone());
        if let Err(e) = self.producer.send_message(message).await {
            self.waiting.lock().remove(&id);
            return Err(e);
        }
        let outcome = tokio::time::timeout(timeout, rx).await;
        self.waiting.lock().remove(&id);
        match outcome {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(ClientError::Closed {
                what: "reply reader".to_owned(),
            }),
            Err(_) => Err(ClientError::Timeout {
                operation: format!("request {id} awaiting a reply on {}", self.reply_topic),
                millis: timeout.as_millis(),
            }),
        }
    }
}

impl<Req, Resp> Drop for Requester<Req, Resp> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Answers `Req`s with `Resp`s on the topic each request names.
pub struct Responder<Req, Resp> {
    requests: Consumer<Req>,
    replies: Arc<BytesProducer>,
    serializer: Serializer<Resp>,
}

impl<Req, Resp> std::fmt::Debug for Responder<Req, Resp> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder").finish_non_exhaustive()
    }
}

impl<Req: DeserializeOwned + Send + 'static, Resp: Serialize> Responder<Req, Resp> {
    /// Reads requests from `requests` (usually a grouped consumer, so
    /// responders share the load) and writes `Resp`s with `reply_schema`.
    pub async fn new(
        requests: Consumer<Req>,
        cluster: &KafkaConfig,
        registry: &SchemaRegistryClient,
        reply_schema: SchemaSource,
    ) -> Result<Self, ClientError> {
        let serializer =
            Serializer::new(registry, &reply_schema, SerializerConfig::default()).await?;
        Ok(Responder {
            requests,
            replies: Arc::new(kafka::producer(cluster)?),
            serializer,
        })
    }

    /// Answers requests until the consumer ends: each request's value goes
    /// to `handler`, its reply to the request's `reply-to` topic with the
    /// same `correlation-id`; then the request is acknowledged. A handler
    /// error nacks the request (the consumer's retry policy applies); a
    /// request without `reply-to` is acknowledged unanswered.
    pub async fn serve<F, Fut, E>(mut self, mut handler: F) -> Result<(), ClientError>
    where
        F: FnMut(Req) -> Fut,
        Fut: Future<Output = Result<Resp, E>>,
        E: std::fmt::Display,
    {
        while let Some(item) = self.requests.next().await {
            let delivery = match item {
                Ok(d) => d,
                Err(e) if e.is_retriable() => continue,
                Err(ClientError::Decode(e)) => {
                    tracing::warn!(error = %e, "undecodable request");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let (request, rest) = delivery.into_parts();
            let reply_to = rest
                .header(headers::REPLY_TO)
                .map(|v| String::from_utf8_lossy(v).into_owned());
            let correlation = rest.header(headers::CORRELATION_ID).map(<[u8]>::to_vec);
            let Some(reply_to) = reply_to else {
                rest.ack();
                continue;
            };
            match handler(request).await {
                Ok(reply) => {
                    let encoded = self.serializer.serialize(&reply_to, &reply).await?;
                    let mut hs = Vec::new();
                    if let Some(c) = correlation {
                        hs.push((headers::CORRELATION_ID.to_owned(), c));
                    }
                    let pending = kafka::submit(
                        &self.replies,
                        &reply_to,
                        None,
                        None,
                        Some(&encoded.payload),
                        &hs,
                    )
                    .await?;
                    kafka::acknowledged(pending, &reply_to).await?;
                    rest.ack();
                }
                Err(e) => rest.nack(e),
            }
        }
        Ok(())
    }
}
