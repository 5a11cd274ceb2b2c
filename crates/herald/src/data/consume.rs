//! `herald consume`: records of a topic as JSON lines, keys and values
//! decoded with their writer schemas. By default one value per line (so the
//! output can be fed back to `herald produce`); `--verbose` prints the whole
//! record as an envelope that `herald produce --envelope` reads back.
//!
//! With `--group`, the group resumes from its committed offsets and
//! `--from` applies only to partitions it has none for, as Kafka's
//! `auto.offset.reset` does — for an offset or a time too, by committing
//! that position for the group before it joins. `--reset` moves every
//! partition to `--from` first, as `kafka-consumer-groups --reset-offsets
//! --execute` does (the group must have no active member).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use herald_client::transport::KafkaConfig;
use herald_client::transport::tail::{StartAt, TailRecord, TopicReader};
use herald_client::transport::topics::{self, OffsetQuery};
use herald_client::wire::{KEY_SCHEMA_ID_HEADER, VALUE_SCHEMA_ID_HEADER};
use serde_json::{Value, json};

use super::KafkaFlags;
use super::codec::{Decoder, plain};
use crate::schema::RegistryFlag;

/// Flags of `herald consume`.
#[derive(Debug, Args)]
pub(crate) struct ConsumeArgs {
    /// The topic.
    topic: String,
    /// Consume as this consumer group, committing what was printed. It resumes from its
    /// committed offsets; --from applies where it has none.
    #[arg(long)]
    group: Option<String>,
    /// Where to start: earliest, latest, an offset (42 or offset:42), or a time: RFC 3339
    /// (2026-11-28T09:00:00Z), epoch milliseconds (@1764320400000), or a duration ago (15m).
    #[arg(long, default_value = "latest", value_parser = parse_start)]
    from: StartAt,
    /// Move the group's committed offsets to --from first, even where it has some (the group
    /// must have no active member).
    #[arg(long, requires = "group")]
    reset: bool,
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
    let offset = |n: &str| match n.parse::<i64>() {
        Ok(o) if o >= 0 => Ok(StartAt::Offset(o)),
        _ => Err(format!("`{n}` is not an offset (0 or more)")),
    };
    match s {
        "earliest" | "beginning" => Ok(StartAt::Earliest),
        "latest" | "end" => Ok(StartAt::Latest),
        _ => {
            if let Some(n) = s.strip_prefix("offset:") {
                offset(n)
            } else if let Some(t) = s.strip_prefix("timestamp:") {
                super::parse_time(t).map(StartAt::Timestamp)
            } else if s.starts_with('@') {
                super::parse_time(s).map(StartAt::Timestamp)
            } else if s
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit())
            {
                offset(s)
            } else {
                super::parse_time(s).map(StartAt::Timestamp)
            }
        }
    }
}

/// Where the reader starts. With a group, positions other than its own
/// committed offsets are made its committed offsets first, so that the
/// group, not this process, remembers them.
async fn start_position(args: &ConsumeArgs, config: &KafkaConfig) -> anyhow::Result<StartAt> {
    let Some(group) = &args.group else {
        return Ok(args.from);
    };
    if !args.reset && matches!(args.from, StartAt::Earliest | StartAt::Latest) {
        // The client's auto.offset.reset does exactly this.
        return Ok(args.from);
    }
    let topic = &args.topic;
    let query = |q| topics::partition_offsets(config, topic, q);
    let targets: BTreeMap<i32, i64> = match args.from {
        StartAt::Earliest => query(OffsetQuery::Earliest).await?,
        StartAt::Latest => query(OffsetQuery::Latest).await?,
        StartAt::Timestamp(ms) => query(OffsetQuery::Timestamp(ms)).await?,
        StartAt::Offset(o) => {
            // Within the log, as a consumer's seek would end up.
            let start = query(OffsetQuery::Earliest).await?;
            let end = query(OffsetQuery::Latest).await?;
            end.iter()
                .map(|(p, e)| (*p, o.clamp(start.get(p).copied().unwrap_or(0), *e)))
                .collect()
        }
    };
    let committed: BTreeMap<i32, i64> = if args.reset || !group_exists(config, group).await? {
        BTreeMap::new()
    } else {
        topics::describe_group(config, group)
            .await
            .with_context(|| format!("reading the committed offsets of group {group}"))?
            .offsets
            .into_iter()
            .filter(|((t, _), _)| t == topic)
            .map(|((_, p), o)| (p, o))
            .collect()
    };
    let moves: BTreeMap<(String, i32), i64> = targets
        .into_iter()
        .filter(|(p, _)| !committed.contains_key(p))
        .map(|(p, o)| ((topic.clone(), p), o))
        .collect();
    if !moves.is_empty() {
        topics::alter_group_offsets(config, group, &moves)
            .await
            .with_context(|| {
                format!("setting group {group}'s offsets (it must have no active member)")
            })?;
        for ((t, p), o) in &moves {
            eprintln!("group {group}: {t}-{p} starts at offset {o}");
        }
    }
    // Every partition has a committed offset now; one added later has
    // nothing before it to skip.
    Ok(StartAt::Earliest)
}

