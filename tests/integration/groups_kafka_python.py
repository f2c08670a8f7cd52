"""Consumer groups with kafka-python (its own protocol code, older API
versions: JoinGroup v2, OffsetCommit v2, OffsetFetch v1-v3 ...).

usage: groups_kafka_python.py TOPIC GROUP

Two KafkaConsumers share a 4-partition topic: the first starts alone, the
second joins while records are being read, each commits after every batch
and, through a rebalance listener, before giving partitions up; together
they read 2000 records exactly once.  A consumer started later in the same
group reads nothing old and exactly the 100 records produced after.  The
admin client lists and describes the group, lists its committed offsets,
and deletes it once it is empty.  The broker comes from $SLUICE_BOOTSTRAP.
"""

import threading
import time

from kafka import (ConsumerRebalanceListener, KafkaConsumer, KafkaProducer,
                   TopicPartition)
from kafka.admin import KafkaAdminClient, NewTopic

import records
from records import fail, note

PARTITIONS = 4
FIRST = 2000
LATER = 100


def produce(topic, start, end):
    p = KafkaProducer(bootstrap_servers=records.bootstrap(), acks="all")
    for i in range(start, end):
        p.send(topic, value=b"kp%d" % i, partition=i % PARTITIONS)
    p.flush(30)
    p.close()


class CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self):
        self.consumer = None

    def on_partitions_revoked(self, revoked):
        if revoked:
            self.consumer.commit()

    def on_partitions_assigned(self, assigned):
        pass


class Reader(threading.Thread):
    """A group member reading in a thread until told to stop."""

    def __init__(self, topic, group, name):
        super().__init__(daemon=True)
        self.name_ = name
        self.seen = []
        self.stop = threading.Event()
        listener = CommitOnRevoke()
        self.c = KafkaConsumer(bootstrap_servers=records.bootstrap(),
                               group_id=group, client_id=name,
                               auto_offset_reset="earliest",
                               enable_auto_commit=False,
                               session_timeout_ms=6000,
                               heartbeat_interval_ms=500,
                               max_poll_records=50)
        listener.consumer = self.c
        self.c.subscribe([topic], listener=listener)

    def run(self):
        while not self.stop.is_set():
            batch = self.c.poll(timeout_ms=200)
            for tp, msgs in batch.items():
                for m in msgs:
                    self.seen.append((m.partition, m.offset))
            if batch:
                self.c.commit()
                time.sleep(0.1)  # slow enough for the other to join
        self.c.commit()
        self.c.close(autocommit=False)


def read_together(topic, group):
    a = Reader(topic, group, "kp-a")
    a.start()
    records.wait_until("the first consumer to read", lambda: len(a.seen) > 100)
    b = Reader(topic, group, "kp-b")
    b.start()
    records.wait_until("both consumers to read everything",
                       lambda: len(set(a.seen) | set(b.seen)) == FIRST, timeout=60)
    time.sleep(1)  # anything read twice would show up now
    info = describe(group)
    a.stop.set()
    b.stop.set()
    a.join()
    b.join()
    both = a.seen + b.seen
    if len(both) != len(set(both)):
        fail("%d records read twice", len(both) - len(set(both)))
    if not a.seen or not b.seen:
        fail("one consumer read nothing: %d and %d", len(a.seen), len(b.seen))
    note("two consumers read %d records exactly once (%d and %d)",
         FIRST, len(a.seen), len(b.seen))
    return info


def describe(group):
    admin = KafkaAdminClient(bootstrap_servers=records.bootstrap())
    try:
        return admin.describe_consumer_groups([group])[0]
    finally:
        admin.close()


def main(argv):
    topic, group = argv
    admin = KafkaAdminClient(bootstrap_servers=records.bootstrap())
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    produce(topic, 0, FIRST)

    info = read_together(topic, group)
    if info.state != "Stable" or len(info.members) != 2 or \
       info.protocol_type != "consumer" or info.protocol != "range":
        fail("DescribeGroups while both were in: %s", info)
    note("DescribeGroups: %s, protocol %s, members %s", info.state,
         info.protocol, sorted(m.client_id for m in info.members))

    c = KafkaConsumer(topic, bootstrap_servers=records.bootstrap(),
                      group_id=group, auto_offset_reset="earliest",
                      enable_auto_commit=False, session_timeout_ms=6000)
    old = []

    def assigned():
        for msgs in c.poll(timeout_ms=100).values():
            old.extend(msgs)
        return c.assignment()
    records.wait_until("the late consumer's assignment", assigned)
    for msgs in c.poll(timeout_ms=1500).values():
        old.extend(msgs)
    if old:
        fail("a consumer of the group read %d old records", len(old))
    produce(topic, FIRST, FIRST + LATER)
    got = []
    deadline = time.monotonic() + 30
    while len(got) < LATER and time.monotonic() < deadline:
        for msgs in c.poll(timeout_ms=200).values():
            got += [m.value for m in msgs]
    if sorted(got) != sorted(b"kp%d" % i for i in range(FIRST, FIRST + LATER)):
        fail("the late consumer read %d records, not the %d new ones",
             len(got), LATER)
    c.commit()
    note("a consumer of the group read only the %d new records", LATER)

    groups = dict(admin.list_consumer_groups())
    if groups.get(group) != "consumer":
        fail("ListGroups: %s", groups)
    offsets = admin.list_consumer_group_offsets(group)
    total = sum(om.offset for om in offsets.values())
    if len(offsets) != PARTITIONS or total != FIRST + LATER:
        fail("OffsetFetch of all offsets: %s", offsets)
    note("ListGroups and OffsetFetch: %d partitions, offsets sum to %d",
         len(offsets), total)

    # a group with members cannot be deleted; an empty one can
    res = dict(admin.delete_consumer_groups([group]))
    if res[group].errno != 68:  # NON_EMPTY_GROUP
        fail("DeleteGroups with a member: %s", res)
    c.close(autocommit=False)
    records.wait_until("the group to be empty",
                       lambda: describe(group).state == "Empty")
    res = dict(admin.delete_consumer_groups([group]))
    if res[group].errno != 0:
        fail("DeleteGroups: %s", res)
    if admin.list_consumer_group_offsets(group):
        fail("offsets remain after DeleteGroups")
    note("DeleteGroups refused while a member was in, then deleted the group")
    admin.close()


if __name__ == "__main__":
    records.main_wrapper(main)
