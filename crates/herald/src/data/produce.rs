//! `herald produce`: JSON lines from stdin or a file, encoded with the
//! subject's registered schema and sent with acks=all. A line is a bare
//! value, or with `--envelope` a key, value and headers; keys are encoded
//! with `--key-subject`'s schema when given, else sent as plain text. A
//! line that is not JSON or does not match its schema is reported with its
//! number and not sent; every other line is.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use herald_client::SchemaRegistryClient;
use herald_client::registry::Version;
use herald_schema::Schema;
use serde_json::Value;

use super::KafkaFlags;
use super::codec::Encoder;
use super::envelope;
use super::sender::{Header, RecordSender};
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
    /// Use this top-level field of each value as the record key.
    #[arg(long, conflicts_with = "envelope")]
    key_field: Option<String>,
    /// Each line is {"key": …, "value": …, "headers": {"name": "text"}} (key and headers optional,
    /// "value": null a tombstone); the topic, partition, offset and timestamp that
    /// `consume --verbose` prints are ignored, so its output can be sent again.
    #[arg(long)]
    envelope: bool,
    /// Encode keys with this subject's latest schema (default: a string key is sent as its
    /// UTF-8 bytes, any other JSON as its text).
    #[arg(long)]
    key_subject: Option<String>,
    /// Encode keys with this schema id.
    #[arg(long, conflicts_with = "key_subject")]
    key_schema_id: Option<u32>,
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
    let (id, schema) = resolve(&client, &subject, args.schema_id).await?;
    let key_encoder = match (&args.key_subject, args.key_schema_id) {
        (None, None) => None,
        (key_subject, key_id) => {
            if !args.envelope && args.key_field.is_none() {
                anyhow::bail!("a key schema needs keys: give --envelope or --key-field");
            }
            let key_subject = key_subject
                .clone()
                .unwrap_or_else(|| format!("{}-key", args.topic));
            let (key_id, key_schema) = resolve(&client, &key_subject, key_id).await?;
            Some((key_subject, key_id, Encoder::new(key_id, key_schema)?))
        }
    };
    let codecs = Codecs {
        value: Encoder::new(id, schema)?,
        key: key_encoder.as_ref().map(|(_, _, e)| e.clone()),
        envelope: args.envelope,
        key_field: args.key_field.clone(),
    };
    let input: Box<dyn BufRead + Send> = match &args.file {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        )),
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let producer = RecordSender::connect(&args.kafka.config())?;
    let bar = crate::tool::progress(None, "produce");

    // A blocking thread reads and encodes lines in order while up to
    // IN_FLIGHT sends wait for their acknowledgements; memory stays bounded
    // however long the input is.
    let (tx, rx) = tokio::sync::mpsc::channel::<(usize, Prepared)>(IN_FLIGHT);
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for (i, line) in input.lines().enumerate() {
            let number = i + 1;
            let line = line.with_context(|| format!("reading line {number}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let prepared = prepare(&line, &codecs);
            if tx.blocking_send((number, prepared)).is_err() {
                break;
            }
        }
        Ok(())
    });
    // Records are handed to the producer one after the other, in input
    // order, so lines keep their order in a partition (an idempotent
    // producer keeps it across retries); only the acknowledgements are
    // awaited together, and reported in input order.
    let mut rx = rx;
    let mut outcomes: FuturesOrdered<Outcome> = FuturesOrdered::new();
    let mut tally = Tally::default();
    while let Some((number, prepared)) = rx.recv().await {
        let outcome: Outcome = match prepared {
            Err(reason) => Box::pin(std::future::ready((number, Sent::Rejected(reason)))),
            Ok(record) => match producer
                .submit(
                    &args.topic,
                    record.key.as_deref(),
                    record.value.as_deref(),
                    record.headers,
                )
                .await
            {
                Ok(ack) => Box::pin(async move {
                    match ack.await {
                        Ok(()) => (number, Sent::Acknowledged),
                        Err(e) => (number, Sent::Failed(format!("send failed: {e:#}"))),
                    }
                }),
                Err(e) => Box::pin(std::future::ready((
                    number,
                    Sent::Failed(format!("send failed: {e:#}")),
                ))),
            },
        };
        outcomes.push_back(outcome);
        while outcomes.len() >= IN_FLIGHT {
            if let Some(done) = outcomes.next().await {
                tally.report(done, &bar);
            }
        }
    }
    while let Some(done) = outcomes.next().await {
        tally.report(done, &bar);
    }
    let Tally {
        sent,
        rejected,
        failed,
    } = tally;
    reader.await.context("the input reader stopped")??;
    producer.close().await?;
    bar.finish_and_clear();
    let keys = match &key_encoder {
        Some((key_subject, key_id, _)) => format!(", keys with schema id {key_id} ({key_subject})"),
        None => String::new(),
    };
    eprintln!(
        "sent {sent} records to {} with schema id {id} ({subject}){keys}; {rejected} lines rejected{}",
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

/// The subject's latest schema, or schema `id`.
async fn resolve(
    client: &SchemaRegistryClient,
    subject: &str,
    id: Option<u32>,
) -> anyhow::Result<(u32, Arc<Schema>)> {
    match id {
        Some(id) => {
            let schema = client
                .parsed_schema(herald_client::wire::SchemaRef::Id(id))
                .await
                .map_err(|e| registry_error(e, &format!("reading schema id {id}")))?;
            Ok((id, schema))
        }
        None => {
            let latest = client
                .version(subject, Version::Latest)
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
            Ok((latest.id, Arc::new(schema)))
        }
    }
}

/// How lines become records.
#[derive(Debug)]
struct Codecs {
    value: Encoder,
    /// `None`: keys are sent as plain text.
    key: Option<Encoder>,
    envelope: bool,
    key_field: Option<String>,
}

/// An input line's key, framed value and headers, or why it is refused.
type Prepared = Result<Record, String>;

/// What one line sends.
#[derive(Debug)]
struct Record {
    key: Option<Vec<u8>>,
    /// `None`: a tombstone.
    value: Option<Vec<u8>>,
    headers: Vec<Header>,
}

/// What became of one input line.
enum Sent {
    Acknowledged,
    Rejected(String),
    Failed(String),
}

/// An input line's number and what became of it, once known.
type Outcome = std::pin::Pin<Box<dyn std::future::Future<Output = (usize, Sent)> + Send>>;

/// The counts of `herald produce`'s summary line.
#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    rejected: usize,
    failed: usize,
}

