"""A consume-transform-produce application with exactly-once semantics
(librdkafka through confluent-kafka), for eos_ctp_kill.sh.

usage: eos_ctp.py fill BOOTSTRAP IN OUT COUNT
       eos_ctp.py run BOOTSTRAP IN OUT GROUP COUNT
       eos_ctp.py verify BOOTSTRAP IN OUT GROUP COUNT

fill creates IN (4 partitions) and OUT (3 partitions) and writes
"in-<i>" for i in 0..COUNT-1 to IN.
run is the application: one consumer of group GROUP reading IN with
isolation.level=read_committed, one transactional producer; each
transaction (at most 20 records, about 20 a second so that brokerd's
kills land in every phase) writes "out-<i>" to OUT for every "in-<i>"
read and commits the consumer's positions with send_offsets_to_transaction.
A failed transaction is aborted (or the producer, if fenced or failed
fatally, is replaced by a new one with the same transactional.id, which
aborts it) and the consumer goes back to the group's committed offsets,
so its records are processed again in a new transaction.  It stops once
the committed offsets reach the end of IN.
verify reads OUT with READ_COMMITTED: every "out-<i>" exactly once; and
the group's committed offsets are IN's end offsets.
"""

import sys
import time

from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer,
                             TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

IN_PARTITIONS = 4
OUT_PARTITIONS = 3


def note(fmt, *args):
    print("  " + (fmt % args if args else fmt), flush=True)


def fail(fmt, *args):
    print("FAIL: eos_ctp_kill: " + (fmt % args if args else fmt), flush=True)
    sys.exit(1)


def fill(boot, tin, tout, count):
    admin = AdminClient({"bootstrap.servers": boot})
    fs = admin.create_topics([NewTopic(tin, IN_PARTITIONS, 1),
                              NewTopic(tout, OUT_PARTITIONS, 1)], request_timeout=15)
    for t, f in fs.items():
        try:
            f.result()
        except Exception as e:  # noqa: BLE001 - any failure ends the test
            fail("CreateTopics %s: %s", t, e)
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True, "linger.ms": 5})
    for i in range(count):
        p.produce(tin, key=str(i), value="in-%d" % i, partition=i % IN_PARTITIONS)
        if i % 1000 == 0:
            p.poll(0)
    if p.flush(60):
        fail("could not write %s", tin)
    note("%d records in %s", count, tin)


def new_producer(boot, txn_id):
    """A transactional producer, retrying its initialisation while brokerd
    restarts."""
    deadline = time.time() + 120
    while True:
        p = Producer({"bootstrap.servers": boot, "transactional.id": txn_id,
                      "linger.ms": 2, "transaction.timeout.ms": 30000,
                      "message.timeout.ms": 30000})
        try:
            p.init_transactions(30)
            return p
        except KafkaException as e:
            if time.time() > deadline:
                fail("init_transactions: %s", e)
            note("init_transactions failed (%s); again", e.args[0])
            time.sleep(0.5)


def rewind(consumer):
    """Back to the group's committed offsets (what the last committed
    transaction says was processed)."""
    while True:
        try:
            parts = consumer.assignment()
            if not parts:
                return
            for tp in consumer.committed(parts, timeout=10):
                consumer.seek(TopicPartition(tp.topic, tp.partition,
                                             tp.offset if tp.offset >= 0 else 0))
            return
        except KafkaException as e:
            note("rewind: %s; again", e.args[0])
            time.sleep(0.5)


def done(consumer, tin, ends):
    try:
        tps = consumer.committed([TopicPartition(tin, p) for p in range(IN_PARTITIONS)],
                                 timeout=10)
    except KafkaException:
        return False
    return all(tp.offset == ends[tp.partition] for tp in tps)


