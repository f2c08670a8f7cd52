"""The idempotent producer under broken connections and broker crashes
(idempotent_faults.sh).

usage: idem_check.py create BOOTSTRAP TOPIC PARTITIONS
       idem_check.py produce BOOTSTRAP TOPIC PARTITIONS COUNT ACK_LOG
       idem_check.py verify BOOTSTRAP TOPIC PARTITIONS COUNT ACK_LOG

produce: a librdkafka idempotent producer (enable.idempotence,
enable.gapless.guarantee: any gap is a fatal error) writes ids
0..COUNT-1, id i to partition i % PARTITIONS with value "idem id=<i>",
about 2000 a second, through the faulty proxy while brokerd is killed
and restarted; retries are unbounded in practice (message.timeout.ms 10
minutes).  Each delivery report appends "partition offset id" to ACK_LOG.
It exits 0 only when every id was acknowledged and no error was fatal.

verify reads every partition back and checks what an
idempotent producer promises: every id stored exactly once (no
duplicates from retried requests whose answers were lost), none missing
(no gaps), in id order within each partition (no reordering), each at
the offset its acknowledgement named.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def note(fmt, *args):
    print("  " + (fmt % args if args else fmt), flush=True)


def fail(fmt, *args):
    print("FAIL: idempotent_faults: " + (fmt % args if args else fmt), flush=True)
    sys.exit(1)


def create(boot, topic, partitions):
    # the admin request reaches the controller brokerd advertises: the
    # proxy, whose faults may cut it after brokerd acted on it.  Retry;
    # TOPIC_ALREADY_EXISTS after a cut attempt means the first one worked.
    admin = AdminClient({"bootstrap.servers": boot})
    cut = False
    for attempt in range(10):
        fs = admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=15)
        try:
            fs[topic].result()
            return
        except KafkaException as e:
            err = e.args[0]
            if cut and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return
            if err.code() not in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT,
                                  KafkaError.REQUEST_TIMED_OUT):
                fail("CreateTopics %s: %s", topic, e)
            note("CreateTopics %s: %s (attempt %d); retrying", topic, err, attempt + 1)
            cut = True
            time.sleep(0.2)
    fail("CreateTopics %s: no answer in 10 attempts", topic)


def produce(boot, topic, partitions, count, ack_path):
    fatal = []
    acks = open(ack_path, "w")
    state = {"acked": 0, "failed": 0}

    def on_error(err):
        if err.fatal():
            fatal.append(str(err))

    def on_delivery(err, msg):
        if err:
            state["failed"] += 1
            note("delivery failed: %s", err)
            return
        state["acked"] += 1
        acks.write("%d %d %s\n" % (msg.partition(), msg.offset(), msg.key().decode()))

    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True,
                  "enable.gapless.guarantee": True, "linger.ms": 5,
                  "message.timeout.ms": 600000, "reconnect.backoff.ms": 50,
                  "reconnect.backoff.max.ms": 500, "retry.backoff.ms": 50,
                  "error_cb": on_error})
    start = time.time()
    for i in range(count):
        while True:
            try:
                p.produce(topic, key=str(i), value="idem id=%d" % i,
                          partition=i % partitions, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        ahead = i / 2000.0 - (time.time() - start)
        if ahead > 0:
            time.sleep(ahead)
        if fatal:
            break
    deadline = time.time() + 300
    while len(p) and time.time() < deadline and not fatal:
        p.poll(0.2)
    acks.close()
    note("produced %d, acknowledged %d, failed %d, unanswered %d", count,
         state["acked"], state["failed"], len(p))
    if fatal:
        fail("fatal producer error: %s", fatal[0])
    if state["acked"] != count:
        fail("%d of %d records acknowledged", state["acked"], count)


def verify(boot, topic, partitions, count, ack_path):
    c = Consumer({"bootstrap.servers": boot, "group.id": "sluice-idem-check",
                  "enable.auto.commit": False, "enable.partition.eof": False})
    stored = {}
    for part in range(partitions):
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
        c.assign([TopicPartition(topic, part, lo)])
        seen, last_id, next_off = 0, -1, lo
        deadline = time.time() + 60
        while next_off < hi:
            if time.time() > deadline:
                fail("partition %d: read stuck at %d of %d", part, next_off, hi)
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                fail("partition %d: %s", part, m.error())
            i = int(m.key())
            if m.offset() != next_off:
                fail("partition %d: offset %d after %d", part, m.offset(), next_off - 1)
            if i % partitions != part or m.value() != b"idem id=%d" % i:
                fail("partition %d offset %d: a record that is not id %d's", part,
                     m.offset(), i)
            if i in stored:
                fail("id %d stored twice: %d:%d and %d:%d", i, *stored[i], part, m.offset())
            if i <= last_id:
                fail("partition %d: id %d after id %d (reordered)", part, i, last_id)
            stored[i] = (part, m.offset())
            last_id, next_off, seen = i, m.offset() + 1, seen + 1
        note("partition %d: offsets %d..%d, %d records, ids in order", part, lo, hi, seen)
    c.close()
    missing = [i for i in range(count) if i not in stored]
    if missing:
        fail("%d ids missing, the first %d", len(missing), missing[0])
    acked = 0
    with open(ack_path) as f:
        for line in f:
            part, off, i = (int(x) for x in line.split())
            if stored.get(i) != (part, off):
                fail("id %d acknowledged at %d:%d but stored at %s", i, part, off,
                     stored.get(i))
            acked += 1
    note("%d ids stored once each, in order, %d acknowledgements match", count, acked)


def main():
    cmd, boot, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if cmd == "create":
        create(boot, topic, partitions)
    elif cmd == "produce":
        produce(boot, topic, partitions, int(sys.argv[5]), sys.argv[6])
    elif cmd == "verify":
        verify(boot, topic, partitions, int(sys.argv[5]), sys.argv[6])
    else:
        fail("unknown command %s", cmd)


if __name__ == "__main__":
    main()
