//! Interop with librdkafka (rdkafka): Confluent framing both ways, and the
//! header form of schema ids.

use std::time::Duration;

use herald_client::wire::{SchemaRef, VALUE_SCHEMA_ID_HEADER};
use herald_client::{Consumer, IdLocation, Producer, StartFrom};
use rdkafka::Message as _;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Header, Headers as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::typed::OrderV1;
use crate::{TestCluster, take};

fn rd_producer(c: &TestCluster) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", c.broker_addr.to_string())
        .set("acks", "all")
        .create()
        .unwrap()
}

fn rd_consumer(c: &TestCluster, topic: &str) -> StreamConsumer {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", c.broker_addr.to_string())
        .set("group.id", format!("rd-{topic}"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

fn avro_datum(value: &OrderV1) -> Vec<u8> {
    use apache_avro::AvroSchema;
    let schema = OrderV1::get_schema();
    #[allow(deprecated)]
    apache_avro::to_avro_datum(&schema, apache_avro::to_value(value).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rdkafka_framed_records_decode_with_herald() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    let registry = c.registry();
    // Registering through a producer handle; the records come from librdkafka.
    let id = Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap()
        .binding()
        .id;
    let rd = rd_producer(&c);
    let orders: Vec<OrderV1> = (0..5)
        .map(|i| OrderV1 {
            id: format!("rd-{i}"),
            qty: i * 10,
        })
        .collect();
    for o in &orders {
        let mut payload = vec![0];
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&avro_datum(o));
        rd.send(
            FutureRecord::<(), _>::to("orders").payload(&payload),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    }
    let mut consumer = Consumer::<OrderV1>::builder(&c.kafka, &registry)
        .topic("orders")
        .start_from(StartFrom::Earliest)
        .avro()
        .build()
        .await
        .unwrap();
    let got: Vec<OrderV1> = take(&mut consumer, 5)
        .await
        .into_iter()
        .map(|d| d.value)
        .collect();
    assert_eq!(got, orders);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_records_read_by_rdkafka_are_confluent_framed() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .build()
        .await
        .unwrap();
    let order = OrderV1 {
        id: "h-1".into(),
        qty: 3,
    };
    producer.send(&order).await.unwrap();
    let consumer = rd_consumer(&c, "orders");
    let m = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
        .await
        .unwrap()
        .unwrap();
    let payload = m.payload().unwrap();
    assert_eq!(payload[0], 0, "magic byte");
    assert_eq!(
        u32::from_be_bytes(payload[1..5].try_into().unwrap()),
        producer.binding().id
    );
    assert_eq!(&payload[5..], avro_datum(&order).as_slice());
    let headers = m.headers().unwrap();
    assert!(headers.iter().any(|h| h.key == "message-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_form_ids_decode_both_ways() {
    let c = TestCluster::start().await;
    c.topic("orders", 1).await;
    let registry = c.registry();
    let producer = Producer::<OrderV1>::builder(&c.kafka, &registry, "orders")
        .avro()
        .id_location(IdLocation::Header)
        .build()
        .await
        .unwrap();
    let guid = producer.binding().guid.expect("the registry reports GUIDs");
    let herald_order = OrderV1 {
        id: "hdr-1".into(),
        qty: 1,
    };
    producer.send(&herald_order).await.unwrap();

    // librdkafka sees a bare datum and the GUID in the header.
    let rd = rd_consumer(&c, "orders");
    let m = tokio::time::timeout(Duration::from_secs(60), rd.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.payload().unwrap(), avro_datum(&herald_order).as_slice());
    let header = m
        .headers()
        .unwrap()
        .iter()
        .find(|h| h.key == VALUE_SCHEMA_ID_HEADER)
        .unwrap();
    assert_eq!(
        SchemaRef::from_header(header.value.unwrap()).unwrap(),
        SchemaRef::Guid(guid)
    );

    // And a header-form record written by librdkafka decodes too.
    let rd_order = OrderV1 {
        id: "hdr-2".into(),
        qty: 2,
    };
    let guid_bytes = SchemaRef::Guid(guid).to_bytes();
    rd_producer(&c)
        .send(
            FutureRecord::<(), _>::to("orders")
                .payload(&avro_datum(&rd_order))
                .headers(OwnedHeaders::new().insert(Header {
                    key: VALUE_SCHEMA_ID_HEADER,
                    value: Some(&guid_bytes),
                })),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let mut consumer = Consumer::<OrderV1>::builder(&c.kafka, &registry)
        .topic("orders")
        .start_from(StartFrom::Earliest)
        .avro()
        .build()
        .await
        .unwrap();
    let got: Vec<OrderV1> = take(&mut consumer, 2)
        .await
        .into_iter()
        .map(|d| d.value)
        .collect();
    assert_eq!(got, [herald_order, rd_order]);
}
