//! The transport against a real Herald broker started in-process.

use std::sync::Arc;
use std::time::Duration;

use herald_broker::{Broker, BrokerConfig, run};
use herald_client::transport::{
    KafkaConfig, PartitionReader, RawProducer, TopicSpec, cluster_id, ensure_topic,
};
use herald_log::{Log, LogOptions};
use tokio::net::TcpListener;

type Seen<'a> = (i64, Option<&'a [u8]>, Option<&'a [u8]>);

async fn start_broker() -> (
    KafkaConfig,
    tempfile::TempDir,
    tokio::sync::oneshot::Sender<()>,
) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Log::open(dir.path(), LogOptions::default()).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let broker = Arc::new(Broker::new(BrokerConfig::default(), log, addr));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(run(listener, broker, async {
        let _ = stopped.await;
    }));
    (KafkaConfig::new(addr.to_string()), dir, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_then_replay_and_tail_a_compacted_topic() {
    let (config, _dir, _stop) = start_broker().await;
    let spec = TopicSpec::compacted("_schemas");
    assert!(
        ensure_topic(&config, &spec).await.unwrap(),
        "created the first time"
    );
    assert!(
        !ensure_topic(&config, &spec).await.unwrap(),
        "left alone the second time"
    );
    assert!(!cluster_id(&config).await.unwrap().is_empty());

    let producer = RawProducer::connect(&config).unwrap();
    let mut offsets = Vec::new();
    for (k, v) in [
        (&b"a"[..], Some(&b"1"[..])),
        (b"b", Some(b"2")),
        (b"a", None),
    ] {
        offsets.push(
            producer
                .send("_schemas", Some(0), Some(k), v)
                .await
                .unwrap()
                .offset,
        );
    }
    assert_eq!(offsets, [0, 1, 2]);

    let mut reader = PartitionReader::open(&config, "_schemas", 0, 0)
        .await
        .unwrap();
    assert_eq!(reader.end_offset().await.unwrap(), 3);
    let records = reader
        .read_to_end_within(Duration::from_secs(20))
        .await
        .unwrap();
    let seen: Vec<Seen<'_>> = records
        .iter()
        .map(|r| (r.offset, r.key.as_deref(), r.value.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (0, Some(&b"a"[..]), Some(&b"1"[..])),
            (1, Some(&b"b"[..]), Some(&b"2"[..])),
            (2, Some(&b"a"[..]), None)
        ]
    );

    // Tailing: a record produced now reaches the reader that is at the end.
    let at = producer
        .send("_schemas", Some(0), Some(b"c"), Some(b"3"))
        .await
        .unwrap();
    let mut tail = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while tail.is_empty() && std::time::Instant::now() < deadline {
        tail = reader.poll(Duration::from_millis(500)).await.unwrap();
    }
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].offset, at.offset);

    // A reader opened mid-way starts there.
    let mut from_two = PartitionReader::open(&config, "_schemas", 0, 2)
        .await
        .unwrap();
    let rest = from_two
        .read_to_end_within(Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|r| r.offset).collect::<Vec<_>>(), [2, 3]);

    producer.close().await.unwrap();
    reader.close().await.unwrap();
    from_two.close().await.unwrap();
}
