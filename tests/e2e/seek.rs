//! Seek to earliest / latest / offset / timestamp, pause and resume, and a
//! group-less consumer from "latest" (an ephemeral subscription).

use std::time::Duration;

use herald_client::{Consumer, Producer, SeekTo, StartFrom};

use crate::typed::OrderV1;
use crate::{TestCluster, take};

fn order(i: i32) -> OrderV1 {
    OrderV1 {
        id: format!("t-{i}"),
        qty: i,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seek_pause_resume_and_an_ephemeral_subscription() {
    let c = TestCluster::start().await;
    c.topic("ticks", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "ticks")
        .avro()
        .build()
        .await
        .unwrap();
    for i in 0..10 {
        producer.send(&order(i)).await.unwrap();
    }
    let builder = || {
        Consumer::<OrderV1>::builder(&c.kafka, &registry)
            .topic("ticks")
            .avro()
    };

    // Group-less from "latest": the ten existing records are not seen.
    let mut ephemeral = builder().build().await.unwrap();
    let mut replay = builder()
        .start_from(StartFrom::Earliest)
        .build()
        .await
        .unwrap();
    let all = take(&mut replay, 10).await;
    let stamps: Vec<i64> = all.iter().map(|d| d.timestamp()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");

    producer.send(&order(10)).await.unwrap();
    let fresh = take(&mut ephemeral, 1).await;
    assert_eq!((fresh[0].offset(), &fresh[0].value), (10, &order(10)));
    ephemeral.close().await.unwrap();
    assert_eq!(take(&mut replay, 1).await[0].offset(), 10);

    replay.seek("ticks", None, SeekTo::Offset(3)).await.unwrap();
    assert_eq!(next_offset(&mut replay).await, 3);
    replay
        .seek("ticks", Some(0), SeekTo::Timestamp(stamps[6]))
        .await
        .unwrap();
    let first_at_or_after = stamps.iter().position(|t| *t >= stamps[6]).unwrap() as i64;
    assert_eq!(next_offset(&mut replay).await, first_at_or_after);
    replay.seek("ticks", None, SeekTo::Earliest).await.unwrap();
    assert_eq!(next_offset(&mut replay).await, 0);
    replay.seek("ticks", None, SeekTo::Latest).await.unwrap();
    producer.send(&order(11)).await.unwrap();
    assert_eq!(next_offset(&mut replay).await, 11);
    assert!(
        replay.seek("other", None, SeekTo::Earliest).await.is_err(),
        "a topic the consumer does not read"
    );

    // Paused: a new record is not delivered until resume.
    replay.pause().await.unwrap();
    producer.send(&order(12)).await.unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(700), replay.next()).await;
    assert!(quiet.is_err(), "delivered while paused: {quiet:?}");
    replay.resume().await.unwrap();
    assert_eq!(next_offset(&mut replay).await, 12);
    replay.close().await.unwrap();
}

async fn next_offset(consumer: &mut Consumer<OrderV1>) -> i64 {
    take(consumer, 1).await[0].offset()
}
