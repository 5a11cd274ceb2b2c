//! A share consumer nobody here wrote: confluent-kafka's Python
//! `ShareConsumer` (librdkafka's KIP-932 consumer) consumes a topic of
//! this broker and must accept exactly the produced records, once each.
//! The package comes from `tests/python/requirements.txt`, installed by
//! the test itself (tests/python/pydeps.rs).

use crate::pydeps;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::TestBroker;
use crate::share_common::{producer, set_group_configs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_share_consumer_accepts_exactly_the_produced_records() {
    const N: usize = 300;
    let broker = TestBroker::start().await;
    broker
        .log
        .create_topic("py-queue", 2, &Default::default())
        .unwrap();
    set_group_configs(
        broker.addr,
        "py-share",
        &[("share.auto.offset.reset", "earliest")],
    )
    .await;
    let p = producer(&broker.bootstrap());
    let values: Vec<String> = (0..N).map(|i| format!("py-{i}")).collect();
    // Both partitions, so the consumer fetches from two share-partitions.
    for (partition, chunk) in [0, 1].iter().zip(values.chunks(N / 2)) {
        let sends: Vec<_> = chunk
            .iter()
            .map(|v| {
                let p = p.clone();
                let v = v.clone();
                async move {
                    p.send(
                        rdkafka::producer::FutureRecord::<(), _>::to("py-queue")
                            .partition(*partition)
                            .payload(&v),
                        Duration::from_secs(30),
                    )
                    .await
                    .expect("delivered")
                }
            })
            .collect();
        futures_util::future::join_all(sends).await;
    }

    let bootstrap = broker.bootstrap();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = pydeps::script("share_consumer.py");
        command.args([&bootstrap, "py-queue", "py-share", &N.to_string(), "60"]);
        pydeps::run(command, Duration::from_secs(120))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "share_consumer.py failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let lines = |tag: &str| -> Vec<String> {
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix(tag))
            .map(str::to_owned)
            .collect()
    };
    let errors = lines("ERROR ");
    let got: Vec<String> = lines("RECORD ")
        .iter()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_owned())
        .collect();
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(
        unique.len(),
        got.len(),
        "no record delivered twice; errors: {errors:?}"
    );
    assert_eq!(
        unique,
        values.iter().collect::<BTreeSet<_>>(),
        "exactly the produced set; errors: {errors:?}\n{stderr}"
    );
    assert_eq!(
        lines("COMMIT_FAILURE "),
        Vec::<String>::new(),
        "acknowledgements confirmed"
    );
}
