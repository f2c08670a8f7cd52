"""The admin APIs through real clients, before and after a brokerd restart.

usage: admin_apis.py before TOPIC AUTO_TOPIC
       admin_apis.py after TOPIC AUTO_TOPIC

`before`: confluent-kafka's AdminClient creates TOPIC (2 partitions),
describes its configs and the broker's, alters both (retention.ms and
cleanup.policy on the topic, num.partitions on the broker, an invalid
value refused), and grows TOPIC to 4 partitions (an invalid and a
validate-only request change nothing); kafka-python's KafkaAdminClient
describes and alters the topic (retention.ms 7200000), grows it to 5 and
describes the broker; kcat produces to the new partition 4 and reads it
back; the wire protocol checks what neither client library speaks:
IncrementalAlterConfigs, DescribeCluster and DescribeLogDirs v4 (the WAL
holds what was produced), and a topic auto-created under the broker
override gets its 3 partitions.
`after` (brokerd restarted): the topic's retention.ms, its 5 partitions
and the broker override survived; partition 4 still holds its records.
The broker address comes from $SLUICE_BOOTSTRAP.
"""

import subprocess
import sys
import time

from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource,
                                   NewPartitions, NewTopic)
from kafka.admin import ConfigResource as KPConfigResource
from kafka.admin import ConfigResourceType, KafkaAdminClient
from kafka.admin import NewPartitions as KPNewPartitions

import bad_input_wire as w
import records
from records import fail, note

# The admin APIs' first flexible versions, for the wire kit's headers.
w.FIRST_FLEXIBLE.update({32: 4, 33: 2, 35: 2, 37: 2, 44: 1, 60: 0})
API_DESCRIBE_CONFIGS = 32
API_DESCRIBE_LOG_DIRS = 35
API_INCREMENTAL_ALTER_CONFIGS = 44
API_DESCRIBE_CLUSTER = 60
RES_TOPIC, RES_BROKER = 2, 4
TIMEOUT = 30
NEW_PARTITION_RECORDS = ["new-partition-%d" % i for i in range(50)]


def source(entry):
    """A ConfigEntry's source as Kafka's ConfigSource code (the client
    gives an int or an enum member depending on its version)."""
    return entry.source if isinstance(entry.source, int) else entry.source.value


def admin():
    return AdminClient({"bootstrap.servers": records.bootstrap()})


def wait_futures(futures, what):
    """Waits for every future of an admin call; returns their results."""
    out = {}
    for key, fut in futures.items():
        try:
            out[key] = fut.result(timeout=TIMEOUT)
        except Exception as e:  # noqa: BLE001 - the client's own types
            fail("%s: %s", what, e)
    return out


def expect_error(futures, what, needle):
    """Checks that every future of an admin call failed mentioning needle."""
    for fut in futures.values():
        try:
            fut.result(timeout=TIMEOUT)
        except Exception as e:  # noqa: BLE001
            if needle not in str(e):
                fail("%s: error %r does not mention %r", what, str(e), needle)
            continue
        fail("%s: succeeded, expected an error (%s)", what, needle)


def describe(a, rtype, name):
    res = ConfigResource(rtype, name)
    got = wait_futures(a.describe_configs([res]), "describe %s" % name)
    return got[res]


def partition_count(a, topic):
    md = a.list_topics(topic=topic, timeout=TIMEOUT)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        fail("metadata of %s: %r", topic, t and t.error)
    return len(t.partitions)


def kcat(args, stdin=None):
    cmd = ["kcat", "-b", records.bootstrap()] + args
    res = subprocess.run(cmd, input=stdin, capture_output=True,
                         timeout=TIMEOUT)
    if res.returncode != 0:
        fail("kcat exited %d: %s\n%s", res.returncode, " ".join(cmd),
             res.stderr.decode(errors="replace"))
    return res.stdout.decode()


def read_partition(topic, partition):
    """Every record of one partition as text lines, through kcat."""
    out = kcat(["-C", "-t", topic, "-p", str(partition), "-o", "beginning",
                "-e", "-q", "-f", "%s\\n"])
    return [line for line in out.split("\n") if line]


# ---------------------------------------------------------------- wire

def conn():
    host, port = records.bootstrap().rsplit(":", 1)
    return w.Conn(host, int(port))


