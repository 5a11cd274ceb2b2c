//! Consumer groups: three herald consumers share a topic's partitions, and
//! per-message acknowledgements commit only the contiguous prefix.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use herald_client::{Consumer, Message, Producer, StartFrom};

use crate::typed::OrderV1;
use crate::{TestCluster, eventually, receive, take};

fn order(i: i32) -> OrderV1 {
    OrderV1 {
        id: format!("o-{i}"),
        qty: i,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_consumers_split_the_partitions_and_read_each_record_once() {
    let c = TestCluster::start().await;
    c.topic("events", 6).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "events")
        .avro()
        .build()
        .await
        .unwrap();
    let mut consumers = Vec::new();
    for _ in 0..3 {
        consumers.push(
            Consumer::<OrderV1>::builder(&c.kafka, &registry)
                .topic("events")
                .group("workers")
                .start_from(StartFrom::Earliest)
                .avro()
                .build()
                .await
                .unwrap(),
        );
    }

    // Wait for the group to settle: every member owns some partitions, no
    // partition is owned twice, and all six are owned.
    let members = &consumers;
    let assignments = eventually(Duration::from_secs(30), || async move {
        let mut all = Vec::new();
        for consumer in members {
            all.push(consumer.assignment().await.unwrap());
        }
        let owned: Vec<&(String, i32)> = all.iter().flatten().collect();
        let distinct: BTreeSet<&(String, i32)> = owned.iter().copied().collect();
        let settled = all.iter().all(|a| !a.is_empty()) && owned.len() == 6 && distinct.len() == 6;
        settled.then_some(all)
    })
    .await;

    let mut by_partition: BTreeMap<i32, Vec<OrderV1>> = BTreeMap::new();
    for i in 0..60 {
        let o = order(i);
        let sent = producer
            .send_message(Message::new(&o).partition(i % 6))
            .await
            .unwrap();
        assert_eq!(sent.partition, i % 6);
        by_partition.entry(sent.partition).or_default().push(o);
    }

    // Each member reads exactly the records of the partitions it owns, in
    // partition order.
    for (consumer, assigned) in consumers.iter_mut().zip(&assignments) {
        let expected: usize = assigned.iter().map(|(_, p)| by_partition[p].len()).sum();
        let got = take(consumer, expected).await;
        for (_, p) in assigned {
            let mine: Vec<OrderV1> = got
                .iter()
                .filter(|d| d.partition() == *p)
                .map(|d| d.value.clone())
                .collect();
            assert_eq!(mine, by_partition[p], "partition {p}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgements_commit_only_the_contiguous_prefix() {
    let c = TestCluster::start().await;
    c.topic("ledger", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "ledger")
        .avro()
        .build()
        .await
        .unwrap();
    for i in 0..10 {
        producer.send(&order(i)).await.unwrap();
    }
    let builder = || {
        Consumer::<OrderV1>::builder(&c.kafka, &registry)
            .topic("ledger")
            .group("bookkeepers")
            .start_from(StartFrom::Earliest)
            .avro()
    };

    let mut first = builder().build().await.unwrap();
    let got = receive(&mut first, 10).await;
    assert_eq!(
        got.iter().map(|d| d.offset()).collect::<Vec<_>>(),
        (0..10).collect::<Vec<i64>>()
    );
    // Everything but offset 5 is handled, out of order.
    for d in got.iter().rev().filter(|d| d.offset() != 5) {
        d.ack();
    }
    first.commit().await.unwrap();
    first.close().await.unwrap();

    // The next member of the group starts at the first unacknowledged record.
    let mut second = builder().build().await.unwrap();
    let again = take(&mut second, 5).await;
    assert_eq!(
        again.iter().map(|d| d.offset()).collect::<Vec<_>>(),
        [5, 6, 7, 8, 9]
    );
    assert_eq!(again[0].value, order(5));
    second.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_partition_is_committed_up_to_its_acknowledged_prefix() {
    let c = TestCluster::start().await;
    c.topic("shipments", 2).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "shipments")
        .avro()
        .build()
        .await
        .unwrap();
    for i in 0..10 {
        producer
            .send_message(Message::new(&order(i)).partition(i % 2))
            .await
            .unwrap();
    }
    // No periodic commit during the test: only a revocation commits.
    let builder = || {
        Consumer::<OrderV1>::builder(&c.kafka, &registry)
            .topic("shipments")
            .group("couriers")
            .start_from(StartFrom::Earliest)
            .commit_interval(Duration::from_secs(3600))
            .avro()
    };
    let mut first = builder().build().await.unwrap();
    take(&mut first, 10).await;
    assert_eq!(first.assignment().await.unwrap().len(), 2);

    // A second member takes one partition away from the first.
    let mut second = builder().build().await.unwrap();
    let (first_ref, second_ref) = (&first, &second);
    let moved = eventually(Duration::from_secs(30), || async move {
        let a = first_ref.assignment().await.unwrap();
        let b = second_ref.assignment().await.unwrap();
        (a.len() == 1 && b.len() == 1).then(|| b[0].1)
    })
    .await;
    producer
        .send_message(Message::new(&order(100)).partition(moved))
        .await
        .unwrap();
    // The second member starts after what the first acknowledged.
    let got = take(&mut second, 1).await;
    assert_eq!((got[0].offset(), &got[0].value), (5, &order(100)));
    first.close().await.unwrap();
    second.close().await.unwrap();
}
