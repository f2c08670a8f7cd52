"""Transactions with librdkafka's transactional producer (confluent-kafka)
against brokerd (txn_confluent.sh).

usage: txn_check.py basic BOOTSTRAP TOPIC
       txn_check.py leave-open BOOTSTRAP TOPIC
       txn_check.py after-crash BOOTSTRAP TOPIC

basic, on a new 3-partition topic:
  1. 12 transactions of 30 records spread over the partitions, every third
     one aborted after its records are in the log, with plain
     (non-transactional) records written between them: a READ_COMMITTED
     consumer reads exactly the committed and plain records, each once, in
     the order they were written per partition; READ_UNCOMMITTED reads
     everything.
  2. an open transaction holds READ_COMMITTED consumers at its first
     offset (the last stable offset), even for plain records written after
     it, until it commits; READ_UNCOMMITTED reads past it.
  3. a second producer with the same transactional.id fences the first:
     the first one's next commit fails with a fatal error.
  4. a transaction left open past its transaction.timeout.ms (2 s) is
     aborted by brokerd: its records never reach READ_COMMITTED readers,
     which then read on.
leave-open writes 20 records in a transaction and exits without ending
it (brokerd is then killed and restarted); after-crash checks that the
transaction still holds READ_COMMITTED readers after the restart, then
starts a new producer with the same transactional.id, which aborts it,
and checks that its records are never read as committed.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 3


def note(fmt, *args):
    print("  " + (fmt % args if args else fmt), flush=True)


def fail(fmt, *args):
    print("FAIL: txn_confluent: " + (fmt % args if args else fmt), flush=True)
    sys.exit(1)


def create(boot, topic):
    admin = AdminClient({"bootstrap.servers": boot})
    fs = admin.create_topics([NewTopic(topic, PARTITIONS, 1)], request_timeout=15)
    try:
        fs[topic].result()
    except Exception as e:  # noqa: BLE001 - any failure ends the test
        fail("CreateTopics %s: %s", topic, e)


def txn_producer(boot, txn_id, **extra):
    conf = {"bootstrap.servers": boot, "transactional.id": txn_id, "linger.ms": 5}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(30)
    return p


def plain_producer(boot):
    return Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 5})


def read(boot, topic, isolation, seconds=4.0, until=None):
    """Values per partition read from the beginning for `seconds` (or
    until `until` values in all), as lists in offset order."""
    c = Consumer({"bootstrap.servers": boot, "group.id": "txn-check-%s-%f" % (isolation, time.time()),
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "enable.partition.eof": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    out = {p: [] for p in range(PARTITIONS)}
    n = 0
    end = time.time() + seconds
    while time.time() < end and (until is None or n < until):
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            fail("%s consumer: %s", isolation, m.error())
        out[m.partition()].append(m.value().decode())
        n += 1
    c.close()
    return out


def lso(boot, topic, partition):
    """The last stable offset as READ_COMMITTED's ListOffsets gives it."""
    c = Consumer({"bootstrap.servers": boot, "group.id": "txn-check-lso",
                  "isolation.level": "read_committed"})
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    c.close()
    return hi


def expect(what, got, want):
    if got != want:
        for p in range(PARTITIONS):
            if got.get(p) != want.get(p):
                g, w = got.get(p, []), want.get(p, [])
                k = next((i for i in range(min(len(g), len(w))) if g[i] != w[i]), min(len(g), len(w)))
                fail("%s: partition %d differs at %d: got %s, want %s (got %d, want %d values)",
                     what, p, k, g[k:k + 3], w[k:k + 3], len(g), len(w))
    note("%s: %d values as expected", what, sum(len(v) for v in want.values()))


def step_commit_abort(boot, topic):
    p = txn_producer(boot, "txn-basic")
    plain = plain_producer(boot)
    committed = {i: [] for i in range(PARTITIONS)}
    everything = {i: [] for i in range(PARTITIONS)}
    for t in range(12):
        abort = t % 3 == 2
        p.begin_transaction()
        for i in range(30):
            v = "%s%d-%d" % ("a" if abort else "c", t, i)
            p.produce(topic, value=v, partition=i % PARTITIONS)
            everything[i % PARTITIONS].append(v)
            if not abort:
                committed[i % PARTITIONS].append(v)
        p.flush(30)
        if abort:
            p.abort_transaction(30)
        else:
            p.commit_transaction(30)
        for i in range(PARTITIONS):
            v = "plain%d-%d" % (t, i)
            plain.produce(topic, value=v, partition=i)
            committed[i].append(v)
            everything[i].append(v)
        plain.flush(30)
    total = sum(len(v) for v in everything.values())
    expect("READ_COMMITTED after 8 commits and 4 aborts",
           read(boot, topic, "read_committed", 8, sum(len(v) for v in committed.values())),
           committed)
    expect("READ_UNCOMMITTED", read(boot, topic, "read_uncommitted", 8, total), everything)
    return p, committed, everything