def incremental_alter(c, topic, ops):
    """IncrementalAlterConfigs v1 on a topic; ops: (name, op, value).
    Returns (error, message)."""
    e = w.Enc(True)
    cfgs = [e.string(n) + w.i8(op) + e.string(v) + e.tags()
            for n, op, v in ops]
    body = e.array([w.i8(RES_TOPIC) + e.string(topic) + e.array(cfgs) +
                    e.tags()]) + w.i8(0) + e.tags()
    r = w.Reader(c.call(API_INCREMENTAL_ALTER_CONFIGS, 1, 7, body), True)
    r.i32()  # ThrottleTimeMs
    if r.count() != 1:
        fail("IncrementalAlterConfigs: not one response")
    err, msg = r.i16(), r.string()
    return err, msg


def describe_topic_v4(c, topic):
    """DescribeConfigs v4 of a topic: {name: (value, source)}."""
    e = w.Enc(True)
    body = e.array([w.i8(RES_TOPIC) + e.string(topic) + e.array(None) +
                    e.tags()]) + w.i8(1) + w.i8(0) + e.tags()
    r = w.Reader(c.call(API_DESCRIBE_CONFIGS, 4, 8, body), True)
    r.i32()
    out = {}
    for _ in range(r.count()):
        err, msg = r.i16(), r.string()
        if err:
            fail("DescribeConfigs v4 of %s: error %d %s", topic, err, msg)
        r.i8()
        r.string()
        for _c in range(r.count()):
            name, value = r.string(), r.string()
            r.i8()  # ReadOnly
            source = r.i8()
            r.i8()  # IsSensitive
            for _s in range(r.count()):
                r.string()
                r.string()
                r.i8()
                r.tags()
            r.i8()  # ConfigType
            r.string()  # Documentation
            r.tags()
            out[name] = (value, source)
        r.tags()
    return out


def describe_cluster(c):
    """DescribeCluster v1: (error, cluster id, controller, brokers)."""
    r = w.Reader(c.call(API_DESCRIBE_CLUSTER, 1, 9,
                        w.i8(0) + w.i8(1) + b"\x00"), True)
    r.i32()
    err, _msg, endpoint = r.i16(), r.string(), r.i8()
    cluster, controller = r.string(), r.i32()
    brokers = []
    for _ in range(r.count()):
        brokers.append((r.i32(), r.string(), r.i32(), r.string()))
        r.tags()
    r.i32()
    if endpoint != 1:
        fail("DescribeCluster: EndpointType %d", endpoint)
    return err, cluster, controller, brokers


def describe_log_dirs(c):
    """DescribeLogDirs v4 of every partition: [(dir, total, usable,
    {(topic, partition): size})]."""
    r = w.Reader(c.call(API_DESCRIBE_LOG_DIRS, 4, 10, b"\x00\x00"), True)
    r.i32()
    if r.i16():
        fail("DescribeLogDirs: top-level error")
    dirs = []
    for _ in range(r.count()):
        if r.i16():
            fail("DescribeLogDirs: a directory with an error")
        name = r.string()
        sizes = {}
        for _t in range(r.count()):
            topic = r.string()
            for _p in range(r.count()):
                idx, size = r.i32(), r.i64()
                r.i64()
                r.i8()
                r.tags()
                sizes[(topic, idx)] = size
            r.tags()
        total, usable = r.i64(), r.i64()
        r.tags()
        dirs.append((name, total, usable, sizes))
    return dirs


def auto_create(c, topic):
    """Metadata v4 with auto-creation; returns the partition count."""
    r = w.Reader(c.call(w.API_METADATA, 4, 11,
                        w.metadata_body(4, [topic], True)))
    r.i32()  # ThrottleTimeMs
    for _ in range(r.count()):
        r.i32()
        r.string()
        r.i32()
        r.string()
    r.string()  # ClusterId
    r.i32()
    if r.count() != 1:
        fail("Metadata: not one topic")
    err, name = r.i16(), r.string()
    if err or name != topic:
        fail("Metadata of %s: error %d", topic, err)
    r.i8()
    return r.count()


# ---------------------------------------------------------------- phases

def check_topic_retention(a, topic, want):
    cfg = describe(a, ConfigResource.Type.TOPIC, topic)
    e = cfg["retention.ms"]
    if e.value != want or source(e) != ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
        fail("retention.ms of %s is %s (source %s), expected %s set on the "
             "topic", topic, e.value, e.source, want)


