"""Malformed input against a running brokerd (run by bad_input.sh).

usage: bad_input.py HOST:PORT BROKER_PID MAX_REQUEST_BYTES SEED

Raw sockets send what no client would: truncated, oversized, negative and
too small frames; negative and huge array counts and string lengths in
Produce, Metadata and Fetch; unknown ApiKeys and unsupported versions;
garbage after a valid header; record batches with a bad CRC, a lying
BatchLength, a truncated record, wrong counts; a few thousand seeded
random and mutated frames.  The rules checked (ARCHITECTURE.md section 6):

  - a frame the broker cannot answer makes it close that connection, in
    seconds, or answer with the request's correlation id; never a hang;
  - a request the protocol has an error for gets that error: ApiVersions
    above v3 gets UNSUPPORTED_VERSION in the v0 layout with the API list,
    a bad batch gets a per-partition error while the request's good
    partitions are appended and the connection stays open;
  - after every case the broker process is alive, its memory did not jump
    (no allocation sized by a lying count), and a fresh connection gets
    ApiVersions and Metadata answered; at the end a real client
    (confluent_kafka) produces and consumes;
  - requests pipelined on one connection are answered in request order,
    also when a produce waiting for the WAL sits between them.
"""

import os
import random
import sys
import time

import bad_input_wire as w

PARTITIONS = 4
HOST = PORT = PID = MAX_REQ = None
TOPIC = "sluice-bad-input-%d" % os.getpid()
failures = []
corr_seq = [1000]


def note(fmt, *args):
    print("  " + (fmt % args if args else fmt), flush=True)


def check(what):
    print("check: " + what, flush=True)


class Fail(Exception):
    pass


def next_corr():
    corr_seq[0] += 1
    return corr_seq[0]


def connect():
    return w.Conn(HOST, PORT, timeout=10.0)


# ---------------------------------------------------------------- health

def broker_state():
    """The broker's process state letter (R, S, Z...), or None if gone."""
    try:
        with open("/proc/%d/stat" % PID) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def broker_rss_kib():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def healthy(what):
    """Fails unless the broker runs and answers ApiVersions and Metadata
    for the test topic on a fresh connection."""
    state = broker_state()
    if state is None or state == "Z":
        raise Fail("broker pid %d is gone after %s" % (PID, what))
    c = connect()
    try:
        body = c.call(w.API_API_VERSIONS, 3, next_corr(), w.api_versions_body(3))
        err, apis = w.parse_api_versions(3, body)
        if err != 0 or apis.get(w.API_PRODUCE) is None:
            raise Fail("ApiVersions after %s: error %d, apis %r" % (what, err, apis))
        body = c.call(w.API_METADATA, 1, next_corr(), w.metadata_body(1, [TOPIC]))
        found = w.parse_metadata_partitions(1, body, TOPIC)
        if found != (0, PARTITIONS):
            raise Fail("Metadata after %s: %s is %r" % (what, TOPIC, found))
    except (OSError, EOFError, ValueError) as e:
        raise Fail("broker does not answer a fresh connection after %s: %s"
                   % (what, e))
    finally:
        c.close()


def expect_closed(c, what, seconds=5.0):
    if not c.closed_within(seconds):
        raise Fail("%s: connection still open after %.0f s" % (what, seconds))
    c.close()


def expect_closed_or_answered(c, corr, what, seconds=5.0):
    """The broker must close the connection or answer corr (the one
    request sent), within seconds."""
    c.sock.settimeout(seconds)
    try:
        got, _ = c.recv_frame()
    except EOFError:
        c.close()
        return "closed"
    except ConnectionResetError:
        c.close()
        return "closed"
    except OSError as e:
        c.close()
        raise Fail("%s: neither answered nor closed in %.0f s (%s)"
                   % (what, seconds, e))
    c.close()
    if got != corr:
        raise Fail("%s: answered with correlation id %d, sent %d"
                   % (what, got, corr))
    return "answered"


def raw_case(what, payload, expect="close"):
    """Sends one raw request (header + body, framed here) and checks the
    broker's reaction."""
    c = connect()
    corr = int.from_bytes(payload[4:8], "big", signed=True) if len(payload) >= 8 else None
    c.send(w.frame(payload))
    if expect == "close":
        expect_closed(c, what)
        how = "closed"
    else:
        how = expect_closed_or_answered(c, corr, what)
    note("%s: %s", what, how)


