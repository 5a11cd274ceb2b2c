use std::collections::BTreeMap;

use herald_log::Batches;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::GroupId;
use kafka_protocol::messages::share_fetch_request::{
    AcknowledgementBatch, FetchPartition, FetchTopic, ForgottenTopic,
};

use super::*;
use crate::share::handlers::testing::{Fixture, assert_encodes};

const NODE: Node = Node { id: 1 };

async fn earliest(f: &Fixture) {
    let loaded = f.share.loaded().await.unwrap();
    loaded.run(|s, _| {
        s.set_group_configs(
            "g",
            BTreeMap::from([
                ("share.auto.offset.reset".to_owned(), "earliest".to_owned()),
                (
                    "share.record.lock.duration.ms".to_owned(),
                    "1000".to_owned(),
                ),
            ]),
        )
    });
}

fn fetch(
    member: &str,
    epoch: i32,
    topic: Uuid,
    acks: Vec<AcknowledgementBatch>,
) -> ShareFetchRequest {
    ShareFetchRequest::default()
        .with_group_id(Some(GroupId(s("g"))))
        .with_member_id(Some(s(member)))
        .with_share_session_epoch(epoch)
        .with_max_wait_ms(0)
        .with_max_records(100)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic_id(topic)
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition_index(0)
                        .with_acknowledgement_batches(acks),
                ]),
        ])
}

fn ack(first: i64, last: i64, t: i8) -> AcknowledgementBatch {
    AcknowledgementBatch::default()
        .with_first_offset(first)
        .with_last_offset(last)
        .with_acknowledge_types(vec![t])
}

fn acquired(resp: &ShareFetchResponse) -> Vec<(i64, i64, i16)> {
    resp.responses
        .iter()
        .flat_map(|t| &t.partitions)
        .flat_map(|p| &p.acquired_records)
        .map(|r| (r.first_offset, r.last_offset, r.delivery_count))
        .collect()
}

fn record_offsets(resp: &ShareFetchResponse) -> Vec<i64> {
    resp.responses
        .iter()
        .flat_map(|t| &t.partitions)
        .filter_map(|p| p.records.as_ref())
        .flat_map(|r| Batches::new(r).map(|b| b.base_offset()).collect::<Vec<_>>())
        .collect()
}

#[tokio::test]
async fn fetch_acknowledge_and_never_see_accepted_records_again() {
    let f = Fixture::new();
    let t = f.topic("q", 1);
    earliest(&f).await;
    f.produce("q", 0, 5);
    let resp = handle(&f.share, &NODE, fetch("a", 0, t, vec![])).await;
    assert_encodes(&resp, 1);
    assert_eq!(resp.error_code, 0, "{:?}", resp.error_message);
    assert_eq!(resp.acquisition_lock_timeout_ms, 1_000);
    assert_eq!(acquired(&resp), vec![(0, 4, 1)]);
    assert_eq!(record_offsets(&resp), vec![0, 1, 2, 3, 4]);
    let p = &resp.responses[0].partitions[0];
    assert_eq!(
        (p.current_leader.leader_id, p.current_leader.leader_epoch),
        (1, 0)
    );
    // Another member sees nothing while a holds them.
    let other = handle(&f.share, &NODE, fetch("b", 0, t, vec![])).await;
    assert!(acquired(&other).is_empty());
    assert_eq!(
        other.responses[0].partitions.len(),
        1,
        "a new session lists every partition"
    );
    // Accept 0-3, release 4: only 4 comes back, with count 2.
    let resp = handle(
        &f.share,
        &NODE,
        fetch("a", 1, t, vec![ack(0, 3, 1), ack(4, 4, 2)]),
    )
    .await;
    let p = &resp.responses[0].partitions[0];
    assert_eq!(p.acknowledge_error_code, 0);
    assert_eq!(acquired(&resp), vec![(4, 4, 2)]);
    assert_eq!(record_offsets(&resp), vec![4]);
    let resp = handle(&f.share, &NODE, fetch("a", 2, t, vec![ack(4, 4, 1)])).await;
    assert!(acquired(&resp).is_empty());
    let loaded = f.share.loaded().await.unwrap();
    let starts = loaded.read(|s| s.start_offsets("g", None).unwrap());
    assert_eq!(starts[&t], vec![(0, Some(5))], "everything accepted");
}

