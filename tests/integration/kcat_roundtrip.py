"""Round trip through the broker with the kcat command-line client.

usage: kcat_roundtrip.py full TOPIC
       kcat_roundtrip.py verify TOPIC BASE_TS END

kcat has no admin API and no way to set a record's timestamp, and it reads
records as text lines, so this driver (which only runs kcat and checks its
output) differs from the others: the topic comes from auto-creation
(broker num.partitions = 4), records are text, and timestamps are checked
against the time window of the kcat run that produced them.  It produces
12,600 records in runs per partition (codecs none, gzip, snappy, lz4, zstd;
acks -1, 1, 0; per-run headers including repeated and empty ones; null keys;
empty values; null values with -Z), reads everything back with -J, reads from
the end, from an offset and from a timestamp (-Q and -o s@), checks -L, and
deletes the topic through confluent-kafka's admin API (checked with -L).
`verify` checks what another client wrote (see verify()).
The broker address comes from $SLUICE_BOOTSTRAP.
"""

import json
import subprocess
import time

import records
from records import PARTITIONS, fail, note

# (acks, codec, -Z, headers, records); acks=0 last (see records.FULL_RUNS).
RUNS = [
    (-1, "none", False, [("run", "a"), ("dup", "1"), ("dup", "2"),
                         ("empty", "")], 2100),
    (1, "gzip", True, [], 2100),
    (-1, "snappy", False, [("run", "c")], 2100),
    (1, "lz4", True, [("run", "d"), ("seq", "x")], 2100),
    (-1, "zstd", False, [], 2100),
    (0, "none", False, [("run", "f")], 2100),
]
TIMEOUT = 60


