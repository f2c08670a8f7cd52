#!/usr/bin/python3
"""Helpers of the upload-pipeline fault tests (faults.am, swift_lib.sh).

  faults.py mkbucket BUCKET          creates the bucket (boto3; one that
                                     we already own is fine)
  faults.py list BUCKET PREFIX       prints every key under PREFIX
                                     (ListObjectsV2, all pages)
  faults.py counters SHM_NAME        prints "name value" for each of
                                     brokerd's counters and the region
                                     ring's words (sealed, committed,
                                     uploaded_end, uploader_*), read from
                                     /dev/shm/SHM_NAME
  faults.py status SOCK [FIELD]      prints brokerd's status (control
                                     socket), or one field (wal.durable)
  faults.py commits LOG BUCKET PREFIX UPLOADED_END
                                     checks brokerd's log of commits: the
                                     WAL ranges follow each other from the
                                     first one on, none twice, the last
                                     ends at UPLOADED_END, what brokerd
                                     finds in its catalog at each start
                                     matches, and every committed object
                                     is in the bucket
  faults.py fence SOCK               checks that brokerd refuses commits
                                     that do not match the catalog (an
                                     old generation, a new object for a
                                     committed range) and that the
                                     uploaded end does not move
  faults.py corrupt BUCKET KEY NEWKEY
                                     copies object KEY to NEWKEY with one
                                     byte of its data changed

S3 settings come from the SWIFT_S3_* variables (scripts/swift-s3.sh).
"""

import json
import mmap
import os
import re
import socket
import struct
import sys

HEADER = struct.Struct("=QIIQqQIIQQQQQQQQ")
RING_WORDS = ("sealed", "committed", "uploaded_end", None, None, None, None,
              None, "uploader_pid", "uploader_generation", "uploader_region",
              "uploader_objects", "uploader_bytes", "uploader_errors",
              "uploader_last_ok_ms")
SHM_MAGIC = 0x534C5553484D3031


def s3_client():
    """A boto3 client on the harness (path style, SigV4, no retries)."""
    import boto3
    from botocore.config import Config
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"},
                 connect_timeout=5, read_timeout=60)
    return boto3.client("s3", endpoint_url=os.environ["SWIFT_S3_ENDPOINT"],
                        region_name=os.environ["SWIFT_S3_REGION"],
                        aws_access_key_id=os.environ["SWIFT_S3_ACCESS_KEY"],
                        aws_secret_access_key=os.environ["SWIFT_S3_SECRET_KEY"],
                        config=cfg)


def mkbucket(bucket):
    """Creates the bucket; a Swift that has just started may answer 503
    (its account or container server not serving yet) for a few seconds."""
    import time
    from botocore.exceptions import ClientError
    deadline = time.time() + 30
    while True:
        try:
            s3_client().create_bucket(Bucket=bucket)
            return 0
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code == "BucketAlreadyOwnedByYou":
                return 0
            if code not in ("ServiceUnavailable", "SlowDown", "503") or \
                    time.time() > deadline:
                raise
            time.sleep(0.5)


def keys(bucket, prefix):
    s3 = s3_client()
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                             Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


