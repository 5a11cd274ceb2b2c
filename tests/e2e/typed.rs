//! Typed round trips, evolution and construction-time compatibility.

use apache_avro::AvroSchema;
use herald_client::{ClientError, Consumer, Producer, SchemaSource, StartFrom};
use herald_schema::SchemaType;
use serde::{Deserialize, Serialize};

use crate::{TestCluster, take};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[serde(rename = "Order")]
#[avro(namespace = "acme")]
pub struct OrderV1 {
    pub id: String,
    pub qty: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[serde(rename = "Order")]
#[avro(namespace = "acme")]
pub struct OrderV2 {
    pub id: String,
    pub qty: i64,
    #[avro(default = "\"none\"")]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[serde(rename = "Order")]
#[avro(namespace = "acme")]
pub struct OrderNeedsPrice {
    pub id: String,
    pub qty: i32,
    pub price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Payment {
    pub id: String,
    pub cents: u64,
    pub tags: Vec<String>,
}

fn order(i: i32) -> OrderV1 {
    OrderV1 {
        id: format!("o-{i}"),
        qty: i,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_round_trip_with_confluent_framing() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap();
    assert_eq!(producer.binding().subject, "orders-value");
    let mut consumer = Consumer::<OrderV1>::builder(&c.kafka, &registry)
        .topic("orders")
        .start_from(StartFrom::Earliest)
        .avro()
        .build()
        .await
        .unwrap();
    for i in 0..20 {
        producer.send(&order(i)).await.unwrap();
    }
    let got = take(&mut consumer, 20).await;
    let values: Vec<OrderV1> = got.iter().map(|d| d.value.clone()).collect();
    assert_eq!(values, (0..20).map(order).collect::<Vec<_>>());
    assert!(got.iter().all(|d| {
        d.message_id()
            .is_some_and(|m| uuid::Uuid::parse_str(m).is_ok_and(|u| u.get_version_num() == 7))
    }));
    let schema = registry.schema_by_id(producer.binding().id).await.unwrap();
    assert!(
        schema.schema.contains("\"acme.Order\"")
            || schema.schema.contains("\"namespace\":\"acme\""),
        "{}",
        schema.schema
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_round_trip_validates_on_produce() {
    let c = TestCluster::start().await;
    c.topic("payments", 1).await;
    let registry = c.registry();
    let producer = Producer::<Payment>::builder(&c.kafka, &registry, "payments")
        .json()
        .build()
        .await
        .unwrap();
    let mut consumer = Consumer::<Payment>::builder(&c.kafka, &registry)
        .topic("payments")
        .start_from(StartFrom::Earliest)
        .json()
        .validate(true)
        .build()
        .await
        .unwrap();
    let p = Payment {
        id: "p1".into(),
        cents: 1250,
        tags: vec!["eu".into()],
    };
    producer.send(&p).await.unwrap();
    let got = take(&mut consumer, 1).await;
    assert_eq!(got[0].value, p);
    let text = registry.schema_by_id(producer.binding().id).await.unwrap();
    assert_eq!(text.schema_type.as_deref(), Some("JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evolution_v1_writer_v2_reader() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    let registry = c.registry();
    let v1 = Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap();
    v1.send(&order(7)).await.unwrap();
    // v2 adds a defaulted field and widens qty: BACKWARD compatible, so it registers.
    let v2 = Producer::<OrderV2>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap();
    assert_ne!(v1.binding().id, v2.binding().id);
    v2.send(&OrderV2 {
        id: "o-8".into(),
        qty: 1 << 40,
        note: "rush".into(),
    })
    .await
    .unwrap();

    let mut consumer = Consumer::<OrderV2>::builder(&c.kafka, &registry)
        .topic("orders")
        .start_from(StartFrom::Earliest)
        .avro()
        .build()
        .await
        .unwrap();
    let got: Vec<OrderV2> = take(&mut consumer, 2)
        .await
        .into_iter()
        .map(|d| d.value)
        .collect();
    assert_eq!(
        got,
        [
            OrderV2 {
                id: "o-7".into(),
                qty: 7,
                note: "none".into()
            },
            OrderV2 {
                id: "o-8".into(),
                qty: 1 << 40,
                note: "rush".into()
            },
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incompatible_types_fail_at_construction_with_findings() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    let registry = c.registry();
    Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap();

    let consumer = Consumer::<OrderNeedsPrice>::builder(&c.kafka, &registry)
        .topic("orders")
        .avro()
        .build()
        .await;
    match consumer {
        Err(ClientError::Incompatible { subject, messages }) => {
            assert_eq!(subject, "orders-value");
            let all = messages.join("\n");
            assert!(
                all.contains("READER_FIELD_MISSING_DEFAULT_VALUE") && all.contains("price"),
                "{all}"
            );
        }
        other => panic!("expected Incompatible, got {other:?}"),
    }

    let producer = Producer::<OrderNeedsPrice>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await;
    match producer {
        Err(e @ ClientError::Incompatible { .. }) => {
            assert!(e.to_string().contains("price"), "{e}")
        }
        other => panic!("expected Incompatible, got {other:?}"),
    }
}

/// A payment as a Rust type, whose contract is a hand-written JSON Schema
/// file (as the files under `schemas/`), stricter than the type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentCaptured {
    pub payment_id: String,
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

const PAYMENT_CAPTURED: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "PaymentCaptured",
  "type": "object",
  "properties": {
    "payment_id": { "type": "string" },
    "order_id": { "type": "string" },
    "amount_minor": { "type": "integer", "minimum": 0 },
    "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
    "method": { "type": "string", "enum": ["card", "bank_transfer", "wallet"] }
  },
  "required": ["payment_id", "order_id", "amount_minor", "currency"],
  "additionalProperties": false
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_file_binds_the_type_and_invalid_values_are_refused_on_produce() {
    let c = TestCluster::start().await;
    c.topic("payments", 1).await;
    let registry = c.registry();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payment-captured.json");
    std::fs::write(&file, PAYMENT_CAPTURED).unwrap();
    let source = SchemaSource::file(SchemaType::Json, &file).unwrap();
    let producer = Producer::<PaymentCaptured>::builder(&c.kafka, &registry, "payments")
        .schema(source.clone())
        .build()
        .await
        .unwrap();
    let good = PaymentCaptured {
        payment_id: "p-1".into(),
        order_id: "o-1".into(),
        amount_minor: 2500,
        currency: "EUR".into(),
        method: Some("card".into()),
    };
    producer.send(&good).await.unwrap();
    // `currency` must match ^[A-Z]{3}$: refused before anything is sent.
    let bad = PaymentCaptured {
        currency: "euro".into(),
        ..good.clone()
    };
    match producer.send(&bad).await {
        Err(e @ ClientError::Encode { .. }) => {
            assert!(!e.is_retriable());
            assert!(e.to_string().contains("does not match"), "{e}");
        }
        other => panic!("expected an encode error, got {other:?}"),
    }
    let mut consumer = Consumer::<PaymentCaptured>::builder(&c.kafka, &registry)
        .topic("payments")
        .start_from(StartFrom::Earliest)
        .schema(source)
        .build()
        .await
        .unwrap();
    let got = take(&mut consumer, 1).await;
    assert_eq!((got[0].offset(), &got[0].value), (0, &good));
}
