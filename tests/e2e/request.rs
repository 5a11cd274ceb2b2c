//! Request/reply: concurrent requesters sharing one reply topic each get
//! their own answers; a request nobody answers times out.

use std::time::Duration;

use apache_avro::AvroSchema;
use futures_util::future::join_all;
use herald_client::{ClientError, Consumer, Requester, Responder, SchemaSource, StartFrom};
use serde::{Deserialize, Serialize};

use crate::TestCluster;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "acme")]
pub struct Quote {
    pub requester: i64,
    pub n: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "acme")]
pub struct Priced {
    pub requester: i64,
    pub n: i64,
    pub cents: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requesters_get_their_own_replies_and_silence_times_out() {
    let c = TestCluster::start().await;
    c.topic("quotes", 2).await;
    c.topic("quotes.replies", 1).await;
    c.topic("void", 1).await;
    let registry = c.registry();

    let requests = Consumer::<Quote>::builder(&c.kafka, &registry)
        .topic("quotes")
        .group("pricing")
        .start_from(StartFrom::Earliest)
        .avro()
        .build()
        .await
        .unwrap();
    let responder = Responder::<Quote, Priced>::new(
        requests,
        &c.kafka,
        &registry,
        SchemaSource::avro::<Priced>(),
    )
    .await
    .unwrap();
    let serving = tokio::spawn(responder.serve(|q: Quote| async move {
        Ok::<_, String>(Priced {
            requester: q.requester,
            n: q.n,
            cents: q.n * 100 + q.requester,
        })
    }));

    let mut requesters = Vec::new();
    for _ in 0..3 {
        requesters.push(
            Requester::<Quote, Priced>::connect(
                &c.kafka,
                &registry,
                "quotes",
                "quotes.replies",
                SchemaSource::avro::<Quote>(),
                SchemaSource::avro::<Priced>(),
            )
            .await
            .unwrap(),
        );
    }
    // Three requesters, eight requests each, all in flight at once; every
    // requester also sees the others' replies on the shared topic and must
    // pick out its own by correlation id.
    let calls = requesters.iter().enumerate().flat_map(|(r, requester)| {
        (0..8).map(move |n| async move {
            let q = Quote {
                requester: r as i64,
                n,
            };
            let reply = requester
                .request(&q, Duration::from_secs(30))
                .await
                .unwrap();
            (q, reply)
        })
    });
    let answered = join_all(calls).await;
    assert_eq!(answered.len(), 24);
    for (q, reply) in answered {
        assert_eq!(
            reply,
            Priced {
                requester: q.requester,
                n: q.n,
                cents: q.n * 100 + q.requester
            }
        );
    }

    let unanswered = Requester::<Quote, Priced>::connect(
        &c.kafka,
        &registry,
        "void",
        "quotes.replies",
        SchemaSource::avro::<Quote>(),
        SchemaSource::avro::<Priced>(),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let result = unanswered
        .request(&Quote { requester: 9, n: 1 }, Duration::from_millis(300))
        .await;
    match result {
        Err(e @ ClientError::Timeout { .. }) => assert!(e.is_retriable(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    serving.abort();
}
