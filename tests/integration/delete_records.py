#!/usr/bin/python3
"""The client half of delete_records.sh, with confluent_kafka (librdkafka).

  delete_records.py create --bootstrap B --topic T --partitions P [--config k=v ...]
  delete_records.py produce --bootstrap B --topic T --partition P --first I
      --count N [--age-ms A]
                     records I..I+N-1 (key b"k<i>", value b"v<i>") with
                     acks=all and CreateTime timestamps A ms in the past
  delete_records.py low --bootstrap B --topic T --partition P --expect L
      [--wait S]     ListOffsets EARLIEST (get_watermark_offsets) is L,
                     waiting up to S seconds for it to become L
  delete_records.py consume --bootstrap B --topic T --partition P
      --expect-first F --expect-count N
                     a consumer from the beginning (OFFSET_BEGINNING) and
                     one asking for offset 0 (out of range, reset to
                     earliest) both read exactly records F..F+N-1 at
                     offsets F..F+N-1
  delete_records.py events --socket S --out FILE
                     subscribes to brokerd's "compaction" events on its
                     control socket and appends each line to FILE until
                     killed

Exit status 0 when every check passed.
"""

import argparse
import json
import socket
import sys
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,
                             Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic


def create(a):
    admin = AdminClient({"bootstrap.servers": a.bootstrap})
    cfg = dict(kv.split("=", 1) for kv in a.config)
    fut = admin.create_topics([NewTopic(a.topic, a.partitions, 1, config=cfg)])
    fut[a.topic].result(30)
    return 0


def produce(a):
    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all",
                  "linger.ms": 5})
    failed = []
    ts = int(time.time() * 1000) - a.age_ms
    for i in range(a.first, a.first + a.count):
        p.produce(a.topic, key=b"k%d" % i, value=b"v%d" % i,
                  partition=a.partition, timestamp=ts,
                  on_delivery=lambda err, msg: err and failed.append(err))
        p.poll(0)
    left = p.flush(30)
    if failed or left:
        print("produce: %d failed, %d unresolved" % (len(failed), left))
        return 1
    return 0


def consumer(a, reset):
    return Consumer({"bootstrap.servers": a.bootstrap,
                     "group.id": "delete-records-check",
                     "enable.auto.commit": False,
                     "auto.offset.reset": reset,
                     "fetch.wait.max.ms": 100,
                     "enable.partition.eof": True})


def low(a):
    c = consumer(a, "earliest")
    deadline = time.time() + a.wait
    while True:
        lo, hi = c.get_watermark_offsets(TopicPartition(a.topic, a.partition),
                                         timeout=10, cached=False)
        if lo == a.expect or time.time() >= deadline:
            break
        time.sleep(0.1)
    c.close()
    print("partition %d: low watermark %d, high %d" % (a.partition, lo, hi))
    if lo != a.expect:
        print("FAIL: low watermark %d, expected %d" % (lo, a.expect))
        return 1
    return 0


def read_all(a, start):
    """Offsets and values a fresh consumer reads from start until EOF."""
    c = consumer(a, "earliest")
    c.assign([TopicPartition(a.topic, a.partition, start)])
    got = []
    deadline = time.time() + 60
    while time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                break
            print("consume error: %s" % msg.error())
            continue
        got.append((msg.offset(), msg.key(), msg.value()))
    c.close()
    return got


def consume(a):
    status = 0
    for what, start in (("OFFSET_BEGINNING", OFFSET_BEGINNING),
                        ("offset 0", 0)):
        got = read_all(a, start)
        want = [(a.expect_first + k, b"k%d" % (a.expect_first + k),
                 b"v%d" % (a.expect_first + k)) for k in range(a.expect_count)]
        first = got[0][0] if got else None
        print("from %s: %d records, first offset %s" % (what, len(got), first))
        if got != want:
            print("FAIL: from %s expected %d records from offset %d" %
                  (what, a.expect_count, a.expect_first))
            status = 1
    return status


def events(a):
    s = socket.socket(socket.AF_UNIX)
    s.connect(a.socket)
    s.sendall(b'{"op":"subscribe","topic":"compaction"}\n')
    f = s.makefile("rb")
    reply = json.loads(f.readline())
    if not reply.get("ok"):
        print("subscribe refused: %s" % reply)
        return 1
    with open(a.out, "a") as out:
        out.write("subscribed\n")
        out.flush()
        for line in f:
            out.write(line.decode())
            out.flush()
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("create", "produce", "low", "consume"):
        s = sub.add_parser(name)
        s.add_argument("--bootstrap", required=True)
        s.add_argument("--topic", required=True)
        if name != "create":
            s.add_argument("--partition", type=int, required=True)
    sub.choices["create"].add_argument("--partitions", type=int, required=True)
    sub.choices["create"].add_argument("--config", action="append", default=[])
    sub.choices["produce"].add_argument("--first", type=int, required=True)
    sub.choices["produce"].add_argument("--count", type=int, required=True)
    sub.choices["produce"].add_argument("--age-ms", type=int, default=0)
    sub.choices["low"].add_argument("--expect", type=int, required=True)
    sub.choices["low"].add_argument("--wait", type=float, default=0)
    sub.choices["consume"].add_argument("--expect-first", type=int, required=True)
    sub.choices["consume"].add_argument("--expect-count", type=int, required=True)
    s = sub.add_parser("events")
    s.add_argument("--socket", required=True)
    s.add_argument("--out", required=True)
    a = ap.parse_args()
    return {"create": create, "produce": produce, "low": low,
            "consume": consume, "events": events}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
