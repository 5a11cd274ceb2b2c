//! The measured loops: send through `Producer<BenchRecord>` with a window
//! of records awaiting acknowledgement, read through
//! `Consumer<BenchRecord>`, and both at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use herald_client::{Consumer, Message, Producer};
use indicatif::ProgressBar;
use tokio::sync::Semaphore;

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

#[derive(Debug)]
struct Tally {
    acked: u64,
    failed: u64,
    first_error: Option<String>,
    bytes: u64,
    latency: Latencies,
}

/// Sends `load.records` records and waits for every acknowledgement.
pub(crate) async fn produce(
    producer: &Producer<BenchRecord>,
    load: Load,
    bar: &ProgressBar,
) -> anyhow::Result<Produced> {
    let window_size = u32::try_from(load.in_flight.clamp(1, 1 << 20)).unwrap_or(1 << 20);
    let window = Arc::new(Semaphore::new(window_size as usize));
    let tally = Arc::new(Mutex::new(Tally {
        acked: 0,
        failed: 0,
        first_error: None,
        bytes: 0,
        latency: Latencies::new(),
    }));
    let filler = filler(load.size);
    let started = Instant::now();
    for seq in 0..load.records {
        let permit = window
            .clone()
            .acquire_owned()
            .await
            .context("the send window closed")?;
        if let Some(rate) = load.rate
            && let Ok(offset) = Duration::try_from_secs_f64(seq as f64 / rate)
        {
            tokio::time::sleep_until((started + offset).into()).await;
        }
        let record = BenchRecord::new(seq as i64, load.size, &filler);
        let size = record.framed_size() as u64;
        let sent = Instant::now();
        let pending = producer
            .submit(Message::new(&record))
            .await
            .with_context(|| format!("sending record {seq}"))?;
        let tally = tally.clone();
        // Each acknowledgement is awaited by a task of its own, so its
        // latency is taken when the broker's answer arrives, not when the
        // sending loop next gets round to looking.
        tokio::spawn(async move {
            let result = pending.acknowledged().await;
            let latency = sent.elapsed();
            if let Ok(mut t) = tally.lock() {
                match result {
                    Ok(_) => {
                        t.acked += 1;
                        t.bytes += size;
                        t.latency.record(latency);
                    }
                    Err(e) => {
                        t.failed += 1;
                        t.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            drop(permit);
        });
        bar.inc(1);
    }
    // Every permit back: every acknowledgement has come.
    let _all = window
        .acquire_many(window_size)
        .await
        .context("the send window closed")?;
    let span = started.elapsed();
    let t = tally
        .lock()
        .map_err(|_| anyhow::anyhow!("an acknowledgement task panicked"))?;
    Ok(Produced {
        acked: t.acked,
        failed: t.failed,
        first_error: t.first_error.clone(),
        bytes: t.bytes,
        span,
        latency: t.latency.clone(),
    })
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