def phase_confluent(a, topic):
    wait_futures(a.create_topics([NewTopic(topic, 2, 1)]), "create")
    cfg = describe(a, ConfigResource.Type.TOPIC, topic)
    e = cfg["retention.ms"]
    if e.value != "604800000" or source(e) != ConfigSource.DEFAULT_CONFIG.value \
            or not e.is_default:
        fail("new topic: retention.ms %s source %s", e.value, e.source)
    if cfg["cleanup.policy"].value != "delete":
        fail("new topic: cleanup.policy %s", cfg["cleanup.policy"].value)
    note("confluent: new topic describes with defaults (%d keys)", len(cfg))

    res = ConfigResource(ConfigResource.Type.TOPIC, topic,
                         set_config={"retention.ms": "3600000",
                                     "cleanup.policy": "compact,delete"})
    wait_futures(a.alter_configs([res]), "alter topic")
    # at once, as the next describe shows
    check_topic_retention(a, topic, "3600000")
    cfg = describe(a, ConfigResource.Type.TOPIC, topic)
    if cfg["cleanup.policy"].value != "compact,delete":
        fail("cleanup.policy %s", cfg["cleanup.policy"].value)
    bad = ConfigResource(ConfigResource.Type.TOPIC, topic,
                         set_config={"retention.ms": "soon"})
    expect_error(a.alter_configs([bad]), "invalid retention.ms",
                 "Not a number of type LONG")
    check_topic_retention(a, topic, "3600000")
    note("confluent: AlterConfigs on the topic applies, a bad value is refused")

    broker = describe(a, ConfigResource.Type.BROKER, "1")
    nid = broker["node.id"]
    if nid.value != "1" or not nid.is_read_only:
        fail("broker node.id %s read-only %s", nid.value, nid.is_read_only)
    secret = broker["s3.secret.key"]
    if not secret.is_sensitive or secret.value is not None:
        fail("s3.secret.key is not hidden: %r", secret.value)
    if source(broker["num.partitions"]) != \
            ConfigSource.STATIC_BROKER_CONFIG.value:
        fail("num.partitions (4 in the file) source %s",
             broker["num.partitions"].source)
    res = ConfigResource(ConfigResource.Type.BROKER, "1",
                         set_config={"num.partitions": "3"})
    wait_futures(a.alter_configs([res]), "alter broker")
    broker = describe(a, ConfigResource.Type.BROKER, "1")
    np = broker["num.partitions"]
    if np.value != "3" or source(np) != ConfigSource.DYNAMIC_BROKER_CONFIG.value:
        fail("num.partitions after AlterConfigs: %s (source %s)",
             np.value, np.source)
    ro = ConfigResource(ConfigResource.Type.BROKER, "1",
                        set_config={"node.id": "2"})
    expect_error(a.alter_configs([ro]), "read-only broker key",
                 "Cannot update these configs dynamically")
    note("confluent: broker configs described and num.partitions set to 3")

    wait_futures(a.create_partitions([NewPartitions(topic, 4)]),
                 "create partitions")
    if partition_count(a, topic) != 4:
        fail("%s does not have 4 partitions", topic)
    expect_error(a.create_partitions([NewPartitions(topic, 3)]),
                 "shrink", "would not be an increase")
    wait_futures(a.create_partitions([NewPartitions(topic, 9)],
                                     validate_only=True), "validate only")
    if partition_count(a, topic) != 4:
        fail("validate-only CreatePartitions changed %s", topic)
    note("confluent: CreatePartitions grew %s to 4", topic)


def phase_kafka_python(topic):
    kp = KafkaAdminClient(bootstrap_servers=records.bootstrap(),
                          request_timeout_ms=TIMEOUT * 1000)
    try:
        resp = kp.describe_configs([KPConfigResource(
            ConfigResourceType.TOPIC, topic, configs={"retention.ms": None})])
        entries = resp[0].resources[0][4]
        if [(e[0], e[1]) for e in entries] != [("retention.ms", "3600000")]:
            fail("kafka-python describe: %r", entries)
        resp = kp.alter_configs([KPConfigResource(
            ConfigResourceType.TOPIC, topic,
            configs={"retention.ms": "7200000",
                     "cleanup.policy": "compact,delete"})])
        if resp.resources[0][0] != 0:
            fail("kafka-python alter: %r", resp.resources[0])
        resp = kp.create_partitions({topic: KPNewPartitions(5)})
        if resp.topic_errors[0][1] != 0:
            fail("kafka-python create_partitions: %r", resp.topic_errors)
        resp = kp.describe_configs([KPConfigResource(
            ConfigResourceType.BROKER, "1", configs={"num.partitions": None})])
        entries = resp[0].resources[0][4]
        if [(e[0], e[1]) for e in entries] != [("num.partitions", "3")]:
            fail("kafka-python broker describe: %r", entries)
    finally:
        kp.close()
    note("kafka-python: describe, alter (retention.ms 7200000), 5 partitions")


