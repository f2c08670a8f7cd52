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
#   -R  paced rate, MB/s (default 20)
#   -c  an extra sluice.conf line, after the script's own (repeatable):
#       region.bytes 8M, compaction.interval.ms 5000, retired.grace.ms
#       10000 and the compaction defaults otherwise
#   -k  keep Swift running and the data at the end
# Internal (sluice-bench's --compactd-start and --compactd-stop):
#   run-compact-bench.sh compactd-start NODEDIR
#   run-compact-bench.sh compactd-stop NODEDIR
set -euo pipefail

PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/bench/bench-lib.sh
. "$here/bench-lib.sh"
top=$(cd "$here/../.." && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
BUCKET=sluice-bench

die()
{
	echo "run-compact-bench: $*" >&2
	exit 1
}

note()
{
	echo "run-compact-bench: $*" >&2
}


# Starts daemon $2 (brokerd, uploaderd, compactd) of node directory $1,
# detached, its pid in NODEDIR/$2.mypid.
daemon_start()
{
	local dir=$1 name=$2
	setsid "$(<"$dir/bin")/$name/$name" -F -c "$dir/sluice.conf" \
		</dev/null >>"$dir/$name.log" 2>&1 &
	echo $! >"$dir/$name.mypid"
}

# Stops daemon $2 of node directory $1 (SIGTERM, then waits up to 30 s).
daemon_stop()
{
	local dir=$1 name=$2 pid
	[ -f "$dir/$name.mypid" ] || return 0
	pid=$(<"$dir/$name.mypid")
	rm -f "$dir/$name.mypid"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	die "$name $pid did not stop in 30 s"
}

# Starts brokerd of node directory $1 and waits until it accepts connections.
brokerd_start()
{
	local dir=$1 port
	port=$(<"$dir/port")
	daemon_start "$dir" brokerd
	for _ in $(seq 300); do
		kill -0 "$(<"$dir/brokerd.mypid")" 2>/dev/null ||
			die "brokerd exited; see $dir/brokerd.log"
		port_open "$port" && return 0
		sleep 0.1
	done
	die "brokerd not listening on $port after 30 s"
}

# Waits until brokerd of node directory $1 says compactd is attached
# (subscribed to compaction events): compactd is running from then on.
compactd_attached()
{
	"$PY" - "$1/data/control.sock" <<'EOF' || die "compactd did not attach in 30 s"
import json, socket, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b'{"op":"status"}\n')
    r = json.loads(s.makefile().readline())
    s.close()
    if r["compactd"]["attached"] > 0:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
}

# Appends "label NAME cpu-ticks" lines for brokerd, uploaderd and compactd
# of node directory $1, each Swift process and the whole machine ("all",
# busy ticks from /proc/stat) to $1/cpu.txt, label $2.
cpu_sample()
{
	local dir=$1 label=$2 f name pid
	{
		for f in "$dir"/*.mypid "$SWIFT_DIR"/run/*.pid; do
			[ -f "$f" ] || continue
			name=$(basename "$f")
			name=${name%.mypid}
			name=${name%.pid}
			pid=$(<"$f")
			# Fields 14 and 15 (utime, stime) after the ")" that ends the name.
			[ -r "/proc/$pid/stat" ] &&
				sed 's/^.*) //' "/proc/$pid/stat" |
				awk -v l="$label" -v n="$name" '{ print l, n, $12 + $13 }'
		done
		awk -v l="$label" '$1 == "cpu" { print l, "all", $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
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

BUILD=$(pwd) BENCH='' WORK=/var/tmp/sluice-compact-bench SWIFT_DIR='' OUT=''
PARTITIONS=64 PAIRS=3 PHASE_S=30 RATE=20 KEEP=0
EXTRA=()
while getopts b:s:w:S:o:p:r:t:R:c:kh opt; do
	case $opt in
	b) BUILD=$(cd "$OPTARG" && pwd) ;;
	s) BENCH=$OPTARG ;;
	w) WORK=$OPTARG ;;
	S) SWIFT_DIR=$OPTARG ;;
	o) OUT=$OPTARG ;;
	p) PARTITIONS=$OPTARG ;;
	r) PAIRS=$OPTARG ;;
	t) PHASE_S=$OPTARG ;;
	R) RATE=$OPTARG ;;
	c) EXTRA+=("$OPTARG") ;;
	k) KEEP=1 ;;
	h) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
BENCH=${BENCH:-$BUILD/tools/bench/sluice-bench}
for bin in "$BUILD/brokerd/brokerd" "$BUILD/uploaderd/uploaderd" "$BUILD/compactd/compactd" \
	"$BENCH"; do
	[ -x "$bin" ] || die "$bin is not built (give the build tree with -b)"
done
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OUT=${OUT:-$WORK/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SWIFT_DIR=${SWIFT_DIR:-$WORK/swift}
N=$WORK/node

# The disk is shared: the WAL (1 GiB), what is produced, about three times
# that in objects before the retired ones go, and 1 GiB to spare.
need_mb=$((1024 + 4 * 2 * PAIRS * PHASE_S * ${RATE%.*} + 1024))
free_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
[ "$free_mb" -ge "$need_mb" ] || die "$WORK has $free_mb MB free, the run needs about $need_mb MB"

# Stops what the run started and, unless -k, removes the WAL and Swift's data.
cleanup()
{
	if [ -d "$N" ]; then
		daemon_stop "$N" compactd || true
		daemon_stop "$N" uploaderd || true
		daemon_stop "$N" brokerd || true
	fi
	if [ "$KEEP" = 0 ]; then
		"$top/scripts/swift-s3.sh" stop "$SWIFT_DIR" >/dev/null 2>&1 || true
		rm -rf "$N/data" "$SWIFT_DIR/devices"
	fi
}
trap cleanup EXIT

note "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min); Swift in $SWIFT_DIR" \
	"($(stat -f -c %T "$(dirname "$SWIFT_DIR")"))"
eval "$("$top/scripts/swift-s3.sh" start "$SWIFT_DIR")"
export SWIFT_S3_ENDPOINT SWIFT_S3_REGION SWIFT_S3_ACCESS_KEY SWIFT_S3_SECRET_KEY
"$PY" - "$BUCKET" <<'EOF'
import os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client("s3", endpoint_url=os.environ["SWIFT_S3_ENDPOINT"],
                  region_name=os.environ["SWIFT_S3_REGION"],
                  aws_access_key_id=os.environ["SWIFT_S3_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["SWIFT_S3_SECRET_KEY"],
                  config=Config(signature_version="s3v4",
                                s3={"addressing_style": "path"}))
try:
    s3.create_bucket(Bucket=sys.argv[1])
except ClientError as e:
    if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
        raise
EOF
RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
note "bucket $BUCKET, prefix $RUN_ID/compact, reports in $OUT"

rm -rf "$N"
mkdir -p "$N/data"
free_port >"$N/port"
echo "$BUILD" >"$N/bin"
echo "$SWIFT_DIR" >"$N/swift-dir"
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
object.store = s3://$BUCKET/$RUN_ID/compact
s3.endpoint = $SWIFT_S3_ENDPOINT
s3.region = $SWIFT_S3_REGION
s3.path.style = true
s3.access.key = $SWIFT_S3_ACCESS_KEY
s3.secret.key = $SWIFT_S3_SECRET_KEY
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