# ---------------------------------------------------------------- setup

def create_topic():
    c = connect()
    body = c.call(w.API_CREATE_TOPICS, 5, next_corr(),
                  w.create_topics_body(5, TOPIC, PARTITIONS))
    c.close()
    errs = w.parse_create_topics(5, body)
    if errs.get(TOPIC) not in (0, w.ERR_TOPIC_ALREADY_EXISTS):
        raise Fail("CreateTopics %s: %r" % (TOPIC, errs))
    note("created %s with %d partitions", TOPIC, PARTITIONS)


def good_batch(tag, n=3, ts=None):
    ts = ts or int(time.time() * 1000)
    return w.record_batch([(b"k-%s-%d" % (tag, i), b"v-%s-%d" % (tag, i), ())
                           for i in range(n)], ts)


def produce_on(c, partitions, version=7, acks=-1):
    """Produces [(partition, records)] on c; returns {partition: (error,
    base offset)}."""
    body = c.call(w.API_PRODUCE, version, next_corr(),
                  w.produce_body(version, TOPIC, partitions, acks))
    res = w.parse_produce(version, body)
    return {p: v for (t, p), v in res.items() if t == TOPIC}


def high_watermark(c, partition):
    body = c.call(w.API_FETCH, 11, next_corr(),
                  w.fetch_body(11, TOPIC, [(partition, 0, 1)], 0, 0, 1))
    _top, parts = w.parse_fetch(11, body)
    err, hw, _ = parts[(TOPIC, partition)]
    if err:
        raise Fail("Fetch partition %d: error %d" % (partition, err))
    return hw


def fetch_all(c, partition):
    """Every record of a partition: [(offset, key, value)]."""
    out = []
    offset = 0
    while True:
        body = c.call(w.API_FETCH, 11, next_corr(),
                      w.fetch_body(11, TOPIC, [(partition, offset, 1 << 20)], 0, 0))
        _top, parts = w.parse_fetch(11, body)
        err, hw, recs = parts[(TOPIC, partition)]
        if err:
            raise Fail("Fetch partition %d at %d: error %d" % (partition, offset, err))
        for _base, batch in w.decode_batches(recs):
            out.extend(w.decode_records(batch))
        if not recs or (out and out[-1][0] + 1 >= hw):
            return out, hw
        offset = out[-1][0] + 1


# ---------------------------------------------------------------- cases

def case_truncated_then_close():
    check("frame announcing 100 bytes, 10 sent, then closed")
    c = connect()
    c.send(w.i32(100) + w.header(w.API_METADATA, 1, next_corr()))
    c.close()
    time.sleep(0.2)


def case_truncated_kept_open():
    check("frame announcing 100 bytes, 10 sent and held open while a "
          "normal client produces and fetches; the rest then completes it")
    corr = next_corr()
    # ApiVersions v2 whose client id pads the frame to exactly 100 bytes
    payload = w.header(w.API_API_VERSIONS, 2, corr, "x" * 90)
    assert len(payload) == 100
    held = connect()
    held.send(w.i32(100) + payload[:6])
    other = connect()
    res = produce_on(other, [(0, good_batch(b"held", 2))])
    if res[0][0] != 0:
        raise Fail("produce beside a half-sent frame: error %d" % res[0][0])
    if high_watermark(other, 0) < res[0][1] + 2:
        raise Fail("produced records not visible beside a half-sent frame")
    other.close()
    held.send(payload[6:])
    held.sock.settimeout(10)
    got, body = held.recv_frame()
    err, apis = w.parse_api_versions(2, body)
    if got != corr or err != 0 or w.API_FETCH not in apis:
        raise Fail("completed frame: correlation %d (sent %d), error %d"
                   % (got, corr, err))
    held.close()
    note("the other client was served; the completed frame got its answer")


def case_bad_sizes():
    check("size prefixes: above socket.request.max.bytes, 2^31-1, negative, "
          "0, 4, 7 close the connection without reading a body")
    for size in (MAX_REQ + 1, 0x7FFFFFFF, -1, -(1 << 31), -100, 0, 4, 7):
        c = connect()
        c.send(w.i32(size) + b"\x00\x12\x00\x00")
        expect_closed(c, "size %d" % size)
    # a frame of exactly the limit is read (and rejected as garbage)
    c = connect()
    c.send(w.i32(MAX_REQ) + b"\xff" * MAX_REQ)
    expect_closed(c, "garbage frame of exactly %d bytes" % MAX_REQ)
    note("all closed; a %d-byte garbage frame too", MAX_REQ)