def run(boot, tin, tout, group, count):
    ends = [len(range(p, count, IN_PARTITIONS)) for p in range(IN_PARTITIONS)]
    consumer = Consumer({"bootstrap.servers": boot, "group.id": group,
                         "isolation.level": "read_committed",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "session.timeout.ms": 30000})
    consumer.subscribe([tin])
    producer = new_producer(boot, "eos-ctp")
    stats = {"commits": 0, "aborts": 0, "replaced": 0, "retries": 0}
    start = time.time()
    while True:
        if time.time() - start > 280:
            fail("not done after 280 s: %s", stats)
        msgs = consumer.consume(num_messages=20, timeout=0.5)
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            if done(consumer, tin, ends):
                break
            continue
        try:
            producer.begin_transaction()
            for m in msgs:
                i = int(m.value()[3:])
                producer.produce(tout, key=str(i), value="out-%d" % i,
                                 partition=i % OUT_PARTITIONS)
            producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()),
                consumer.consumer_group_metadata(), 30)
            while True:
                try:
                    producer.commit_transaction(30)
                    break
                except KafkaException as e:
                    if not e.args[0].retriable():
                        raise
                    stats["retries"] += 1
            stats["commits"] += 1
        except KafkaException as e:
            err = e.args[0]
            if err.txn_requires_abort():
                stats["aborts"] += 1
                try:
                    producer.abort_transaction(30)
                except KafkaException as e2:
                    note("abort failed (%s): a new producer", e2.args[0])
                    producer = new_producer(boot, "eos-ctp")
                    stats["replaced"] += 1
            else:
                note("transaction failed (%s): a new producer", err)
                producer = new_producer(boot, "eos-ctp")
                stats["replaced"] += 1
            rewind(consumer)
        time.sleep(0.03)
    consumer.close()
    note("done: %d transactions committed, %d aborted, %d producers replaced, "
         "%d commit retries", stats["commits"], stats["aborts"], stats["replaced"],
         stats["retries"])


def verify(boot, tin, tout, group, count):
    c = Consumer({"bootstrap.servers": boot, "group.id": group + "-verify",
                  "isolation.level": "read_committed", "enable.auto.commit": False})
    seen = {}
    for p in range(OUT_PARTITIONS):
        lo, hi = c.get_watermark_offsets(TopicPartition(tout, p), timeout=10)
        c.assign([TopicPartition(tout, p, lo)])
        deadline = time.time() + 60
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                pos = c.position([TopicPartition(tout, p)])[0].offset
                if pos >= hi:
                    break
                continue
            if m.error():
                fail("reading %s: %s", tout, m.error())
            v = m.value().decode()
            seen[v] = seen.get(v, 0) + 1
    dups = [v for v, n in seen.items() if n > 1]
    missing = [i for i in range(count) if "out-%d" % i not in seen]
    if dups:
        fail("%d results written more than once, e.g. %s (%d times)", len(dups), dups[0],
             seen[dups[0]])
    if missing:
        fail("%d results missing, e.g. out-%d", len(missing), missing[0])
    if len(seen) != count:
        fail("%d results, want %d", len(seen), count)
    tps = c.committed([TopicPartition(tin, p) for p in range(IN_PARTITIONS)], timeout=10)
    c.close()
    g = Consumer({"bootstrap.servers": boot, "group.id": group})
    tps = g.committed([TopicPartition(tin, p) for p in range(IN_PARTITIONS)], timeout=10)
    g.close()
    ends = [len(range(p, count, IN_PARTITIONS)) for p in range(IN_PARTITIONS)]
    got = [tp.offset for tp in sorted(tps, key=lambda t: t.partition)]
    if got != ends:
        fail("committed offsets %s, want %s", got, ends)
    note("every input's result exactly once (%d), committed offsets at the end of %s",
         count, tin)


def main():
    cmd, boot = sys.argv[1], sys.argv[2]
    if cmd == "fill":
        fill(boot, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif cmd == "run":
        run(boot, sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    elif cmd == "verify":
        verify(boot, sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        fail("unknown command %s", cmd)


if __name__ == "__main__":
    main()
