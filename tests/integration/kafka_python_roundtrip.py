"""Round trip through the broker with kafka-python (pure Python protocol).

usage: kafka_python_roundtrip.py full TOPIC BASE_TS
       kafka_python_roundtrip.py create TOPIC | delete TOPIC
       kafka_python_roundtrip.py produce TOPIC BASE_TS START END ACKS CODEC
       kafka_python_roundtrip.py verify TOPIC BASE_TS END

The same scenario as confluent_roundtrip.py, with kafka-python's own
protocol code: a second, independent implementation of every request the
broker answers (its codecs come from Debian's python3-snappy, python3-lz4
and python3-zstandard).  The broker address comes from $SLUICE_BOOTSTRAP.
"""

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import records
from records import PARTITIONS, fail, note

CONSUME_TIMEOUT = 60.0


def admin_client():
    return KafkaAdminClient(bootstrap_servers=records.bootstrap(),
                            client_id="sluice-test-kafka-python")


def topic_partitions(topic):
    """Returns the topic's partition count in metadata, 0 if absent."""
    c = KafkaConsumer(bootstrap_servers=records.bootstrap())
    try:
        parts = c.partitions_for_topic(topic) if topic in c.topics() else None
    finally:
        c.close()
    return len(parts) if parts else 0


def topic_create(topic):
    """Creates the topic with 4 partitions and waits until it is listed."""
    if records.is_mock():
        note("mock cluster: no CreateTopics, auto-creating %s instead", topic)
        p = KafkaProducer(bootstrap_servers=records.bootstrap())
        p.partitions_for(topic)
        p.close()
    else:
        admin = admin_client()
        res = admin.create_topics([NewTopic(topic, PARTITIONS, 1)],
                                  timeout_ms=15000)
        # (topic, error_code[, error_message]) depending on the version.
        for err in res.topic_errors:
            if err[1] != 0:
                fail("CreateTopics %s: error %s", err[0], err[1:])
        admin.close()
    n = records.wait_until("topic %s in metadata" % topic,
                           lambda: topic_partitions(topic))
    if n != PARTITIONS:
        fail("topic %s has %d partitions, expected %d", topic, n, PARTITIONS)
    note("created %s with %d partitions", topic, n)


def topic_delete(topic):
    """Deletes the topic and waits until metadata no longer lists it."""
    if records.is_mock():
        note("mock cluster: no DeleteTopics, deletion not checked")
        return
    admin = admin_client()
    res = admin.delete_topics([topic], timeout_ms=15000)
    for name, code in res.topic_error_codes:
        if code != 0:
            fail("DeleteTopics %s: error %d", name, code)
    admin.close()
    records.wait_until("topic %s gone from metadata" % topic,
                       lambda: topic not in admin_list_topics())
    note("deleted %s; metadata no longer lists it", topic)


def admin_list_topics():
    admin = admin_client()
    try:
        return admin.list_topics()
    finally:
        admin.close()


def produce(topic, base_ts, start, end, acks, codec):
    """Produces records start..end-1 with one producer; fails on any
    send error."""
    p = KafkaProducer(bootstrap_servers=records.bootstrap(),
                      acks="all" if acks == -1 else acks,
                      compression_type=None if codec == "none" else codec,
                      linger_ms=5)
    futures = []
    for i in range(start, end):
        r = records.record(i, base_ts)
        futures.append(p.send(topic, value=r.value, key=r.key,
                              headers=r.headers, partition=r.partition,
                              timestamp_ms=r.timestamp))
    p.flush(60)
    for i, f in zip(range(start, end), futures):
        try:
            md = f.get(0)
        except Exception as e:
            fail("produce record %d: %r", i, e)
        if md.partition != i % PARTITIONS:
            fail("produce record %d: went to partition %d", i, md.partition)
    p.close()
    note("produced records %d..%d (acks=%s, %s)", start, end - 1, acks, codec)


def consumer_new():
    return KafkaConsumer(bootstrap_servers=records.bootstrap(),
                         enable_auto_commit=False, group_id=None,
                         auto_offset_reset="none")


def consume(c, want, grace=0.5):
    """Consumes until `want` records arrived (failing after a timeout),
    plus a grace period for extras; returns {partition: [Record]}."""
    got = {p: [] for p in range(PARTITIONS)}
    n = 0
    deadline = time.monotonic() + CONSUME_TIMEOUT
    grace_end = None
    while True:
        now = time.monotonic()
        if n >= want and grace_end is None:
            grace_end = now + grace
        if grace_end is not None and now >= grace_end:
            break
        if now > deadline:
            fail("consumed %d of %d records in %.0f s", n, want,
                 CONSUME_TIMEOUT)
        for tp, msgs in c.poll(timeout_ms=200).items():
            for m in msgs:
                if m.timestamp_type != 0:
                    fail("offset %d: timestamp type %d, expected CreateTime",
                         m.offset, m.timestamp_type)
                got.setdefault(tp.partition, []).append(records.Record(
                    tp.partition, m.key, m.value, m.headers, m.timestamp,
                    m.offset))
                n += 1
    return got


def tps(topic):
    return [TopicPartition(topic, p) for p in range(PARTITIONS)]


def verify(topic, base_ts, end):
    """Checks that the topic holds exactly records 0..end-1."""
    want = records.expected_by_partition(0, end, base_ts)
    c = consumer_new()
    c.assign(tps(topic))
    c.seek_to_beginning()
    got = consume(c, end)
    records.compare_all(got, want)
    hw = c.end_offsets(tps(topic))
    for tp, off in hw.items():
        if off != len(want[tp.partition]):
            fail("partition %d: high watermark %d, expected %d",
                 tp.partition, off, len(want[tp.partition]))
    c.close()
    note("read back %d records from the beginning: keys, values, headers, "
         "timestamps, partitions, contiguous offsets all match", end)
    return want


