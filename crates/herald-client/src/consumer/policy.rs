//! Retry and dead letters as policy on the consumer.

use std::time::Duration;

use super::delivery::RawRecord;
use crate::kafka::{self, BytesProducer};
use crate::{ClientError, headers};

/// What happens to a record that failed (`nack`) or could not be decoded.
///
/// A failed record is redelivered after `backoff` (doubling up to
/// `max_backoff`) until it has been tried `max_attempts` times; then it is
/// copied — key, value and headers as read, plus headers naming the source
/// topic, partition, offset, the error and the attempt count — to
/// `dead_letter_topic` and acknowledged. A record that cannot be decoded
/// goes to the dead-letter topic at once (retrying cannot fix it). Without
/// a dead-letter topic, a record past its attempts is logged as an error
/// and acknowledged, as Spring Kafka's default error handler does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many deliveries a record gets, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the first redelivery.
    pub backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
    /// Where records go once retries are spent, or when undecodable.
    pub dead_letter_topic: Option<String>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            dead_letter_topic: None,
        }
    }
}

impl RetryPolicy {
    /// The default policy sending to `topic` once retries are spent.
    pub fn dead_letter(topic: impl Into<String>) -> RetryPolicy {
        RetryPolicy {
            dead_letter_topic: Some(topic.into()),
            ..RetryPolicy::default()
        }
    }

    /// The wait before delivery `attempt + 1`.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        self.backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff)
    }
}

/// Copies `raw` to the dead-letter topic and waits for the acknowledgement.
pub(crate) async fn dead_letter(
    producer: &BytesProducer,
    topic: &str,
    raw: &RawRecord,
    error: &str,
    attempts: u32,
) -> Result<(), ClientError> {
    let mut headers = raw.headers.clone();
    headers.push((
        headers::DLQ_SOURCE_TOPIC.to_owned(),
        raw.topic.clone().into_bytes(),
    ));
    headers.push((
        headers::DLQ_SOURCE_PARTITION.to_owned(),
        raw.partition.to_string().into_bytes(),
    ));
    headers.push((
        headers::DLQ_SOURCE_OFFSET.to_owned(),
        raw.offset.to_string().into_bytes(),
    ));
    headers.push((headers::DLQ_ERROR.to_owned(), error.as_bytes().to_vec()));
    headers.push((
        headers::DLQ_ATTEMPTS.to_owned(),
        attempts.to_string().into_bytes(),
    ));
    let pending = kafka::submit(
        producer,
        topic,
        None,
        raw.key.as_deref(),
        raw.value.as_deref(),
        &headers,
    )
    .await?;
    kafka::acknowledged(pending, topic).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        let d: Vec<u128> = (1..=5).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(d, [100, 200, 350, 350, 350]);
    }
}
