#!/bin/bash
# run-s3-bench.sh: the S3 measurements of BENCHMARKS.md ("brokerd with
# object storage") end to end, on this machine only (loopback):
#   1. Swift with s3api (scripts/swift-s3.sh) and a bucket (boto3);
#   2. catch-up: brokerd (small WAL) + uploaderd; sluice-bench fills a topic
#      with --fill-mb MB, waits until every byte is in objects, restarts
#      brokerd (cold shm cache, empty block cache), reads the topic back
#      from offset 0 and GETs the same objects raw (--only fill,catchup);
#   3. requests per GB: the client requests in Swift's proxy log while
#      ingesting and while reading back, by method and S3 operation;
#   4. produce latency at 20 MB/s with uploads running and idle: RUNS
#      alternating pairs of --only paced runs, uploaderd running (after the
#      WAL drained) and stopped (the WAL holds what the idle runs write);
#   5. everything started is stopped; a summary goes to OUT/summary.txt,
#      with the CPU seconds of each daemon, Swift process and the whole
#      machine per phase (other people's jobs show in the last).
#
# usage: run-s3-bench.sh [-b BUILDDIR] [-s SLUICE_BENCH] [-w WORKDIR]
#                        [-S SWIFTDIR] [-o OUTDIR] [-m FILL_MB] [-r RUNS]
#                        [-t PACED_SECONDS] [-k] [-h]
#   -b  build tree with brokerd/brokerd, uploaderd/uploaderd and
#       tools/bench/sluice-bench (default: the current directory)
#   -s  the sluice-bench to use (default: BUILDDIR's)
#   -w  scratch directory for Swift's data, the WALs and the logs
#       (default /var/tmp/sluice-s3-bench; about 13 GB free with the
#       defaults, checked before anything starts)
#   -S  Swift's directory (default WORKDIR/swift); on /dev/shm (tmpfs has
#       the user xattrs Swift needs from Linux 6.6) Swift's object writes
#       leave the WAL's disk alone, which tells disk contention from CPU
#   -o  where the JSON reports and summary.txt go (default WORKDIR/out)
#   -m  MB of record values for the catch-up fill (default 2000)
#   -r  pairs of paced runs (default 3)
#   -t  seconds per paced run (default 30)
#   -k  keep Swift running and the data (WALs, objects) at the end; without
#       it only the logs and the reports stay in WORKDIR
# Internal: run-s3-bench.sh restart-brokerd NODEDIR (sluice-bench's
# --restart-cmd).
set -euo pipefail

# shellcheck source=tools/bench/bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

# Waits until brokerd of node directory $1 has every durable WAL byte in
# committed objects.
uploads_drain()
{
	status_wait "$1" 300 'r["regions"]["uploaded_end"] >= r["wal"]["durable"]' \
		"uploads of $1 did not drain"
}

# Prints the number of lines in Swift's proxy log (a position in it).
log_pos()
{
	wc -l <"$SWIFT_DIR/log/proxy-server.log"
}

# Prints "METHOD OPERATION KEYS count" for the client (S3) requests in the
# proxy log between line positions $1 and $2; KEYS is data (o/...),
# catalog (catalog/...) or other.  The outer proxy-logging filter logs what
# the client sent (S3 paths, the query after an encoded "?", %3F); the
# inner one logs the Swift requests s3api makes of them (/v1/...), which
# are not counted.
log_requests()
{
	sed -n "$(($1 + 1)),$2p" "$SWIFT_DIR/log/proxy-server.log" | awk '
	$1 == "proxy-server:" && $5 ~ /^[A-Z]+$/ && $6 !~ /^\/v1\// {
		m = $5; p = $6; q = ""
		i = index(p, "%3F")
		if (i) { q = substr(p, i + 3); p = substr(p, 1, i - 1) }
		op = m
		if (m == "PUT")
			op = q ~ /partNumber/ ? "UploadPart" : "PutObject"
		else if (m == "POST")
			op = q ~ /^uploads/ ? "CreateMultipartUpload" : q ~ /uploadId/ ? \
			     "CompleteMultipartUpload" : q ~ /^delete/ ? "DeleteObjects" : "POST"
		else if (m == "GET")
			op = q ~ /list-type/ ? "ListObjectsV2" : "GetObject"
		else if (m == "HEAD")
			op = "HeadObject"
		else if (m == "DELETE")
			op = q ~ /uploadId/ ? "AbortMultipartUpload" : "DeleteObject"
		keys = p q
		cls = keys ~ /(\/|%252F)o(\/|%252F)/ ? "data" : keys ~ /catalog/ ? "catalog" : "other"
		n[m " " op " " cls]++
	}
	END { for (k in n) print k, n[k] }' | sort
}

