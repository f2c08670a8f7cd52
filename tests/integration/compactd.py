#!/usr/bin/python3
"""Helpers of the compactd tests (compactd.am, compactd_lib.sh).

  compactd.py layout SOCK TOPIC [--max N]
      prints, for each partition of TOPIC, the live objects holding it
      (stream-set and per-stream) and its blocks, from brokerd's "streams"
      and "objects" answers; with --max, fails when a partition is in more
      than N objects
  compactd.py objects SOCK TOPIC PARTITION
      prints the number of live objects and blocks holding one partition
  compactd.py store-bytes STORE
      prints the bytes and count of objects under o/ of the object store
      (file:///dir or s3://bucket/prefix with the SWIFT_S3_* variables)
  compactd.py orphans SOCK STORE
      prints the objects under o/ that the catalog does not know (neither
      live nor retired), one a line
  compactd.py leftovers SOCK STORE
      prints "orphans N retired M": objects in the bucket the catalog does
      not know, and retired objects not yet deleted and forgotten; exits 0
      when both are 0
  compactd.py trickle --bootstrap B --topic T --partitions P --seconds S
      [--rate R] [--size Z] [--first I]
      produces records I, I+1, ... at R records a second for S seconds
      (pipeline.py's records: key k<i>, partition i % P), acks=all, and
      prints how many
  compactd.py create-topic --bootstrap B --topic T --partitions P
      [--config key=value ...]
  compactd.py compacted-produce --bootstrap B --topic T --keys K
      --rounds R [--tombstones N] [--size Z] [--compression C]
      round r writes value "v<r>-<key>" (padded to Z bytes) for every key; after the last round,
      keys 0..N-1 get a tombstone; then one sentinel record alone in the
      last batch; prints the expected state as JSON on stdout
  compactd.py compacted-verify --bootstrap B --topic T --keys K --rounds R
      [--tombstones N] [--expect-compacted]
      reads the partition from the start and checks that every key's latest
      value is there; with --expect-compacted, that it is there exactly
      once, with no older value and no tombstone left
  compactd.py count --bootstrap B --topic T --partition P
      reads one partition from the start and prints its record count
  compactd.py earliest --bootstrap B --topic T --partitions P
      prints "partition low high first" for each partition: the watermarks
      and the offset of the first record a consumer starting at the
      beginning receives
"""

