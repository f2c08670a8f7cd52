#!/usr/bin/python3
"""Produce and verify a deterministic record set through the whole pipeline
(brokerd, uploaderd, S3), with confluent_kafka (librdkafka).

  pipeline.py produce --bootstrap B --topic T --first I --count N [--size S]
      [--acked FILE]   produces records I..I+N-1 with acks=all, retrying
                       through broker restarts; appends "i partition offset"
                       of each acknowledged record to FILE
  pipeline.py verify --bootstrap B --topic T --count N [--size S]
      [--acked FILE] [--partitions P]
                       reads every partition from offset 0 (no group) and
                       checks that records 0..N-1 are all there exactly once,
                       byte for byte, in order within their partition; with
                       --acked, that every acknowledged record sits at its
                       acknowledged offset (unacknowledged ones may be
                       missing or, having been retried, appear twice)

Record i: key b"k<i>", value blake2b(i) repeated to --size bytes, partition
i % partitions.  Exit status 0 when every check passed.
"""

import argparse
import hashlib
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition


def value(i, size):
    block = hashlib.blake2b(b"%d" % i, digest_size=64).digest()
    return (block * (size // 64 + 1))[:size]


def produce(a):
    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all",
                  "linger.ms": 5, "message.timeout.ms": a.timeout_ms,
                  "retry.backoff.ms": 100, "queue.buffering.max.kbytes": 65536})
    acked = open(a.acked, "a") if a.acked else None
    failed = [0]
    ok = [0]

    def report(err, msg):
        if err is not None:
            failed[0] += 1
            return
        ok[0] += 1
        if acked:
            acked.write("%s %d %d\n" % (msg.key()[1:].decode(), msg.partition(), msg.offset()))

    for i in range(a.first, a.first + a.count):
        while True:
            try:
                p.produce(a.topic, key=b"k%d" % i, value=value(i, a.size),
                          partition=i % a.partitions, on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(a.timeout_ms / 1000 + 30)
    if acked:
        acked.close()
    print("produced %d acknowledged, %d failed, %d unresolved" % (ok[0], failed[0], left))
    return 0 if (failed[0] == 0 and left == 0) or a.allow_failures else 1


def verify(a):
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "pipeline-verify",
                  "enable.auto.commit": False, "fetch.wait.max.ms": 100,
                  "enable.partition.eof": True})
    c.assign([TopicPartition(a.topic, p, 0) for p in range(a.partitions)])
    seen = {}
    at = {}
    errors = 0
    eof = set()
    deadline = time.time() + a.timeout_ms / 1000
    last_progress = time.time()
    while len(eof) < a.partitions and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            if time.time() - last_progress > 60:
                break
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                continue
            print("consume error: %s" % msg.error())
            errors += 1
            if errors > 100:
                break
            continue
        last_progress = time.time()
        eof.discard(msg.partition())
        i = int(msg.key()[1:])
        if msg.value() != value(i, a.size):
            print("record %d at %d/%d: value differs" % (i, msg.partition(), msg.offset()))
            return 1
        if msg.partition() != i % a.partitions:
            print("record %d in partition %d" % (i, msg.partition()))
            return 1
        seen.setdefault(i, []).append((msg.partition(), msg.offset()))
        last = at.get(msg.partition(), -1)
        if msg.offset() != last + 1:
            print("partition %d: offset %d after %d" % (msg.partition(), msg.offset(), last))
            return 1
        at[msg.partition()] = msg.offset()
    c.close()
    status = 0
    if a.acked:
        acked = {}
        for line in open(a.acked):
            i, part, off = map(int, line.split())
            acked[i] = (part, off)
        for i, pos in acked.items():
            if pos not in seen.get(i, []):
                print("acknowledged record %d at %s is missing" % (i, pos))
                status = 1
                break
        dup_acked = [i for i in acked if len(seen.get(i, [])) > 1 and
                     seen[i].count(acked[i]) > 1]
        if dup_acked:
            print("acknowledged records read twice: %s" % dup_acked[:5])
            status = 1
        print("verified %d acknowledged records (of %d read, %d distinct)" %
              (len(acked), sum(len(v) for v in seen.values()), len(seen)))
    else:
        missing = [i for i in range(a.count) if i not in seen]
        twice = [i for i, v in seen.items() if len(v) > 1]
        if missing or twice or len(seen) != a.count:
            print("missing %d (first %s), twice %d (first %s), distinct %d of %d" %
                  (len(missing), missing[:5], len(twice), twice[:5], len(seen), a.count))
            status = 1
        else:
            print("verified %d records byte for byte" % a.count)
    return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["produce", "verify"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--acked")
    ap.add_argument("--allow-failures", action="store_true")
    ap.add_argument("--timeout-ms", type=int, default=120000)
    a = ap.parse_args()
    return produce(a) if a.cmd == "produce" else verify(a)


if __name__ == "__main__":
    sys.exit(main())