def case_short_headers():
    check("frames too short for their header: closed")
    corr = next_corr()
    # 8 bytes: key, version, correlation id, no client id
    raw_case("header without client id", w.i16(3) + w.i16(1) + w.i32(corr))
    raw_case("client id length 1000 in a 14-byte frame",
             w.i16(3) + w.i16(1) + w.i32(corr) + w.i16(1000) + b"abcd")
    raw_case("client id length -7",
             w.i16(18) + w.i16(1) + w.i32(corr) + w.i16(-7))
    raw_case("flexible header without its tag section",
             w.i16(3) + w.i16(9) + w.i32(corr) + w.i16(-1))


def produce_prefix(version=7):
    e = w.Enc(version >= 9)
    return e.string(None) + w.i16(-1) + w.i32(30000)


def case_negative_lengths():
    check("negative array counts and string lengths in Produce, Metadata, "
          "Fetch, CreateTopics: closed or answered, never a hang")
    pre = produce_prefix()
    name = w.i16(len(TOPIC)) + TOPIC.encode()
    cases = [
        ("Produce topics count -2", w.API_PRODUCE, 7, pre + w.i32(-2)),
        ("Produce topics count -1 (null, not nullable)", w.API_PRODUCE, 7, pre + w.i32(-1)),
        ("Produce topic name length -5", w.API_PRODUCE, 7, pre + w.i32(1) + w.i16(-5) + w.i32(0)),
        ("Produce TransactionalId length -9", w.API_PRODUCE, 7, w.i16(-9) + w.i16(-1) + w.i32(0) + w.i32(0)),
        ("Produce partitions count -3", w.API_PRODUCE, 7, pre + w.i32(1) + name + w.i32(-3)),
        ("Produce records length -7", w.API_PRODUCE, 7, pre + w.i32(1) + name + w.i32(1) + w.i32(0) + w.i32(-7)),
        ("Produce v9 compact records length 2^32-1", w.API_PRODUCE, 9,
         produce_prefix(9) + w.uvarint(2) + w.uvarint(len(TOPIC) + 1) + TOPIC.encode() +
         w.uvarint(2) + w.i32(0) + w.uvarint(0xFFFFFFFF) + b"\x00"),
        ("Metadata v1 topics count -2", w.API_METADATA, 1, w.i32(-2)),
        ("Metadata v0 topics count -1 (null before v1)", w.API_METADATA, 0, w.i32(-1)),
        ("Metadata v1 topic name length -3", w.API_METADATA, 1, w.i32(1) + w.i16(-3)),
        ("Metadata v9 compact name length 2^32-1", w.API_METADATA, 9,
         w.uvarint(2) + w.uvarint(0xFFFFFFFF) + b"\x00\x01\x00\x00"),
        ("Metadata v9 unterminated uvarint", w.API_METADATA, 9, b"\xff" * 12),
        ("Fetch v11 topics count -4", w.API_FETCH, 11,
         w.i32(-1) + w.i32(0) + w.i32(1) + w.i32(1 << 20) + w.i8(0) + w.i32(0) + w.i32(-1) + w.i32(-4)),
        ("Fetch v11 partitions count -9", w.API_FETCH, 11,
         w.i32(-1) + w.i32(0) + w.i32(1) + w.i32(1 << 20) + w.i8(0) + w.i32(0) + w.i32(-1) +
         w.i32(1) + name + w.i32(-9)),
        ("Fetch v11 topic name length -2", w.API_FETCH, 11,
         w.i32(-1) + w.i32(0) + w.i32(1) + w.i32(1 << 20) + w.i8(0) + w.i32(0) + w.i32(-1) +
         w.i32(1) + w.i16(-2)),
        ("CreateTopics v4 topics count -6", w.API_CREATE_TOPICS, 4, w.i32(-6) + w.i32(1000) + w.i8(0)),
        ("CreateTopics v4 config name length -2", w.API_CREATE_TOPICS, 4,
         w.i32(1) + w.i16(3) + b"abc" + w.i32(1) + w.i16(1) + w.i32(0) + w.i32(1) + w.i16(-2)),
    ]
    for what, key, ver, body in cases:
        corr = next_corr()
        raw_case(what, w.header(key, ver, corr) + body, expect="either")