def phase_wire(topic, auto_topic):
    c = conn()
    try:
        err, msg = incremental_alter(c, topic, [("segment.ms", 0, "100000"),
                                                ("cleanup.policy", 3,
                                                 "compact")])
        if err:
            fail("IncrementalAlterConfigs: %d %s", err, msg)
        cfg = describe_topic_v4(c, topic)
        if cfg["segment.ms"] != ("100000", 1) or \
                cfg["cleanup.policy"] != ("delete", 1) or \
                cfg["retention.ms"] != ("7200000", 1):
            fail("after IncrementalAlterConfigs: %r %r %r", cfg["segment.ms"],
                 cfg["cleanup.policy"], cfg["retention.ms"])
        err, msg = incremental_alter(c, topic, [("retention.ms", 2, "1")])
        if err != 40 or "not LIST" not in (msg or ""):
            fail("APPEND to retention.ms: %d %s", err, msg)
        note("wire: IncrementalAlterConfigs SET and SUBTRACT, APPEND refused")

        err, cluster, controller, brokers = describe_cluster(c)
        host, port = records.bootstrap().rsplit(":", 1)
        if err or cluster != "sluice-local-cluster" or controller != 1 or \
                brokers != [(1, host, int(port), None)]:
            fail("DescribeCluster: %r", (err, cluster, controller, brokers))
        note("wire: DescribeCluster: %s, controller 1", cluster)

        n = auto_create(c, auto_topic)
        if n != 3:
            fail("auto-created %s has %d partitions, expected 3", auto_topic, n)
        note("wire: auto-created %s with num.partitions 3", auto_topic)

        dirs = describe_log_dirs(c)
        if len(dirs) != 2:
            fail("DescribeLogDirs: %d directories", len(dirs))
        wal, bucket = dirs
        if not (0 < wal[2] < wal[1]):
            fail("WAL: total %d, usable %d", wal[1], wal[2])
        if bucket[1] != -1 or bucket[2] != -1:
            fail("bucket: total %d, usable %d", bucket[1], bucket[2])
        want = sum(len(v) for v in NEW_PARTITION_RECORDS)
        got = wal[3].get((topic, 4), 0) + bucket[3].get((topic, 4), 0)
        if got < want or (topic, 4) not in wal[3] \
                or (topic, 4) not in bucket[3]:
            fail("partition 4: %r bytes in WAL + bucket, values alone are %d",
                 got, want)
        note("wire: DescribeLogDirs: %s (%d of %d bytes free), %s",
             wal[0], wal[2], wal[1], bucket[0])
    finally:
        c.sock.close()


def before(topic, auto_topic):
    a = admin()
    phase_confluent(a, topic)
    phase_kafka_python(topic)
    if partition_count(a, topic) != 5:
        fail("%s does not have 5 partitions", topic)
    kcat(["-P", "-t", topic, "-p", "4"],
         stdin=("\n".join(NEW_PARTITION_RECORDS) + "\n").encode())
    got = read_partition(topic, 4)
    if got != NEW_PARTITION_RECORDS:
        fail("partition 4 holds %r", got[:5])
    for p in range(4):
        if read_partition(topic, p):
            fail("partition %d is not empty", p)
    note("kcat: %d records produced to the new partition 4 and read back",
         len(got))
    phase_wire(topic, auto_topic)


def after(topic, auto_topic):
    a = admin()
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            count = partition_count(a, topic)
            break
        except records.CheckFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    if count != 5:
        fail("after restart %s has %d partitions", topic, count)
    check_topic_retention(a, topic, "7200000")
    broker = describe(a, ConfigResource.Type.BROKER, "1")
    np = broker["num.partitions"]
    if np.value != "3" or source(np) != ConfigSource.DYNAMIC_BROKER_CONFIG.value:
        fail("num.partitions after restart: %s (source %s)", np.value,
             np.source)
    if partition_count(a, auto_topic) != 3:
        fail("%s lost partitions", auto_topic)
    got = read_partition(topic, 4)
    if got != NEW_PARTITION_RECORDS:
        fail("after restart partition 4 holds %d records", len(got))
    note("after restart: retention.ms 7200000, 5 partitions, num.partitions "
         "3 (dynamic), partition 4 intact")


def main(args):
    if len(args) != 3 or args[0] not in ("before", "after"):
        fail("usage: admin_apis.py before|after TOPIC AUTO_TOPIC")
    (before if args[0] == "before" else after)(args[1], args[2])


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    records.main_wrapper(main)