import argparse
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def control(sock, req):
    """One request on brokerd's control socket; returns the answer."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(sock)
    s.sendall(json.dumps(req).encode() + b"\n")
    f = s.makefile()
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("control socket closed")
        r = json.loads(line)
        if "event" not in r:
            s.close()
            return r


def catalog(sock):
    """(streams by id, live objects, retired ids) from brokerd."""
    st = control(sock, {"op": "streams"})
    if not st.get("ok"):
        raise SystemExit("streams: %s" % st)
    streams = {s["stream"]: s for s in st["streams"]}
    live, retired, after = [], set(), None
    while True:
        page = control(sock, {"op": "objects", "after": after, "limit": 1000})
        if not page.get("ok"):
            raise SystemExit("objects: %s" % page)
        for o in page["objects"]:
            if o["retired_ms"] is None:
                live.append(o)
            else:
                retired.add(o["id"])
        after = page["next"]
        if after is None:
            return streams, live, retired


def topic_streams(streams, topic):
    return {s["partition"]: sid for sid, s in streams.items()
            if s["topic"] == topic}


def layout(a):
    streams, live, _ = catalog(a.sock)
    parts = topic_streams(streams, a.topic)
    if not parts:
        raise SystemExit("topic %s has no streams" % a.topic)
    worst = 0
    rows = []
    for p in sorted(parts):
        sid = parts[p]
        objs = [o for o in live if any(b[0] == sid for b in o["blocks"])]
        sso = sum(1 for o in objs if o["flags"] & 1)
        blocks = sum(1 for o in objs for b in o["blocks"] if b[0] == sid)
        size = sum(b[6] for o in objs for b in o["blocks"] if b[0] == sid)
        rows.append((p, len(objs), sso, blocks, size))
        worst = max(worst, len(objs))
    for p, n, sso, blocks, size in rows:
        print("partition %d: %d objects (%d stream-set, %d per-stream), "
              "%d blocks, %d bytes" % (p, n, sso, n - sso, blocks, size))
    print("live objects %d; most objects per partition %d" % (len(live), worst))
    if a.max is not None and worst > a.max:
        print("FAIL: a partition is in %d objects, more than %d" % (worst, a.max))
        return 1
    return 0


def objects(a):
    streams, live, _ = catalog(a.sock)
    sid = topic_streams(streams, a.topic)[a.partition]
    objs = [o for o in live if any(b[0] == sid for b in o["blocks"])]
    blocks = sum(1 for o in objs for b in o["blocks"] if b[0] == sid)
    print("%d %d" % (len(objs), blocks))
    return 0


def store_list(store):
    """[(key, size)] under o/ of the store."""
    if store.startswith("file://"):
        root = os.path.join(store[len("file://"):], "o")
        out = []
        for d, _, files in os.walk(root):
            for f in files:
                if f.startswith(".") or ".tmp" in f:
                    continue
                path = os.path.join(d, f)
                out.append((os.path.relpath(path, store[len("file://"):]),
                            os.path.getsize(path)))
        return out
    if store.startswith("s3://"):
        from faults import s3_client
        bucket, _, prefix = store[len("s3://"):].partition("/")
        c = s3_client()
        out = []
        for page in c.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix + "/o/"):
            for o in page.get("Contents", []):
                out.append((o["Key"][len(prefix) + 1:], o["Size"]))
        return out
    raise SystemExit("unknown store %s" % store)


def store_bytes(a):
    objs = store_list(a.store)
    print("%d %d" % (sum(s for _, s in objs), len(objs)))
    return 0


def orphans(a):
    _, live, retired = catalog(a.sock)
    known = {o["id"] for o in live} | retired
    for key, _ in store_list(a.store):
        oid = key.rsplit("/", 1)[-1]
        if oid not in known:
            print(oid)
    return 0


def leftovers(a):
    _, live, retired = catalog(a.sock)
    known = {o["id"] for o in live} | retired
    n = sum(1 for key, _ in store_list(a.store)
            if key.rsplit("/", 1)[-1] not in known)
    print("orphans %d retired %d" % (n, len(retired)))
    return 0 if n == 0 and not retired else 1


def trickle(a):
    from confluent_kafka import Producer
    from pipeline import value
    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all",
                  "linger.ms": 5, "message.timeout.ms": 120000})
    failed = [0]

    def report(err, msg):
        if err is not None:
            failed[0] += 1

    i = a.first
    start = time.time()
    while time.time() - start < a.seconds:
        due = a.first + int((time.time() - start) * a.rate)
        while i < due:
            p.produce(a.topic, key=b"k%d" % i, value=value(i, a.size),
                      partition=i % a.partitions, on_delivery=report)
            i += 1
        p.poll(0.01)
    left = p.flush(120)
    print("%d" % (i - a.first))
    sys.stderr.write("trickle: %d records, %d failed, %d unresolved\n"
                     % (i - a.first, failed[0], left))
    return 0 if failed[0] == 0 and left == 0 else 1


def create_topic(a):
    from confluent_kafka.admin import AdminClient, NewTopic
    cfg = dict(kv.split("=", 1) for kv in a.config)
    admin = AdminClient({"bootstrap.servers": a.bootstrap})
    fut = admin.create_topics([NewTopic(a.topic, a.partitions, 1, config=cfg)])
    fut[a.topic].result(30)
    return 0


def compacted_value(r, k, size):
    v = b"v%d-%d-" % (r, k)
    return v + b"x" * max(0, size - len(v))


def compacted_expected(a):
    """key -> latest value (None: deleted), in the order of compacted-produce."""
    exp = {}
    for k in range(a.keys):
        exp[b"key-%d" % k] = compacted_value(a.rounds - 1, k, a.size)
    for k in range(a.tombstones):
        exp[b"key-%d" % k] = None
    exp[b"sentinel"] = b"end"
    return exp


def compacted_produce(a):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all",
                  "linger.ms": 20, "compression.type": a.compression})
    failed = [0]

    def report(err, msg):
        if err is not None:
            failed[0] += 1

    for r in range(a.rounds):
        for k in range(a.keys):
            p.produce(a.topic, key=b"key-%d" % k,
                      value=compacted_value(r, k, a.size), partition=0,
                      on_delivery=report)
        p.flush(60)
    for k in range(a.tombstones):
        p.produce(a.topic, key=b"key-%d" % k, value=None, partition=0,
                  on_delivery=report)
    p.flush(60)
    # alone in the last batch: compactd leaves a stream's last batch whole
    p.produce(a.topic, key=b"sentinel", value=b"end", partition=0,
              on_delivery=report)
    left = p.flush(60)
    print("produced %d rounds of %d keys, %d tombstones, %d failed"
          % (a.rounds, a.keys, a.tombstones, failed[0]))
    return 0 if failed[0] == 0 and left == 0 else 1


def read_partition(bootstrap, topic, partition, timeout=60):
    """Every record of the partition from the start: [(offset, key, value)]."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "compactd-test",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100})
    c.assign([TopicPartition(topic, partition, -2)])
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            raise SystemExit("consume: %s" % m.error())
        out.append((m.offset(), m.key(), m.value()))
    else:
        raise SystemExit("consume: no end of partition within %d s" % timeout)
    c.close()
    return out


