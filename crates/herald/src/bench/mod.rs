//! `herald bench produce|consume|end-to-end`: throughput and latency of the
//! SDK's typed producer and consumer against any running Herald or Kafka
//! cluster, so a user can reproduce the speed figures on their own setup.
//!
//! Every record is a `BenchRecord` (Avro, registered under
//! `<topic>-value` like any SDK producer does) whose framed value is
//! `--record-size` bytes. MB/s counts those framed values (schema id plus
//! Avro datum), not keys or headers. Latencies are measured per record:
//! `send→ack` from the call that hands it to the producer to the broker's
//! acknowledgement (acks=all, idempotent: the SDK's only mode), and
//! `send→delivery` from that call to the consumer receiving it (end-to-end
//! only: producer and consumer share this process's clock).

mod record;
mod report;
mod run;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use herald_client::transport::TopicSpec;
use herald_client::transport::topics::{self, OffsetQuery};
use herald_client::{Consumer, Producer, StartFrom};

use crate::data::KafkaFlags;
use crate::schema::RegistryFlag;
use record::{BenchRecord, MIN_SIZE};
use report::Report;
use run::Load;

/// Flags of `herald bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Send records through the SDK's typed producer (acks=all, idempotent): records/s, MB/s, send→ack latency.
    Produce(ProduceBench),
    /// Read a topic through the SDK's typed consumer: records/s, MB/s.
    Consume(ConsumeBench),
    /// Produce and consume at once: records/s, send→ack and send→delivery latency.
    #[command(name = "end-to-end", visible_alias = "e2e")]
    EndToEnd(ProduceBench),
}

/// Flags of `bench produce` and `bench end-to-end`.
#[derive(Debug, Args)]
struct ProduceBench {
    /// The topic (created with --partitions if it does not exist). Its
    /// value subject gets the bench's record schema, so use a topic of its own.
    #[arg(long, default_value = "herald-bench")]
    topic: String,
    /// Records to send.
    #[arg(long, short = 'n', default_value_t = 100_000)]
    records: u64,
    /// Size of each record's value on the wire in bytes (schema id + Avro datum).
    #[arg(long, default_value_t = 100, value_parser = parse_size)]
    record_size: usize,
    /// Partitions of the topic when the bench creates it.
    #[arg(long, default_value_t = 1)]
    partitions: i32,
    /// Records that may await their acknowledgement at once.
    #[arg(long, default_value_t = 10_000)]
    in_flight: usize,
    /// Send at most this many records per second (default: as fast as acknowledgements allow).
    #[arg(long, value_parser = parse_rate)]
    rate: Option<f64>,
    #[command(flatten)]
    common: CommonFlags,
}

/// Flags of `bench consume`.
#[derive(Debug, Args)]
struct ConsumeBench {
    /// The topic (written by `herald bench produce`).
    #[arg(long, default_value = "herald-bench")]
    topic: String,
    /// Records to read (default: every record the topic holds now).
    #[arg(long, short = 'n')]
    records: Option<u64>,
    /// Read as this consumer group from its committed offsets (earliest
    /// when it has none), committing what it read; by default read every
    /// partition from the start without a group.
    #[arg(long)]
    group: Option<String>,
    #[command(flatten)]
    common: CommonFlags,
}

