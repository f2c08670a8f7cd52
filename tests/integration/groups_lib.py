"""Shared code of the consumer-group drivers (groups_*.py).

Group members run as separate processes (groups_rdkafka.py member ...), so
a test can stop one cleanly (SIGTERM: commit, leave), kill it (SIGKILL:
no goodbye) or restart it.  Each member appends one line per event to its
own log file, written before anything is committed, so whatever it
processed is on file even if it is killed right after:
    r PARTITION OFFSET          a record was processed
    A TIME P,P,...              partitions assigned (wall-clock seconds)
    R TIME P,P,...              partitions revoked
A background producer keeps records flowing while members come and go;
at the end every (partition, offset) below the high watermarks must
appear in some member's log: at least once always, exactly once when
every member left cleanly.
"""

import os
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import records
from records import fail, note

HERE = os.path.dirname(os.path.abspath(__file__))


def create_topic(topic, partitions):
    """Creates topic with the given partition count and waits for it."""
    admin = AdminClient({"bootstrap.servers": records.bootstrap()})
    fs = admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=15)
    try:
        fs[topic].result()
    except Exception as e:
        fail("CreateTopics %s: %s", topic, e)

    def listed():
        t = admin.list_topics(timeout=10).topics.get(topic)
        return t is not None and t.error is None and len(t.partitions) == partitions
    records.wait_until("topic %s in metadata" % topic, listed)


def high_watermarks(topic, partitions):
    """The high watermark of every partition."""
    c = Consumer({"bootstrap.servers": records.bootstrap(),
                  "group.id": "groups-lib-watermarks"})
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)]
    finally:
        c.close()


class BackgroundProducer:
    """Produces small records round robin over the partitions at about
    `rate` per second from a thread, until stop()."""

    def __init__(self, topic, partitions, rate=400):
        self.topic, self.partitions, self.rate = topic, partitions, rate
        self.sent = 0
        self.errors = []
        self._stop = threading.Event()
        self._p = Producer({"bootstrap.servers": records.bootstrap(),
                            "linger.ms": 5, "acks": "all"})
        self._t = threading.Thread(target=self._run, daemon=True)

    def _delivered(self, err, msg):
        if err is not None:
            self.errors.append(str(err))

    def _run(self):
        i = 0
        start = time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - start) * self.rate)
            while i < due:
                self._p.produce(self.topic, value=b"v%d" % i,
                                partition=i % self.partitions,
                                on_delivery=self._delivered)
                i += 1
            self._p.poll(0.01)
        self._p.flush(30)
        self.sent = i

    def start(self):
        self._t.start()

    def stop(self):
        self._stop.set()
        self._t.join()
        if self.errors:
            fail("producer: %d delivery errors, first: %s",
                 len(self.errors), self.errors[0])
        note("produced %d records in the background", self.sent)


class Member:
    """A group member in its own process (groups_rdkafka.py member)."""

    def __init__(self, name, logdir, args):
        self.name = name
        self.log = os.path.join(logdir, "member-%s.log" % name)
        self.args = args
        self.proc = None

    def start(self):
        open(self.log, "a").close()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "groups_rdkafka.py"), "member",
             self.log] + self.args)
        note("member %s started (pid %d)", self.name, self.proc.pid)

    def stop(self, timeout=30):
        """Asks the member to leave cleanly and waits for it."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("member %s did not stop within %ds", self.name, timeout)
        if rc != 0:
            fail("member %s exited with status %d", self.name, rc)
        note("member %s left", self.name)

    def kill(self):
        """Kills the member without a chance to commit or leave."""
        self.proc.kill()
        self.proc.wait()
        note("member %s killed", self.name)

    def events(self):
        """The member's log as (kind, time, value) tuples."""
        out = []
        with open(self.log) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 2 or (parts[0] == "r" and len(parts) < 3):
                    continue  # a line cut by a kill
                if parts[0] == "r":
                    out.append(("r", None, (int(parts[1]), int(parts[2]))))
                else:
                    parts_set = set(int(x) for x in parts[2].split(",") if x) \
                        if len(parts) > 2 else set()
                    out.append((parts[0], float(parts[1]), parts_set))
        return out

    def consumed(self):
        return [v for k, _, v in self.events() if k == "r"]

    def assignment(self, before=None):
        """Partitions held after the events up to time `before`."""
        held = set()
        for k, t, v in self.events():
            if k == "r" or (before is not None and t > before):
                continue
            if k == "A":
                held |= v
            elif k == "R":
                held -= v
        return held

    def rebalance_events(self):
        return [(k, t, v) for k, t, v in self.events() if k != "r"]


def consumed_counts(members):
    """How many times each (partition, offset) was processed."""
    seen = {}
    for m in members:
        for po in m.consumed():
            seen[po] = seen.get(po, 0) + 1
    return seen


def wait_consumed(members, topic, partitions, timeout=45):
    """Waits until the members processed every record below the high
    watermarks; returns the counts."""
    hw = high_watermarks(topic, partitions)
    total = sum(hw)

    def done():
        seen = consumed_counts(members)
        got = sum(1 for (p, o) in seen if o < hw[p])
        return got == total
    records.wait_until("members to process all %d records" % total, done,
                       timeout=timeout, interval=0.5)
    return hw, consumed_counts(members)


def check_coverage(hw, seen, exactly_once):
    """Every record below hw processed; exactly once if asked."""
    missing = [(p, o) for p in range(len(hw)) for o in range(hw[p])
               if (p, o) not in seen]
    if missing:
        fail("%d records never processed, first %s", len(missing), missing[0])
    dups = sorted(po for po, n in seen.items() if n > 1)
    if exactly_once and dups:
        fail("%d records processed twice, first %s", len(dups), dups[0])
    note("all %d records processed%s (%d twice)", sum(hw),
         " exactly once" if exactly_once else " at least once", len(dups))
