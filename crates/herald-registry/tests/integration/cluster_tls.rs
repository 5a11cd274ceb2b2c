//! The registry cluster over TLS: two instances whose Kafka clients (the
//! `_schemas` store and the leader election's group member) all connect
//! with `security.protocol=SSL` and the test CA, through the
//! TLS-terminating proxy of `tests/support/tls_proxy.rs` in front of an
//! in-process broker that advertises only the proxy.
//!
//! Both spellings of the CA are proven: the Java client's
//! `ssl.truststore.location` (what `confluent-kafka` reads) and librdkafka's
//! `ssl.ca.location`, which herald-client rewrites to it, so the `_schemas`
//! store and the election read the same CA whichever is given.

use std::time::Duration;

use herald_registry::Config;

use crate::cluster::{Instance, elected, record};
use crate::tls_proxy::{Ca, SecureBroker};

/// A registry configuration whose Kafka clients use `kafka`'s properties.
fn config(kafka: herald_client::transport::KafkaConfig) -> Config {
    let mut config = Config::with_bootstrap(kafka.bootstrap.clone());
    config.kafka = kafka;
    config
}

/// Two instances on `kafka(broker)` elect a leader, and a registration
/// sent to the follower is forwarded and readable on both.
async fn elects_and_forwards(broker: &SecureBroker, kafka: herald_client::transport::KafkaConfig) {
    let a = Instance::start_with(config(kafka.clone()), "127.0.0.1", true).await;
    let b = Instance::start_with(config(kafka), "127.0.0.1", true).await;
    let leader = elected(&[&a, &b]).await;
    let (leader, follower) = if leader == 0 { (&a, &b) } else { (&b, &a) };

    let (status, reply) = follower.register("tls-value", &record("Tls", "id")).await;
    assert_eq!(status, 200, "{reply}");
    let id = reply["id"].as_i64().unwrap();
    for instance in [leader, follower] {
        let (status, body) = instance.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(status, 200, "{} {body}", instance.url);
    }
    assert!(
        broker.tls_connections() >= 2,
        "{} TLS connections",
        broker.tls_connections()
    );
    assert_eq!(
        broker.plain_connections(),
        0,
        "a registry connection went around TLS"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_elects_and_forwards_over_tls() {
    let broker = SecureBroker::start(&["localhost", "127.0.0.1"]).await;
    elects_and_forwards(&broker, broker.ssl()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_elects_and_forwards_over_tls_with_librdkafka_names() {
    let broker = SecureBroker::start(&["localhost", "127.0.0.1"]).await;
    elects_and_forwards(&broker, broker.ssl_librdkafka()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_requiring_client_certificates_admits_the_registry() {
    // The broker's proxy requires a certificate of its CA. librdkafka's
    // `ssl.certificate.location` + `ssl.key.location` must reach the
    // `_schemas` store (as confluent-kafka's inline keystore) and the
    // election (as herald's own) alike, or one of them is refused.
    let broker = SecureBroker::start_with(&["localhost", "127.0.0.1"], true).await;
    let (cert, key) = broker.ca.client_files(&broker.dir);
    let kafka = broker
        .ssl()
        .with("ssl.certificate.location", cert.display().to_string())
        .with("ssl.key.location", key.display().to_string());
    let instance = Instance::start_with(config(kafka), "127.0.0.1", true).await;
    assert_eq!(elected(&[&instance]).await, 0);
    let (status, reply) = instance.register("mtls-value", &record("Mtls", "id")).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(broker.plain_connections(), 0);
    instance.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_with_a_wrong_ca_does_not_claim_to_be_ready() {
    let broker = SecureBroker::start(&["localhost", "127.0.0.1"]).await;
    let other = Ca::new("some other CA");
    let kafka = broker.ssl().with(
        "ssl.truststore.location",
        other.write(&broker.dir, "other.pem").display().to_string(),
    );
    let mut config = config(kafka);
    config.init_timeout = Duration::from_secs(2);
    let registry = herald_registry::Registry::new(config.clone());
    // One attempt fails, within a bound, and says it was TLS.
    let e = tokio::time::timeout(Duration::from_secs(20), registry.start())
        .await
        .expect("start-up gave up within its bound")
        .expect_err("started over a broker whose certificate it cannot trust");
    let text = e.to_string();
    assert!(text.contains("SSL handshake failed"), "{text}");
    assert!(!registry.is_ready());

    // Served, it keeps retrying and says it is not ready.
    let instance = Instance::spawn(config, "127.0.0.1", true).await;
    let (status, body) = instance.get("/health").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(broker.plain_connections(), 0);
    instance.stop().await;
}
