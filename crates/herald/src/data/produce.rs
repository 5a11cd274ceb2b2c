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

    // Lines are read and encoded in order; only the sends overlap.
    let mut rejected = 0usize;
    let mut lines = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let number = i + 1;
        let line = line.with_context(|| format!("reading line {number}"))?;
        if line.trim().is_empty() {
            continue;
        }
        match prepare(&line, &encoder, args.key_field.as_deref()) {
            Ok((key, payload)) => lines.push((number, key, payload)),
            Err(reason) => {
                rejected += 1;
                bar.suspend(|| eprintln!("line {number}: {reason}; not sent"));
            }
        }
    }
    let topic = args.topic.clone();
    let mut sends = futures_util::stream::iter(lines.into_iter().map(|(number, key, payload)| {
        let producer = producer.clone();
        let topic = topic.clone();
        async move {
            let result = producer
                .send(&topic, None, key.as_deref(), Some(&payload))
                .await;
            (number, result)
        }
    }))
    .buffered(IN_FLIGHT);
    let (mut sent, mut failed) = (0usize, 0usize);
    while let Some((number, result)) = sends.next().await {
        match result {
            Ok(_) => {
                sent += 1;
                bar.inc(1);
            }
            Err(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("line {number}: send failed: {e}"));
            }
        }
    }
    drop(sends);
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

/// The key and framed value for one input line, or why it is refused.
fn prepare(
    line: &str,
    encoder: &Encoder,
    key_field: Option<&str>,
) -> Result<(Option<Vec<u8>>, Vec<u8>), String> {
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
