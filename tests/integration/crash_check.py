"""Topic setup and the final check of the crash test (crash_acks_all.sh).

usage: crash_check.py create BOOTSTRAP TOPIC PARTITIONS
       crash_check.py verify BOOTSTRAP TOPIC PARTITIONS ACK_LOG EVENTS PRODUCED

verify reads the whole topic from the beginning with confluent_kafka (a
client other than the producer's C librdkafka use) and checks it against
ACK_LOG, the producer's "partition offset id ack_ms" line per successful
delivery report.  EVENTS lists "kill MS" and "restart MS" lines;
PRODUCED is how many ids (0..PRODUCED-1) the producer handed to librdkafka.

The rule.  Without idempotence a record can legitimately be stored more
than once: brokerd makes a produce durable and is killed before it
answers; librdkafka retries after the restart, the retry is stored again
and acknowledged.  So the check is not "every id once" but:
  1. each partition holds offsets 0..high watermark-1, each once, in
     order, and every record is one the producer made (key, value bytes and
     partition are those of its id): nothing torn, nothing foreign;
  2. the producer got at most one acknowledgement per id and per
     (partition, offset);
  3. every acknowledged id is stored at exactly its acknowledged
     (partition, offset);
  4. an acknowledged id stored more than once has its acknowledged copy
     last: the other copies come from earlier attempts that were stored
     but never answered.  A copy after the acknowledged one would mean a
     record stored twice by the broker itself (e.g. replayed twice);
  5. no id is stored more often than there were brokerd lives (kills + 1):
     within one life an attempt is retried only after it failed;
  6. the producer got acknowledgements after every restart (it kept
     working across the crashes).
Unacknowledged ids may be present (stored, answer lost) or absent (never
stored, or purged at the end).
"""

import sys
import time
from collections import defaultdict

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

VALUE_BYTES = 100


def note(fmt, *args):
    print("  " + (fmt % args if args else fmt), flush=True)


def fail(fmt, *args):
    print("FAIL: crash_acks_all: " + (fmt % args if args else fmt), flush=True)
    sys.exit(1)


def crash_value(i):
    """Record id i's value, as crash_producer.c's crash_value() makes it."""
    head = b"crash id=%d " % i
    return head + bytes(ord("a") + (i * 7 + j * 13) % 26
                        for j in range(len(head), VALUE_BYTES))


def create(boot, topic, partitions):
    admin = AdminClient({"bootstrap.servers": boot})
    fs = admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=15)
    try:
        fs[topic].result()
    except Exception as e:  # noqa: BLE001 - any failure ends the test
        fail("CreateTopics %s: %s", topic, e)
    note("created %s with %d partitions", topic, partitions)


def consume_all(boot, topic, partitions):
    """Returns {partition: [(offset, key, value)]} read from offset 0 up to
    each partition's high watermark, and the high watermarks."""
    c = Consumer({"bootstrap.servers": boot, "group.id": "sluice-crash-check",
                  "enable.auto.commit": False, "auto.offset.reset": "error",
                  "enable.partition.eof": False})
    hw = {}
    for p in range(partitions):
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if lo != 0:
            fail("partition %d starts at offset %d, not 0", p, lo)
        hw[p] = hi
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    got = {p: [] for p in range(partitions)}
    want = sum(hw.values())
    n = 0
    deadline = time.monotonic() + 90
    while n < want:
        if time.monotonic() > deadline:
            fail("consumed %d of %d records in 90 s", n, want)
        for m in c.consume(5000, 0.5):
            if m.error():
                fail("consume: %s", m.error())
            got[m.partition()].append((m.offset(), m.key(), m.value()))
            n += 1
    for m in c.consume(1000, 1.0):
        fail("record past the high watermark: %d/%d", m.partition(), m.offset())
    c.close()
    return got, hw