# Prints "NAME cpu-ticks" for brokerd and uploaderd of node directory $1,
# each Swift process, and the whole machine, to compare phases.
cpu_sample()
{
	cpu_ticks "$1/brokerd.mypid" "$1/uploaderd.mypid" "$SWIFT_DIR"/run/*.pid
}

# Writes node directory $1's sluice.conf: port, WAL size $2, cache $3,
# object store prefix $4.
node_write()
{
	local dir=$1
	node_init "$dir"
	cat >"$dir/sluice.conf" <<EOF
# written by run-s3-bench.sh
listeners = PLAINTEXT://127.0.0.1:$(<"$dir/port")
node.id = 1
data.dir = $dir/data
wal.capacity.bytes = $2
cache.bytes = $3
num.partitions = 4
shm.name = /sluice-s3bench-$$-$(basename "$dir")
pid.file = $dir/brokerd.pid
uploaderd.pid.file = $dir/uploaderd.pid
EOF
	node_conf_s3 "$4" >>"$dir/sluice.conf"
}

if [ "${1:-}" = restart-brokerd ]; then
	[ $# -eq 2 ] || die "usage: $0 restart-brokerd NODEDIR"
	SWIFT_DIR=$(<"$2/swift-dir")
	cpu_sample "$2" >"$2/cpu-fill-1.txt"
	daemon_stop "$2" brokerd
	log_pos >"$2/log-pos-restart"
	brokerd_start "$2"
	cpu_sample "$2" >"$2/cpu-read-0.txt"
	note "brokerd restarted (cold caches)"
	exit 0
fi

WORK=/var/tmp/sluice-s3-bench FILL_MB=2000 RUNS=3 PACED_S=30
while getopts b:s:w:S:o:m:r:t:kh opt; do
	case $opt in
	m) FILL_MB=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	t) PACED_S=$OPTARG ;;
	*) bench_option "$opt" "${OPTARG:-}" ;;
	esac
done
bench_require_built brokerd uploaderd
bench_dirs
A=$WORK/catchup B=$WORK/paced

# Room for the two WALs (512 MiB, 4 GiB), the objects (twice the fill,
# then the paced runs) and 1 GiB to spare.
bench_disk_room $((512 + 4096 + 2 * FILL_MB + 2 * RUNS * PACED_S * 20 + 1024))

# Stops what the run started and, unless -k, removes the WALs and Swift's
# data (several GB); the reports in OUT stay.
cleanup()
{
	for d in "$A" "$B"; do
		[ -d "$d" ] || continue
		daemon_stop "$d" uploaderd || true
		daemon_stop "$d" brokerd || true
	done
	swift_cleanup "$A/data" "$B/data"
}
trap cleanup EXIT

swift_start
# A fresh prefix per run: the raw GETs list only this run's objects.
RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
note "bucket $BUCKET, prefix $RUN_ID, reports in $OUT"

# --- catch-up and requests per GB: small WAL, default regions -----------
node_write "$A" 512M 64M "$RUN_ID/catchup"
brokerd_start "$A"
daemon_start "$A" uploaderd
pos0=$(log_pos)
cpu_sample "$A" >"$OUT/cpu-fill-0.txt"
"$BENCH" --only fill,catchup --s3-config "$A/sluice.conf" \
	--bootstrap "127.0.0.1:$(<"$A/port")" --topic sluice-bench-catchup \
	--fill-mb "$FILL_MB" --restart-cmd "'$self' restart-brokerd '$A'" \
	--json "$OUT/catchup.json" | tee "$OUT/catchup.txt"
pos2=$(log_pos)
cpu_sample "$A" >"$OUT/cpu-read-1.txt"
cp "$A/cpu-fill-1.txt" "$A/cpu-read-0.txt" "$OUT/"
pos1=$(<"$A/log-pos-restart")
log_requests "$pos0" "$pos1" >"$OUT/requests-ingest.txt"
log_requests "$pos1" "$pos2" >"$OUT/requests-readback.txt"
daemon_stop "$A" uploaderd
daemon_stop "$A" brokerd

# --- produce p99 at 20 MB/s, uploads running vs idle ---------------------
# The idle runs leave RUNS * PACED_S * 20 MB in the WAL until the next
# uploads-running run drains it: 4 GiB holds the default 3 x 30 s.
node_write "$B" 4G 256M "$RUN_ID/paced"
brokerd_start "$B"
: >"$OUT/requests-paced.txt"
for i in $(seq "$RUNS"); do
	daemon_start "$B" uploaderd
	uploads_drain "$B"
	p0=$(log_pos)
	cpu_sample "$B" >"$OUT/cpu-uploads-$i-0.txt"
	note "paced run $i with uploads running"
	"$BENCH" --only paced --duration "$PACED_S" --bootstrap "127.0.0.1:$(<"$B/port")" \
		--topic sluice-bench-paced --json "$OUT/paced-uploads-$i.json" \
		>"$OUT/paced-uploads-$i.txt"
	cpu_sample "$B" >"$OUT/cpu-uploads-$i-1.txt"
	uploads_drain "$B"
	p1=$(log_pos)
	log_requests "$p0" "$p1" | sed "s/^/$i /" >>"$OUT/requests-paced.txt"
	daemon_stop "$B" uploaderd
	note "paced run $i with uploads idle (uploaderd stopped)"
	cpu_sample "$B" >"$OUT/cpu-idle-$i-0.txt"
	"$BENCH" --only paced --duration "$PACED_S" --bootstrap "127.0.0.1:$(<"$B/port")" \
		--topic sluice-bench-paced --json "$OUT/paced-idle-$i.json" \
		>"$OUT/paced-idle-$i.txt"
	cpu_sample "$B" >"$OUT/cpu-idle-$i-1.txt"
done
daemon_stop "$B" brokerd
note "load after: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

"$PY" - "$OUT" "$RUNS" <<'EOF' | tee "$OUT/summary.txt"
import json, os, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
WRITES = ("PUT", "POST")   # S3's PUT request class (LIST is billed so too)

def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)

def requests(name, run=None):
    """{(method, operation, keys): count} from a log_requests file."""
    n = {}
    with open(os.path.join(out, name)) as f:
        for line in f:
            w = line.split()
            if run is not None:
                if int(w[0]) != run:
                    continue
                w = w[1:]
            n[tuple(w[:3])] = n.get(tuple(w[:3]), 0) + int(w[3])
    return n

def count(n, methods=None, op=None, keys=None):
    return sum(c for (m, o, k), c in n.items()
               if (methods is None or m in methods) and (op is None or o == op)
               and (keys is None or k == keys))

def table(n):
    return "\n".join("    %-6s %-24s %-8s %6d" % (m, o, k, c)
                     for (m, o, k), c in sorted(n.items()))

HZ = os.sysconf("SC_CLK_TCK")

def cpu(name):
    """CPU seconds per process between the two samples of a phase."""
    got = []
    for k in (0, 1):
        with open(os.path.join(out, "cpu-%s-%d.txt" % (name, k))) as f:
            got.append(dict((w[0], int(w[1])) for w in (l.split() for l in f)))
    return dict((p, (got[1][p] - got[0][p]) / HZ) for p in got[1] if p in got[0])

c = load("catchup.json")
fill, cu = c["fill"], c["catchup"]
ingest_gb = fill["counters"]["produce_bytes"] / 1e9
read_gb = cu["counters"]["fetch_bytes"] / 1e9
ri, rr = requests("requests-ingest.txt"), requests("requests-readback.txt")
whole, ranged = cu["raw_get_whole"], cu["raw_get_ranged"]
print("Catch-up from S3 (%.2f GB of record batches, %d objects)" % (read_gb, whole["objects"]))
print("  catch-up read: %.1f MB/s of record batches, %.1f MB/s of values, %.1f s" %
      (cu["read"]["batch_mbps"], cu["read"]["mbps"], cu["read"]["seconds"]))
print("  raw GET, whole objects, %d in flight: %.1f MB/s" % (whole["parallel"], whole["mbps"]))
print("  raw GET, %d-byte ranges, %d in flight: %.1f MB/s" %
      (ranged["range_bytes"], ranged["parallel"], ranged["mbps"]))
print("  ratio catch-up / raw whole-object GET: %.2f (target >= 0.7)" % cu["ratio_catchup_raw"])
for phase, what in (("fill", "fill and upload"), ("read", "catch-up and raw GETs")):
    print("  CPU s, %s: %s" % (what, " ".join(
        "%s %.1f" % (p, v) for p, v in sorted(cpu(phase).items()))))
print("Requests while ingesting %.2f GB of record batches (fill at %.1f MB/s of values):" %
      (ingest_gb, fill["mbps"]))
print(table(ri))
print("  per GB: objects %.1f; PUT+POST %.1f (target <= 70), of which data objects %.1f, "
      "catalog %.1f; HTTP PUT alone %.1f" %
      (fill["objects_per_gb"], count(ri, WRITES) / ingest_gb,
       count(ri, WRITES, keys="data") / ingest_gb, count(ri, WRITES, keys="catalog") / ingest_gb,
       count(ri, ("PUT",)) / ingest_gb))
tool_gets = whole["gets"] + ranged["gets"]
print("Requests while reading back %.2f GB (brokerd restart, catch-up, then the tool's "
      "raw GETs: %d GETs, 2 LISTs):" % (read_gb, tool_gets))
print(table(rr))
print("  brokerd's cold GETs: %d by its counter, %d in the log (data GETs less the tool's); "
      "per GB read back %.1f" % (cu["counters"]["cold_read_gets"],
      count(rr, ("GET",), "GetObject", "data") - tool_gets, cu["read"]["gets_per_gb"]))

print("Produce at 20 MB/s, uploads running vs idle (%d runs each):" % runs)
rows = {"uploads": [], "idle": []}
for kind in rows:
    for i in range(1, runs + 1):
        j = load("paced-%s-%d.json" % (kind, i))
        b = j["broker"]
        rows[kind].append(b)
        extra = ""
        if kind == "uploads":
            gb = b["produce_latency"]["acked"] * j["params"]["record_size"] / 1e9
            n = requests("requests-paced.txt", i)
            extra = "; PUT+POST per GB %.1f" % (count(n, WRITES) / gb)
        lat = b["produce_latency"]
        print("  %-7s run %d: p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms, e2e p99 %.3f ms, "
              "%.1f MB/s%s" % (kind, i, lat["p50_ms"], lat["p99_ms"], lat["p999_ms"],
              lat["max_ms"], b["e2e_latency"]["p99_ms"], lat["achieved_mbps"], extra))
med = {k: statistics.median(r["produce_latency"]["p99_ms"] for r in v)
       for k, v in rows.items()}
for kind in rows:
    for i in range(1, runs + 1):
        c = cpu("%s-%d" % (kind, i))
        print("  CPU s, %-7s run %d: %s" % (kind, i, " ".join(
            "%s %.1f" % (p, v) for p, v in sorted(c.items()))))
print("  median p99: uploads %.3f ms, idle %.3f ms, ratio %.2f (target <= 1.5)" %
      (med["uploads"], med["idle"], med["uploads"] / med["idle"]))
EOF
