//! Queue topics (`herald.queue=true`, RabbitMQ semantics): records are
//! removed once consumed. The log start offset of each partition moves to
//! the lowest offset some interested group still needs — the durable
//! share-partition start offset of every share group consuming it, the
//! committed offset of every consumer group with interest — and whole
//! segments below it are deleted. With no interested group nothing is
//! removed: the records wait for their consumers.

use std::sync::{Arc, Weak};
use std::time::Duration;

use herald_log::{LogError, Partition};

use super::coordinator::Shared;

/// A fully consumed active segment at least this large is rolled so it
/// can be deleted too: disk use returns to near zero when consumers keep up.
const ROLL_BYTES: u64 = 1 << 20;

/// Cleans queue topics every `queue_check_interval_ms` until the
/// coordinator is dropped.
pub(crate) async fn run(shared: Weak<Shared>) {
    let every = match shared.upgrade() {
        Some(s) => Duration::from_millis(s.config.queue_check_interval_ms.max(10)),
        None => return,
    };
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(s) = shared.upgrade() else {
            return;
        };
        clean(&s).await;
    }
}

/// One pass over every queue topic.
pub(crate) async fn clean(s: &Shared) {
    let queues: Vec<_> = s
        .log
        .topics()
        .into_iter()
        .filter(|t| t.config.queue)
        .collect();
    if queues.is_empty() {
        return;
    }
    let loaded = match s.loaded().await {
        Ok(l) => l.clone(),
        Err(e) => {
            tracing::warn!(error = %e, "queue topics are not cleaned: the share coordinator is unavailable");
            return;
        }
    };
    for topic in queues {
        for index in 0..topic.partitions {
            let shares = loaded.read(|st| st.min_durable_start((topic.id, index)));
            let groups = match s.groups.consumed_up_to(&topic.name, index).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "queue topics are not cleaned: the group coordinator is unavailable");
                    return;
                }
            };
            let Some(target) = shares.into_iter().chain(groups).min() else {
                continue;
            };
            let Ok(partition) = s.log.partition(&topic.name, index) else {
                continue;
            };
            let name = topic.name.clone();
            let result = tokio::task::spawn_blocking(move || reclaim(&partition, target)).await;
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(topic = %name, partition = index, error = %e, "cleaning a queue partition failed")
                }
                Err(e) => tracing::error!(error = %e, "the queue cleaning thread failed"),
            }
        }
    }
}

/// Moves the log start offset up to `consumed` (never past the high
/// watermark) and deletes the segments below it. Blocks on I/O.
pub(crate) fn reclaim(p: &Arc<Partition>, consumed: i64) -> Result<(), LogError> {
    let hw = p.high_watermark();
    let target = consumed.min(hw);
    if target > p.log_start_offset() {
        p.delete_records(target)?;
    }
    if target == hw
        && p.log_start_offset() == hw
        && p.segment_count() == 1
        && p.size_bytes() >= ROLL_BYTES
    {
        p.roll()?;
        p.enforce_retention()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use herald_log::{BatchBuilder, Log, Record};

    use super::*;

    #[test]
    fn consumed_segments_go_and_a_consumed_active_segment_rolls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::open(dir.path(), Default::default()).expect("log");
        let overrides = BTreeMap::from([
            ("segment.bytes".to_owned(), "4096".to_owned()),
            ("herald.queue".to_owned(), "true".to_owned()),
        ]);
        log.create_topic("q", 1, &overrides).expect("topic");
        let p = log.partition("q", 0).expect("partition");
        for _ in 0..100 {
            let mut b = BatchBuilder::new(0);
            b.push(Record::new(None, Some(vec![7; 200])));
            p.append(&b.build()).expect("append");
        }
        assert!(p.segment_count() > 3);
        reclaim(&p, 50).expect("reclaim");
        assert_eq!(p.log_start_offset(), 50);
        assert!(p.segment_base_offsets()[0] <= 50);
        assert!(p.segment_base_offsets().get(1).is_none_or(|b| *b > 50));
        reclaim(&p, 1_000).expect("reclaim");
        assert_eq!(p.log_start_offset(), 100, "never past the high watermark");
        assert_eq!(p.segment_count(), 1, "only the active segment is left");
        assert!(p.size_bytes() < 4096 + 400);

        // A big fully consumed active segment is rolled away.
        let overrides = BTreeMap::from([("herald.queue".to_owned(), "true".to_owned())]);
        log.create_topic("big", 1, &overrides).expect("topic");
        let big = log.partition("big", 0).expect("partition");
        for _ in 0..2 {
            let mut b = BatchBuilder::new(0);
            for _ in 0..10 {
                b.push(Record::new(None, Some(vec![1; 100_000])));
            }
            big.append(&b.build()).expect("append");
        }
        assert!(big.size_bytes() >= ROLL_BYTES);
        reclaim(&big, 20).expect("reclaim");
        assert_eq!(big.log_start_offset(), 20);
        assert_eq!(big.size_bytes(), 0, "disk use back to zero");
    }
}
