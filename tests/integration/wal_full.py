"""WAL back-pressure (run by wal_full.sh against a brokerd with a small WAL).

usage: wal_full.py fill HOST:PORT STATE_FILE
       wal_full.py verify HOST:PORT STATE_FILE

fill: creates a 4-partition topic and sends Produce requests (acks=-1,
one batch of 4 records of 2 KiB per partition, all batches the same size)
until the WAL has no room.  Checks:
  - a full WAL answers REQUEST_TIMED_OUT (7) per partition, a retriable
    error, and keeps answering it (nothing trims the ring yet, and every
    batch is as large as the first one refused); the connection stays open;
  - a real client (confluent_kafka, message.timeout.ms 3 s) gets no
    delivery report of success for anything produced into the full WAL.
The acknowledged batches (partition, base offset, content) go to STATE_FILE.

verify: reads every partition from offset 0 with raw Fetch requests and
checks byte for byte that exactly the acknowledged batches are there, in
order, at their acknowledged offsets (so none was overwritten or lost, and
no refused batch got in), that the high watermark is the acknowledged
record count, then reads them again with confluent_kafka, and checks that
the WAL is still full (a produce still gets 7).
"""

import json
import sys
import time

import bad_input_wire as w

PARTITIONS = 4
RECORDS_PER_BATCH = 4
VALUE_BYTES = 2048
PRODUCE_VERSION = 8
MAX_REQUESTS = 5000


def note(fmt, *args):
    print("  " + (fmt % args if args else fmt), flush=True)


def check(what):
    print("check: " + what, flush=True)


def fail(fmt, *args):
    print("FAIL: wal_full: " + (fmt % args if args else fmt), flush=True)
    sys.exit(1)


def value(req, part, i):
    """The value of record i of request req's batch for part: its identity
    then bytes derived from it."""
    head = b"wal-full r=%d p=%d i=%d " % (req, part, i)
    seed = (req * 7919 + part * 131 + i * 17) & 0xFF
    return head + bytes((seed + j * 37) & 0xFF
                        for j in range(VALUE_BYTES - len(head)))


def batch(req, part, base_ts):
    recs = [(b"key-%d-%d-%d" % (req, part, i), value(req, part, i), ())
            for i in range(RECORDS_PER_BATCH)]
    return w.record_batch(recs, base_ts + req)


def connect(addr):
    host, port = addr.rsplit(":", 1)
    return w.Conn(host, int(port), timeout=30.0)


def produce(c, topic, corr, parts):
    body = c.call(w.API_PRODUCE, PRODUCE_VERSION, corr,
                  w.produce_body(PRODUCE_VERSION, topic, parts, acks=-1))
    res = w.parse_produce(PRODUCE_VERSION, body)
    return {p: res[(topic, p)] for p, _ in parts}


def fill(addr, state_file):
    topic = "sluice-wal-full-%d" % int(time.time() * 1000)
    base_ts = int(time.time() * 1000) - 100000
    c = connect(addr)
    errs = w.parse_create_topics(5, c.call(w.API_CREATE_TOPICS, 5, 1,
                                           w.create_topics_body(5, topic, PARTITIONS)))
    if errs.get(topic) != 0:
        fail("CreateTopics %s: %r", topic, errs)
    check("produce (acks=-1, %d x %d-byte records per partition and request) "
          "until the WAL answers REQUEST_TIMED_OUT" % (RECORDS_PER_BATCH, VALUE_BYTES))
    acked = []        # [partition, base offset, request]
    refused = []      # [partition, request]
    first_full = None
    req = 0
    while req < MAX_REQUESTS:
        parts = [(p, batch(req, p, base_ts)) for p in range(PARTITIONS)]
        res = produce(c, topic, 100 + req, parts)
        for p in range(PARTITIONS):
            err, base = res[p]
            if err == 0:
                if first_full is not None:
                    fail("request %d partition %d accepted after request %d "
                         "was refused for lack of room", req, p, first_full)
                acked.append([p, base, req])
            elif err == w.ERR_REQUEST_TIMED_OUT:
                if base != -1:
                    fail("refused batch with base offset %d", base)
                refused.append([p, req])
                if first_full is None:
                    first_full = req
            else:
                fail("request %d partition %d: error %d", req, p, err)
        req += 1
        if first_full is not None and req >= first_full + 20:
            break
    if first_full is None:
        fail("%d requests and the WAL never filled", req)
    full_ones = [r for p, r in refused if r > first_full]
    if len(full_ones) != 19 * PARTITIONS:
        fail("after the first refusal, %d of %d batches refused",
             len(full_ones), 19 * PARTITIONS)
    note("%d batches acknowledged (%d records, %.1f MiB); refusals began at "
         "request %d; the next 19 requests were refused on every partition",
         len(acked), len(acked) * RECORDS_PER_BATCH,
         len(acked) * RECORDS_PER_BATCH * VALUE_BYTES / 1048576.0, first_full)
    body = c.call(w.API_API_VERSIONS, 0, 99999, b"")
    if w.parse_api_versions(0, body)[0] != 0:
        fail("ApiVersions on the same connection after the refusals")
    c.close()

    check("confluent_kafka into the full WAL: no record acknowledged")
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": addr, "acks": "all",
                  "enable.idempotence": False, "message.timeout.ms": 3000,
                  "linger.ms": 5})
    reports = {"ok": 0, "err": {}}

    def on_delivery(err, msg):
        if err is None:
            reports["ok"] += 1
        else:
            reports["err"][err.name()] = reports["err"].get(err.name(), 0) + 1
    for i in range(50):
        p.produce(topic, value=b"confluent-into-full-%d" % i, partition=i % PARTITIONS,
                  on_delivery=on_delivery)
    left = p.flush(30)
    if left or reports["ok"]:
        fail("full WAL: %d records delivered, %d without a report",
             reports["ok"], left)
    note("50 records, none delivered; delivery errors %r", reports["err"])

    with open(state_file, "w") as f:
        json.dump({"topic": topic, "base_ts": base_ts, "acked": acked,
                   "refused": refused}, f)


