"""A small Kafka wire-protocol kit for the robustness tests.

bad_input.py, wal_full.py and tests/fuzz/make_corpus.py need requests that
a real client would never send (negative lengths, lying counts, batches
with a bad CRC), so they build frames from these encoders instead of a
client library.  Field names and version conditions follow the Kafka
message definitions (clients/src/main/resources/common/message/*.json).
Everything is big-endian; flexible versions use compact lengths and tagged
fields.  Only what the tests need is here: ApiVersions, Metadata, Produce,
Fetch, ListOffsets, CreateTopics and DeleteTopics requests, and readers for
the responses the tests look at.
"""

import socket
import struct
import time

API_PRODUCE = 0
API_FETCH = 1
API_LIST_OFFSETS = 2
API_METADATA = 3
API_API_VERSIONS = 18
API_CREATE_TOPICS = 19
API_DELETE_TOPICS = 20

# First flexible version of each API (Kafka's own table).
FIRST_FLEXIBLE = {
    API_PRODUCE: 9, API_FETCH: 12, API_LIST_OFFSETS: 6, API_METADATA: 9,
    API_API_VERSIONS: 3, API_CREATE_TOPICS: 5, API_DELETE_TOPICS: 4,
}

ERR_NONE = 0
ERR_CORRUPT_MESSAGE = 2
ERR_REQUEST_TIMED_OUT = 7
ERR_UNSUPPORTED_VERSION = 35
ERR_TOPIC_ALREADY_EXISTS = 36


