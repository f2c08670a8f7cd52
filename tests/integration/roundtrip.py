"""The round trip of the Python client drivers (confluent_roundtrip.py,
kafka_python_roundtrip.py), written once: the command line, the order of
the steps of `full`, and the half of each step that does not depend on
the client.  Each driver passes itself (its module) as `client`, which
provides:

  topic_create(topic), topic_delete(topic), check_metadata(topic),
  produce(topic, base_ts, start, end, acks, codec),
  check_from_offset(topic, want), check_from_timestamp(topic, base_ts, want)
      the steps, as the client does them;
  consumer_from_beginning(topic), consumer_at_end(topic, want)
      a new consumer assigned to every partition there (at_end checks
      that it is at the end of `want` before anything more is produced);
  poll(c)
      the records one poll of consumer c returns, as records.Record,
      after checking that their timestamps are CreateTime;
  high_watermarks(c, topic)
      {partition: high watermark}.
"""

import os
import time

import records
from records import PARTITIONS, fail, note

CONSUME_TIMEOUT = 60.0


def consume(client, c, want, grace=0.5):
    """Polls until `want` records arrived (failing after a timeout), plus a
    grace period to catch extras; returns {partition: [Record]}."""
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
        for r in client.poll(c):
            got.setdefault(r.partition, []).append(r)
            n += 1
    return got


def wait_listed(topic, partitions):
    """Waits until partitions() (the topic's partition count in metadata,
    0 if absent) is not 0, and checks that it is PARTITIONS."""
    n = records.wait_until("topic %s in metadata" % topic, partitions)
    if n != PARTITIONS:
        fail("topic %s has %d partitions, expected %d", topic, n, PARTITIONS)
    note("created %s with %d partitions", topic, n)


def verify(client, topic, base_ts, end):
    """Checks that the topic holds exactly records 0..end-1; returns them
    as {partition: [Record]}."""
    want = records.expected_by_partition(0, end, base_ts)
    c = client.consumer_from_beginning(topic)
    got = consume(client, c, end)
    records.compare_all(got, want)
    hw = client.high_watermarks(c, topic)
    for p in range(PARTITIONS):
        if hw[p] != len(want[p]):
            fail("partition %d: high watermark %d, expected %d",
                 p, hw[p], len(want[p]))
    c.close()
    note("read back %d records from the beginning: keys, values, headers, "
         "timestamps, partitions, contiguous offsets all match", end)
    return want


def check_from_end(client, topic, base_ts, start, want):
    """Positions a consumer at the end, produces TAIL_COUNT more records and
    checks that exactly those arrive; adds them to want."""
    c = client.consumer_at_end(topic, want)
    end = start + records.TAIL_COUNT
    client.produce(topic, base_ts, start, end, -1, "none")
    got = consume(client, c, records.TAIL_COUNT, grace=1.0)
    tail = records.expected_by_partition(start, end, base_ts)
    records.compare_all(got, tail, {p: len(want[p]) for p in want})
    c.close()
    for p in range(PARTITIONS):
        want[p] += tail[p]
    note("consumer at the end got exactly the %d new records",
         records.TAIL_COUNT)


def read_partition(client, c, part, off, want):
    """Reads partition `part` with consumer c, assigned to it at offset
    `off`, to its end, checks that it holds want[part][off:] and closes c."""
    got = consume(client, c, len(want[part]) - off)
    records.compare_partition(part, got.get(part, []), want[part][off:], off)
    c.close()


def first_at_or_after(recs, ts, missing):
    """Offset of the first record with timestamp >= ts, or `missing`."""
    for off, r in enumerate(recs):
        if r.timestamp >= ts:
            return off
    return missing


def full(client, topic, base_ts):
    client.topic_create(topic)
    client.check_metadata(topic)
    start = 0
    for acks, codec, count in records.FULL_RUNS:
        client.produce(topic, base_ts, start, start + count, acks, codec)
        start += count
    want = verify(client, topic, base_ts, start)
    check_from_end(client, topic, base_ts, start, want)
    client.check_from_offset(topic, want)
    client.check_from_timestamp(topic, base_ts, want)
    client.topic_delete(topic)


def main(client, argv):
    """Runs the command in argv (see the top of either driver)."""
    if not argv:
        fail("usage: see the top of %s", os.path.basename(client.__file__))
    cmd, args = argv[0], argv[1:]
    if cmd == "full" and len(args) == 2:
        full(client, args[0], int(args[1]))
    elif cmd == "create" and len(args) == 1:
        client.topic_create(args[0])
        client.check_metadata(args[0])
    elif cmd == "delete" and len(args) == 1:
        client.topic_delete(args[0])
    elif cmd == "produce" and len(args) == 6:
        client.produce(args[0], int(args[1]), int(args[2]), int(args[3]),
                       int(args[4]), args[5])
    elif cmd == "verify" and len(args) == 3:
        verify(client, args[0], int(args[1]), int(args[2]))
    else:
        fail("bad arguments %s", argv)
