//! Avro encode and decode of a 10-field record through serde, with the two
//! Rust Avro libraries, one core:
//!
//! - `serde_avro_fast` (what herald-client's serdes use): serde straight to
//!   and from the datum bytes;
//! - apache-avro's schema-aware serde (`GenericDatumWriter::write_ser`,
//!   `GenericDatumReader::read_deser`, new in 0.22; its reader cannot
//!   resolve a writer schema into a reader schema yet and panics if given
//!   one, so a consumer with an evolved type cannot use it);
//! - apache-avro through `types::Value` (`to_value` + datum writer, datum
//!   reader + `from_value`), the path older code and most examples take.
//!
//! `cargo bench -p herald-client --bench avro_serde`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use apache_avro::AvroSchema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

/// A trade: strings, longs, a double, a float, a boolean; ten fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "bench")]
struct Trade {
    id: String,
    account: String,
    symbol: String,
    venue: String,
    quantity: i64,
    price: f64,
    fee: f32,
    timestamp: i64,
    sequence: i32,
    settled: bool,
}

fn trade() -> Trade {
    Trade {
        id: "0191c3a8-6f2e-7cc0-9d51-3be1a0e4c7f2".into(),
        account: "ACC-000417".into(),
        symbol: "EURUSD".into(),
        venue: "XLON".into(),
        quantity: 1_250_000,
        price: 1.083_75,
        fee: 2.5,
        timestamp: 1_764_320_000_123,
        sequence: 88_412,
        settled: false,
    }
}

fn bench(c: &mut Criterion) {
    let schema = Trade::get_schema();
    let fast: serde_avro_fast::Schema = serde_json::to_string(&schema).unwrap().parse().unwrap();
    let value = trade();
    let writer = GenericDatumWriter::builder(&schema).build().unwrap();
    let reader = GenericDatumReader::builder(&schema).build().unwrap();

    // Every path writes the same bytes and reads them back.
    let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
    let datum = serde_avro_fast::to_datum_vec(&value, &mut config).unwrap();
    assert_eq!(writer.write_ser_to_vec(&value).unwrap(), datum);
    let via_value = writer
        .write_value_to_vec(apache_avro::to_value(&value).unwrap())
        .unwrap();
    assert_eq!(via_value, datum);
    let back: Trade = serde_avro_fast::from_datum_slice(&datum, &fast).unwrap();
    assert_eq!(back, value);
    assert_eq!(reader.read_deser::<Trade>(&mut &datum[..]).unwrap(), value);

    let mut group = c.benchmark_group("avro_10_fields");
    group.throughput(Throughput::Elements(1));

    group.bench_function("encode/serde_avro_fast", |b| {
        let mut out = Vec::with_capacity(128);
        b.iter(|| {
            out.clear();
            let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
            serde_avro_fast::to_datum(black_box(&value), &mut out, &mut config).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("encode/apache_avro_serde", |b| {
        let mut out = Vec::with_capacity(128);
        b.iter(|| {
            out.clear();
            writer.write_ser(&mut out, black_box(&value)).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("encode/apache_avro_value", |b| {
        let mut out = Vec::with_capacity(128);
        b.iter(|| {
            out.clear();
            let v = apache_avro::to_value(black_box(&value)).unwrap();
            writer.write_value(&mut out, v).unwrap();
            black_box(out.len())
        })
    });

    group.bench_function("decode/serde_avro_fast", |b| {
        b.iter(|| {
            let t: Trade = serde_avro_fast::from_datum_slice(black_box(&datum), &fast).unwrap();
            black_box(t)
        })
    });
    group.bench_function("decode/apache_avro_serde", |b| {
        b.iter(|| {
            let t: Trade = reader.read_deser(&mut black_box(&datum[..])).unwrap();
            black_box(t)
        })
    });
    group.bench_function("decode/apache_avro_value", |b| {
        b.iter(|| {
            let v = reader.read_value(&mut black_box(&datum[..])).unwrap();
            let t: Trade = apache_avro::from_value(&v).unwrap();
            black_box(t)
        })
    });

    group.bench_function("round_trip/serde_avro_fast", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(128),
            |out| {
                let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
                serde_avro_fast::to_datum(black_box(&value), &mut *out, &mut config).unwrap();
                let t: Trade = serde_avro_fast::from_datum_slice(out, &fast).unwrap();
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("round_trip/apache_avro_serde", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(128),
            |out| {
                writer.write_ser(&mut *out, black_box(&value)).unwrap();
                let t: Trade = reader.read_deser(&mut &out[..]).unwrap();
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("round_trip/apache_avro_value", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(128),
            |out| {
                let v = apache_avro::to_value(black_box(&value)).unwrap();
                writer.write_value(&mut *out, v).unwrap();
                let v = reader.read_value(&mut &out[..]).unwrap();
                let t: Trade = apache_avro::from_value(&v).unwrap();
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