impl Tally {
    /// Counts one line's outcome and reports a refused or failed one.
    fn report(&mut self, (number, outcome): (usize, Sent), bar: &indicatif::ProgressBar) {
        match outcome {
            Sent::Acknowledged => {
                self.sent += 1;
                bar.inc(1);
            }
            Sent::Rejected(reason) => {
                self.rejected += 1;
                bar.suspend(|| eprintln!("line {number}: {reason}; not sent"));
            }
            Sent::Failed(e) => {
                self.failed += 1;
                bar.suspend(|| eprintln!("line {number}: {e}"));
            }
        }
    }
}

/// The record for one input line, or why it is refused.
fn prepare(line: &str, codecs: &Codecs) -> Prepared {
    let json: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let line = if codecs.envelope {
        envelope::parse(json)?
    } else {
        let key = match &codecs.key_field {
            None => None,
            Some(field) => match json.get(field) {
                Some(Value::Null) | None => return Err(format!("has no key field {field:?}")),
                Some(k) => Some(k.clone()),
            },
        };
        envelope::Line {
            key,
            value: Some(json),
            headers: Vec::new(),
        }
    };
    let key = match (&line.key, &codecs.key) {
        (None, _) => None,
        (Some(k), Some(encoder)) => Some(encoder.encode(k).map_err(|e| format!("key {e}"))?),
        (Some(Value::String(s)), None) => Some(s.clone().into_bytes()),
        (Some(other), None) => Some(other.to_string().into_bytes()),
    };
    let value = match &line.value {
        Some(v) => Some(codecs.value.encode(v)?),
        None => None,
    };
    Ok(Record {
        key,
        value,
        headers: line.headers,
    })
}

