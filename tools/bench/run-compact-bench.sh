#!/bin/bash
# run-compact-bench.sh: the compaction measurements of BENCHMARKS.md
# ("compactd") end to end, on this machine only (loopback):
#   1. Swift with s3api (scripts/swift-s3.sh) and a bucket (boto3);
#   2. brokerd with small regions (so each upload is a small stream-set
#      object that compactd must merge, split and merge again) and
#      uploaderd, running throughout;
#   3. sluice-bench --only compact: PAIRS pairs of paced phases at RATE MB/s
#      over PARTITIONS partitions, compactd stopped (it is stopped and
#      started through this script's compactd-stop and compactd-start),
#      then running and rewriting; then compactd settles; the tool reports
#      write amplification, S3 operations per GB by daemon, and produce
#      p50/p99/p99.9 idle and compacting with the ratio of the p99s;
#   4. everything started is stopped; the report (text and JSON), the CPU
#      seconds of each daemon, Swift and the whole machine between the
#      stop and start commands (so per phase), and the load go to OUT.
#
# usage: run-compact-bench.sh [-b BUILDDIR] [-s SLUICE_BENCH] [-w WORKDIR]
#                             [-S SWIFTDIR] [-o OUTDIR] [-p PARTITIONS]
#                             [-r PAIRS] [-t PHASE_SECONDS] [-R RATE_MB]
#                             [-c 'key = value']... [-k] [-h]
#   -b  build tree with brokerd/brokerd, uploaderd/uploaderd,
#       compactd/compactd and tools/bench/sluice-bench (default: the
#       current directory)
#   -s  the sluice-bench to use (default: BUILDDIR's)
#   -w  scratch directory for Swift's data, the WAL and the logs (default
#       /var/tmp/sluice-compact-bench)
#   -S  Swift's directory (default WORKDIR/swift); see run-s3-bench.sh
#   -o  where the reports go (default WORKDIR/out)
#   -p  partitions of the topic (default 64)
#   -r  pairs of phases (default 3)
#   -t  seconds per phase (default 30)
#   -R  paced rate, MB/s (default 5: a steady workload, one that compaction
#       at its default pace keeps up with; compactd(8) puts that at about
#       10 MB/s, and at 20 MB/s over 64 partitions the backlog only grows)
#   -c  an extra sluice.conf line, after the script's own (repeatable):
#       region.bytes 8M, compaction.interval.ms 5000, retired.grace.ms
#       10000 and the compaction defaults otherwise
#   -k  keep Swift running and the data at the end
# Internal (sluice-bench's --compactd-start and --compactd-stop):
#   run-compact-bench.sh compactd-start NODEDIR
#   run-compact-bench.sh compactd-stop NODEDIR
set -euo pipefail

# shellcheck source=tools/bench/bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

# Waits until brokerd of node directory $1 says compactd is attached
# (subscribed to compaction events): compactd is running from then on.
compactd_attached()
{
	status_wait "$1" 30 'r["compactd"]["attached"] > 0' "compactd did not attach"
}

