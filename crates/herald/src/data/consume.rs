//! `herald consume`: records of a topic as JSON lines, values decoded with
//! their writer schemas. By default one value per line (so the output can
//! be fed back to `herald produce`); `--verbose` prints the whole record.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use herald_client::transport::tail::{StartAt, TailRecord, TopicReader};
use serde_json::{Value, json};

use super::KafkaFlags;
use super::codec::{Decoder, plain};
use crate::schema::RegistryFlag;

/// Flags of `herald consume`.
#[derive(Debug, Args)]
pub(crate) struct ConsumeArgs {
    /// The topic.
    topic: String,
    /// Consume as this consumer group (committing what was printed).
    #[arg(long)]
    group: Option<String>,
    /// Where to start: earliest, latest, an offset, or a time (RFC 3339, or a duration ago like 15m).
    #[arg(long, default_value = "latest", value_parser = parse_start)]
    from: StartAt,
    /// Stop after this many records.
    #[arg(short = 'n', long = "max-messages")]
    max: Option<u64>,
    /// Stop when no record came for this long (e.g. 5s); by default wait for more.
    #[arg(long, value_parser = humantime::parse_duration)]
    idle_timeout: Option<Duration>,
    /// Print key, headers, partition, offset and timestamp with each value.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    kafka: KafkaFlags,
    #[command(flatten)]
    registry: RegistryFlag,
}

fn parse_start(s: &str) -> Result<StartAt, String> {
    match s {
        "earliest" | "beginning" => Ok(StartAt::Earliest),
        "latest" | "end" => Ok(StartAt::Latest),
        _ => match s.parse::<i64>() {
            Ok(o) if o >= 0 => Ok(StartAt::Offset(o)),
            Ok(_) => Err("an offset is 0 or more".to_owned()),
            Err(_) => super::parse_time(s).map(StartAt::Timestamp),
        },
    }
}

pub(crate) async fn run(args: ConsumeArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let mut decoder = Decoder::new(client);
    let mut reader = TopicReader::open(
        &args.kafka.config(),
        &args.topic,
        args.group.as_deref(),
        args.from,
    )
    .await
    .with_context(|| format!("opening {}", args.topic))?;
    let bar = crate::tool::progress(args.max, "consume");
    let stdout = std::io::stdout();
    let (mut printed, mut undecodable) = (0u64, 0u64);
    let mut last_record = Instant::now();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    'outer: loop {
        if args.max.is_some_and(|m| printed >= m) {
            break;
        }
        if args
            .idle_timeout
            .is_some_and(|t| last_record.elapsed() >= t)
        {
            break;
        }
        let records = tokio::select! {
            r = reader.poll(Duration::from_millis(200)) => r.context("reading records")?,
            _ = &mut interrupted => break,
        };
        if records.is_empty() {
            continue;
        }
        last_record = Instant::now();
        let mut next: HashMap<i32, i64> = HashMap::new();
        for record in records {
            next.insert(record.partition, record.offset + 1);
            match render(&mut decoder, &args.topic, &record, args.verbose).await {
                Ok(line) => {
                    let mut out = stdout.lock();
                    writeln!(out, "{line}")?;
                    out.flush()?;
                }
                Err(reason) => {
                    undecodable += 1;
                    bar.suspend(|| {
                        eprintln!(
                            "{}-{}@{}: cannot decode: {reason}",
                            args.topic, record.partition, record.offset
                        )
                    });
                }
            }
            printed += 1;
            bar.inc(1);
            if args.max.is_some_and(|m| printed >= m) {
                reader.commit(&args.topic, &next).await?;
                break 'outer;
            }
        }
        reader.commit(&args.topic, &next).await?;
    }
    bar.finish_and_clear();
    reader.close().await.context("closing the consumer")?;
    Ok(if undecodable > 0 { 1 } else { 0 })
}

async fn render(
    decoder: &mut Decoder,
    topic: &str,
    record: &TailRecord,
    verbose: bool,
) -> Result<String, String> {
    let value = match &record.value {
        Some(bytes) => decoder.decode(bytes).await?,
        None => Value::Null,
    };
    if !verbose {
        return Ok(value.to_string());
    }
    let key = match &record.key {
        Some(bytes) => decoder.decode(bytes).await?,
        None => Value::Null,
    };
    let headers: serde_json::Map<String, Value> = record
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_deref()
                    .map(|b| match std::str::from_utf8(b) {
                        Ok(s) => Value::String(s.to_owned()),
                        Err(_) => plain(b),
                    })
                    .unwrap_or(Value::Null),
            )
        })
        .collect();
    Ok(json!({
        "topic": topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": key,
        "headers": headers,
        "value": value,
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions() {
        assert_eq!(parse_start("earliest"), Ok(StartAt::Earliest));
        assert_eq!(parse_start("latest"), Ok(StartAt::Latest));
        assert_eq!(parse_start("42"), Ok(StartAt::Offset(42)));
        assert_eq!(
            parse_start("1970-01-01T00:00:02Z"),
            Ok(StartAt::Timestamp(2000))
        );
        assert!(parse_start("-3").is_err());
        assert!(parse_start("soon").is_err());
    }
}