def counters(name):
    with open("/dev/shm/" + name, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    h = HEADER.unpack_from(m, 0)
    if h[0] != SHM_MAGIC:
        sys.exit("/dev/shm/%s: bad magic" % name)
    count, c_off, j_off, j_len, r_off = h[7], h[8], h[9], h[10], h[15]
    desc = json.loads(m[j_off:j_off + j_len].decode())
    values = struct.unpack_from("=%dQ" % count, m, c_off)
    for d, v in zip(desc, values):
        print("%s %d" % (d["name"], v))
    words = struct.unpack_from("=%dQ" % len(RING_WORDS), m, r_off)
    for k, v in zip(RING_WORDS, words):
        if k:
            print("%s %d" % (k, v))
    return 0


def status(sock, field=None):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(b'{"op":"status"}\n')
    r = json.loads(s.makefile().readline())
    if not field:
        print(json.dumps(r))
        return 0
    for k in field.split("."):
        r = r[k]
    print(r)
    return 0


COMMIT = re.compile(r"upload: committed object ([0-9a-f]{16}) .* for WAL "
                    r"\[(\d+), (\d+)\)")
CATALOG_OPEN = re.compile(r"brokerd info: catalog: .*: \d+ topics, .* (\d+) objects, "
                          r"\d+ blocks, uploaded to (\d+),")


def commits(log, bucket, prefix, uploaded_end):
    """brokerd logs each commit after journaling it, and at each start what
    its catalog holds; killed with -9 between the two, it journaled one
    commit more than it logged, which the next start shows."""
    ids, count, end, first, unlogged = set(), 0, None, None, 0
    for line in open(log, errors="replace"):
        m = CATALOG_OPEN.search(line)
        if m:
            objects, upto = int(m.group(1)), int(m.group(2))
            if (objects, upto) == (count, end or 0):
                continue
            if objects == count + 1 and upto > (end or 0):
                unlogged += 1
                count, end = objects, upto
                continue
            print("brokerd started with %d objects up to %d, but %d commits "
                  "up to %s were logged" % (objects, upto, count, end))
            return 1
        m = COMMIT.search(line)
        if not m:
            continue
        oid, start, stop = m.group(1), int(m.group(2)), int(m.group(3))
        if oid in ids:
            print("object %s committed twice" % oid)
            return 1
        ids.add(oid)
        if end is not None and start != end:
            print("commit %d (object %s) covers WAL [%d, %d), but the one "
                  "before ended at %d" % (count, oid, start, stop, end))
            return 1
        if first is None:
            first = start
        count, end = count + 1, stop
    if not count:
        print("no commits in %s" % log)
        return 1
    if end != int(uploaded_end):
        print("the last commit ends at %d, the catalog's uploaded end is %s" %
              (end, uploaded_end))
        return 1
    stored = {k.rsplit("/", 1)[1] for k in keys(bucket, prefix + "/o/")}
    lost = sorted(ids - stored)
    if lost:
        print("committed objects missing from the bucket: %s" % lost[:5])
        return 1
    print("%d commits cover WAL [%d, %d) in order, once each%s; %d objects "
          "in the bucket, %d of them orphans" %
          (count, first or 0, end,
           " (%d journaled as brokerd was killed, not logged)" % unlogged
           if unlogged else "", len(stored), len(stored) - count))
    return 0


def control(sock, req):
    """Sends one request on brokerd's control socket; returns the reply."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(json.dumps(req).encode() + b"\n")
    return json.loads(s.makefile().readline())


def fence(sock):
    st = control(sock, {"op": "status"})
    gen, end = st["generation"], st["regions"]["uploaded_end"]
    if end == 0:
        print("nothing is committed yet")
        return 1

    def commit(generation, oid, start, stop):
        return control(sock, {
            "op": "commit_upload", "generation": generation,
            "object": {"id": oid, "size": 4096, "wal_start": start,
                       "wal_end": stop, "flags": 1, "created_ms": 0},
            "blocks": []})

    cases = [("an old generation", commit(gen - 1, "00000000fe4ce001", end, end + 1)),
             ("a new object for WAL [0, uploaded end)",
              commit(gen, "00000000fe4ce002", 0, end)),
             ("a new object for the last byte committed",
              commit(gen, "00000000fe4ce003", end - 1, end))]
    for what, r in cases:
        if r.get("ok") is not False or not r.get("error"):
            print("brokerd accepted %s: %s" % (what, r))
            return 1
        print("refused %s: %s" % (what, r["error"]))
    after = control(sock, {"op": "status"})["regions"]["uploaded_end"]
    if after != end:
        print("the uploaded end moved from %d to %d" % (end, after))
        return 1
    return 0


def corrupt(bucket, key, newkey):
    s3 = s3_client()
    body = bytearray(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[len(body) // 3] ^= 0x40
    s3.put_object(Bucket=bucket, Key=newkey, Body=bytes(body))
    return 0


def main():
    a = sys.argv[1:]
    if a[:1] == ["mkbucket"] and len(a) == 2:
        return mkbucket(a[1])
    if a[:1] == ["list"] and len(a) == 3:
        for k in keys(a[1], a[2]):
            print(k)
        return 0
    if a[:1] == ["counters"] and len(a) == 2:
        return counters(a[1])
    if a[:1] == ["status"] and len(a) in (2, 3):
        return status(*a[1:])
    if a[:1] == ["commits"] and len(a) == 5:
        return commits(*a[1:])
    if a[:1] == ["fence"] and len(a) == 2:
        return fence(a[1])
    if a[:1] == ["corrupt"] and len(a) == 4:
        return corrupt(*a[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