def case_huge_counts():
    check("array counts of 2^31-1 with a tiny body: rejected at once, "
          "memory does not grow by what the count would need")
    rss0 = broker_rss_kib()
    pre = produce_prefix()
    name = w.i16(len(TOPIC)) + TOPIC.encode()
    fetch_pre = (w.i32(-1) + w.i32(0) + w.i32(1) + w.i32(1 << 20) + w.i8(0) +
                 w.i32(0) + w.i32(-1))
    big = 0x7FFFFFFF
    cases = [
        ("Produce topics", w.API_PRODUCE, 7, pre + w.i32(big) + b"\x00" * 8),
        ("Produce partitions", w.API_PRODUCE, 7, pre + w.i32(1) + name + w.i32(big) + b"\x00" * 8),
        ("Produce v9 compact topics", w.API_PRODUCE, 9, produce_prefix(9) + w.uvarint(big) + b"\x00" * 8),
        ("Metadata v1 topics", w.API_METADATA, 1, w.i32(big) + b"\x00\x01a"),
        ("Metadata v12 topics", w.API_METADATA, 12, w.uvarint(big) + b"\x00" * 20),
        ("Fetch v11 topics", w.API_FETCH, 11, fetch_pre + w.i32(big) + b"\x00" * 8),
        ("Fetch v11 partitions", w.API_FETCH, 11, fetch_pre + w.i32(1) + name + w.i32(big) + b"\x00" * 8),
        ("Fetch v11 forgotten topics", w.API_FETCH, 11, fetch_pre + w.i32(0) + w.i32(big) + b"\x00" * 8),
        ("ListOffsets v5 topics", w.API_LIST_OFFSETS, 5, w.i32(-1) + w.i8(0) + w.i32(big) + b"\x00" * 8),
        ("CreateTopics v4 topics", w.API_CREATE_TOPICS, 4, w.i32(big) + b"\x00" * 8),
        ("DeleteTopics v3 names", w.API_DELETE_TOPICS, 3, w.i32(big) + b"\x00" * 8),
    ]
    for what, key, ver, body in cases:
        corr = next_corr()
        t0 = time.monotonic()
        raw_case(what + " count 2^31-1", w.header(key, ver, corr) + body, expect="either")
        if time.monotonic() - t0 > 2.0:
            raise Fail("%s count 2^31-1 took %.1f s" % (what, time.monotonic() - t0))
    rss1 = broker_rss_kib()
    note("broker RSS %d KiB before, %d KiB after", rss0, rss1)
    if rss1 - rss0 > 256 * 1024:
        raise Fail("broker RSS grew by %d KiB on tiny requests with huge counts"
                   % (rss1 - rss0))


def case_unknown_apis_and_versions():
    check("unknown ApiKeys (999, 17 SaslHandshake, -1, 32767) and "
          "unsupported versions (Produce v0/v2/v10, Fetch v3/v99, "
          "Metadata v13): closed or answered")
    for key in (999, 17, -1, 32767):
        raw_case("ApiKey %d" % key, w.header(key, 0, next_corr()) + b"\x00" * 16)
    for key, ver in ((w.API_PRODUCE, 0), (w.API_PRODUCE, 2), (w.API_PRODUCE, 10),
                     (w.API_FETCH, 3), (w.API_FETCH, 99), (w.API_METADATA, 13),
                     (w.API_LIST_OFFSETS, 0), (w.API_CREATE_TOPICS, 99)):
        raw_case("api %d v%d" % (key, ver),
                 w.header(key, ver, next_corr()) + w.i32(0) * 4, expect="either")


