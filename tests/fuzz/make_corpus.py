#!/usr/bin/python3
"""Writes the seed corpus of fuzz_request into tests/fuzz/corpus/.

usage: make_corpus.py [DIR]

Each file is one request frame without its size prefix (the harness adds
it): valid requests of every API and version brokerd speaks, aimed at the
harness's topics fz (4 partitions), fz-lat (LogAppendTime) and fz-small
(max.message.bytes 200), plus a few malformed classics.  The encoders are
tests/integration/bad_input_wire.py.  The output is deterministic; rerun
after adding an API and commit the files.

The corpus also holds found-<sha1> files: inputs libFuzzer found that add
coverage, kept by `fuzz_request_libfuzzer -merge=1 NEW corpus corpus-run`
after a `make fuzz-run` (copy those of NEW that are not seeds, prefixed
found-).  This script leaves them alone.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import bad_input_wire as w  # noqa: E402

TS = 1700000000000


def recs(tag, n, size=8):
    return [(b"k%s%d" % (tag, i), (b"v%s%d-" % (tag, i)) * size,
             [("h", b"x%d" % i)] if i % 2 else ()) for i in range(n)]


def corpus():
    out = {}
    corr = [0]

    def add(name, key, ver, body, client_id="fuzz"):
        corr[0] += 1
        out[name] = w.header(key, ver, corr[0], client_id) + body

    for v in range(0, 5):
        add("apiversions-v%d" % v, w.API_API_VERSIONS, v, w.api_versions_body(min(v, 3)))
    for v in range(0, 13):
        add("metadata-v%d-named" % v, w.API_METADATA, v,
            w.metadata_body(v, ["fz", "fz-lat", "fz-new-%d" % v]))
        if v >= 1:
            add("metadata-v%d-all" % v, w.API_METADATA, v, w.metadata_body(v, None))
        if v >= 4:
            add("metadata-v%d-noauto" % v, w.API_METADATA, v,
                w.metadata_body(v, ["fz-absent"], allow_auto=False))
    for v in range(3, 10):
        one = w.record_batch(recs(b"a", 3), TS)
        two = one + w.record_batch(recs(b"b", 2), TS + 10)
        add("produce-v%d-acks-all" % v, w.API_PRODUCE, v,
            w.produce_body(v, "fz", [(0, one), (1, two), (9, one)]))
        add("produce-v%d-acks-1-lat" % v, w.API_PRODUCE, v,
            w.produce_body(v, "fz-lat", [(0, one), (1, one)], acks=1))
        add("produce-v%d-acks-0" % v, w.API_PRODUCE, v,
            w.produce_body(v, "fz", [(2, one)], acks=0))
        add("produce-v%d-too-large" % v, w.API_PRODUCE, v,
            w.produce_body(v, "fz-small", [(0, w.record_batch(recs(b"c", 4, 20), TS))]))
        add("produce-v%d-unknown-topic" % v, w.API_PRODUCE, v,
            w.produce_body(v, "fz-nope", [(0, one)]))
    gz = w.batch_from_parts(b"\x1f\x8b\x08\x00" + b"\x00" * 20, 3, TS, attributes=1)
    add("produce-v7-gzip", w.API_PRODUCE, 7, w.produce_body(7, "fz", [(3, gz)]))
    add("produce-v7-null-records", w.API_PRODUCE, 7, w.produce_body(7, "fz", [(3, None)]))
    add("produce-v7-bad-acks", w.API_PRODUCE, 7,
        w.produce_body(7, "fz", [(3, w.record_batch(recs(b"d", 1), TS))], acks=5))
    for v in range(4, 13):
        add("fetch-v%d" % v, w.API_FETCH, v,
            w.fetch_body(v, "fz", [(0, 0, 1 << 20), (1, 0, 100), (7, 0, 100)], 0, 1))
        add("fetch-v%d-longpoll" % v, w.API_FETCH, v,
            w.fetch_body(v, "fz", [(0, 1 << 40, 1 << 20)], 500, 1 << 20))
        add("fetch-v%d-wait" % v, w.API_FETCH, v,
            w.fetch_body(v, "fz-lat", [(0, 0, 1 << 20), (1, 0, 1 << 20)], 100, 1 << 20))
    for v in range(1, 8):
        add("listoffsets-v%d" % v, w.API_LIST_OFFSETS, v,
            w.list_offsets_body(v, "fz", [(0, -1), (1, -2), (2, TS + 5)] +
                                ([(3, -3)] if v >= 7 else [])))
    for v in range(0, 8):
        cfg = [("retention.ms", "1000"), ("cleanup.policy", "delete")]
        add("createtopics-v%d" % v, w.API_CREATE_TOPICS, v,
            w.create_topics_body(v, "fz-c%d" % v, 3, cfg))
        add("createtopics-v%d-existing" % v, w.API_CREATE_TOPICS, v,
            w.create_topics_body(v, "fz", 3))
        add("createtopics-v%d-badconfig" % v, w.API_CREATE_TOPICS, v,
            w.create_topics_body(v, "fz-bad%d" % v, 1, [("no.such.key", "1")]))
        if v >= 1:
            add("createtopics-v%d-validate" % v, w.API_CREATE_TOPICS, v,
                w.create_topics_body(v, "fz-v%d" % v, 2, validate_only=True))
    for v in range(0, 7):
        add("deletetopics-v%d" % v, w.API_DELETE_TOPICS, v,
            w.delete_topics_body(v, ["fz-lat", "fz-absent"]))
    # malformed classics
    add("bad-unknown-api", 999, 0, b"\x00" * 8)
    add("bad-produce-huge-count", w.API_PRODUCE, 7,
        w.i16(-1) + w.i16(-1) + w.i32(0) + w.i32(0x7FFFFFFF))
    add("bad-metadata-negative-name", w.API_METADATA, 1, w.i32(1) + w.i16(-3))
    out["bad-short-header"] = w.i16(3) + w.i16(1) + w.i32(1)
    return out


def main(argv):
    target = argv[1] if len(argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(target, exist_ok=True)
    files = corpus()
    for name, data in sorted(files.items()):
        with open(os.path.join(target, name), "wb") as f:
            f.write(data)
    print("%d inputs written to %s" % (len(files), target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
