"""Drives Herald's schema registry with Confluent's own Python client.

Run by crates/herald-registry/tests/integration/python_client.rs against a registry and a
broker it starts in-process:

    registry_client.py --registry http://127.0.0.1:PORT --bootstrap 127.0.0.1:PORT

Every check raises on failure (the script exits non-zero with a traceback).
On success the last line of stdout is a JSON summary the Rust test checks
against the registry's state.
"""

import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.schema_registry_client import (
    ConfigCompatibilityLevel,
    ServerConfig,
)
from confluent_kafka.serialization import MessageField, SerializationContext

ORDER_V1 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "qty", "type": "int"},
        ],
    },
    indent=2,
)
# BACKWARD compatible with v1: the new field has a default.
ORDER_V2 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "qty", "type": "int"},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)
# Not BACKWARD compatible with v2: a new field without a default.
ORDER_V3 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "qty", "type": "int"},
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "price", "type": "double"},
        ],
    }
)
PAYMENT_JSON = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Payment",
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "amount": {"type": "number"},
        },
        "required": ["id", "amount"],
        "additionalProperties": False,
    }
)

CHECKS = []


def check(name):
    """Records a passed check (printed for the Rust test's log)."""
    CHECKS.append(name)
    print("ok", name, flush=True)


def expect_error(fn, http_status, error_code):
    """Calls fn, which must raise SchemaRegistryError with these codes."""
    try:
        fn()
    except SchemaRegistryError as e:
        assert e.http_status_code == http_status, f"HTTP {e.http_status_code}, expected {http_status}: {e}"
        assert e.error_code == error_code, f"error_code {e.error_code}, expected {error_code}: {e}"
        assert e.error_message, "an error without a message"
        return e
    raise AssertionError(f"expected error {error_code}, but the call succeeded")