#[tokio::test]
async fn session_epochs_and_bad_acknowledgements_are_refused() {
    let f = Fixture::new();
    let t = f.topic("q", 1);
    earliest(&f).await;
    f.produce("q", 0, 2);
    let resp = handle(&f.share, &NODE, fetch("a", 3, t, vec![])).await;
    assert_eq!(resp.error_code, ResponseError::ShareSessionNotFound.code());
    let resp = handle(&f.share, &NODE, fetch("a", 0, t, vec![ack(0, 0, 1)])).await;
    assert_eq!(resp.error_code, ResponseError::InvalidRequest.code());
    let resp = handle(&f.share, &NODE, fetch("a", 0, t, vec![])).await;
    assert_eq!(acquired(&resp), vec![(0, 1, 1)]);
    let resp = handle(&f.share, &NODE, fetch("a", 5, t, vec![])).await;
    assert_eq!(
        resp.error_code,
        ResponseError::InvalidShareSessionEpoch.code()
    );
    // Acknowledging what is not acquired fails for the partition, atomically.
    let resp = handle(
        &f.share,
        &NODE,
        fetch("a", 1, t, vec![ack(0, 0, 1), ack(1, 2, 1)]),
    )
    .await;
    assert_encodes(&resp, 1);
    let p = &resp.responses[0].partitions[0];
    assert_eq!(
        p.acknowledge_error_code,
        ResponseError::InvalidRecordState.code()
    );
    assert!(p.acknowledge_error_message.is_some());
    let loaded = f.share.loaded().await.unwrap();
    let start = loaded.read(|s| s.start_offsets("g", None).unwrap()[&t][0].1);
    assert_eq!(start, Some(0), "offset 0 was not accepted either");
    // Unknown topics are reported per partition.
    let unknown = Uuid::from_u128(77);
    let resp = handle(&f.share, &NODE, fetch("a", 2, unknown, vec![])).await;
    let bad: Vec<i16> = resp
        .responses
        .iter()
        .filter(|r| r.topic_id == unknown)
        .flat_map(|r| r.partitions.iter().map(|p| p.error_code))
        .collect();
    assert_eq!(bad, vec![ResponseError::UnknownTopicId.code()]);
}

#[tokio::test]
async fn closing_the_session_releases_what_it_held() {
    let f = Fixture::new();
    let t = f.topic("q", 1);
    earliest(&f).await;
    f.produce("q", 0, 3);
    let resp = handle(&f.share, &NODE, fetch("a", 0, t, vec![])).await;
    assert_eq!(acquired(&resp), vec![(0, 2, 1)]);
    let close = fetch("a", -1, t, vec![ack(0, 0, 1)]);
    let resp = handle(&f.share, &NODE, close).await;
    assert_eq!(resp.error_code, 0);
    assert!(
        acquired(&resp).is_empty(),
        "a closing fetch fetches nothing"
    );
    let resp = handle(&f.share, &NODE, fetch("b", 0, t, vec![])).await;
    assert_eq!(
        acquired(&resp),
        vec![(1, 2, 1)],
        "released with the count restored"
    );
    let resp = handle(&f.share, &NODE, fetch("a", 1, t, vec![])).await;
    assert_eq!(resp.error_code, ResponseError::ShareSessionNotFound.code());
}

#[tokio::test]
async fn an_empty_fetch_waits_for_records_and_forgotten_partitions_leave() {
    let f = Fixture::new();
    let t = f.topic("q", 1);
    earliest(&f).await;
    let req = fetch("a", 0, t, vec![]).with_max_wait_ms(5_000);
    let log = f.log.clone();
    let producer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let p = log.partition("q", 0).unwrap();
        let mut b = herald_log::BatchBuilder::new(0);
        b.push(herald_log::Record::new(None, Some(b"late".to_vec())));
        tokio::task::spawn_blocking(move || p.append(&b.build()).unwrap())
            .await
            .unwrap();
    });
    let started = Instant::now();
    let resp = handle(&f.share, &NODE, req).await;
    producer.await.unwrap();
    assert_eq!(acquired(&resp), vec![(0, 0, 1)]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "woken by the append"
    );
    // Forget the partition: the next fetch has nothing to do and returns.
    let forget = fetch("a", 1, t, vec![])
        .with_topics(vec![])
        .with_forgotten_topics_data(vec![
            ForgottenTopic::default()
                .with_topic_id(t)
                .with_partitions(vec![0]),
        ])
        .with_max_wait_ms(5_000);
    let started = Instant::now();
    let resp = handle(&f.share, &NODE, forget).await;
    assert_eq!(resp.error_code, 0);
    assert!(resp.responses.is_empty());
    assert!(started.elapsed() < Duration::from_secs(2));
}