def fetch_partition(c, topic, part, corr):
    """Every batch of a partition from offset 0: (high watermark, batches)."""
    out = []
    offset = 0
    hw = None
    while True:
        body = c.call(w.API_FETCH, 11, corr,
                      w.fetch_body(11, topic, [(part, offset, 256 << 10)], 0, 0, 1 << 20))
        top, res = w.parse_fetch(11, body)
        err, hw, recs = res[(topic, part)]
        if top or err:
            fail("Fetch %s-%d at %d: errors %d/%d", topic, part, offset, top, err)
        got = w.decode_batches(recs)
        if not got:
            return hw, out
        out.extend(got)
        last = got[-1]
        offset = last[0] + w.struct.unpack_from(">i", last[1], 23)[0] + 1
        if offset >= hw:
            return hw, out


def verify(addr, state_file):
    with open(state_file) as f:
        st = json.load(f)
    topic, base_ts = st["topic"], st["base_ts"]
    check("every acknowledged batch is readable byte for byte at its "
          "acknowledged offset; no refused batch is stored")
    c = connect(addr)
    total = 0
    for part in range(PARTITIONS):
        mine = sorted((base, req) for p, base, req in st["acked"] if p == part)
        hw, got = fetch_partition(c, topic, part, 500 + part)
        if hw != len(mine) * RECORDS_PER_BATCH:
            fail("partition %d: high watermark %d, acknowledged %d records",
                 part, hw, len(mine) * RECORDS_PER_BATCH)
        if len(got) != len(mine):
            fail("partition %d: %d batches read, %d acknowledged",
                 part, len(got), len(mine))
        for (base, req), (got_base, got_bytes) in zip(mine, got):
            want = bytearray(batch(req, part, base_ts))
            want[0:8] = w.i64(base)
            if got_base != base or bytes(got_bytes) != bytes(want):
                diff = next((i for i in range(min(len(want), len(got_bytes)))
                             if want[i] != got_bytes[i]), None)
                fail("partition %d: batch of request %d at offset %d differs "
                     "(read base %d, %d bytes, want %d; first difference at "
                     "byte %r)", part, req, base, got_base, len(got_bytes),
                     len(want), diff)
        total += len(mine)
    note("%d batches (%d records) identical to what was acknowledged",
         total, total * RECORDS_PER_BATCH)

    check("the WAL is still full: a produce gets REQUEST_TIMED_OUT")
    res = produce(c, topic, 900, [(0, batch(MAX_REQUESTS + 1, 0, base_ts))])
    if res[0][0] != w.ERR_REQUEST_TIMED_OUT:
        fail("produce into the full WAL: error %d, expected 7", res[0][0])
    c.close()

    check("confluent_kafka reads the same records")
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    cons = Consumer({"bootstrap.servers": addr, "group.id": "sluice-wal-full",
                     "enable.auto.commit": False, "auto.offset.reset": "error"})
    cons.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    want = {}
    for p, base, req in st["acked"]:
        for i in range(RECORDS_PER_BATCH):
            want[(p, base + i)] = value(req, p, i)
    got = {}
    deadline = time.monotonic() + 60
    while len(got) < len(want) and time.monotonic() < deadline:
        for m in cons.consume(1000, 0.5):
            if m.error():
                fail("consume: %s", m.error())
            key = (m.partition(), m.offset())
            if key in got:
                fail("offset %r delivered twice", key)
            got[key] = m.value()
    for m in cons.consume(1000, 1.0):
        fail("unexpected record at %d/%d", m.partition(), m.offset())
    cons.close()
    if got != want:
        missing = [k for k in want if k not in got]
        wrong = [k for k in want if k in got and got[k] != want[k]]
        fail("confluent_kafka: %d records missing, %d differ, %d extra",
             len(missing), len(wrong), len(set(got) - set(want)))
    note("%d records match", len(got))


def main(argv):
    if len(argv) != 4 or argv[1] not in ("fill", "verify"):
        print(__doc__)
        return 2
    if argv[1] == "fill":
        fill(argv[2], argv[3])
    else:
        verify(argv[2], argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