def check_from_end(topic, base_ts, start, want):
    """Positions a consumer at the end, produces TAIL_COUNT more records and
    checks that exactly those arrive."""
    c = consumer_new()
    c.assign(tps(topic))
    c.seek_to_end()
    for tp in tps(topic):
        # position() resolves the logical end offset before we produce.
        pos = c.position(tp)
        if pos != len(want[tp.partition]):
            fail("partition %d: end position %d, expected %d",
                 tp.partition, pos, len(want[tp.partition]))
    end = start + records.TAIL_COUNT
    produce(topic, base_ts, start, end, -1, "none")
    got = consume(c, records.TAIL_COUNT, grace=1.0)
    tail = records.expected_by_partition(start, end, base_ts)
    records.compare_all(got, tail, {p: len(want[p]) for p in want})
    c.close()
    for p in range(PARTITIONS):
        want[p] += tail[p]
    note("consumer at the end got exactly the %d new records",
         records.TAIL_COUNT)


def check_from_offset(topic, want):
    part = 3
    off = len(want[part]) // 2
    c = consumer_new()
    tp = TopicPartition(topic, part)
    c.assign([tp])
    c.seek(tp, off)
    got = consume(c, len(want[part]) - off)
    records.compare_partition(part, got.get(part, []), want[part][off:], off)
    c.close()
    note("read partition %d from offset %d: %d records match",
         part, off, len(want[part]) - off)


def first_at_or_after(recs, ts):
    for off, r in enumerate(recs):
        if r.timestamp >= ts:
            return off
    return None


def check_from_timestamp(topic, base_ts, want):
    if records.is_mock():
        note("mock cluster: ListOffsets by timestamp unsupported, skipped")
        return
    part = 0
    j = len(want[part]) // 3
    c = consumer_new()
    probes = [want[part][j].timestamp, want[part][j].timestamp + 2,
              base_ts - 1000, want[part][-1].timestamp + 3600 * 1000]
    for ts in probes:
        res = c.offsets_for_times({tp: ts for tp in tps(topic)})
        for tp, oat in res.items():
            exp = first_at_or_after(want[tp.partition], ts)
            got = None if oat is None else oat.offset
            if got != exp:
                fail("offsets_for_times(%d) partition %d: %r, expected "
                     "offset %r", ts, tp.partition, oat, exp)
            if oat is not None and oat.timestamp != \
                    want[tp.partition][exp].timestamp:
                fail("offsets_for_times(%d) partition %d: timestamp %d, "
                     "expected %d", ts, tp.partition, oat.timestamp,
                     want[tp.partition][exp].timestamp)
    tp = TopicPartition(topic, part)
    c.assign([tp])
    c.seek(tp, j)
    got = consume(c, len(want[part]) - j)
    records.compare_partition(part, got.get(part, []), want[part][j:], j)
    c.close()
    note("offsets_for_times: exact, between, before-first and future "
         "timestamps give the right offsets and timestamps")


def check_metadata(topic):
    admin = admin_client()
    cluster = admin.describe_cluster()
    host, port = records.bootstrap().rsplit(":", 1)
    addrs = {(b["host"], b["port"]) for b in cluster["brokers"]}
    ids = {b["node_id"] for b in cluster["brokers"]}
    if (host, int(port)) not in addrs:
        fail("metadata brokers %s do not include the bootstrap %s:%s",
             addrs, host, port)
    desc = admin.describe_topics([topic])
    admin.close()
    if len(desc) != 1 or desc[0]["error_code"] != 0:
        fail("describe_topics(%s): %s", topic, desc)
    parts = desc[0]["partitions"]
    if sorted(pm["partition"] for pm in parts) != list(range(PARTITIONS)):
        fail("metadata: partitions %s", parts)
    for pm in parts:
        if pm["error_code"] != 0 or pm["leader"] not in ids:
            fail("metadata: partition %s", pm)
    note("metadata lists the broker at the bootstrap address and %s with "
         "%d led partitions", topic, PARTITIONS)


def full(topic, base_ts):
    topic_create(topic)
    check_metadata(topic)
    start = 0
    for acks, codec, count in records.FULL_RUNS:
        produce(topic, base_ts, start, start + count, acks, codec)
        start += count
    want = verify(topic, base_ts, start)
    check_from_end(topic, base_ts, start, want)
    check_from_offset(topic, want)
    check_from_timestamp(topic, base_ts, want)
    topic_delete(topic)


def main(argv):
    if not argv:
        fail("usage: see the top of kafka_python_roundtrip.py")
    cmd, args = argv[0], argv[1:]
    if cmd == "full" and len(args) == 2:
        full(args[0], int(args[1]))
    elif cmd == "create" and len(args) == 1:
        topic_create(args[0])
        check_metadata(args[0])
    elif cmd == "delete" and len(args) == 1:
        topic_delete(args[0])
    elif cmd == "produce" and len(args) == 6:
        produce(args[0], int(args[1]), int(args[2]), int(args[3]),
                int(args[4]), args[5])
    elif cmd == "verify" and len(args) == 3:
        verify(args[0], int(args[1]), int(args[2]))
    else:
        fail("bad arguments %s", argv)


if __name__ == "__main__":
    records.main_wrapper(main)
