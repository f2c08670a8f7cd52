"""Round trip through the broker with confluent-kafka-python (librdkafka).

usage: confluent_roundtrip.py full TOPIC BASE_TS
       confluent_roundtrip.py create TOPIC | delete TOPIC
       confluent_roundtrip.py produce TOPIC BASE_TS START END ACKS CODEC
       confluent_roundtrip.py verify TOPIC BASE_TS END

`full` creates TOPIC with 4 partitions through the admin API, produces the
records.FULL_RUNS (every codec, acks -1/1/0), reads everything back from
the beginning and compares byte for byte, then checks reading from the end,
from an offset and from a timestamp, the metadata, and topic deletion.
`verify` checks that TOPIC holds exactly records 0..END-1.
The broker address comes from $SLUICE_BOOTSTRAP.
"""

import sys

from confluent_kafka import (OFFSET_BEGINNING, OFFSET_END,
                             TIMESTAMP_CREATE_TIME, Consumer, KafkaError,
                             Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

import records
import roundtrip
from records import PARTITIONS, fail, note

# What roundtrip.py calls back.
CLIENT = sys.modules[__name__]


def admin_client():
    return AdminClient({"bootstrap.servers": records.bootstrap()})


def topic_partitions(topic, admin=None):
    """Returns the topic's partition count in metadata, 0 if absent."""
    md = (admin or admin_client()).list_topics(timeout=10)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return 0
    return len(t.partitions)


def topic_create(topic):
    """Creates the topic with 4 partitions and waits until it is listed."""
    admin = admin_client()
    if records.is_mock():
        note("mock cluster: no CreateTopics, auto-creating %s instead", topic)
        p = Producer({"bootstrap.servers": records.bootstrap()})
        p.list_topics(topic, timeout=10)
    else:
        fs = admin.create_topics([NewTopic(topic, PARTITIONS, 1)],
                                 request_timeout=15)
        try:
            fs[topic].result()
        except Exception as e:
            fail("CreateTopics %s: %s", topic, e)
    roundtrip.wait_listed(topic, lambda: topic_partitions(topic, admin))


def topic_delete(topic):
    """Deletes the topic and waits until metadata no longer lists it."""
    if records.is_mock():
        note("mock cluster: no DeleteTopics, deletion not checked")
        return
    admin = admin_client()
    fs = admin.delete_topics([topic], operation_timeout=15,
                             request_timeout=15)
    try:
        fs[topic].result()
    except Exception as e:
        fail("DeleteTopics %s: %s", topic, e)
    records.wait_until("topic %s gone from metadata" % topic,
                       lambda: topic_partitions(topic, admin) == 0)
    note("deleted %s; metadata no longer lists it", topic)


def produce(topic, base_ts, start, end, acks, codec):
    """Produces records start..end-1 with one producer; fails on any
    delivery error."""
    errors = []
    delivered = [0]

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered[0] += 1

    p = Producer({
        "bootstrap.servers": records.bootstrap(),
        "acks": str(acks),
        "compression.codec": codec,
        "linger.ms": 5,
        "enable.idempotence": False,
    })
    for i in range(start, end):
        r = records.record(i, base_ts)
        while True:
            try:
                p.produce(topic, value=r.value, key=r.key,
                          partition=r.partition, timestamp=r.timestamp,
                          headers=r.headers or None, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(60)
    if left:
        fail("produce: %d records not delivered in 60 s", left)
    if errors:
        fail("produce: %d delivery errors, first: %s", len(errors), errors[0])
    if delivered[0] != end - start:
        fail("produce: %d delivery reports, expected %d",
             delivered[0], end - start)
    note("produced records %d..%d (acks=%s, %s)", start, end - 1, acks, codec)


def consumer_new():
    return Consumer({
        "bootstrap.servers": records.bootstrap(),
        "group.id": "sluice-test-confluent",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
        "auto.offset.reset": "error",
    })


def poll(c):
    """The records of one poll of c; fails on an error or a timestamp that
    is not CreateTime."""
    got = []
    for m in c.consume(1000, 0.2):
        if m.error() is not None:
            fail("consume error: %s", m.error())
        ts_type, ts = m.timestamp()
        if ts_type != TIMESTAMP_CREATE_TIME:
            fail("offset %d: timestamp type %d, expected CreateTime",
                 m.offset(), ts_type)
        got.append(records.Record(m.partition(), m.key(), m.value(),
                                  m.headers() or [], ts, m.offset()))
    return got


def high_watermarks(c, topic):
    out = {}
    for p in range(PARTITIONS):
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        out[p] = hi
    return out


def consumer_from_beginning(topic):
    c = consumer_new()
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
              for p in range(PARTITIONS)])
    return c


def consumer_at_end(topic, want):
    c = consumer_new()
    c.assign([TopicPartition(topic, p, OFFSET_END) for p in range(PARTITIONS)])
    # Let the consumer resolve the end offsets before producing.
    for m in c.consume(100, 2.0):
        fail("consumer at the end got a record at offset %d", m.offset())
    return c


def check_from_offset(topic, want):
    part = 1
    off = len(want[part]) // 2
    c = consumer_new()
    c.assign([TopicPartition(topic, part, off)])
    roundtrip.read_partition(CLIENT, c, part, off, want)
    note("read partition %d from offset %d: %d records match",
         part, off, len(want[part]) - off)


def check_from_timestamp(topic, base_ts, want):
    part = 2
    j = len(want[part]) // 3
    if records.is_mock():
        note("mock cluster: ListOffsets by timestamp unsupported, skipped")
        return
    c = consumer_new()
    probes = [want[part][j].timestamp, want[part][j].timestamp + 1,
              base_ts - 1000, want[part][-1].timestamp + 3600 * 1000]
    for ts in probes:
        tps = [TopicPartition(topic, p, ts) for p in range(PARTITIONS)]
        res = c.offsets_for_times(tps, timeout=10)
        for tp in res:
            if tp.error is not None:
                fail("offsets_for_times(%d) partition %d: %s",
                     ts, tp.partition, tp.error)
            # -1: librdkafka's offset for "no such record"
            exp = roundtrip.first_at_or_after(want[tp.partition], ts, -1)
            if tp.offset != exp:
                fail("offsets_for_times(%d) partition %d: offset %d, "
                     "expected %d", ts, tp.partition, tp.offset, exp)
    c.assign([TopicPartition(topic, part, j)])
    roundtrip.read_partition(CLIENT, c, part, j, want)
    note("offsets_for_times: exact, between, before-first and future "
         "timestamps give the right offsets; reading from there matches")


def check_metadata(topic):
    md = admin_client().list_topics(timeout=10)
    host, port = records.bootstrap().rsplit(":", 1)
    addrs = {(b.host, b.port) for b in md.brokers.values()}
    if (host, int(port)) not in addrs:
        fail("metadata brokers %s do not include the bootstrap %s:%s",
             addrs, host, port)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        fail("metadata: topic %s missing or in error (%s)", topic,
             t and t.error)
    if sorted(t.partitions) != list(range(PARTITIONS)):
        fail("metadata: partitions %s", sorted(t.partitions))
    for pm in t.partitions.values():
        if pm.leader not in md.brokers:
            fail("metadata: partition %d leader %d is not a listed broker",
                 pm.id, pm.leader)
    note("metadata lists the broker at the bootstrap address and %s with "
         "%d led partitions", topic, PARTITIONS)


if __name__ == "__main__":
    records.main_wrapper(lambda argv: roundtrip.main(CLIENT, argv))
