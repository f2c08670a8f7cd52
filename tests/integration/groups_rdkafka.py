"""Consumer groups with librdkafka's high-level consumer (confluent-kafka).

usage: groups_rdkafka.py member LOG GROUP TOPIC ASSIGNOR [--instance ID]
                                [--session MS] [--commit-ms MS]
       groups_rdkafka.py churn TOPIC GROUP ASSIGNOR LOGDIR
       groups_rdkafka.py killed TOPIC GROUP LOGDIR
       groups_rdkafka.py static TOPIC GROUP LOGDIR
       groups_rdkafka.py crash-commit TOPIC GROUP ACKFILE
       groups_rdkafka.py crash-check TOPIC GROUP ACKFILE

`member` is one group member (a process of its own, see groups_lib.py):
it logs what it processes, commits its positions synchronously for
partitions it is about to lose (on_revoke) and every --commit-ms (500; 0:
never), and on SIGTERM commits and leaves.  A periodic commit may race a
rebalance: sent with the old generation just after the JoinGroup that
ends the join phase, it gets ILLEGAL_GENERATION (from Kafka too), on which
librdkafka's cooperative protocol drops its partitions as lost, so they
are read again from the last commit; the exactly-once scenario therefore
commits only on revocation and when leaving.
`churn`: three members, then one leaves, one joins, another leaves, on a
12-partition topic under continuous produce: every record is processed
exactly once (offsets are committed on revocation).
`killed`: one of three members is killed; the others take over its
partitions within its session timeout and nothing is lost.
`static`: a static member (group.instance.id) is killed and restarted
within its session timeout: the other member sees no rebalance and the
newcomer gets the old assignment.
`crash-commit` consumes part of a topic, committing, and exits without
leaving right after its last acknowledged commit, whose offsets it writes
to ACKFILE; the caller then kills brokerd with SIGKILL and restarts it;
`crash-check` checks that the group resumes exactly from those offsets.
The broker address comes from $SLUICE_BOOTSTRAP.
"""

import json
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

import groups_lib
import records
from groups_lib import Member, fail, note

PARTITIONS = 12


def consumer_conf(group, assignor, session_ms=6000, instance=None):
    conf = {
        "bootstrap.servers": records.bootstrap(),
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": assignor,
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": 300,
        "fetch.wait.max.ms": 100,
    }
    if instance:
        conf["group.instance.id"] = instance
    if os.environ.get("SLUICE_GROUPS_DEBUG"):
        conf["debug"] = "cgrp"  # librdkafka's group logs on stderr
    return conf


def commit_positions(c, parts, why):
    """Commits the next offset to process of each partition, waiting for
    the broker's acknowledgement."""
    pos = [tp for tp in c.position(parts) if tp.offset >= 0] if parts else []
    if not pos:
        return
    try:
        c.commit(offsets=pos, asynchronous=False)
    except KafkaException as e:
        # a rebalance under way: on_revoke commits for the partitions
        # that move, so this only costs progress
        # (a failed commit on revocation shows up as records processed
        # twice, which the exactly-once checks catch)
        print("commit (%s): %s" % (why, e), file=sys.stderr, flush=True)


def member(argv):
    log, group, topic, assignor = argv[:4]
    opts = dict(zip(argv[4::2], argv[5::2]))
    out = open(log, "a", buffering=1)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(1))
    c = Consumer(consumer_conf(group, assignor, int(opts.get("--session", 6000)),
                               opts.get("--instance")))

    def event(kind, parts):
        out.write("%s %.3f %s\n" % (kind, time.time(),
                                    ",".join(str(p.partition) for p in parts)))

    def on_assign(c, parts):
        event("A", parts)

    def on_revoke(c, parts):
        commit_positions(c, parts, "revoke")
        event("R", parts)

    def on_lost(c, parts):
        event("R", parts)

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke,
                on_lost=on_lost)
    every = int(opts.get("--commit-ms", 500)) / 1000
    last = time.monotonic()
    while not stopping:
        msg = c.poll(0.1)
        if msg is not None and msg.error() is None:
            out.write("r %d %d\n" % (msg.partition(), msg.offset()))
        if every and time.monotonic() - last > every:
            commit_positions(c, c.assignment(), "periodic")
            last = time.monotonic()
    commit_positions(c, c.assignment(), "leave")
    c.close()


