//! A broker restart in the middle of consumption: no accepted record is
//! delivered again, none is lost, and records that were acquired but not
//! acknowledged come back with their delivery counts.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::TestBroker;
use crate::share_common::{ACCEPT, ShareClient, produce, producer, set_group_configs};
use herald_broker::BrokerConfig;
use herald_log::LogOptions;

const N: i64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_neither_redelivers_accepted_records_nor_loses_any() {
    let broker = TestBroker::start_with(BrokerConfig::default(), LogOptions::default()).await;
    broker
        .log
        .create_topic("r", 1, &Default::default())
        .unwrap();
    set_group_configs(broker.addr, "g", &[("share.auto.offset.reset", "earliest")]).await;
    let p = producer(&broker.bootstrap());
    produce(&p, "r", (0..N).map(|i| format!("r{i}"))).await;
    drop(p);

    let mut a = ShareClient::join(broker.addr, "g", "a", &["r"]).await;
    let mut b = ShareClient::join(broker.addr, "g", "b", &["r"]).await;
    a.heartbeat().await;
    // a accepts at least 400 records, confirmed by the broker.
    let mut accepted: BTreeSet<i64> = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while accepted.len() < 400 {
        assert!(Instant::now() < deadline);
        let polled = a.poll(100, 200).await;
        accepted.extend(polled.confirmed.iter().map(|c| c.2));
        for d in &polled.deliveries {
            a.ack(d, ACCEPT);
        }
    }
    let flushed = a.commit(false).await;
    accepted.extend(flushed.confirmed.iter().map(|c| c.2));
    // b takes records and holds them, unacknowledged.
    let held = b.poll(100, 1_000).await;
    assert!(!held.deliveries.is_empty(), "b holds some records");
    let held: BTreeSet<i64> = held.deliveries.iter().map(|d| d.offset).collect();
    assert!(held.is_disjoint(&accepted));

    let accepted_before = accepted.clone();
    let broker = broker
        .restart(BrokerConfig::default(), LogOptions::default())
        .await;
    a.reconnect(broker.addr).await;
    b.reconnect(broker.addr).await;
    assert_eq!(a.heartbeat().await, 0, "membership survives the restart");

    let mut after: Vec<(i64, i16)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while accepted.len() < N as usize {
        assert!(
            Instant::now() < deadline,
            "{} of {N} accepted",
            accepted.len()
        );
        let polled = a.poll(200, 300).await;
        accepted.extend(polled.confirmed.iter().map(|c| c.2));
        for d in &polled.deliveries {
            after.push((d.offset, d.delivery_count));
            a.ack(d, ACCEPT);
        }
        if polled.deliveries.is_empty() {
            let done = a.commit(false).await;
            accepted.extend(done.confirmed.iter().map(|c| c.2));
        }
    }
    assert!(accepted_before.len() >= 400);
    let again: Vec<i64> = after
        .iter()
        .map(|(o, _)| *o)
        .filter(|o| accepted_before.contains(o))
        .collect();
    assert!(
        again.is_empty(),
        "accepted before the restart and delivered again: {again:?}"
    );
    assert_eq!(
        after.len(),
        after.iter().map(|(o, _)| *o).collect::<BTreeSet<_>>().len(),
        "no duplicates after"
    );
    assert_eq!(accepted, (0..N).collect::<BTreeSet<_>>(), "none lost");
    for (offset, count) in &after {
        if held.contains(offset) {
            assert_eq!(
                *count, 2,
                "offset {offset}: acquired before the restart, count kept"
            );
        } else {
            assert_eq!(*count, 1, "offset {offset}: first delivery");
        }
    }
    assert!(
        held.iter().all(|o| after.iter().any(|(a, _)| a == o)),
        "held records redelivered"
    );
}
