"""Consumes a topic with confluent-kafka's ShareConsumer (librdkafka's
KIP-932 share consumer) and prints what it accepted, one line each:
`RECORD <partition> <offset> <value>`, then `ERROR <text>` for each error
message polled and `COMMIT_FAILURE <partition> <error>` for each
acknowledgement the broker refused.

Usage: share_consumer.py BOOTSTRAP TOPIC GROUP EXPECTED TIMEOUT_S

Every record is acknowledged explicitly with ACCEPT. The script stops once
EXPECTED records arrived (then polls one more second, so a duplicate
delivery would be printed too) or after TIMEOUT_S seconds, and exits 0
either way: the caller compares what was printed with what it produced.
"""

import sys
import time

from confluent_kafka import AcknowledgeType, ShareConsumer


def main():
    bootstrap, topic, group, expected, timeout = sys.argv[1:6]
    expected = int(expected)
    consumer = ShareConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "share.acknowledgement.mode": "explicit",
        }
    )
    consumer.subscribe([topic])
    seen = []
    errors = []
    deadline = time.time() + float(timeout)
    linger_until = None
    while time.time() < deadline:
        if linger_until is None and len(seen) >= expected:
            linger_until = time.time() + 1.0
        if linger_until is not None and time.time() >= linger_until:
            break
        for message in consumer.poll(0.5):
            if message.error():
                errors.append(str(message.error()))
                continue
            seen.append(
                {
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "value": message.value().decode("utf-8"),
                }
            )
            consumer.acknowledge(message, AcknowledgeType.ACCEPT)
    results = consumer.commit_sync(10)
    failed = {str(tp): str(e) for tp, e in (results or {}).items() if e is not None}
    consumer.close()
    for r in seen:
        print("RECORD %d %d %s" % (r["partition"], r["offset"], r["value"]))
    for e in errors:
        print("ERROR %s" % e)
    for tp, e in failed.items():
        print("COMMIT_FAILURE %s %s" % (tp, e))


if __name__ == "__main__":
    main()
