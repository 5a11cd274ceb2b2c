//! herald-client's own Kafka connections (the classic-group member and the
//! share consumer) over TLS, against a real Herald broker started
//! in-process behind a TLS-terminating proxy (`tests/support/tls_proxy.rs`,
//! shared with the registry's tests): a CA and a server certificate
//! generated for the test, `security.protocol=SSL` with the Java client's
//! `ssl.truststore.location` / `ssl.keystore.location` (librdkafka's
//! `ssl.ca.location` / `ssl.certificate.location` + `ssl.key.location`
//! as aliases).
//! The broker advertises the proxy, so every connection (coordinator,
//! partition leaders) goes through it; the proxy passes plaintext Kafka
//! through too (for the producer that feeds the share consumer) and counts
//! both kinds, so a silent fallback to plaintext would show.
//!
//! SASL: Herald's broker serves no SASL mechanism, so only its refusal is
//! tested against it here; `sasl_front` runs the mechanisms through a SASL
//! front made in the test, and their messages are unit-tested
//! (`net::scram`, `net::sasl`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use herald_client::membership::{GroupError, GroupMember, GroupSettings, Membership};
use herald_client::share::{AckMode, ShareConsumer, ShareError};
use herald_client::transport::{KafkaConfig, RawProducer};
use tokio::sync::oneshot;

use crate::membership::roster;
use crate::tls_proxy::{Ca, SecureBroker};

const WAIT: Duration = Duration::from_secs(20);

fn settings(name: &'static str) -> GroupSettings {
    GroupSettings::new("secure", "test")
        .protocol("v0", Bytes::from_static(name.as_bytes()))
        .timeouts(
            Duration::from_secs(2),
            Duration::from_millis(100),
            Duration::from_secs(3),
        )
}

fn member(kafka: &KafkaConfig, name: &'static str) -> GroupMember {
    GroupMember::join_with(kafka, settings(name), Arc::new(roster)).unwrap()
}

