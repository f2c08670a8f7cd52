"""The integration tests' record set, shared by every Python client driver.

Record i of a test topic is a pure function of i and a base timestamp, so a
consumer written for any client (records.js and rdkafka_roundtrip.c hold
the same definition) can check byte for byte what any producer wrote.
Keep the three definitions identical.
"""

import os
import sys
import time

PARTITIONS = 4

# acks and codec of each produce run of the full scenario, with its count.
# acks=0 comes last: its requests are unanswered, so a later producer's
# connection could overtake them and break the per-partition order checks.
FULL_RUNS = [
    (-1, "none", 3000),
    (1, "gzip", 2000),
    (-1, "snappy", 2000),
    (1, "lz4", 2000),
    (-1, "zstd", 2000),
    (0, "none", 1500),
]
# Records produced after a consumer was positioned at the end.
TAIL_COUNT = 100


class Record:
    """One expected or consumed record; partition/offset may be None."""

    __slots__ = ("partition", "offset", "key", "value", "headers", "timestamp")

    def __init__(self, partition, key, value, headers, timestamp, offset=None):
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp

    def __repr__(self):
        return "Record(p=%r off=%r ts=%r key=%r value=%r headers=%r)" % (
            self.partition, self.offset, self.timestamp, self.key,
            None if self.value is None else self.value[:40], self.headers)


def record(i, base_ts):
    """Returns expected record i: key None for i%10==3, value None for
    i%50==49, empty for i%10==7, binary bytes after a text prefix."""
    key = None if i % 10 == 3 else b"key-%d" % i
    if i % 50 == 49:
        value = None
    elif i % 10 == 7:
        value = b""
    else:
        value = b"value-%d-" % i + bytes(
            (i * 131 + j * 29) & 0xFF for j in range(i % 61))
    headers = []
    if i % 5 != 0:
        headers = [("seq", b"%d" % i), ("bin", bytes([i & 0xFF, 0x00, 0xFF]))]
        if i % 5 == 2:
            headers += [("dup", b"a"), ("dup", b"b"), ("empty", b"")]
    return Record(i % PARTITIONS, key, value, headers, base_ts + i)


def expected_by_partition(start, end, base_ts):
    """Returns {partition: [Record]} for records start..end-1 in the order
    a consumer sees them (offset order is production order)."""
    out = {p: [] for p in range(PARTITIONS)}
    for i in range(start, end):
        rec = record(i, base_ts)
        out[rec.partition].append(rec)
    return out


def note(fmt, *args):
    """Prints one progress line of the test log."""
    print("  " + (fmt % args if args else fmt), flush=True)


class CheckFailed(Exception):
    pass


def fail(fmt, *args):
    raise CheckFailed(fmt % args if args else fmt)


def compare_partition(part, got, want, first_offset):
    """Checks that consumed records `got` of one partition equal `want`
    field by field, with offsets first_offset, first_offset+1, ..."""
    if len(got) != len(want):
        fail("partition %d: consumed %d records, expected %d",
             part, len(got), len(want))
    for n, (g, w) in enumerate(zip(got, want)):
        where = "partition %d record %d (offset %s)" % (part, n, g.offset)
        if g.partition != part:
            fail("%s: came from partition %s", where, g.partition)
        if g.offset != first_offset + n:
            fail("%s: offset %s, expected %d (not contiguous)",
                 where, g.offset, first_offset + n)
        if g.key != w.key:
            fail("%s: key %r, expected %r", where, g.key, w.key)
        if g.value != w.value:
            fail("%s: value %r, expected %r", where, g.value, w.value)
        if list(g.headers) != list(w.headers):
            fail("%s: headers %r, expected %r", where, g.headers, w.headers)
        if g.timestamp != w.timestamp:
            fail("%s: timestamp %r, expected %r",
                 where, g.timestamp, w.timestamp)


def compare_all(got_by_part, want_by_part, first_offsets=None):
    """compare_partition for every partition; first_offsets defaults to 0."""
    total = 0
    for p in range(PARTITIONS):
        first = first_offsets[p] if first_offsets else 0
        compare_partition(p, got_by_part.get(p, []), want_by_part[p], first)
        total += len(want_by_part[p])
    return total


def bootstrap():
    """Returns the bootstrap address that lib.sh exported."""
    b = os.environ.get("SLUICE_BOOTSTRAP")
    if not b:
        fail("SLUICE_BOOTSTRAP is not set (run through lib.sh)")
    return b


def is_mock():
    """True when the peer is librdkafka's mock cluster, which has no
    CreateTopics/DeleteTopics: topics are then auto-created instead."""
    return os.environ.get("SLUICE_MOCK") == "1"


def wait_until(what, fn, timeout=30.0, interval=0.2):
    """Polls fn() until it returns a true value; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            fail("timed out after %.0fs waiting for %s", timeout, what)
        time.sleep(interval)


def main_wrapper(fn):
    """Runs a driver's main, turning a failed check into exit status 1."""
    try:
        fn(sys.argv[1:])
    except CheckFailed as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    sys.exit(0)
