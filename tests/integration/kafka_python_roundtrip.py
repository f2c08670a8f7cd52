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

import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import records
import roundtrip
from records import PARTITIONS, fail, note

# What roundtrip.py calls back.
CLIENT = sys.modules[__name__]


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
    roundtrip.wait_listed(topic, lambda: topic_partitions(topic))


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


def poll(c):
    """The records of one poll of c; fails on a timestamp that is not
    CreateTime."""
    got = []
    for tp, msgs in c.poll(timeout_ms=200).items():
        for m in msgs:
            if m.timestamp_type != 0:
                fail("offset %d: timestamp type %d, expected CreateTime",
                     m.offset, m.timestamp_type)
            got.append(records.Record(tp.partition, m.key, m.value,
                                      m.headers, m.timestamp, m.offset))
    return got


def tps(topic):
    return [TopicPartition(topic, p) for p in range(PARTITIONS)]


def consumer_from_beginning(topic):
    c = consumer_new()
    c.assign(tps(topic))
    c.seek_to_beginning()
    return c


def high_watermarks(c, topic):
    return {tp.partition: off for tp, off in c.end_offsets(tps(topic)).items()}


def consumer_at_end(topic, want):
    c = consumer_new()
    c.assign(tps(topic))
    c.seek_to_end()
    for tp in tps(topic):
        # position() resolves the logical end offset before we produce.
        pos = c.position(tp)
        if pos != len(want[tp.partition]):
            fail("partition %d: end position %d, expected %d",
                 tp.partition, pos, len(want[tp.partition]))
    return c


def check_from_offset(topic, want):
    part = 3
    off = len(want[part]) // 2
    c = consumer_new()
    tp = TopicPartition(topic, part)
    c.assign([tp])
    c.seek(tp, off)
    roundtrip.read_partition(CLIENT, c, part, off, want)
    note("read partition %d from offset %d: %d records match",
         part, off, len(want[part]) - off)


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
            # None: what kafka-python returns for "no such record"
            exp = roundtrip.first_at_or_after(want[tp.partition], ts, None)
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
    roundtrip.read_partition(CLIENT, c, part, j, want)
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


if __name__ == "__main__":
    records.main_wrapper(lambda argv: roundtrip.main(CLIENT, argv))