async fn until_assigned(member: &GroupMember, roster: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Membership::Joined(g) = member.current()
            && g.assignment == roster.as_bytes()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never assigned {roster:?}: {:?}, last error {:?}",
            member.current(),
            member.last_error()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the member's first failure and returns its message; the
/// member must still be joining.
async fn first_failure(member: &GroupMember) -> (Arc<GroupError>, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(e) = member.last_error() {
            assert_eq!(member.current(), Membership::Joining);
            let text = e.to_string();
            return (e, text);
        }
        assert!(
            Instant::now() < deadline,
            "no failure reported: {:?}",
            member.current()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_members_join_and_sync_over_tls() {
    let broker = SecureBroker::start(&["localhost", "127.0.0.1"]).await;
    let kafka = broker.ssl();
    let a = member(&kafka, "a");
    let b = member(&kafka, "b");
    until_assigned(&a, "a,b").await;
    until_assigned(&b, "a,b").await;
    assert!(a.last_error().is_none() && b.last_error().is_none());
    assert!(
        broker.tls_connections() >= 2,
        "{} TLS connections",
        broker.tls_connections()
    );
    assert_eq!(
        broker.plain_connections(),
        0,
        "a connection went around TLS"
    );
    // Heartbeats go on over TLS: a leaving member makes the other rebalance.
    a.leave().await;
    until_assigned(&b, "b").await;
    b.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_is_a_clear_tls_error() {
    let broker = SecureBroker::start(&["localhost", "127.0.0.1"]).await;
    let other = Ca::new("some other CA");
    let kafka = KafkaConfig::new(broker.addr.to_string())
        .with("security.protocol", "SSL")
        .with(
            "ssl.truststore.location",
            other.write(&broker.dir, "other.pem").display().to_string(),
        );
    let m = member(&kafka, "a");
    let (e, text) = first_failure(&m).await;
    assert!(matches!(*e, GroupError::Security { .. }), "{e:?}");
    assert!(text.contains("TLS handshake failed"), "{text}");
    assert!(text.contains("UnknownIssuer"), "{text}");
    assert!(text.contains("ssl.truststore.location"), "{text}");
    m.leave().await;

    // The share consumer reports the same failure on its stream.
    let mut consumer = ShareConsumer::raw(&kafka)
        .group("g")
        .topic("t")
        .build()
        .await
        .unwrap();
    let item = tokio::time::timeout(WAIT, consumer.next()).await.unwrap();
    match item {
        Some(Err(ShareError::Security { reason, .. })) => {
            assert!(reason.contains("UnknownIssuer"), "{reason}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    consumer.close().await.unwrap();
    assert_eq!(
        broker.plain_connections(),
        0,
        "a refused certificate fell back to plaintext"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_name_check_follows_endpoint_identification() {
    // The certificate names another host than the one dialled.
    let broker = SecureBroker::start(&["broker.invalid"]).await;
    let checked = member(&broker.ssl(), "a");
    let (_, text) = first_failure(&checked).await;
    assert!(text.contains("not valid for name"), "{text}");
    checked.leave().await;

    let unchecked = broker
        .ssl()
        .with("ssl.endpoint.identification.algorithm", "none");
    let m = member(&unchecked, "a");
    until_assigned(&m, "a").await;
    m.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_is_presented_when_configured() {
    let broker = SecureBroker::start_with(&["localhost", "127.0.0.1"], true).await;
    let without = member(&broker.ssl(), "a");
    let (e, text) = first_failure(&without).await;
    assert!(matches!(*e, GroupError::Security { .. }), "{e:?}");
    assert!(text.contains("client certificate"), "{text}");
    without.leave().await;

    // Java's PEM keystore: key and chain in one file.
    let keystore = broker.ca.client_keystore(&broker.dir);
    let kafka = broker
        .ssl()
        .with("ssl.keystore.location", keystore.display().to_string())
        .with("ssl.keystore.type", "PEM");
    let with = member(&kafka, "a");
    until_assigned(&with, "a").await;
    with.leave().await;

    // librdkafka's names, as aliases.
    let (cert, key) = broker.ca.client_files(&broker.dir);
    let kafka = broker
        .ssl_librdkafka()
        .with("ssl.certificate.location", cert.display().to_string())
        .with("ssl.key.location", key.display().to_string());
    let with = member(&kafka, "b");
    until_assigned(&with, "b").await;
    with.leave().await;
    assert_eq!(broker.plain_connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_consumer_consumes_over_tls() {
    let broker = SecureBroker::start(&["localhost", "127.0.0.1"]).await;
    broker
        .log
        .create_topic("jobs", 1, &Default::default())
        .unwrap();
    let mut consumer = ShareConsumer::raw(&broker.ssl())
        .group("workers")
        .topic("jobs")
        .acknowledgement(AckMode::Explicit)
        .max_wait(Duration::from_millis(100))
        .build()
        .await
        .unwrap();
    // The group starts at the latest offset once it is assigned, so keep
    // producing (plaintext, to the broker directly) until a record arrives.
    let producer = RawProducer::connect(&KafkaConfig::new(broker.direct.to_string())).unwrap();
    let (stop, mut stopped) = oneshot::channel::<()>();
    let feeding = tokio::spawn(async move {
        for i in 0.. {
            let value = format!("job-{i}");
            producer
                .send("jobs", Some(0), None, Some(value.as_bytes()))
                .await
                .unwrap();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = &mut stopped => break,
            }
        }
        producer.close().await.unwrap();
    });
    let message = tokio::time::timeout(WAIT, consumer.next())
        .await
        .expect("a record within the wait")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&message.value).starts_with("job-"));
    message.accept().await.unwrap();
    let _ = stop.send(());
    feeding.await.unwrap();
    consumer.close().await.unwrap();
    assert!(broker.tls_connections() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sasl_mechanism_is_named() {
    // Herald's broker enables no SASL mechanism: its SaslHandshake answer is
    // UNSUPPORTED_SASL_MECHANISM, as Kafka's on a listener without SASL.
    let broker = SecureBroker::start(&["localhost"]).await;
    let kafka = KafkaConfig::new(broker.direct.to_string())
        .with("security.protocol", "SASL_PLAINTEXT")
        .with("sasl.mechanism", "SCRAM-SHA-256")
        .with(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="secret";"#,
        );
    let m = member(&kafka, "a");
    let (e, text) = first_failure(&m).await;
    assert!(matches!(*e, GroupError::Security { .. }), "{e:?}");
    assert!(
        text.contains("SASL SCRAM-SHA-256 authentication failed")
            && text.contains("does not enable SASL mechanism SCRAM-SHA-256"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
    m.leave().await;

    // What cannot be honoured is refused before anything is sent.
    let gssapi = kafka.clone().with("sasl.mechanism", "GSSAPI");
    match GroupMember::join_with(&gssapi, settings("a"), Arc::new(roster)) {
        Err(GroupError::Config { reason }) => {
            assert!(reason.contains("GSSAPI is not supported"), "{reason}");
        }
        other => panic!("GSSAPI accepted: {other:?}"),
    }
}