def case_api_versions_unsupported():
    check("ApiVersions v4, v99 and v32767: UNSUPPORTED_VERSION (35) in the "
          "v0 layout with the API list, connection kept open")
    c = connect()
    for ver in (4, 99, 32767):
        corr = next_corr()
        # a client at a newer version sends a flexible header and body
        c.send(w.frame(w.i16(18) + w.i16(ver) + w.i32(corr) + w.i16(-1) +
                       b"\x00" + w.api_versions_body(3)))
        got, body = c.recv_frame()
        if got != corr:
            raise Fail("ApiVersions v%d: correlation %d, sent %d" % (ver, got, corr))
        err, apis = w.parse_api_versions_v0(body)
        if err != w.ERR_UNSUPPORTED_VERSION:
            raise Fail("ApiVersions v%d: error %d, expected 35" % (ver, err))
        if apis.get(w.API_API_VERSIONS) != (0, 3) or w.API_PRODUCE not in apis:
            raise Fail("ApiVersions v%d: API list %r" % (ver, apis))
    body = c.call(w.API_API_VERSIONS, 3, next_corr(), w.api_versions_body(3))
    err, apis = w.parse_api_versions(3, body)
    if err:
        raise Fail("ApiVersions v3 after the unsupported ones: error %d" % err)
    c.close()
    note("error 35 with %d APIs listed; v3 then answered on the same "
         "connection", len(apis))

    check("ApiVersions v3 whose ClientSoftwareName does not parse: "
          "INVALID_REQUEST (42)")
    c = connect()
    corr = next_corr()
    c.send(w.frame(w.header(18, 3, corr) + w.uvarint(200) + b"abc"))
    got, body = c.recv_frame()
    err, _apis = w.parse_api_versions(3, body)
    if got != corr or err != 42:
        raise Fail("malformed ApiVersions v3: correlation %d, error %d" % (got, err))
    c.close()


def case_garbage_after_header():
    check("seeded garbage after a valid header of each API: closed or "
          "answered")
    rnd = random.Random(4711)
    for key, ver in ((w.API_PRODUCE, 7), (w.API_PRODUCE, 9), (w.API_METADATA, 1),
                     (w.API_METADATA, 12), (w.API_FETCH, 11), (w.API_FETCH, 12),
                     (w.API_LIST_OFFSETS, 5), (w.API_CREATE_TOPICS, 5),
                     (w.API_DELETE_TOPICS, 4)):
        junk = bytes(rnd.getrandbits(8) for _ in range(64))
        raw_case("api %d v%d + 64 random bytes" % (key, ver),
                 w.header(key, ver, next_corr()) + junk, expect="either")


def case_bad_batches():
    check("bad record batches: per-partition error, the good partition of "
          "the same request appended, connection kept open")
    c = connect()
    ts = int(time.time() * 1000)
    recs = b"".join(w.encode_record(i, i, b"k%d" % i, b"val-%d" % i) for i in range(3))
    good = w.batch_from_parts(recs, 3, ts)
    bad_crc = bytearray(good)
    bad_crc[-1] ^= 0x55
    truncated_recs = recs[:-4]  # the third record loses its tail
    two_recs = b"".join(w.encode_record(i, i, b"k%d" % i, b"val-%d" % i) for i in range(2))
    lying_key = (w.varint(9) + b"\x00" + w.varint(0) + w.varint(0) + w.varint(40) +
                 b"k" * 4 + w.varint(-1) + w.varint(0))
    cases = [
        ("CRC wrong", bytes(bad_crc), (w.ERR_CORRUPT_MESSAGE,)),
        ("BatchLength 10 longer than the records field",
         w.batch_from_parts(recs, 3, ts, batch_length=len(good) - 12 + 10), (w.ERR_CORRUPT_MESSAGE,)),
        ("BatchLength 10 shorter than the records field",
         w.batch_from_parts(recs, 3, ts, batch_length=len(good) - 12 - 10), None),
        ("BatchLength -1", w.batch_from_parts(recs, 3, ts, batch_length=-1), None),
        ("a record truncated inside a batch whose CRC is right",
         w.batch_from_parts(truncated_recs, 3, ts), (w.ERR_CORRUPT_MESSAGE,)),
        ("record count 3 with 2 records (CRC right)",
         w.batch_from_parts(two_recs, 3, ts), None),
        ("record count 2 with 3 records (CRC right)",
         w.batch_from_parts(recs, 2, ts), None),
        ("LastOffsetDelta 5 for 3 records", w.batch_from_parts(recs, 3, ts, last_offset_delta=5), None),
        ("record count 0", w.batch_from_parts(b"", 0, ts, last_offset_delta=0), None),
        ("magic 1", w.batch_from_parts(recs, 3, ts, magic=1), None),
        ("compression codec 7", w.batch_from_parts(recs, 3, ts, attributes=7), None),
        ("a record whose key length runs past the record (CRC right)",
         w.batch_from_parts(lying_key, 1, ts), None),
        ("a batch shorter than its 61-byte header", good[:40], None),
        ("a good batch followed by 30 stray bytes", good + b"\x01" * 30, None),
        ("empty records field", b"", None),
    ]
    hw0 = high_watermark(c, 1)
    hw_good = high_watermark(c, 2)
    for what, batch, want in cases:
        res = produce_on(c, [(1, batch), (2, good)])
        err, _base = res[1]
        if err == 0:
            raise Fail("%s: accepted (error 0)" % what)
        if want and err not in want:
            raise Fail("%s: error %d, expected %r" % (what, err, want))
        if res[2][0] != 0:
            raise Fail("%s: the good partition beside it got error %d" % (what, res[2][0]))
        note("%s: error %d; good partition appended at %d", what, err, res[2][1])
    hw1 = high_watermark(c, 1)
    if hw1 != hw0:
        raise Fail("partition 1 high watermark moved %d -> %d on rejected batches"
                   % (hw0, hw1))
    records, hw2 = fetch_all(c, 2)
    mine = [r for r in records if r[0] >= hw_good]
    want = [(hw_good + 3 * i + j, b"k%d" % j, b"val-%d" % j)
            for i in range(len(cases)) for j in range(3)]
    if mine != want:
        raise Fail("partition 2 holds %r, expected %r" % (mine[:6], want[:6]))
    note("partition 1 unchanged at %d; partition 2 holds the %d good batches "
         "(%d records, offsets %d..%d)", hw1, len(cases), len(mine),
         hw_good, hw2 - 1)