def kcat(args, stdin=None, timeout=TIMEOUT):
    """Runs kcat with the bootstrap address; returns its stdout."""
    cmd = ["kcat", "-b", records.bootstrap()] + args
    try:
        res = subprocess.run(cmd, input=stdin, capture_output=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("kcat timed out after %ds: %s", timeout, " ".join(cmd))
    if res.returncode != 0:
        fail("kcat exited %d: %s\n%s", res.returncode, " ".join(cmd),
             res.stderr.decode(errors="replace"))
    return res.stdout


def text_record(i, null_empty):
    """Returns (key, value) of text record i as kcat will deliver them:
    key None for i%10==3, value empty (None with -Z) for i%10==7."""
    key = None if i % 10 == 3 else "key-%d" % i
    if i % 10 == 7:
        value = None if null_empty else ""
    else:
        value = "value-%d-" % i + "".join(
            chr(ord("a") + (i * 7 + j) % 26) for j in range(i % 61))
    return key, value


def produce_run(topic, start, end, acks, codec, null_empty, headers):
    """Produces records start..end-1, one kcat run per partition; returns
    {partition: [(offsetless expected record)]} with the run's time window."""
    out = {}
    for p in range(PARTITIONS):
        lines = []
        want = []
        for i in range(start, end):
            if i % PARTITIONS != p:
                continue
            key, value = text_record(i, null_empty)
            # A line without the key delimiter gives a null key.
            if key is None:
                lines.append(value or "")
            else:
                lines.append("%s\t%s" % (key, value or ""))
            want.append((key, value))
        args = ["-P", "-t", topic, "-p", str(p), "-K", "\t",
                "-X", "acks=%d" % acks, "-X", "compression.codec=" + codec,
                "-X", "linger.ms=5"]
        if null_empty:
            args.append("-Z")
        for k, v in headers:
            args += ["-H", "%s=%s" % (k, v)]
        t0 = int(time.time() * 1000)
        kcat(args, stdin=("\n".join(lines) + "\n").encode())
        t1 = int(time.time() * 1000)
        out[p] = [(key, value, headers, t0, t1) for key, value in want]
    note("produced records %d..%d (acks=%d, %s%s, %d headers)", start,
         end - 1, acks, codec, ", -Z" if null_empty else "", len(headers))
    return out


def consume_json(args, want_count):
    """Runs a kcat -C -J consumer (retrying until want_count records are
    there, for acks=0 stragglers); returns {partition: [json record]}."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        out = kcat(["-C", "-J", "-q"] + args)
        msgs = [json.loads(line) for line in out.decode().splitlines() if line]
        if len(msgs) >= want_count or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    got = {p: [] for p in range(PARTITIONS)}
    for m in msgs:
        got.setdefault(m["partition"], []).append(m)
    return got


def compare(part, got, want, first_offset):
    """Checks kcat's JSON records of one partition against the expected
    (key, value, headers, t0, t1) tuples."""
    if len(got) != len(want):
        fail("partition %d: consumed %d records, expected %d",
             part, len(got), len(want))
    for n, (g, w) in enumerate(zip(got, want)):
        key, value, headers, t0, t1 = w
        where = "partition %d record %d (offset %s)" % (part, n, g["offset"])
        if g["offset"] != first_offset + n:
            fail("%s: offset not contiguous, expected %d", where,
                 first_offset + n)
        if g["key"] != key or g["payload"] != value:
            fail("%s: key/value %r/%r, expected %r/%r", where, g["key"],
                 g["payload"], key, value)
        flat = [x for kv in headers for x in kv]
        if g.get("headers", []) != flat:
            fail("%s: headers %r, expected %r", where, g.get("headers"), flat)
        if g["tstype"] != "create" or not t0 <= g["ts"] <= t1:
            fail("%s: timestamp %s %s outside the producing run [%d, %d]",
                 where, g["tstype"], g["ts"], t0, t1)


def topic_info():
    """Returns ({(host, port)}, {broker ids}, {topic: [partition json]})
    from kcat -L -J (all topics, so nothing is auto-created)."""
    md = json.loads(kcat(["-L", "-J"]))
    addrs = {tuple(b["name"].rsplit(":", 1)) for b in md["brokers"]}
    ids = {b["id"] for b in md["brokers"]}
    topics = {t["topic"]: t["partitions"] for t in md["topics"]
              if not t.get("error")}
    return addrs, ids, topics


def check_metadata(topic):
    addrs, ids, topics = topic_info()
    host, port = records.bootstrap().rsplit(":", 1)
    if (host, port) not in addrs:
        fail("kcat -L: brokers %s do not include the bootstrap", addrs)
    parts = topics.get(topic)
    if parts is None or sorted(p["partition"] for p in parts) != \
            list(range(PARTITIONS)):
        fail("kcat -L: topic %s partitions %s", topic, parts)
    for p in parts:
        if p["leader"] not in ids:
            fail("kcat -L: partition %s leader is not a listed broker", p)
    note("kcat -L lists the broker at the bootstrap address and %s with "
         "%d led partitions", topic, PARTITIONS)


def query_offset(topic, part, ts):
    """kcat -Q: the offset for a timestamp ("topic [p] offset N")."""
    out = kcat(["-Q", "-t", "%s:%d:%d" % (topic, part, ts)]).decode()
    for line in out.splitlines():
        words = line.split()
        if len(words) == 4 and words[2] == "offset":
            return int(words[3])
    fail("kcat -Q: cannot parse %r", out)


def check_from_timestamp(topic, got_all):
    if records.is_mock():
        note("mock cluster: ListOffsets by timestamp unsupported, skipped")
        return
    part = 2
    recs = got_all[part]
    j = len(recs) // 3
    ts = recs[j]["ts"]
    first = next(k for k, r in enumerate(recs) if r["ts"] >= ts)
    later = next((k for k, r in enumerate(recs) if r["ts"] > ts), -1)
    probes = [(ts, first), (ts + 1, later), (recs[0]["ts"] - 100000, 0),
              (recs[-1]["ts"] + 3600 * 1000, -1)]
    for probe, exp in probes:
        got = query_offset(topic, part, probe)
        if got != exp:
            fail("kcat -Q %d on partition %d: offset %d, expected %d",
                 probe, part, got, exp)
    out = kcat(["-C", "-J", "-q", "-t", topic, "-p", str(part), "-o",
                "s@%d" % ts, "-e"])
    msgs = [json.loads(x) for x in out.decode().splitlines() if x]
    if not msgs or msgs[0]["offset"] != first or \
            [m["offset"] for m in msgs] != list(range(first, len(recs))):
        fail("kcat -o s@%d: offsets %s..., expected %d..%d", ts,
             [m["offset"] for m in msgs[:3]], first, len(recs) - 1)
    note("kcat -Q gives the right offsets for exact, between, early and "
         "future timestamps; -o s@ts starts there")


def topic_delete(topic):
    if records.is_mock():
        note("mock cluster: no DeleteTopics, deletion not checked")
        return
    # kcat has no admin API: confluent-kafka deletes, kcat -L checks.
    import confluent_roundtrip
    admin = confluent_roundtrip.admin_client()
    try:
        admin.delete_topics([topic], operation_timeout=15)[topic].result()
    except Exception as e:
        fail("DeleteTopics %s: %s", topic, e)
    records.wait_until("topic %s gone from kcat -L" % topic,
                       lambda: topic not in topic_info()[2])
    note("deleted %s; kcat -L no longer lists it", topic)


def verify(topic, base_ts, end):
    """Checks with kcat -f that the topic holds records 0..end-1 of
    records.py (written by another client): partition, contiguous offsets,
    timestamp, key, and key and value lengths (values are binary, which
    kcat's text output cannot carry)."""
    want = records.expected_by_partition(0, end, base_ts)
    deadline = time.monotonic() + TIMEOUT
    while True:
        out = kcat(["-C", "-q", "-t", topic, "-o", "beginning", "-e", "-f",
                    "%p %o %T %K %S %k\n"])
        lines = out.decode("latin-1").splitlines()
        if len(lines) >= end or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    got = {p: [] for p in range(PARTITIONS)}
    for line in lines:
        f = line.split(" ", 5)
        got.setdefault(int(f[0]), []).append(f)
    for p in range(PARTITIONS):
        if len(got[p]) != len(want[p]):
            fail("partition %d: kcat read %d records, expected %d",
                 p, len(got[p]), len(want[p]))
        for o, (f, w) in enumerate(zip(got[p], want[p])):
            klen = -1 if w.key is None else len(w.key)
            vlen = -1 if w.value is None else len(w.value)
            exp = [str(p), str(o), str(w.timestamp), str(klen), str(vlen),
                   "" if w.key is None else w.key.decode()]
            if f != exp:
                fail("partition %d offset %d: kcat shows %s, expected %s",
                     p, o, f, exp)
    note("kcat read %d records: partitions, offsets, timestamps, keys and "
         "value lengths match", end)


def main(argv):
    if len(argv) == 4 and argv[0] == "verify":
        verify(argv[1], int(argv[2]), int(argv[3]))
        return
    if len(argv) != 2 or argv[0] != "full":
        fail("usage: kcat_roundtrip.py full TOPIC | verify TOPIC BASE_TS END")
    topic = argv[1]
    # kcat -L -t names the topic in Metadata: the broker auto-creates it.
    kcat(["-L", "-t", topic])
    n = len(records.wait_until("auto-created topic %s" % topic,
                               lambda: topic_info()[2].get(topic)))
    if n != PARTITIONS:
        fail("auto-created topic %s has %d partitions, expected %d",
             topic, n, PARTITIONS)
    note("auto-created %s with %d partitions", topic, n)
    check_metadata(topic)

    want = {p: [] for p in range(PARTITIONS)}
    start = 0
    for acks, codec, null_empty, headers, count in RUNS:
        run = produce_run(topic, start, start + count, acks, codec,
                          null_empty, headers)
        for p in range(PARTITIONS):
            want[p] += run[p]
        start += count

    got = consume_json(["-t", topic, "-o", "beginning", "-e"], start)
    for p in range(PARTITIONS):
        compare(p, got[p], want[p], 0)
    note("read back %d records from the beginning: keys, values, headers, "
         "timestamps, partitions, contiguous offsets all match", start)

    # From the end: a consumer started before the new records gets them all.
    cmd = ["kcat", "-b", records.bootstrap(), "-C", "-J", "-q", "-t", topic,
           "-o", "end", "-c", str(records.TAIL_COUNT)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(2)
    end = start + records.TAIL_COUNT
    tail = produce_run(topic, start, end, -1, "none", False, [])
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        fail("kcat -o end did not get %d records", records.TAIL_COUNT)
    if proc.returncode != 0:
        fail("kcat -o end exited %d: %s", proc.returncode, err.decode())
    got_tail = {p: [] for p in range(PARTITIONS)}
    for line in out.decode().splitlines():
        m = json.loads(line)
        got_tail[m["partition"]].append(m)
    for p in range(PARTITIONS):
        compare(p, got_tail[p], tail[p], len(want[p]))
        want[p] += tail[p]
        got[p] += got_tail[p]
    note("consumer at the end got exactly the %d new records",
         records.TAIL_COUNT)

    part = 1
    off = len(want[part]) // 2
    got_off = consume_json(["-t", topic, "-p", str(part), "-o", str(off),
                            "-e"], len(want[part]) - off)
    compare(part, got_off[part], want[part][off:], off)
    note("read partition %d from offset %d: %d records match", part, off,
         len(want[part]) - off)

    check_from_timestamp(topic, got)
    topic_delete(topic)


if __name__ == "__main__":
    records.main_wrapper(main)
