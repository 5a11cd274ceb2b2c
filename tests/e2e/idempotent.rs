//! Idempotent consumption: the handler runs once per message id, through a
//! forced redelivery (seek back), a duplicate send and a restart with the
//! durable store.

use std::collections::BTreeMap;
use std::sync::Mutex;

use herald_client::dedupe::{DedupeStore, FileDedupe, Handled, Idempotent, MemoryDedupe};
use herald_client::{
    ClientError, Consumer, Delivery, Message, Producer, SeekTo, StartFrom, headers,
};

use crate::typed::OrderV1;
use crate::{TestCluster, receive};

/// Runs every delivery through `idem`, counting handler runs per order id
/// in `runs`; returns how many were skipped as duplicates.
async fn handle_all<S: DedupeStore>(
    idem: &Idempotent<S>,
    deliveries: &[Delivery<OrderV1>],
    runs: &Mutex<BTreeMap<String, u32>>,
) -> usize {
    let mut duplicates = 0;
    for d in deliveries {
        let handled = idem
            .process(d, || async {
                *runs.lock().unwrap().entry(d.value.id.clone()).or_default() += 1;
                Ok::<_, ClientError>(())
            })
            .await
            .unwrap();
        if handled == Handled::Duplicate {
            duplicates += 1;
        }
    }
    duplicates
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_runs_once_per_message_id_across_redelivery_and_restart() {
    let c = TestCluster::start().await;
    c.topic("payments", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "payments")
        .avro()
        .build()
        .await
        .unwrap();
    for i in 0..5 {
        let o = OrderV1 {
            id: format!("p-{i}"),
            qty: i,
        };
        producer.send(&o).await.unwrap();
    }
    // An application-level resend: same message id, so the same message.
    let resent = OrderV1 {
        id: "p-resent".into(),
        qty: 9,
    };
    for _ in 0..2 {
        let m = Message::new(&resent).header(headers::MESSAGE_ID, "order-9-attempt");
        producer.send_message(m).await.unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("handled-ids");
    let runs = Mutex::new(BTreeMap::new());
    let consumer = |group: &str| {
        Consumer::<OrderV1>::builder(&c.kafka, &registry)
            .topic("payments")
            .group(group)
            .start_from(StartFrom::Earliest)
            .avro()
            .build()
    };

    let idem = Idempotent::new(FileDedupe::open(&path).unwrap());
    let mut first = consumer("billing").await.unwrap();
    let got = receive(&mut first, 7).await;
    assert_eq!(handle_all(&idem, &got, &runs).await, 1, "the resend");
    let once: BTreeMap<String, u32> = (0..5)
        .map(|i| format!("p-{i}"))
        .chain(["p-resent".to_owned()])
        .map(|id| (id, 1))
        .collect();
    assert_eq!(*runs.lock().unwrap(), once);

    // Forced redelivery: everything comes again; nothing runs again.
    first
        .seek("payments", None, SeekTo::Earliest)
        .await
        .unwrap();
    let again = receive(&mut first, 7).await;
    assert_eq!(again[0].offset(), 0);
    assert_eq!(handle_all(&idem, &again, &runs).await, 7);
    assert_eq!(*runs.lock().unwrap(), once);
    first.close().await.unwrap();

    // Restart: a new process opens the same store and replays the topic
    // from the start (a new group); every message is known.
    drop(idem);
    let idem = Idempotent::new(FileDedupe::open(&path).unwrap());
    assert_eq!(idem.store().len(), 6);
    let mut replay = consumer("billing-replay").await.unwrap();
    let replayed = receive(&mut replay, 7).await;
    assert_eq!(handle_all(&idem, &replayed, &runs).await, 7);
    assert_eq!(*runs.lock().unwrap(), once);

    // The in-memory store forgets at restart: the same replay runs again,
    // which is why the durable store exists.
    let forgetful = Idempotent::new(MemoryDedupe::new(100));
    assert_eq!(handle_all(&forgetful, &replayed, &runs).await, 1);
    assert!(runs.lock().unwrap().values().all(|n| *n == 2));
    replay.close().await.unwrap();
}