def case_pipelining():
    check("50 ApiVersions/Metadata requests pipelined in one write are "
          "answered in order")
    c = connect()
    rnd = random.Random(99)
    corrs = rnd.sample(range(1, 1 << 30), 50)
    kinds = []
    data = b""
    for i, corr in enumerate(corrs):
        if i % 2:
            ver = (0, 1, 9, 12)[i % 4]
            data += w.request(w.API_METADATA, ver, corr, w.metadata_body(ver, [TOPIC]))
            kinds.append(("metadata", ver))
        else:
            ver = i % 4
            data += w.request(w.API_API_VERSIONS, ver, corr, w.api_versions_body(ver))
            kinds.append(("api_versions", ver))
    c.send(data)
    for i, corr in enumerate(corrs):
        got, body = c.recv_frame()
        if got != corr:
            raise Fail("pipelined response %d: correlation %d, expected %d"
                       % (i, got, corr))
        kind, ver = kinds[i]
        if kind == "api_versions":
            err, _ = w.parse_api_versions(ver, body)
            if err:
                raise Fail("pipelined ApiVersions v%d: error %d" % (ver, err))
        else:
            if ver >= 9:
                body = body[1:]  # response header tags
            if w.parse_metadata_partitions(ver, body, TOPIC) != (0, PARTITIONS):
                raise Fail("pipelined Metadata v%d does not list %s" % (ver, TOPIC))
    note("50 responses in request order")

    check("Produce (waits for the WAL), Metadata, ApiVersions, Produce, "
          "Metadata pipelined: answered in request order")
    seq = [next_corr() for _ in range(5)]
    data = (w.request(w.API_PRODUCE, 8, seq[0], w.produce_body(8, TOPIC, [(3, good_batch(b"p1"))])) +
            w.request(w.API_METADATA, 1, seq[1], w.metadata_body(1, [TOPIC])) +
            w.request(w.API_API_VERSIONS, 0, seq[2], b"") +
            w.request(w.API_PRODUCE, 9, seq[3], w.produce_body(9, TOPIC, [(3, good_batch(b"p2"))])) +
            w.request(w.API_METADATA, 1, seq[4], w.metadata_body(1, [TOPIC])))
    c.send(data)
    got = []
    for _ in seq:
        corr, body = c.recv_frame()
        got.append(corr)
        if corr == seq[0]:
            err = w.parse_produce(8, body)[(TOPIC, 3)][0]
        elif corr == seq[3]:
            err = w.parse_produce(9, body[1:])[(TOPIC, 3)][0]
        else:
            err = 0
        if err:
            raise Fail("pipelined produce: error %d" % err)
    if got != seq:
        raise Fail("responses came as %r, sent %r" % (got, seq))
    c.close()
    note("in order: %r", got)