def wait_assigned(members, want_each=True):
    """Waits until the live members' assignments cover every partition
    once (and each holds some, if want_each); returns the time."""
    def covered():
        held = [m.assignment() for m in members]
        union = set().union(*held)
        if len(union) != PARTITIONS or sum(len(h) for h in held) != PARTITIONS:
            return False
        return all(held) if want_each else True
    records.wait_until("%s to share the %d partitions" %
                       (",".join(m.name for m in members), PARTITIONS),
                       covered, timeout=30)
    note("partitions: %s", "; ".join("%s %s" % (m.name, sorted(m.assignment()))
                                     for m in members))


def stop_all(members, settle=True):
    """Stops members one at a time, letting the group settle in between:
    librdkafka 2.0's close() can hang when called in the middle of a
    rebalance, which is the client's business, not the broker's.  (Static
    members do not leave on close, so there is nothing to settle.)"""
    for i, m in enumerate(members):
        m.stop()
        if settle and members[i + 1:]:
            wait_assigned(members[i + 1:])


def churn(argv):
    topic, group, assignor, logdir = argv
    groups_lib.create_topic(topic, PARTITIONS)
    prod = groups_lib.BackgroundProducer(topic, PARTITIONS)
    prod.start()
    everyone = []

    def join(name):
        m = Member(name, logdir, [group, topic, assignor, "--commit-ms", "0"])
        m.start()
        everyone.append(m)
        return m

    m1 = join("m1")
    wait_assigned([m1])
    m2 = join("m2")
    wait_assigned([m1, m2])
    m3 = join("m3")
    wait_assigned([m1, m2, m3])
    time.sleep(1)
    m1.stop()
    wait_assigned([m2, m3])
    time.sleep(1)
    m4 = join("m4")
    wait_assigned([m2, m3, m4])
    time.sleep(1)
    m2.stop()
    wait_assigned([m3, m4])
    time.sleep(1)
    prod.stop()
    hw, seen = groups_lib.wait_consumed(everyone, topic, PARTITIONS)
    stop_all([m3, m4])
    groups_lib.check_coverage(hw, seen, exactly_once=True)


def killed(argv):
    topic, group, logdir = argv
    session_ms = 3000
    groups_lib.create_topic(topic, PARTITIONS)
    prod = groups_lib.BackgroundProducer(topic, PARTITIONS)
    prod.start()
    ms = [Member(n, logdir, [group, topic, "range", "--session", str(session_ms)])
          for n in ("m1", "m2", "m3")]
    for m in ms:
        m.start()
    wait_assigned(ms)
    time.sleep(2)
    victim = ms[1]
    lost = victim.assignment()
    t_kill = time.time()
    victim.kill()
    rest = [ms[0], ms[2]]
    wait_assigned(rest)

    def taken_at(p):
        """When another member was first given partition p."""
        return min(t for m in rest for k, t, v in m.rebalance_events()
                   if k == "A" and t > t_kill and p in v)
    took = max(taken_at(p) for p in lost) - t_kill
    note("the killed member's partitions %s were taken over after %.1fs "
         "(session timeout %.1fs)", sorted(lost), took, session_ms / 1000)
    if took > session_ms / 1000 + 3:
        fail("takeover took %.1fs, more than the session timeout + 3s", took)
    time.sleep(1)
    prod.stop()
    hw, seen = groups_lib.wait_consumed(ms, topic, PARTITIONS)
    stop_all(rest)
    groups_lib.check_coverage(hw, seen, exactly_once=False)


