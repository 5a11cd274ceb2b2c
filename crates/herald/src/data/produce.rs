//! `herald produce`: JSON lines from stdin or a file, encoded with the
//! subject's registered schema and sent with acks=all. A line that is not
//! JSON or does not match the schema is reported with its number and not
//! sent; every other line is.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use futures_util::StreamExt;
use herald_client::registry::Version;
use herald_client::transport::RawProducer;
use serde_json::Value;

use super::KafkaFlags;
use super::codec::Encoder;
use crate::schema::{RegistryFlag, registry_error};

/// How many records may wait for their acknowledgement at once.
const IN_FLIGHT: usize = 256;

/// Flags of `herald produce`.
#[derive(Debug, Args)]
pub(crate) struct ProduceArgs {
    /// The topic.
    topic: String,
    /// The subject whose schema encodes the values (default `<topic>-value`).
    #[arg(long)]
    subject: Option<String>,
    /// Encode with this schema id instead of the subject's latest version.
    #[arg(long)]
    schema_id: Option<u32>,
    /// Read JSON lines from this file instead of stdin.
    #[arg(long, short)]
    file: Option<PathBuf>,
    /// Use this top-level field of each value as the record key (as text).
    #[arg(long)]
    key_field: Option<String>,
    #[command(flatten)]
    kafka: KafkaFlags,
    #[command(flatten)]
    registry: RegistryFlag,
}

pub(crate) async fn run(args: ProduceArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let subject = args
        .subject
        .clone()
        .unwrap_or_else(|| format!("{}-value", args.topic));
    let (id, schema) = match args.schema_id {
        Some(id) => {
            let schema = client
                .parsed_schema(herald_client::wire::SchemaRef::Id(id))
                .await
                .map_err(|e| registry_error(e, &format!("reading schema id {id}")))?;
            (id, schema)
        }
        None => {
            let latest = client
                .version(&subject, Version::Latest)
                .await
                .map_err(|e| {
                    registry_error(e, &format!("reading the latest schema of {subject}"))
                })?;
            let schema = client
                .parse(
                    &latest.text(),
                    &format!("{subject} version {}", latest.version),
                )
                .await
                .map_err(|e| registry_error(e, &format!("parsing {subject}")))?;
            (latest.id, Arc::new(schema))
        }
    };
    let encoder = Encoder::new(id, schema)?;
    let input: Box<dyn BufRead + Send> = match &args.file {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        )),
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let producer =
        Arc::new(RawProducer::connect(&args.kafka.config()).context("connecting to Kafka")?);
    let bar = crate::tool::progress(None, "produce");

    // A blocking thread reads and encodes lines in order while up to
    // IN_FLIGHT sends wait for their acknowledgements; memory stays bounded
    // however long the input is.
    let (tx, rx) = tokio::sync::mpsc::channel::<(usize, Prepared)>(IN_FLIGHT);
    let key_field = args.key_field.clone();
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for (i, line) in input.lines().enumerate() {
            let number = i + 1;
            let line = line.with_context(|| format!("reading line {number}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let prepared = prepare(&line, &encoder, key_field.as_deref());
            if tx.blocking_send((number, prepared)).is_err() {
                break;
            }
        }
        Ok(())
    });
    let lines = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let topic = args.topic.clone();
    let sends = lines
        .map(|(number, prepared)| {
            let producer = producer.clone();
            let topic = topic.clone();
            async move {
                let outcome = match prepared {
                    Ok((key, payload)) => producer
                        .send(&topic, None, key.as_deref(), Some(&payload))
                        .await
                        .map_err(|e| format!("send failed: {e}")),
                    Err(reason) => return (number, Sent::Rejected(reason)),
                };
                match outcome {
                    Ok(_) => (number, Sent::Acknowledged),
                    Err(e) => (number, Sent::Failed(e)),
                }
            }
        })
        .buffered(IN_FLIGHT);
    let mut sends = std::pin::pin!(sends);
    let (mut sent, mut rejected, mut failed) = (0usize, 0usize, 0usize);
    while let Some((number, outcome)) = sends.next().await {
        match outcome {
            Sent::Acknowledged => {
                sent += 1;
                bar.inc(1);
            }
            Sent::Rejected(reason) => {
                rejected += 1;
                bar.suspend(|| eprintln!("line {number}: {reason}; not sent"));
            }
            Sent::Failed(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("line {number}: {e}"));
            }
        }
    }
    reader.await.context("the input reader stopped")??;
    producer.close().await.context("closing the producer")?;
    bar.finish_and_clear();
    eprintln!(
        "sent {sent} records to {} with schema id {id} ({subject}); {rejected} lines rejected{}",
        args.topic,
        if failed > 0 {
            format!(", {failed} failed to send")
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 {
        2
    } else if rejected > 0 {
        1
    } else {
        0
    })
}

/// An input line's key and framed value, or why it is refused.
type Prepared = Result<(Option<Vec<u8>>, Vec<u8>), String>;

/// What became of one input line.
enum Sent {
    Acknowledged,
    Rejected(String),
    Failed(String),
}

/// The key and framed value for one input line, or why it is refused.
fn prepare(line: &str, encoder: &Encoder, key_field: Option<&str>) -> Prepared {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let key = match key_field {
        None => None,
        Some(field) => match value.get(field) {
            Some(Value::String(s)) => Some(s.clone().into_bytes()),
            Some(Value::Null) | None => return Err(format!("has no key field {field:?}")),
            Some(other) => Some(other.to_string().into_bytes()),
        },
    };
    let payload = encoder.encode(&value)?;
    Ok((key, payload))
}

#[cfg(test)]
mod tests {
    use herald_schema::{NoReferences, Schema, SchemaType};

    use super::*;

    #[test]
    fn bad_lines_say_why_and_keys_come_from_the_named_field() {
        let s = Schema::parse(
            SchemaType::Avro,
            r#"{"type":"record","name":"R","fields":[{"name":"id","type":"string"}]}"#,
            &[],
            &NoReferences,
        )
        .unwrap();
        let enc = Encoder::new(1, Arc::new(s)).unwrap();
        let (key, payload) = prepare(r#"{"id":"a"}"#, &enc, Some("id")).unwrap();
        assert_eq!(key.as_deref(), Some(&b"a"[..]));
        assert_eq!(payload[0], 0);
        assert!(
            prepare("{oops", &enc, None)
                .unwrap_err()
                .starts_with("not JSON")
        );
        assert!(
            prepare(r#"{"id":"a"}"#, &enc, Some("nope"))
                .unwrap_err()
                .contains("no key field")
        );
        assert!(
            prepare(r#"{"id":1}"#, &enc, None)
                .unwrap_err()
                .contains("Avro schema")
        );
    }
}