def valid_seeds():
    """Valid requests of every API, as (key, version, body)."""
    seeds = []
    for v in range(0, 4):
        seeds.append((w.API_API_VERSIONS, v, w.api_versions_body(v)))
    for v in (0, 1, 4, 8, 9, 10, 12):
        seeds.append((w.API_METADATA, v, w.metadata_body(v, [TOPIC])))
    for v in (3, 5, 7, 8, 9):
        seeds.append((w.API_PRODUCE, v, w.produce_body(v, TOPIC, [(v % 4, good_batch(b"s%d" % v))])))
    for v in (4, 7, 11, 12):
        seeds.append((w.API_FETCH, v, w.fetch_body(v, TOPIC, [(0, 0, 4096)], 0, 1)))
    for v in (1, 5, 7):
        seeds.append((w.API_LIST_OFFSETS, v, w.list_offsets_body(v, TOPIC, [(0, -1), (1, -2)])))
    for v in (1, 5, 7):
        seeds.append((w.API_CREATE_TOPICS, v, w.create_topics_body(v, "fz-%d-%d" % (os.getpid(), v), 1, validate_only=True)))
    for v in (1, 4, 6):
        seeds.append((w.API_DELETE_TOPICS, v, w.delete_topics_body(v, ["fz-absent-%d" % os.getpid()])))
    return seeds


def mutate(rnd, data):
    data = bytearray(data)
    for _ in range(rnd.choice((1, 1, 1, 2, 3, 6))):
        op = rnd.randrange(6)
        if not data:
            data += bytes([rnd.getrandbits(8)])
            continue
        i = rnd.randrange(len(data))
        if op == 0:
            data[i] ^= 1 << rnd.randrange(8)
        elif op == 1:
            data[i] = rnd.choice((0, 0x7F, 0x80, 0xFF, rnd.getrandbits(8)))
        elif op == 2:
            del data[i:i + rnd.randint(1, 16)]
        elif op == 3:
            data[i:i] = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 16)))
        elif op == 4 and len(data) >= i + 4:
            data[i:i + 4] = rnd.choice((b"\x7f\xff\xff\xff", b"\xff\xff\xff\xff",
                                        b"\x80\x00\x00\x00", b"\x00\x00\x00\x00"))
        else:
            del data[i:]
    return bytes(data)


def random_frame(rnd, seeds, corr):
    """One random or mutated frame; returns (frame bytes, the correlation
    id its header carries or None)."""
    kind = rnd.randrange(10)
    if kind == 0:  # pure random bytes
        payload = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300)))
    elif kind <= 2:  # a valid header, random body
        key, ver, _ = rnd.choice(seeds)
        payload = w.header(key, ver, corr) + bytes(
            rnd.getrandbits(8) for _ in range(rnd.randint(0, 200)))
    else:  # a mutated valid request; the header mostly intact
        key, ver, body = rnd.choice(seeds)
        payload = w.header(key, ver, corr) + mutate(rnd, body)
        if rnd.randrange(8) == 0:
            payload = mutate(rnd, payload)
    frame = w.frame(payload)
    if rnd.randrange(50) == 0:  # a lying size prefix
        frame = w.i32(rnd.choice((len(payload) + 7, max(len(payload) - 3, 0),
                                  -5, 0x7FFFFFFF))) + payload
    return frame, (int.from_bytes(payload[4:8], "big", signed=True)
                   if len(payload) >= 8 else None)