def compacted_verify(a):
    exp = compacted_expected(a)
    recs = read_partition(a.bootstrap, a.topic, 0)
    seen = {}
    bad = 0
    last = -1
    for off, key, val in recs:
        if off <= last:
            print("FAIL: offset %d after %d" % (off, last))
            bad += 1
        last = off
        seen.setdefault(key, []).append(val)
    for key, want in exp.items():
        got = seen.get(key, [])
        if want is None:
            if a.expect_compacted and got:
                print("FAIL: deleted key %s still has %d records (%s)"
                      % (key.decode(), len(got), got[-1]))
                bad += 1
            elif got and got[-1] is not None:
                print("FAIL: deleted key %s ends with a value" % key.decode())
                bad += 1
            continue
        if not got or got[-1] != want:
            print("FAIL: key %s: latest %s, want %s"
                  % (key.decode(), got[-1][:20] if got and got[-1] else None,
                     want[:20]))
            bad += 1
        elif a.expect_compacted and len(got) != 1:
            print("FAIL: key %s has %d records (%s...)"
                  % (key.decode(), len(got), got[0][:20] if got[0] else None))
            bad += 1
    extra = set(seen) - set(exp)
    if extra:
        print("FAIL: unexpected keys %s" % sorted(extra)[:5])
        bad += 1
    print("read %d records of %d keys, last offset %d" % (len(recs), len(seen), last))
    return 1 if bad else 0


def count(a):
    print(len(read_partition(a.bootstrap, a.topic, a.partition)))
    return 0


def earliest(a):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "compactd-earliest",
                  "enable.auto.commit": False})
    for p in range(a.partitions):
        low, high = c.get_watermark_offsets(TopicPartition(a.topic, p), 30)
        first = -1
        if high > low:
            recs = read_partition(a.bootstrap, a.topic, p)
            first = recs[0][0] if recs else -1
        print("%d %d %d %d" % (p, low, high, first))
    c.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("layout")
    x.add_argument("sock")
    x.add_argument("topic")
    x.add_argument("--max", type=int)
    x = sub.add_parser("objects")
    x.add_argument("sock")
    x.add_argument("topic")
    x.add_argument("partition", type=int)
    x = sub.add_parser("store-bytes")
    x.add_argument("store")
    x = sub.add_parser("orphans")
    x.add_argument("sock")
    x.add_argument("store")
    x = sub.add_parser("leftovers")
    x.add_argument("sock")
    x.add_argument("store")
    x = sub.add_parser("trickle")
    x.add_argument("--bootstrap", required=True)
    x.add_argument("--topic", required=True)
    x.add_argument("--partitions", type=int, required=True)
    x.add_argument("--seconds", type=float, required=True)
    x.add_argument("--rate", type=float, default=500)
    x.add_argument("--size", type=int, default=100)
    x.add_argument("--first", type=int, default=0)
    x = sub.add_parser("create-topic")
    x.add_argument("--bootstrap", required=True)
    x.add_argument("--topic", required=True)
    x.add_argument("--partitions", type=int, default=1)
    x.add_argument("--config", action="append", default=[])
    for name in ("compacted-produce", "compacted-verify"):
        x = sub.add_parser(name)
        x.add_argument("--bootstrap", required=True)
        x.add_argument("--topic", required=True)
        x.add_argument("--keys", type=int, required=True)
        x.add_argument("--rounds", type=int, required=True)
        x.add_argument("--tombstones", type=int, default=0)
        x.add_argument("--compression", default="none")
        x.add_argument("--size", type=int, default=0)
        x.add_argument("--expect-compacted", action="store_true")
    x = sub.add_parser("count")
    x.add_argument("--bootstrap", required=True)
    x.add_argument("--topic", required=True)
    x.add_argument("--partition", type=int, default=0)
    x = sub.add_parser("earliest")
    x.add_argument("--bootstrap", required=True)
    x.add_argument("--topic", required=True)
    x.add_argument("--partitions", type=int, default=1)
    a = ap.parse_args()
    return {"layout": layout, "objects": objects, "store-bytes": store_bytes,
            "orphans": orphans, "leftovers": leftovers, "trickle": trickle, "create-topic": create_topic,
            "compacted-produce": compacted_produce,
            "compacted-verify": compacted_verify,
            "count": count, "earliest": earliest}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