def registry_api(url):
    client = SchemaRegistryClient({"url": url})
    fresh = lambda: SchemaRegistryClient({"url": url})  # noqa: E731  (no client-side caches)

    types = client.get_schema_types()
    assert "AVRO" in types and "JSON" in types, types
    check("schema types")

    # Register; the same schema again and under another subject keeps its id.
    v1 = Schema(ORDER_V1, "AVRO")
    id1 = client.register_schema("orders-value", v1)
    assert isinstance(id1, int) and id1 > 0, id1
    assert fresh().register_schema("orders-value", v1) == id1
    full = fresh().register_schema_full_response("orders-copy", v1)
    assert full.schema_id == id1 and full.version == 1, full
    check("register, re-register, same id across subjects")

    # Look up (the registry canonicalizes the indented text the same way).
    found = fresh().lookup_schema("orders-value", v1)
    assert (found.schema_id, found.version, found.subject) == (id1, 1, "orders-value"), found
    expect_error(lambda: fresh().lookup_schema("orders-value", Schema(ORDER_V3, "AVRO")), 404, 40403)
    expect_error(lambda: fresh().lookup_schema("no-such-subject", v1), 404, 40401)
    check("lookup")

    # By id: the stored text is Avro's canonical (compact) form.
    by_id = fresh().get_schema(id1)
    assert by_id.schema_type == "AVRO", by_id.schema_type
    assert json.loads(by_id.schema_str) == json.loads(ORDER_V1), by_id.schema_str
    assert " " not in by_id.schema_str and "\n" not in by_id.schema_str, by_id.schema_str
    expect_error(lambda: fresh().get_schema(987654), 404, 40403)
    assert sorted(fresh().get_subjects_by_schema_id(id1)) == ["orders-copy", "orders-value"]
    pairs = sorted((v.subject, v.version) for v in fresh().get_schema_versions(id1))
    assert pairs == [("orders-copy", 1), ("orders-value", 1)], pairs
    check("get by id, subjects and versions of an id")

    # Compatibility: a default-carrying field passes, a field without one does not.
    assert fresh().test_compatibility("orders-value", Schema(ORDER_V2, "AVRO")) is True
    check("compatibility check, compatible")
    reg2 = fresh().register_schema_full_response("orders-value", Schema(ORDER_V2, "AVRO"))
    assert reg2.schema_id == id1 + 1 and reg2.version == 2, reg2
    assert fresh().test_compatibility("orders-value", Schema(ORDER_V3, "AVRO"), version=2) is False
    assert fresh().test_compatibility_all_versions("orders-value", Schema(ORDER_V3, "AVRO")) is False
    err = expect_error(lambda: fresh().register_schema("orders-value", Schema(ORDER_V3, "AVRO")), 409, 40901)
    assert "incompatible" in err.error_message.lower(), err.error_message
    expect_error(lambda: fresh().register_schema("orders-value", Schema('{"type":"nope"}', "AVRO")), 422, 42201)
    check("compatibility check, incompatible raises 409/40901")

    # Versions.
    assert fresh().get_versions("orders-value") == [1, 2]
    assert fresh().get_version("orders-value", 1).schema_id == id1
    latest = fresh().get_latest_version("orders-value")
    assert (latest.version, latest.schema_id) == (2, reg2.schema_id), latest
    expect_error(lambda: fresh().get_version("orders-value", 9), 404, 40402)
    expect_error(lambda: fresh().get_versions("no-such-subject"), 404, 40401)
    subjects = fresh().get_subjects()
    assert "orders-value" in subjects and "orders-copy" in subjects, subjects
    check("versions and subjects")

    # Config: PUT echoes `compatibility`, GET answers `compatibilityLevel`.
    assert fresh().get_compatibility() == "BACKWARD"
    assert fresh().set_compatibility("orders-value", "none") == {"compatibility": "NONE"}
    assert fresh().get_compatibility("orders-value") == "NONE"
    reg3 = fresh().register_schema_full_response("orders-value", Schema(ORDER_V3, "AVRO"))
    assert reg3.version == 3, reg3
    echoed = fresh().set_config("orders-value", ServerConfig(compatibility=ConfigCompatibilityLevel.FULL))
    assert echoed["compatibility"] == "FULL", echoed
    assert fresh().get_config("orders-value").compatibility_level == ConfigCompatibilityLevel.FULL
    fresh().delete_config("orders-value")
    expect_error(lambda: fresh().get_compatibility("orders-value"), 404, 40408)
    expect_error(lambda: fresh().set_compatibility("orders-value", "SIDEWAYS"), 422, 42203)
    check("config set, get, delete")

    # Modes: READONLY refuses new schemas but still answers for existing ones.
    assert fresh().get_global_mode() == "READWRITE"
    assert fresh().update_mode("orders-value", "READONLY") == "READONLY"
    assert fresh().get_mode("orders-value") == "READONLY"
    again = fresh().register_schema_full_response("orders-value", v1)
    assert (again.schema_id, again.version) == (id1, 1), again
    extra = json.dumps({"type": "record", "name": "Other", "fields": []})
    expect_error(lambda: fresh().register_schema("orders-value", Schema(extra, "AVRO")), 422, 42205)
    assert fresh().delete_mode("orders-value") == "READONLY"
    check("modes")

    # Deletes: soft, then permanent; a soft-deleted version's id still resolves.
    assert fresh().delete_version("orders-value", 3) == 3
    assert fresh().get_versions("orders-value") == [1, 2]
    assert fresh().get_versions("orders-value", deleted=True) == [1, 2, 3]
    assert json.loads(fresh().get_schema(reg3.schema_id).schema_str) == json.loads(ORDER_V3)
    expect_error(lambda: fresh().delete_version("orders-value", 3), 404, 40406)
    assert fresh().delete_version("orders-value", 3, permanent=True) == 3
    expect_error(lambda: fresh().delete_subject("orders-copy", permanent=True), 404, 40405)
    assert fresh().delete_subject("orders-copy") == [1]
    assert "orders-copy" not in fresh().get_subjects()
    assert "orders-copy" in fresh().get_subjects(deleted=True)
    assert fresh().delete_subject("orders-copy", permanent=True) == [1]
    assert "orders-copy" not in fresh().get_subjects(deleted=True)
    assert fresh().get_schema(id1) is not None  # still used by orders-value v1
    check("delete version and subject, soft and permanent")

    return {"order_v1_id": id1, "order_v2_id": reg2.schema_id, "order_v3_id": reg3.schema_id}


def create_topics(bootstrap, names):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names])
    for name, future in futures.items():
        future.result(timeout=30)