def step_open(boot, topic, p, committed, everything):
    plain = plain_producer(boot)
    p.begin_transaction()
    for i in range(9):
        v = "open-%d" % i
        p.produce(topic, value=v, partition=i % PARTITIONS)
        everything[i % PARTITIONS].append(v)
    p.flush(30)
    for i in range(PARTITIONS):
        v = "after-open-%d" % i
        plain.produce(topic, value=v, partition=i)
        everything[i].append(v)
    plain.flush(30)
    got = read(boot, topic, "read_committed", 3)
    expect("READ_COMMITTED stops at the open transaction", got, committed)
    expect("READ_UNCOMMITTED reads past it", read(boot, topic, "read_uncommitted", 8,
                                                  sum(len(v) for v in everything.values())),
           everything)
    p.commit_transaction(30)
    for i in range(9):
        committed[i % PARTITIONS].append("open-%d" % i)
    for i in range(PARTITIONS):
        committed[i].append("after-open-%d" % i)
    expect("READ_COMMITTED after the commit", read(boot, topic, "read_committed", 8,
                                                   sum(len(v) for v in committed.values())),
           committed)


def step_fence(boot, topic, p, committed, everything):
    p.begin_transaction()
    p.produce(topic, value="zombie-0", partition=0)
    everything[0].append("zombie-0")
    p.flush(30)
    p2 = txn_producer(boot, "txn-basic")  # aborts the open transaction
    try:
        p.commit_transaction(10)
        fail("the fenced producer committed")
    except KafkaException as e:
        err = e.args[0]
        if not err.fatal():
            fail("the fenced producer's commit failed, but not fatally: %s", err)
        note("the first producer is fenced: %s", err)
    p2.begin_transaction()
    p2.produce(topic, value="fresh-0", partition=0)
    p2.commit_transaction(30)
    committed[0].append("fresh-0")
    everything[0].append("fresh-0")
    expect("READ_COMMITTED after fencing", read(boot, topic, "read_committed", 8,
                                                sum(len(v) for v in committed.values())),
           committed)


def step_timeout(boot, topic, committed, everything):
    p = txn_producer(boot, "txn-timeout", **{"transaction.timeout.ms": 2000})
    p.begin_transaction()
    for i in range(PARTITIONS):
        p.produce(topic, value="timeout-%d" % i, partition=i)
        everything[i].append("timeout-%d" % i)
    p.flush(30)
    plain = plain_producer(boot)
    for i in range(PARTITIONS):
        plain.produce(topic, value="after-timeout-%d" % i, partition=i)
        committed[i].append("after-timeout-%d" % i)
        everything[i].append("after-timeout-%d" % i)
    plain.flush(30)
    time.sleep(4)
    expect("READ_COMMITTED once brokerd aborted the timed-out transaction",
           read(boot, topic, "read_committed", 8, sum(len(v) for v in committed.values())),
           committed)
    try:
        p.commit_transaction(10)
        fail("a transaction aborted by its timeout committed")
    except KafkaException as e:
        note("its producer cannot commit it: %s", e.args[0])


def basic(boot, topic):
    create(boot, topic)
    p, committed, everything = step_commit_abort(boot, topic)
    step_open(boot, topic, p, committed, everything)
    step_fence(boot, topic, p, committed, everything)
    step_timeout(boot, topic, committed, everything)


def leave_open(boot, topic):
    create(boot, topic)
    plain = plain_producer(boot)
    plain.produce(topic, value="before", partition=0)
    plain.flush(30)
    p = txn_producer(boot, "txn-crash")
    p.begin_transaction()
    for i in range(20):
        p.produce(topic, value="open-%d" % i, partition=i % PARTITIONS)
    p.flush(30)
    plain.produce(topic, value="after", partition=0)
    plain.flush(30)
    note("20 records in an open transaction, between two plain ones")
    # exit without ending the transaction: os._exit skips librdkafka's
    # destructor, which would abort it
    sys.stdout.flush()
    import os
    os._exit(0)


def after_crash(boot, topic):
    got = read(boot, topic, "read_committed", 3)
    expect("READ_COMMITTED after the crash: held by the open transaction", got,
           {0: ["before"], 1: [], 2: []})
    if lso(boot, topic, 0) != 1:
        fail("partition 0's last stable offset is %d, want 1", lso(boot, topic, 0))
    txn_producer(boot, "txn-crash")  # aborts the transaction left open
    expect("READ_COMMITTED once a new producer aborted it",
           read(boot, topic, "read_committed", 5, 2), {0: ["before", "after"], 1: [], 2: []})
    unc = read(boot, topic, "read_uncommitted", 5, 22)
    if sum(len(v) for v in unc.values()) != 22:
        fail("READ_UNCOMMITTED read %d records, want 22", sum(len(v) for v in unc.values()))
    note("READ_UNCOMMITTED still reads the 20 aborted records")


def main():
    cmd, boot, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    {"basic": basic, "leave-open": leave_open, "after-crash": after_crash}[cmd](boot, topic)


if __name__ == "__main__":
    main()
