#!/usr/bin/python3
"""A consumer that keeps reading while the daemons are restarted under it
(tests/integration/init_script.sh), with confluent_kafka (librdkafka).

  ops_consume.py --bootstrap B --topic T --partitions P --stop FILE

Reads every partition from offset 0 (assigned, no group) until FILE exists
and nothing new has come for 3 s.  Fails (exit 1) on an error a client
cannot retry, or when a partition's offsets do not follow each other (a
record lost or served out of order).  Retriable errors (the broker going
away while it restarts) are counted and printed, not failures.
"""

import argparse
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

# What a client sees while its broker restarts; it reconnects and goes on.
RETRIABLE = {KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
             KafkaError._TIMED_OUT, KafkaError._RESOLVE,
             KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
             KafkaError.REQUEST_TIMED_OUT, KafkaError.NETWORK_EXCEPTION,
             KafkaError.UNKNOWN_TOPIC_OR_PART}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    errors = []
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "ops-consume",
                  "enable.auto.commit": False, "fetch.wait.max.ms": 100,
                  "enable.partition.eof": False,
                  "error_cb": lambda e: errors.append(e)})
    c.assign([TopicPartition(a.topic, p, 0) for p in range(a.partitions)])
    at = {}
    count = 0
    retried = 0
    deadline = time.time() + a.timeout
    last = time.time()
    status = 0
    while time.time() < deadline:
        msg = c.poll(0.2)
        for e in errors:
            if e.fatal() or not (e.retriable() or e.code() in RETRIABLE):
                print("non-retriable client error: %s" % e)
                status = 1
            retried += 1
        errors.clear()
        if status:
            break
        if msg is None:
            if os.path.exists(a.stop) and time.time() - last > 3:
                break
            continue
        if msg.error():
            e = msg.error()
            if e.retriable() or e.code() in RETRIABLE:
                retried += 1
                continue
            print("non-retriable consume error: %s" % e)
            status = 1
            break
        last = time.time()
        p, off = msg.partition(), msg.offset()
        if off != at.get(p, -1) + 1:
            print("partition %d: offset %d after %d" % (p, off, at.get(p, -1)))
            status = 1
            break
        at[p] = off
        count += 1
    c.close()
    print("consumed %d records (%s), %d retriable errors" %
          (count, ", ".join("p%d..%d" % (p, o) for p, o in sorted(at.items())), retried))
    if not os.path.exists(a.stop):
        print("timed out before the stop file appeared")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
