//! The measured loops: send through `Producer<BenchRecord>` with a window
//! of records awaiting acknowledgement, read through
//! `Consumer<BenchRecord>`, and both at once.

use std::pin::pin;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use futures_util::future::OptionFuture;
use futures_util::stream::FuturesUnordered;
use herald_client::{Consumer, Message, PendingSend, Producer};
use indicatif::ProgressBar;

use super::record::{BenchRecord, filler, now_us};
use super::report::Latencies;

/// How a producer run sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    /// Records to send.
    pub records: u64,
    /// Framed value size of each.
    pub size: usize,
    /// Records that may await their acknowledgement at once.
    pub in_flight: usize,
    /// Records per second to pace at; `None` sends as fast as acks allow.
    pub rate: Option<f64>,
}

/// What a producer run measured.
#[derive(Debug)]
pub(crate) struct Produced {
    pub acked: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    pub bytes: u64,
    /// From the first send to the last acknowledgement.
    pub span: Duration,
    /// Each record from the call that hands it to the producer to its
    /// acknowledgement by the broker.
    pub latency: Latencies,
}

/// Sends `load.records` records and waits for every acknowledgement.
///
/// One task sends and collects: it polls the acknowledgements before every
/// send and while a send waits (for the rate, or for the producer's buffer),
/// so each latency is taken when the broker's answer arrives, not when the
/// sending loop next gets round to looking. Nothing is shared between
/// tasks, so nothing is locked or handed over per record.
pub(crate) async fn produce(
    producer: &Producer<BenchRecord>,
    load: Load,
    bar: &ProgressBar,
) -> anyhow::Result<Produced> {
    let window = load.in_flight.max(1);
    let filler = filler(load.size);
    let mut p = Produced {
        acked: 0,
        failed: 0,
        first_error: None,
        bytes: 0,
        span: Duration::ZERO,
        latency: Latencies::new(),
    };
    // Empty, typed by what it will hold.
    let mut pending: FuturesUnordered<_> = std::iter::empty().map(acknowledgement).collect();
    let started = Instant::now();
    let first = BenchRecord::new(0, load.size, &filler);
    let mut next = pin!(OptionFuture::from(
        (load.records > 0).then(|| submit(producer, first, 0, load, &filler, started))
    ));
    // The bar is redrawn at most this often: it takes a lock and reads the
    // clock on every update, which a million records a second would feel.
    let mut next_tick = started;
    loop {
        tokio::select! {
            biased;
            Some(a) = pending.next(), if !pending.is_empty() => match a.result {
                Ok(()) => {
                    p.acked += 1;
                    p.bytes += a.size;
                    p.latency.record(a.latency);
                }
                Err(e) => {
                    p.failed += 1;
                    p.first_error.get_or_insert(e);
                }
            },
            Some((record, submitted)) = &mut next, if pending.len() < window => {
                let submitted = submitted?;
                let seq = record.seq as u64 + 1;
                if submitted.sent >= next_tick {
                    bar.set_position(seq);
                    next_tick = submitted.sent + BAR_TICK;
                }
                pending.push(acknowledgement(submitted));
                next.set(OptionFuture::from(
                    (seq < load.records)
                        .then(|| submit(producer, record, seq, load, &filler, started)),
                ));
            }
            else => break,
        }
    }
    p.span = started.elapsed();
    bar.set_position(load.records);
    Ok(p)
}

const BAR_TICK: Duration = Duration::from_millis(50);

/// Hands record `seq` to the producer, once `--rate` allows; gives the
/// record back for the next send to reuse.
async fn submit(
    producer: &Producer<BenchRecord>,
    mut record: BenchRecord,
    seq: u64,
    load: Load,
    filler: &str,
    started: Instant,
) -> (BenchRecord, anyhow::Result<Submitted>) {
    if let Some(rate) = load.rate
        && let Ok(offset) = Duration::try_from_secs_f64(seq as f64 / rate)
    {
        tokio::time::sleep_until((started + offset).into()).await;
    }
    record.restamp(seq as i64, load.size, filler);
    let size = record.framed_size() as u64;
    let sent = Instant::now();
    let submitted = producer
        .submit(Message::new(&record))
        .await
        .with_context(|| format!("sending record {seq}"))
        .map(|pending| Submitted {
            sent,
            size,
            pending,
        });
    (record, submitted)
}

/// A record handed to the producer.
struct Submitted {
    sent: Instant,
    size: u64,
    pending: PendingSend,
}

/// One record's outcome, stamped when its acknowledgement came.
struct Acked {
    result: Result<(), String>,
    latency: Duration,
    size: u64,
}

/// Resolves with `s`'s outcome and its latency. FuturesUnordered polls only
/// the futures that were woken, so the latency is read as the answer arrives.
async fn acknowledgement(s: Submitted) -> Acked {
    let result = s.pending.acknowledged().await;
    Acked {
        result: result.map(|_| ()).map_err(|e| e.to_string()),
        latency: s.sent.elapsed(),
        size: s.size,
    }
}

/// What a consumer run measured.
#[derive(Debug)]
pub(crate) struct Consumed {
    pub delivered: u64,
    pub undecodable: u64,
    pub first_error: Option<String>,
    pub bytes: u64,
    /// From the start of reading to the last delivery.
    pub span: Duration,
    /// From the start of reading to the first delivery.
    pub first_record: Option<Duration>,
    /// Each record from its hand-over to the producer (its `sent_at_us`)
    /// to its delivery to this consumer; only meaningful when both run in
    /// this process.
    pub latency: Latencies,
    /// Whether it stopped because nothing came for `idle` before `want`.
    pub timed_out: bool,
}

/// Reads until `want` records were delivered, or nothing came for `idle`.
pub(crate) async fn consume(
    consumer: &mut Consumer<BenchRecord>,
    want: u64,
    idle: Duration,
    started: Instant,
    bar: &ProgressBar,
) -> Consumed {
    let mut c = Consumed {
        delivered: 0,
        undecodable: 0,
        first_error: None,
        bytes: 0,
        span: Duration::ZERO,
        first_record: None,
        latency: Latencies::new(),
        timed_out: false,
    };
    while c.delivered < want {
        match tokio::time::timeout(idle, consumer.next()).await {
            Err(_) => {
                c.timed_out = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                c.undecodable += 1;
                c.first_error.get_or_insert_with(|| e.to_string());
            }
            Ok(Some(Ok(delivery))) => {
                c.latency.record_us(now_us() - delivery.value.sent_at_us);
                c.first_record.get_or_insert_with(|| started.elapsed());
                c.bytes += delivery.value.framed_size() as u64;
                c.delivered += 1;
                delivery.ack();
                c.span = started.elapsed();
                bar.inc(1);
            }
        }
    }
    c
}