def case_random(seed, count):
    check("%d seeded random and mutated frames (seed %d): half sent one at "
          "a time (each answered with its correlation id, or the connection "
          "closed, or left waiting), half pipelined 20 per write; responses "
          "keep request order; the broker survives" % (count, seed))
    rnd = random.Random(seed)
    seeds = valid_seeds()
    sent = answered = closed = waiting = 0
    burst = False
    while sent < count:
        burst = not burst
        c = connect()
        if burst:
            # Pipelined: the broker closes at the first bad frame with our
            # later frames unread, so the kernel resets the connection and
            # drops responses not yet read; only their order is checked.
            corrs = []
            data = b""
            for _ in range(20):
                corr = next_corr()
                frame, carried = random_frame(rnd, seeds, corr)
                corrs.append(carried)
                data += frame
                sent += 1
            try:
                c.send(data)
            except OSError:
                pass
            c.sock.settimeout(0.3)
            last = -1
            while True:
                try:
                    got, _ = c.recv_frame()
                except (EOFError, ConnectionResetError):
                    closed += 1
                    break
                except OSError:
                    waiting += 1  # a long-polling Fetch, say: abandoned
                    break
                answered += 1
                idx = next((i for i in range(last + 1, len(corrs))
                            if corrs[i] == got), None)
                if idx is None:
                    raise Fail("pipelined response with correlation %d: not "
                               "among the later requests %r" % (got, corrs[last + 1:]))
                last = idx
        else:
            # One at a time until the broker closes or leaves one waiting.
            c.sock.settimeout(0.5)
            while sent < count:
                corr = next_corr()
                frame, carried = random_frame(rnd, seeds, corr)
                sent += 1
                try:
                    c.send(frame)
                    got, _ = c.recv_frame()
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    closed += 1
                    break
                except OSError:
                    waiting += 1
                    break
                answered += 1
                if got != carried:
                    raise Fail("frame %r answered with correlation %d, sent %d"
                               % (frame[:24], got, corr))
        c.close()
        if sent // 500 != (sent - 20) // 500:
            healthy("%d random frames" % sent)
    note("%d frames sent, %d responses, %d connections closed by the broker, "
         "%d left waiting", sent, answered, closed, waiting)
    if answered == 0 or closed == 0:
        raise Fail("random frames were all answered or all rejected: the "
                   "generator is broken")


def case_real_client():
    check("confluent_kafka produces 200 records and reads them back")
    from confluent_kafka import OFFSET_END, Consumer, Producer, TopicPartition
    boot = "%s:%d" % (HOST, PORT)
    c = Consumer({"bootstrap.servers": boot, "group.id": "sluice-bad-input",
                  "enable.auto.commit": False, "auto.offset.reset": "error"})
    c.assign([TopicPartition(TOPIC, p, OFFSET_END) for p in range(PARTITIONS)])
    for m in c.consume(100, 2.0):
        raise Fail("consumer at the end got offset %d" % m.offset())
    p = Producer({"bootstrap.servers": boot, "acks": "all", "linger.ms": 5,
                  "enable.idempotence": False})
    errors = []
    for i in range(200):
        p.produce(TOPIC, value=b"final-%d" % i, partition=i % PARTITIONS,
                  on_delivery=lambda err, msg: err and errors.append(err))
    if p.flush(30) or errors:
        raise Fail("produce with confluent_kafka: %r" % errors[:3])
    got = set()
    deadline = time.monotonic() + 30
    while len(got) < 200 and time.monotonic() < deadline:
        for m in c.consume(500, 0.5):
            if m.error():
                raise Fail("consume: %s" % m.error())
            got.add(m.value())
    c.close()
    want = {b"final-%d" % i for i in range(200)}
    if got != want:
        raise Fail("consumed %d of the 200 records, %d unexpected"
                   % (len(got & want), len(got - want)))
    note("200 records produced and consumed")


def main(argv):
    global HOST, PORT, PID, MAX_REQ
    if len(argv) != 5:
        print(__doc__)
        return 2
    HOST, port = argv[1].rsplit(":", 1)
    PORT, PID, MAX_REQ, seed = int(port), int(argv[2]), int(argv[3]), int(argv[4])
    create_topic()
    healthy("setup")
    cases = [
        ("truncated frame, closed", case_truncated_then_close),
        ("truncated frame, held open", case_truncated_kept_open),
        ("bad frame sizes", case_bad_sizes),
        ("short headers", case_short_headers),
        ("negative counts and lengths", case_negative_lengths),
        ("huge counts", case_huge_counts),
        ("unknown APIs and versions", case_unknown_apis_and_versions),
        ("ApiVersions above v3", case_api_versions_unsupported),
        ("garbage after a header", case_garbage_after_header),
        ("bad record batches", case_bad_batches),
        ("pipelining", case_pipelining),
        ("random frames", lambda: case_random(seed, 3000)),
        ("a real client", case_real_client),
    ]
    ran = 0
    for what, fn in cases:
        ran += 1
        try:
            fn()
            healthy(what)
        except (Fail, OSError, EOFError, ValueError, KeyError) as e:
            print("  FAILED: %s: %s: %s" % (what, type(e).__name__, e), flush=True)
            failures.append(what)
            state = broker_state()
            if state is None or state == "Z":
                print("  broker is gone; stopping", flush=True)
                break
    print("bad_input: %d passed, %d failed, %d not run"
          % (ran - len(failures), len(failures), len(cases) - ran))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