def round_trip(bootstrap, topic, framed_values, headers_list):
    """Produces the framed values to topic, consumes them back."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for value, headers in zip(framed_values, headers_list):
        producer.produce(topic, value=value, headers=headers)
    assert producer.flush(30) == 0, "producer did not flush"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"py-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received = []
    deadline = time.monotonic() + 60
    while len(received) < len(framed_values) and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        received.append((msg.value(), msg.headers() or []))
    consumer.close()
    assert len(received) == len(framed_values), f"consumed {len(received)} of {len(framed_values)}"
    return received


def serdes(url, bootstrap):
    client = SchemaRegistryClient({"url": url})
    avro_topic, json_topic, guid_topic = "py-orders", "py-payments", "py-orders-guid"
    create_topics(bootstrap, [avro_topic, json_topic, guid_topic])

    # Avro with Confluent framing: magic 0, 4-byte big-endian id, payload.
    ctx = SerializationContext(avro_topic, MessageField.VALUE)
    serialize = AvroSerializer(client, ORDER_V2)
    orders = [{"id": f"o-{i}", "qty": i, "note": None if i % 2 else f"n{i}"} for i in range(5)]
    framed = [serialize(o, ctx) for o in orders]
    avro_id = SchemaRegistryClient({"url": url}).lookup_schema(f"{avro_topic}-value", Schema(ORDER_V2, "AVRO")).schema_id
    for f in framed:
        assert f[0] == 0 and int.from_bytes(f[1:5], "big") == avro_id, f[:5]
    received = round_trip(bootstrap, avro_topic, framed, [[] for _ in framed])
    writer_side = AvroDeserializer(client)
    assert [writer_side(v, ctx) for v, _ in received] == orders
    # A reader on the older schema reads the newer data (the added field is dropped).
    reader_v1 = AvroDeserializer(SchemaRegistryClient({"url": url}), ORDER_V1)
    assert [reader_v1(v, ctx) for v, _ in received] == [{"id": o["id"], "qty": o["qty"]} for o in orders]
    check("Avro serializer round trip through the broker, with evolution")

    # The schema id as a GUID in a header instead of the payload prefix (the
    # client insists on payloads longer than a prefix even then).
    gctx_headers = []
    guid_ser = AvroSerializer(client, ORDER_V1, conf={"schema.id.serializer": header_schema_id_serializer})
    values = []
    for i in range(3):
        headers = []
        gctx = SerializationContext(guid_topic, MessageField.VALUE, headers)
        values.append(guid_ser({"id": f"guid-order-{i}", "qty": i}, gctx))
        gctx_headers.append(headers)
    assert all(v[0] != 0 for v in values), "GUID framing should leave the payload unprefixed"
    assert all(len(h) == 1 for h in gctx_headers), gctx_headers
    received = round_trip(bootstrap, guid_topic, values, gctx_headers)
    assert all(h for _, h in received), f"headers lost in transit: sent {gctx_headers}, got {received}"
    guid_de = AvroDeserializer(SchemaRegistryClient({"url": url}))
    decoded = [guid_de(v, SerializationContext(guid_topic, MessageField.VALUE, h)) for v, h in received]
    assert decoded == [{"id": f"guid-order-{i}", "qty": i} for i in range(3)], decoded
    check("Avro serializer with the schema GUID in a header")

    # JSON Schema.
    jctx = SerializationContext(json_topic, MessageField.VALUE)
    jser = JSONSerializer(PAYMENT_JSON, client)
    payments = [{"id": f"p-{i}", "amount": i * 1.5} for i in range(4)]
    jframed = [jser(p, jctx) for p in payments]
    json_id = SchemaRegistryClient({"url": url}).get_latest_version(f"{json_topic}-value").schema_id
    for f in jframed:
        assert f[0] == 0 and int.from_bytes(f[1:5], "big") == json_id, f[:5]
    received = round_trip(bootstrap, json_topic, jframed, [[] for _ in jframed])
    jde = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": url}))
    assert [jde(v, jctx) for v, _ in received] == payments
    jde_local = JSONDeserializer(PAYMENT_JSON)
    assert [jde_local(v, jctx) for v, _ in received] == payments
    check("JSON Schema serializer round trip through the broker")

    return {"avro_serde_id": avro_id, "json_serde_id": json_id}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", required=True)
    parser.add_argument("--bootstrap", required=True)
    args = parser.parse_args()
    summary = registry_api(args.registry)
    summary.update(serdes(args.registry, args.bootstrap))
    summary["checks"] = len(CHECKS)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    sys.exit(main())