def static(argv):
    topic, group, logdir = argv
    session = "10000"
    groups_lib.create_topic(topic, PARTITIONS)
    prod = groups_lib.BackgroundProducer(topic, PARTITIONS, rate=200)
    prod.start()
    args_a = [group, topic, "range", "--instance", "static-a", "--session", session]
    a = Member("a", logdir, args_a)
    b = Member("b", logdir, [group, topic, "range", "--instance", "static-b",
                             "--session", session])
    a.start()
    wait_assigned([a])
    b.start()
    wait_assigned([a, b])
    time.sleep(2)
    before = describe(group)
    b_events = len(b.rebalance_events())
    a_parts = a.assignment()
    t_kill = time.time()
    a.kill()
    time.sleep(1)
    a2 = Member("a2", logdir, args_a)
    a2.start()
    records.wait_until("the restarted member to get its partitions back",
                       lambda: a2.assignment() == a_parts, timeout=8)
    took = time.time() - t_kill
    got = len(a2.consumed())
    records.wait_until("the restarted member to process records",
                       lambda: len(a2.consumed()) > got, timeout=10)
    after = describe(group)
    if len(b.rebalance_events()) != b_events:
        fail("the other member saw a rebalance: %s",
             b.rebalance_events()[b_events:])
    if after["state"] != "Stable" or len(after["members"]) != 2:
        fail("group after the restart: %s", after)
    old_a = [m for m in before["members"] if m.startswith("static-a-")]
    new_a = [m for m in after["members"] if m.startswith("static-a-")]
    if len(old_a) != 1 or len(new_a) != 1 or old_a == new_a:
        fail("static-a's member id: before %s, after %s", old_a, new_a)
    note("static member back with partitions %s after %.1fs (session %ss), "
         "member id %s -> %s, no rebalance", sorted(a_parts), took,
         int(session) // 1000, old_a[0], new_a[0])
    prod.stop()
    hw, seen = groups_lib.wait_consumed([a, a2, b], topic, PARTITIONS)
    stop_all([a2, b], settle=False)
    groups_lib.check_coverage(hw, seen, exactly_once=False)


def describe(group):
    """The group's state and member ids, by DescribeGroups (kafka-python)."""
    from kafka.admin import KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=records.bootstrap())
    try:
        info = admin.describe_consumer_groups([group])[0]
    finally:
        admin.close()
    return {"state": info.state,
            "members": sorted(m.member_id for m in info.members)}


CRASH_TOTAL = 3000
CRASH_READ = 1234  # not a multiple of anything: offsets mid-partition


def crash_commit(argv):
    topic, group, ackfile = argv
    groups_lib.create_topic(topic, 6)
    p = Producer({"bootstrap.servers": records.bootstrap(), "acks": "all"})
    for i in range(CRASH_TOTAL):
        p.produce(topic, value=b"c%d" % i, partition=i % 6)
    if p.flush(30):
        fail("records left unsent")
    c = Consumer(consumer_conf(group, "range"))
    c.subscribe([topic])
    n = 0
    while n < CRASH_READ:
        msg = c.poll(1.0)
        if msg is None or msg.error() is not None:
            continue
        n += 1
        if n % 20 == 0 or n == CRASH_READ:
            pos = [tp for tp in c.position(c.assignment()) if tp.offset >= 0]
            c.commit(offsets=pos, asynchronous=False)
            acked = {tp.partition: tp.offset for tp in pos}
            with open(ackfile + ".tmp", "w") as f:
                json.dump(acked, f)
            os.rename(ackfile + ".tmp", ackfile)
    note("processed %d records; last acknowledged commit %s", n,
         json.load(open(ackfile)))
    # no close: no LeaveGroup, no last commit; brokerd dies next
    sys.stdout.flush()
    os._exit(0)


def crash_check(argv):
    topic, group, ackfile = argv
    acked = {int(k): v for k, v in json.load(open(ackfile)).items()}
    c = Consumer(consumer_conf(group, "range"))
    tps = [TopicPartition(topic, p) for p in range(6)]
    committed = {tp.partition: tp.offset for tp in c.committed(tps, timeout=20)}
    for p in range(6):
        if committed[p] != acked.get(p, -1001):
            fail("partition %d: committed offset %s after the restart, "
                 "acknowledged %s before it", p, committed[p], acked.get(p))
    note("committed offsets survived the crash: %s", committed)
    c.subscribe([topic])
    first = {}
    n = 0
    want = CRASH_TOTAL - sum(max(o, 0) for o in committed.values())
    deadline = time.monotonic() + 30
    while n < want and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is None or msg.error() is not None:
            continue
        first.setdefault(msg.partition(), msg.offset())
        n += 1
    c.close()
    if n != want:
        fail("consumed %d records after the restart, expected %d", n, want)
    for p, o in first.items():
        if o != max(committed[p], 0):
            fail("partition %d resumed at %d, committed %d", p, o, committed[p])
    note("the group resumed from the committed offsets: %d records left", n)


def main(argv):
    cmds = {"member": member, "churn": churn, "killed": killed,
            "static": static, "crash-commit": crash_commit,
            "crash-check": crash_check}
    if not argv or argv[0] not in cmds:
        fail("usage: see the top of groups_rdkafka.py")
    cmds[argv[0]](argv[1:])


if __name__ == "__main__":
    records.main_wrapper(main)