async fn group_exists(config: &KafkaConfig, group: &str) -> anyhow::Result<bool> {
    Ok(topics::list_groups(config)
        .await
        .context("listing consumer groups")?
        .iter()
        .any(|g| g.id == group))
}

pub(crate) async fn run(args: ConsumeArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let mut decoder = Decoder::new(client);
    let config = args.kafka.config();
    let start = start_position(&args, &config).await?;
    let mut reader = TopicReader::open(&config, &args.topic, args.group.as_deref(), start)
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
    let schema_header = |name: &str| {
        record
            .headers
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    };
    let (value, value_schema) = match &record.value {
        Some(bytes) => {
            decoder
                .decode_with(bytes, schema_header(VALUE_SCHEMA_ID_HEADER))
                .await?
        }
        None => (Value::Null, None),
    };
    if !verbose {
        return Ok(value.to_string());
    }
    let (key, key_schema) = match &record.key {
        Some(bytes) => {
            decoder
                .decode_with(bytes, schema_header(KEY_SCHEMA_ID_HEADER))
                .await?
        }
        None => (Value::Null, None),
    };
    // The schema headers are shown as key_schema / value_schema: printed
    // as headers, `produce --envelope` would send them with a payload they
    // no longer describe.
    let headers: serde_json::Map<String, Value> = record
        .headers
        .iter()
        .filter(|(k, _)| k != KEY_SCHEMA_ID_HEADER && k != VALUE_SCHEMA_ID_HEADER)
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
    let mut out = json!({
        "topic": topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": key,
        "headers": headers,
        "value": value,
    });
    if let Some(r) = key_schema {
        out["key_schema"] = decoder.describe(r, &format!("{topic}-key")).await;
    }
    if let Some(r) = value_schema {
        out["value_schema"] = decoder.describe(r, &format!("{topic}-value")).await;
    }
    Ok(out.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions() {
        assert_eq!(parse_start("earliest"), Ok(StartAt::Earliest));
        assert_eq!(parse_start("latest"), Ok(StartAt::Latest));
        assert_eq!(parse_start("42"), Ok(StartAt::Offset(42)));
        assert_eq!(parse_start("offset:7"), Ok(StartAt::Offset(7)));
        assert_eq!(
            parse_start("1970-01-01T00:00:02Z"),
            Ok(StartAt::Timestamp(2000))
        );
        assert_eq!(
            parse_start("@1764320400000"),
            Ok(StartAt::Timestamp(1_764_320_400_000))
        );
        assert_eq!(
            parse_start("timestamp:1764320400000"),
            Ok(StartAt::Timestamp(1_764_320_400_000))
        );
        assert!(parse_start("-3").is_err());
        assert!(parse_start("offset:x").is_err());
        assert!(parse_start("@soon").is_err());
        assert!(parse_start("soon").is_err());
    }
}