# Appends "label NAME cpu-ticks" lines for brokerd, uploaderd and compactd
# of node directory $1, each Swift process and the whole machine ("all",
# busy ticks from /proc/stat) to $1/cpu.txt, label $2.
cpu_sample()
{
	local dir=$1 label=$2
	{
		cpu_ticks "$dir"/*.mypid "$SWIFT_DIR"/run/*.pid | awk -v l="$label" '{ print l, $0 }'
		echo "$label load $(cut -d' ' -f1 /proc/loadavg)"
	} >>"$dir/cpu.txt"
}

if [ "${1:-}" = compactd-start ] || [ "${1:-}" = compactd-stop ]; then
	[ $# -eq 2 ] || die "usage: $0 $1 NODEDIR"
	SWIFT_DIR=$(<"$2/swift-dir")
	# Sampled while compactd is not running yet, and while it still runs
	# (a fresh compactd starts from 0 ticks): its CPU of a compacting
	# phase is what it used between the two.
	if [ "$1" = compactd-start ]; then
		cpu_sample "$2" "start-$(date +%s.%N)"
		daemon_start "$2" compactd
		compactd_attached "$2"
	else
		cpu_sample "$2" "stop-$(date +%s.%N)"
		daemon_stop "$2" compactd
	fi
	exit 0
fi

WORK=/var/tmp/sluice-compact-bench PARTITIONS=64 PAIRS=3 PHASE_S=30 RATE=5
EXTRA=()
while getopts b:s:w:S:o:p:r:t:R:c:kh opt; do
	case $opt in
	p) PARTITIONS=$OPTARG ;;
	r) PAIRS=$OPTARG ;;
	t) PHASE_S=$OPTARG ;;
	R) RATE=$OPTARG ;;
	c) EXTRA+=("$OPTARG") ;;
	*) bench_option "$opt" "${OPTARG:-}" ;;
	esac
done
bench_require_built brokerd uploaderd compactd
bench_dirs
N=$WORK/node

# Room for the WAL (1 GiB), what is produced, about three times that in
# objects before the retired ones go, and 1 GiB to spare.
bench_disk_room $((1024 + 4 * 2 * PAIRS * PHASE_S * ${RATE%.*} + 1024))

# Stops what the run started and, unless -k, removes the WAL and Swift's data.
cleanup()
{
	if [ -d "$N" ]; then
		daemon_stop "$N" compactd || true
		daemon_stop "$N" uploaderd || true
		daemon_stop "$N" brokerd || true
	fi
	swift_cleanup "$N/data"
}
trap cleanup EXIT

swift_start
RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
note "bucket $BUCKET, prefix $RUN_ID/compact, reports in $OUT"

node_init "$N"
{
	cat <<EOF
# written by run-compact-bench.sh
listeners = PLAINTEXT://127.0.0.1:$(<"$N/port")
node.id = 1
data.dir = $N/data
wal.capacity.bytes = 1G
cache.bytes = 256M
num.partitions = $PARTITIONS
shm.name = /sluice-compactbench-$$
pid.file = $N/brokerd.pid
uploaderd.pid.file = $N/uploaderd.pid
compactd.pid.file = $N/compactd.pid
EOF
	node_conf_s3 "$RUN_ID/compact"
	cat <<EOF
region.bytes = 8M
compaction.interval.ms = 5000
retired.grace.ms = 10000
EOF
	for line in "${EXTRA[@]}"; do
		echo "$line"
	done
} >"$N/sluice.conf"
cp "$N/sluice.conf" "$OUT/sluice.conf"
sed -i 's/^s3.secret.key = .*/s3.secret.key = (not copied)/' "$OUT/sluice.conf"
: >"$N/cpu.txt"

brokerd_start "$N"
daemon_start "$N" uploaderd
cpu_sample "$N" "begin-$(date +%s.%N)"
"$BENCH" --only compact --s3-config "$N/sluice.conf" \
	--bootstrap "127.0.0.1:$(<"$N/port")" --topic sluice-bench-compact \
	--partitions "$PARTITIONS" --duration "$PHASE_S" --rate-mb "$RATE" \
	--compact-pairs "$PAIRS" \
	--compactd-start "'$self' compactd-start '$N'" \
	--compactd-stop "'$self' compactd-stop '$N'" \
	--json "$OUT/compact.json" | tee "$OUT/compact.txt"
cpu_sample "$N" "end-$(date +%s.%N)"
cp "$N/cpu.txt" "$OUT/cpu.txt"
cp "$N"/*.log "$OUT/" 2>/dev/null || true
note "load after: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

# CPU seconds per process between consecutive samples: begin..stop (the
# first stop), stop..start (an idle phase), start..stop (the wait for
# compactd's first write, then a compacting phase), start..end (the last
# compacting phase, then the settling).
"$PY" - "$OUT/cpu.txt" <<'EOF' | tee "$OUT/cpu-summary.txt"
import os, sys
HZ = os.sysconf("SC_CLK_TCK")
samples = []   # (label, time, {name: ticks}, load)
for line in open(sys.argv[1]):
    label, name, value = line.split()
    kind, t = label.split("-", 1)
    if not samples or samples[-1][0] != label:
        samples.append((label, float(t), {}, None))
    if name == "load":
        samples[-1] = samples[-1][:3] + (value,)
    else:
        samples[-1][2][name] = int(value)
names = {"stop": "idle", "start": "compacting"}
print("CPU seconds per interval (from the start and stop commands):")
for a, b in zip(samples, samples[1:]):
    kind = a[0].split("-")[0]
    what = names.get(kind, "before the first phase")
    if b[0].startswith("end"):
        what += " + settling"
    secs = b[1] - a[1]
    # compactd starts at the start sample from 0 ticks
    used = " ".join("%s %.1f" % (n, (b[2][n] - a[2].get(n, 0)) / HZ)
                    for n in sorted(b[2]) if n in a[2] or n == "compactd")
    print("  %-26s %5.1f s, load %s: %s" % (what, secs, a[3], used))
EOF