# ---------------------------------------------------------------- CRC-32C

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli) of bytes, as RecordBatch v2 uses it."""
    crc = 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------- encoders

def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def u32(v):
    return struct.pack(">I", v)


def i64(v):
    return struct.pack(">q", v)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(v):
    """Zigzag varint (record fields); works for 64-bit values too."""
    return uvarint((v << 1) ^ (v >> 63))


class Enc:
    """Encodes the field types of one API version (flexible or not)."""

    def __init__(self, flexible):
        self.flexible = flexible

    def string(self, s):
        if s is None:
            return uvarint(0) if self.flexible else i16(-1)
        b = s.encode() if isinstance(s, str) else s
        if self.flexible:
            return uvarint(len(b) + 1) + b
        return i16(len(b)) + b

    def bytes_(self, b):
        if b is None:
            return uvarint(0) if self.flexible else i32(-1)
        if self.flexible:
            return uvarint(len(b) + 1) + b
        return i32(len(b)) + b

    def array(self, items):
        """items: list of already encoded elements, or None (null)."""
        if items is None:
            return uvarint(0) if self.flexible else i32(-1)
        head = uvarint(len(items) + 1) if self.flexible else i32(len(items))
        return head + b"".join(items)

    def count(self, n):
        """A raw array count (any value, for lying counts)."""
        return uvarint(n + 1) if self.flexible else i32(n)

    def tags(self):
        return b"\x00" if self.flexible else b""


def header(api_key, version, corr, client_id="sluice-robust"):
    """Request header v1, or v2 (tagged fields) for flexible versions."""
    h = i16(api_key) + i16(version) + i32(corr)
    h += i16(-1) if client_id is None else i16(len(client_id)) + client_id.encode()
    if version >= FIRST_FLEXIBLE.get(api_key, 1 << 15):
        h += b"\x00"
    return h


def frame(payload):
    """Prefixes a request (header + body) with its 4-byte size."""
    return i32(len(payload)) + payload


def request(api_key, version, corr, body, client_id="sluice-robust"):
    return frame(header(api_key, version, corr, client_id) + body)


# ---------------------------------------------------------------- batches

def encode_record(offset_delta, ts_delta, key, value, headers=()):
    """One record of a RecordBatch v2 (length-prefixed)."""
    body = bytearray(b"\x00")  # attributes
    body += varint(ts_delta) + varint(offset_delta)
    for field in (key, value):
        if field is None:
            body += varint(-1)
        else:
            body += varint(len(field)) + field
    body += varint(len(headers))
    for hk, hv in headers:
        hk = hk.encode() if isinstance(hk, str) else hk
        body += varint(len(hk)) + hk
        body += varint(-1) if hv is None else varint(len(hv)) + hv
    return varint(len(body)) + bytes(body)


def batch_from_parts(records_bytes, count, base_ts, attributes=0,
                     last_offset_delta=None, magic=2, batch_length=None,
                     crc=None, base_offset=0):
    """Assembles a RecordBatch v2 around encoded records.  Every header
    field can be forced to a lying value; by default they are consistent
    and the CRC is right."""
    if last_offset_delta is None:
        last_offset_delta = count - 1
    after_crc = (i16(attributes) + i32(last_offset_delta) + i64(base_ts) +
                 i64(base_ts + max(count - 1, 0)) + i64(-1) + i16(-1) +
                 i32(-1) + i32(count) + records_bytes)
    if crc is None:
        crc = crc32c(after_crc)
    after_len = i32(-1) + i8(magic) + u32(crc) + after_crc
    if batch_length is None:
        batch_length = len(after_len)
    return i64(base_offset) + i32(batch_length) + after_len


def record_batch(records, base_ts):
    """An uncompressed RecordBatch v2 of records [(key, value, headers)]
    with timestamps base_ts, base_ts + 1, ..."""
    enc = b"".join(encode_record(i, i, k, v, h)
                   for i, (k, v, h) in enumerate(records))
    return batch_from_parts(enc, len(records), base_ts)


def decode_batches(data):
    """Splits a Records field into batches; returns [(base_offset,
    batch_bytes)].  A trailing partial batch (allowed in Fetch) is
    dropped."""
    out = []
    pos = 0
    while len(data) - pos >= 12:
        base, length = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + length
        if length < 0 or end > len(data):
            break
        out.append((base, data[pos:end]))
        pos = end
    return out


def _read_uvarint(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, pos
        shift += 7


def _read_varint(b, pos):
    v, pos = _read_uvarint(b, pos)
    return (v >> 1) ^ -(v & 1), pos


def decode_records(batch):
    """Records of one uncompressed batch: [(offset, key, value)].  Raises
    ValueError when the CRC is wrong or the batch is compressed."""
    base, _length, _epoch, magic, crc, attrs = struct.unpack_from(
        ">qiibIh", batch, 0)
    if magic != 2:
        raise ValueError("magic %d" % magic)
    if crc32c(batch[21:]) != crc:
        raise ValueError("CRC mismatch in batch at offset %d" % base)
    if attrs & 7:
        raise ValueError("compressed batch")
    count = struct.unpack_from(">i", batch, 57)[0]
    pos = 61
    out = []
    for _ in range(count):
        _len, pos = _read_varint(batch, pos)
        pos += 1  # attributes
        _ts, pos = _read_varint(batch, pos)
        delta, pos = _read_varint(batch, pos)
        fields = []
        for _f in range(2):
            n, pos = _read_varint(batch, pos)
            if n < 0:
                fields.append(None)
            else:
                fields.append(bytes(batch[pos:pos + n]))
                pos += n
        nh, pos = _read_varint(batch, pos)
        for _h in range(nh):
            n, pos = _read_varint(batch, pos)
            pos += n
            n, pos = _read_varint(batch, pos)
            pos += max(n, 0)
        out.append((base + delta, fields[0], fields[1]))
    return out


# ---------------------------------------------------------------- requests

def api_versions_body(version):
    if version >= 3:
        e = Enc(True)
        return e.string("sluice-robust") + e.string("1.0") + e.tags()
    return b""


def metadata_body(version, topics, allow_auto=True):
    """topics: list of names, or None for all topics (v1+)."""
    e = Enc(version >= 9)
    items = None
    if topics is not None:
        items = []
        for t in topics:
            item = b""
            if version >= 10:
                item += b"\x00" * 16  # TopicId
            items.append(item + e.string(t) + e.tags())
    body = e.array(items)
    if version >= 4:
        body += i8(1 if allow_auto else 0)
    if 8 <= version <= 10:
        body += i8(0)  # IncludeClusterAuthorizedOperations
    if version >= 8:
        body += i8(0)  # IncludeTopicAuthorizedOperations
    return body + e.tags()


def produce_body(version, topic, partitions, acks=-1, timeout_ms=30000):
    """partitions: list of (index, records bytes or None)."""
    e = Enc(version >= 9)
    parts = [i32(p) + e.bytes_(recs) + e.tags() for p, recs in partitions]
    topics = [e.string(topic) + e.array(parts) + e.tags()]
    return (e.string(None) + i16(acks) + i32(timeout_ms) + e.array(topics) +
            e.tags())


def fetch_body(version, topic, partitions, max_wait_ms=0, min_bytes=1,
               max_bytes=64 << 20):
    """partitions: list of (index, fetch offset, partition max bytes)."""
    e = Enc(version >= 12)
    body = i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(max_bytes) + i8(0)
    if version >= 7:
        body += i32(0) + i32(-1)  # SessionId, SessionEpoch
    parts = []
    for p, off, pmax in partitions:
        item = i32(p)
        if version >= 9:
            item += i32(-1)  # CurrentLeaderEpoch
        item += i64(off)
        if version >= 12:
            item += i32(-1)  # LastFetchedEpoch
        if version >= 5:
            item += i64(-1)  # LogStartOffset
        parts.append(item + i32(pmax) + e.tags())
    body += e.array([e.string(topic) + e.array(parts) + e.tags()])
    if version >= 7:
        body += e.array([])  # ForgottenTopicsData
    if version >= 11:
        body += e.string("")  # RackId
    return body + e.tags()


def list_offsets_body(version, topic, partitions):
    """partitions: list of (index, timestamp: -1 latest, -2 earliest)."""
    e = Enc(version >= 6)
    body = i32(-1)
    if version >= 2:
        body += i8(0)  # IsolationLevel
    parts = []
    for p, ts in partitions:
        item = i32(p)
        if version >= 4:
            item += i32(-1)  # CurrentLeaderEpoch
        parts.append(item + i64(ts) + e.tags())
    body += e.array([e.string(topic) + e.array(parts) + e.tags()])
    return body + e.tags()


def create_topics_body(version, name, partitions, configs=(),
                       validate_only=False, timeout_ms=10000):
    e = Enc(version >= 5)
    cfgs = [e.string(k) + e.string(v) + e.tags() for k, v in configs]
    topic = (e.string(name) + i32(partitions) + i16(1) + e.array([]) +
             e.array(cfgs) + e.tags())
    body = e.array([topic]) + i32(timeout_ms)
    if version >= 1:
        body += i8(1 if validate_only else 0)
    return body + e.tags()


def delete_topics_body(version, names, timeout_ms=10000):
    e = Enc(version >= 4)
    if version >= 6:
        items = [e.string(n) + b"\x00" * 16 + e.tags() for n in names]
    else:
        items = [e.string(n) for n in names]
    return e.array(items) + i32(timeout_ms) + e.tags()


# ---------------------------------------------------------------- responses

class Reader:
    """Reads response fields; raises ValueError past the end."""

    def __init__(self, data, flexible=False):
        self.b = data
        self.pos = 0
        self.flexible = flexible

    def _take(self, n):
        if n < 0 or self.pos + n > len(self.b):
            raise ValueError("response truncated at %d (+%d of %d)" %
                             (self.pos, n, len(self.b)))
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def i8(self):
        return struct.unpack(">b", self._take(1))[0]

    def i16(self):
        return struct.unpack(">h", self._take(2))[0]

    def i32(self):
        return struct.unpack(">i", self._take(4))[0]

    def i64(self):
        return struct.unpack(">q", self._take(8))[0]

    def uvarint(self):
        v, self.pos = _read_uvarint(self.b, self.pos)
        return v

    def _len(self, wide):
        if self.flexible:
            return self.uvarint() - 1
        return self.i32() if wide else self.i16()

    def string(self):
        n = self._len(False)
        return None if n < 0 else bytes(self._take(n)).decode()

    def bytes_(self):
        n = self._len(True)
        return None if n < 0 else bytes(self._take(n))

    def count(self):
        return self.uvarint() - 1 if self.flexible else self.i32()

    def tags(self):
        if not self.flexible:
            return
        for _ in range(self.uvarint()):
            self.uvarint()
            self._take(self.uvarint())

    def left(self):
        return len(self.b) - self.pos


def parse_api_versions_v0(body):
    """ApiVersions in the v0 layout: (error, {key: (min, max)})."""
    r = Reader(body)
    err = r.i16()
    apis = {}
    for _ in range(r.i32()):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        apis[k] = (lo, hi)
    return err, apis


def parse_api_versions(version, body):
    """(error, {key: (min, max)}) of an ApiVersions response of version."""
    r = Reader(body, version >= 3)
    err = r.i16()
    apis = {}
    for _ in range(r.count()):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        r.tags()
        apis[k] = (lo, hi)
    if version >= 1:
        r.i32()
    r.tags()
    return err, apis


def parse_produce(version, body):
    """{(topic, partition): (error, base_offset)} of a Produce response."""
    r = Reader(body, version >= 9)
    out = {}
    for _ in range(r.count()):
        name = r.string()
        for _ in range(r.count()):
            idx, err, base = r.i32(), r.i16(), r.i64()
            r.i64()  # LogAppendTimeMs
            if version >= 5:
                r.i64()  # LogStartOffset
            if version >= 8:
                for _e in range(r.count()):
                    r.i32()
                    r.string()
                r.string()  # ErrorMessage
            r.tags()
            out[(name, idx)] = (err, base)
        r.tags()
    r.i32()  # ThrottleTimeMs
    r.tags()
    if r.left():
        raise ValueError("%d bytes after the Produce response" % r.left())
    return out


def parse_fetch(version, body):
    """(top error, {(topic, partition): (error, high watermark, records)})."""
    r = Reader(body, version >= 12)
    r.i32()  # ThrottleTimeMs
    top = 0
    if version >= 7:
        top = r.i16()
        r.i32()  # SessionId
    out = {}
    for _ in range(r.count()):
        name = r.string()
        for _ in range(r.count()):
            idx, err, hw = r.i32(), r.i16(), r.i64()
            r.i64()  # LastStableOffset
            if version >= 5:
                r.i64()  # LogStartOffset
            for _a in range(max(r.count(), 0)):
                r.i64()
                r.i64()
                r.tags()
            if version >= 11:
                r.i32()  # PreferredReadReplica
            recs = r.bytes_()
            r.tags()
            out[(name, idx)] = (err, hw, recs or b"")
        r.tags()
    r.tags()
    return top, out


def parse_metadata_partitions(version, body, topic):
    """(topic error, partition count) of topic in a Metadata response, or
    None when the response does not list it."""
    r = Reader(body, version >= 9)
    if version >= 3:
        r.i32()
    for _ in range(r.count()):
        r.i32()
        r.string()
        r.i32()
        if version >= 1:
            r.string()
        r.tags()
    if version >= 2:
        r.string()
    if version >= 1:
        r.i32()
    found = None
    for _ in range(r.count()):
        err = r.i16()
        name = r.string()
        if version >= 10:
            r._take(16)
        if version >= 1:
            r.i8()
        n = r.count()
        for _p in range(n):
            r.i16()
            r.i32()
            r.i32()
            if version >= 7:
                r.i32()
            for _k in range(r.count()):
                r.i32()
            for _k in range(r.count()):
                r.i32()
            if version >= 5:
                for _k in range(r.count()):
                    r.i32()
            r.tags()
        if version >= 8:
            r.i32()
        r.tags()
        if name == topic:
            found = (err, n)
    return found


def parse_create_topics(version, body):
    """{name: error} of a CreateTopics response."""
    r = Reader(body, version >= 5)
    if version >= 2:
        r.i32()
    out = {}
    for _ in range(r.count()):
        name = r.string()
        if version >= 7:
            r._take(16)
        err = r.i16()
        if version >= 1:
            r.string()
        if version >= 5:
            r.i32()
            r.i16()
            for _c in range(max(r.count(), 0)):
                r.string()
                r.string()
                r.i8()
                r.i8()
                r.i8()
                r.tags()
        r.tags()
        out[name] = err
    return out


# ---------------------------------------------------------------- sockets

class Conn:
    """One TCP connection to the broker with a receive deadline."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed by the broker")
            buf += chunk
        return bytes(buf)

    def recv_frame(self):
        """Returns (correlation id, rest of the response after it)."""
        size = struct.unpack(">i", self._recv_exact(4))[0]
        data = self._recv_exact(size)
        return struct.unpack_from(">i", data)[0], data[4:]

    def call(self, api_key, version, corr, body):
        """Sends one request and returns its response body (the response
        header's tagged fields removed for flexible non-ApiVersions)."""
        self.send(request(api_key, version, corr, body))
        got, rest = self.recv_frame()
        if got != corr:
            raise ValueError("correlation id %d, expected %d" % (got, corr))
        if (api_key != API_API_VERSIONS and
                version >= FIRST_FLEXIBLE.get(api_key, 1 << 15)):
            r = Reader(rest, True)
            r.tags()
            rest = rest[r.pos:]
        return rest

    def closed_within(self, seconds):
        """True when the broker closes the connection within seconds
        (anything it sends meanwhile is discarded)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