#[cfg(test)]
mod tests {
    use herald_schema::{NoReferences, Schema, SchemaType};

    use super::*;

    fn encoder(id: u32, text: &str) -> Encoder {
        let s = Schema::parse(SchemaType::Avro, text, &[], &NoReferences).unwrap();
        Encoder::new(id, Arc::new(s)).unwrap()
    }

    fn codecs(envelope: bool, key_field: Option<&str>, key: Option<Encoder>) -> Codecs {
        Codecs {
            value: encoder(
                1,
                r#"{"type":"record","name":"R","fields":[{"name":"id","type":"string"}]}"#,
            ),
            key,
            envelope,
            key_field: key_field.map(str::to_owned),
        }
    }

    #[test]
    fn bad_lines_say_why_and_keys_come_from_the_named_field() {
        let c = codecs(false, Some("id"), None);
        let r = prepare(r#"{"id":"a"}"#, &c).unwrap();
        assert_eq!(r.key.as_deref(), Some(&b"a"[..]));
        assert_eq!(r.value.unwrap()[0], 0);
        assert!(prepare("{oops", &c).unwrap_err().starts_with("not JSON"));
        let c = codecs(false, Some("nope"), None);
        assert!(
            prepare(r#"{"id":"a"}"#, &c)
                .unwrap_err()
                .contains("no key field")
        );
        let c = codecs(false, None, None);
        assert!(
            prepare(r#"{"id":1}"#, &c)
                .unwrap_err()
                .contains("Avro schema")
        );
        assert_eq!(prepare(r#"{"id":"a"}"#, &c).unwrap().key, None);
    }

    #[test]
    fn envelope_keys_are_encoded_with_the_key_schema_or_sent_as_text() {
        let key = encoder(
            9,
            r#"{"type":"record","name":"K","fields":[{"name":"order_id","type":"string"}]}"#,
        );
        let c = codecs(true, None, Some(key));
        let r = prepare(
            r#"{"key":{"order_id":"o-1"},"value":{"id":"a"},"headers":{"h":"v"}}"#,
            &c,
        )
        .unwrap();
        // Magic byte, id 9, then the Avro string "o-1" (zigzag length 3 = 6).
        assert_eq!(r.key.unwrap(), [0, 0, 0, 0, 9, 6, b'o', b'-', b'1']);
        assert_eq!(r.headers, vec![("h".to_owned(), Some(b"v".to_vec()))]);
        let err = prepare(r#"{"key":{"order":1},"value":{"id":"a"}}"#, &c).unwrap_err();
        assert!(
            err.starts_with("key does not match the Avro schema"),
            "{err}"
        );
        // A tombstone: a key and no value.
        let r = prepare(r#"{"key":{"order_id":"o-1"},"value":null}"#, &c).unwrap();
        assert!(r.key.is_some() && r.value.is_none());

        let plain = codecs(true, None, None);
        let r = prepare(r#"{"key":"o-1","value":{"id":"a"}}"#, &plain).unwrap();
        assert_eq!(r.key.as_deref(), Some(&b"o-1"[..]));
        let r = prepare(r#"{"key":{"n":1},"value":{"id":"a"}}"#, &plain).unwrap();
        assert_eq!(r.key.as_deref(), Some(&br#"{"n":1}"#[..]));
        let err = prepare(r#"{"id":"a"}"#, &plain).unwrap_err();
        assert!(err.contains("unknown envelope field"), "{err}");
    }
}