#[derive(Debug, Args)]
struct CommonFlags {
    /// Stop reading when no record came for this long (consume and end-to-end; a
    /// stalled producer fails after the client's delivery.timeout.ms instead).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    idle_timeout: Duration,
    /// Report format.
    #[arg(long, value_enum, default_value_t = BenchFormat::Human)]
    format: BenchFormat,
    #[command(flatten)]
    kafka: KafkaFlags,
    #[command(flatten)]
    registry: RegistryFlag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchFormat {
    /// Text for a person.
    Human,
    /// One JSON object.
    Json,
}

/// Kafka's default `max.message.bytes` is about a megabyte.
const MAX_SIZE: usize = 1_000_000;

fn parse_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (MIN_SIZE..=MAX_SIZE).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}`: a record size is {MIN_SIZE} to {MAX_SIZE} bytes"
        )),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && (0.01..=1e9).contains(&r) => Ok(r),
        _ => Err(format!("`{s}`: a rate is 0.01 to 1e9 records per second")),
    }
}

pub(crate) async fn run(args: BenchArgs) -> anyhow::Result<u8> {
    let (report, complete, format) = match args.command {
        BenchCommand::Produce(a) => {
            let format = a.common.format;
            let (report, complete) = produce(a, false).await?;
            (report, complete, format)
        }
        BenchCommand::EndToEnd(a) => {
            let format = a.common.format;
            let (report, complete) = produce(a, true).await?;
            (report, complete, format)
        }
        BenchCommand::Consume(a) => {
            let format = a.common.format;
            let (report, complete) = consume(a).await?;
            (report, complete, format)
        }
    };
    match format {
        BenchFormat::Human => print!("{}", report.human()),
        BenchFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(if complete { 0 } else { 1 })
}

/// The topic's partition count, creating it first if it does not exist.
async fn prepare_topic(
    common: &CommonFlags,
    topic: &str,
    partitions: i32,
) -> anyhow::Result<usize> {
    let kafka = common.kafka.config();
    let spec = TopicSpec {
        name: topic.to_owned(),
        partitions,
        replication_factor: -1,
        configs: Default::default(),
    };
    herald_client::transport::ensure_topic(&kafka, &spec)
        .await
        .with_context(|| format!("creating topic {topic}"))?;
    let details = topics::describe_topic(&kafka, topic)
        .await
        .with_context(|| format!("describing topic {topic}"))?;
    Ok(details.partitions.len())
}

async fn produce(a: ProduceBench, end_to_end: bool) -> anyhow::Result<(Report, bool)> {
    let kafka = a.common.kafka.config();
    let registry = a.common.registry.client()?;
    let partitions = prepare_topic(&a.common, &a.topic, a.partitions).await?;
    let producer = Producer::<BenchRecord>::builder(&kafka, &registry, a.topic.clone())
        .avro()
        .build()
        .await
        .with_context(|| format!("binding the bench record to {}-value", a.topic))?;
    // Built before the first send: a consumer without a group resolves
    // "latest" when it is built, so it sees exactly this run's records.
    let mut consumer = if end_to_end {
        Some(
            Consumer::<BenchRecord>::builder(&kafka, &registry)
                .topic(a.topic.clone())
                .start_from(StartFrom::Latest)
                .avro()
                .build()
                .await
                .context("starting the consumer")?,
        )
    } else {
        None
    };
    let load = Load {
        records: a.records,
        size: a.record_size,
        in_flight: a.in_flight,
        rate: a.rate,
    };
    let bar = crate::tool::progress(
        Some(a.records),
        if end_to_end { "end-to-end" } else { "produce" },
    );
    let started = Instant::now();
    let reader = consumer.take().map(|mut consumer| {
        let (want, idle) = (a.records, a.common.idle_timeout);
        tokio::spawn(async move {
            // The bar counts the sends.
            let hidden = indicatif::ProgressBar::hidden();
            let consumed = run::consume(&mut consumer, want, idle, started, &hidden).await;
            let closed = consumer.close().await;
            (consumed, closed)
        })
    });
    // A stalled cluster fails the acknowledgements after the client's
    // delivery.timeout.ms (two minutes unless --kafka-property says).
    let produced = run::produce(&producer, load, &bar).await?;
    producer.close().await.context("closing the producer")?;
    if let Some(e) = &produced.first_error {
        eprintln!(
            "herald bench: {} sends failed; the first: {e}",
            produced.failed
        );
    }
    let settings = |r: Report| {
        r.setting("acks", "all")
            .setting("idempotent", true)
            .setting("record_size", a.record_size)
            .setting("partitions", partitions)
            .setting("in_flight", a.in_flight)
            .setting(
                "rate",
                a.rate
                    .map(serde_json::Value::from)
                    .unwrap_or(serde_json::Value::Null),
            )
    };
    let Some(reader) = reader else {
        bar.finish_and_clear();
        let mut report = Report::new(
            "produce",
            &a.topic,
            produced.acked,
            produced.bytes,
            produced.span,
        );
        report.failed = produced.failed;
        report.latency.extend(produced.latency.summary("send→ack"));
        return Ok((settings(report), produced.failed == 0));
    };
    let (consumed, closed) = reader.await.context("the consumer task stopped")?;
    closed.context("closing the consumer")?;
    bar.finish_and_clear();
    if let Some(e) = &consumed.first_error {
        eprintln!(
            "herald bench: {} records could not be read; the first: {e}",
            consumed.undecodable
        );
    }
    if consumed.timed_out {
        eprintln!(
            "herald bench: only {} of {} records arrived (nothing for {:?})",
            consumed.delivered, produced.acked, a.common.idle_timeout
        );
    }
    let mut report = Report::new(
        "end-to-end",
        &a.topic,
        consumed.delivered,
        consumed.bytes,
        consumed.span,
    );
    report.failed = produced.failed;
    report.latency.extend(produced.latency.summary("send→ack"));
    report
        .latency
        .extend(consumed.latency.summary("send→delivery"));
    let complete =
        produced.failed == 0 && consumed.undecodable == 0 && consumed.delivered == a.records;
    Ok((settings(report), complete))
}

async fn consume(a: ConsumeBench) -> anyhow::Result<(Report, bool)> {
    let kafka = a.common.kafka.config();
    let registry = a.common.registry.client()?;
    let want = match a.records {
        Some(n) => n,
        None => {
            let start = topics::partition_offsets(&kafka, &a.topic, OffsetQuery::Earliest).await?;
            let end = topics::partition_offsets(&kafka, &a.topic, OffsetQuery::Latest).await?;
            end.iter()
                .map(|(p, e)| (e - start.get(p).copied().unwrap_or(0)).max(0) as u64)
                .sum()
        }
    };
    let mut builder = Consumer::<BenchRecord>::builder(&kafka, &registry)
        .topic(a.topic.clone())
        .start_from(StartFrom::Earliest)
        .avro();
    if let Some(g) = &a.group {
        builder = builder.group(g.clone());
    }
    let mut consumer = builder.build().await.context("starting the consumer")?;
    // Rates count from here, after the schema check and the assignment (or
    // the subscription: a group's join is part of the wait for the first
    // record, which the report gives as first_record_ms).
    let started = Instant::now();
    let bar = crate::tool::progress(Some(want), "consume");
    let consumed = run::consume(&mut consumer, want, a.common.idle_timeout, started, &bar).await;
    consumer.close().await.context("closing the consumer")?;
    bar.finish_and_clear();
    if let Some(e) = &consumed.first_error {
        eprintln!(
            "herald bench: {} records could not be read; the first: {e}",
            consumed.undecodable
        );
    }
    if consumed.delivered < want {
        eprintln!(
            "herald bench: only {} of {want} records arrived (nothing for {:?})",
            consumed.delivered, a.common.idle_timeout
        );
    }
    let mut report = Report::new(
        "consume",
        &a.topic,
        consumed.delivered,
        consumed.bytes,
        consumed.span,
    )
    .setting(
        "group",
        a.group
            .clone()
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null),
    );
    if let Some(first) = consumed.first_record {
        let ms = (first.as_secs_f64() * 100_000.0).round() / 100.0;
        report = report.setting("first_record_ms", ms);
    }
    report.failed = consumed.undecodable;
    Ok((
        report,
        consumed.undecodable == 0 && consumed.delivered == want,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates_are_checked() {
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("31").is_err());
        assert!(parse_size("1000001").is_err());
        assert!(parse_size("big").is_err());
        assert_eq!(parse_rate("2500"), Ok(2500.0));
        for bad in ["0", "-1", "NaN", "inf", "1e10", "fast"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }
}