def verify(boot, topic, partitions, ack_log, events_file, produced):
    lives = 1
    restarts = []
    with open(events_file) as f:
        for line in f:
            kind, ms = line.split()
            if kind == "kill":
                lives += 1
            else:
                restarts.append(int(ms))

    acks = []
    with open(ack_log) as f:
        for line in f:
            p, off, i, ms = (int(x) for x in line.split())
            acks.append((p, off, i, ms))
    print("check: at most one acknowledgement per id and per offset", flush=True)
    acked_at = {}
    by_offset = {}
    for p, off, i, _ms in acks:
        if i in acked_at:
            fail("id %d acknowledged twice: %r and %r", i, acked_at[i], (p, off))
        if (p, off) in by_offset:
            fail("offset %d/%d acknowledged for ids %d and %d",
                 p, off, by_offset[(p, off)], i)
        if i >= produced or p != i % partitions:
            fail("acknowledgement %r for an id never produced there", (p, off, i))
        acked_at[i] = (p, off)
        by_offset[(p, off)] = i

    print("check: the producer was acknowledged after each of %d restarts"
          % len(restarts), flush=True)
    ack_times = sorted(a[3] for a in acks)
    for k, r in enumerate(restarts):
        nxt = restarts[k + 1] if k + 1 < len(restarts) else float("inf")
        if not any(r <= t < nxt for t in ack_times):
            fail("no acknowledgement between restart %d and the next event", k + 1)

    print("check: offsets contiguous from 0, every record one the producer "
          "made", flush=True)
    got, hw = consume_all(boot, topic, partitions)
    copies = defaultdict(list)  # id -> [(partition, offset)]
    for p in range(partitions):
        offs = [r[0] for r in got[p]]
        if offs != list(range(hw[p])):
            bad = next(k for k in range(max(len(offs), hw[p]))
                       if k >= len(offs) or offs[k] != k)
            fail("partition %d: offsets not contiguous 0..%d (first anomaly at "
                 "index %d: %r)", p, hw[p] - 1, bad, offs[bad:bad + 3])
        for off, key, val in got[p]:
            try:
                i = int(key)
            except (TypeError, ValueError):
                fail("%d/%d: key %r is not an id", p, off, key)
            if i >= produced or i % partitions != p or val != crash_value(i):
                fail("%d/%d: record of id %d is not what the producer made "
                     "(value %r)", p, off, i, val[:40] if val else val)
            copies[i].append((p, off))

    print("check: every acknowledged record at its acknowledged offset, its "
          "acknowledged copy the last; at most %d copies of an id" % lives,
          flush=True)
    for i, (p, off) in acked_at.items():
        where = copies.get(i)
        if not where or (p, off) not in where:
            fail("acknowledged id %d (at %d/%d) is stored at %r", i, p, off, where)
        if max(where) != (p, off):
            fail("acknowledged id %d at %d/%d has a later copy at %r",
                 i, p, off, max(where))
    dup_ids = {i: w for i, w in copies.items() if len(w) > 1}
    worst = max((len(w) for w in copies.values()), default=0)
    if worst > lives:
        i = next(i for i, w in copies.items() if len(w) == worst)
        fail("id %d stored %d times (%r) in %d brokerd lives", i, worst,
             copies[i], lives)

    stored_unacked = [i for i in copies if i not in acked_at]
    total = sum(hw.values())
    print("counts: produced %d, acknowledged %d, stored records %d "
          "(distinct ids %d), unacknowledged but stored %d, unacknowledged "
          "and absent %d, ids stored more than once %d (%d of them "
          "acknowledged), most copies of one id %d, brokerd lives %d"
          % (produced, len(acked_at), total, len(copies), len(stored_unacked),
             produced - len(acked_at) - len(stored_unacked), len(dup_ids),
             sum(1 for i in dup_ids if i in acked_at), worst, lives), flush=True)
    if not acked_at:
        fail("nothing was acknowledged")


def main(argv):
    if len(argv) == 5 and argv[1] == "create":
        create(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 8 and argv[1] == "verify":
        verify(argv[2], argv[3], int(argv[4]), argv[5], argv[6], int(argv[7]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
