# shellcheck shell=bash
# bench-lib.sh: what run-s3-bench.sh and run-compact-bench.sh share
# (sourced first thing): their settings, messages, directories, Swift and
# its bucket, node directories and the daemons in them, brokerd's status
# and CPU samples.  The scripts set WORK's default and take their options
# (bench_option) before they call what uses them.

PY=/usr/bin/python3
BUCKET=sluice-bench
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The script that sourced this; the benchmark runs it again for its
# internal commands.
self=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)/$(basename "${BASH_SOURCE[1]}")
# Messages start with the script's name (run-s3-bench: ...).
bench_prog=$(basename "$self" .sh)
# The defaults of the options both scripts have.
BUILD=$(pwd) BENCH='' SWIFT_DIR='' OUT='' KEEP=0

# Prints a free loopback port below the kernel's ephemeral range: brokerd
# is restarted on it, and a port in that range can be taken meanwhile by an
# outgoing connection.
free_port()
{
	"$PY" - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
low = low if low > 12000 else 32768
for _ in range(200):
    port = random.randrange(10000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free loopback port")
PY
}

# Succeeds when something accepts connections on 127.0.0.1:$1.
port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

die()
{
	echo "$bench_prog: $*" >&2
	exit 1
}

note()
{
	echo "$bench_prog: $*" >&2
}

# Prints the comment block at the top of script $1 (its -h).
bench_usage()
{
	sed -n '2,/^set -euo/p' "$1" | sed '$d; s/^# \{0,1\}//'
}

# Takes option $1 (argument $2) of those both scripts have: -b -s -w -S
# -o -k -h; any other is a usage error.
bench_option()
{
	case $1 in
	b) BUILD=$(cd "$2" && pwd) ;;
	s) BENCH=$2 ;;
	w) WORK=$2 ;;
	S) SWIFT_DIR=$2 ;;
	o) OUT=$2 ;;
	k) KEEP=1 ;;
	h) bench_usage "$self"; exit 0 ;;
	*) bench_usage "$self" >&2; exit 2 ;;
	esac
}

# Gives BENCH its default (BUILD's sluice-bench) and dies unless the
# daemons named (brokerd, uploaderd, compactd) and BENCH are built.
bench_require_built()
{
	local name bin
	BENCH=${BENCH:-$BUILD/tools/bench/sluice-bench}
	for name in "$@" ""; do
		bin=${name:+$BUILD/$name/$name}
		bin=${bin:-$BENCH}
		[ -x "$bin" ] || die "$bin is not built (give the build tree with -b)"
	done
}

# Makes WORK and OUT (default WORK/out) absolute and existing, and gives
# SWIFT_DIR its default (WORK/swift).
bench_dirs()
{
	mkdir -p "$WORK"
	WORK=$(cd "$WORK" && pwd)
	OUT=${OUT:-$WORK/out}
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	SWIFT_DIR=${SWIFT_DIR:-$WORK/swift}
}

# The machine's disk is shared: dies unless WORK has $1 MB free, rather
# than fill it for everyone.
bench_disk_room()
{
	local free_mb
	free_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
	[ "$free_mb" -ge "$1" ] || die "$WORK has $free_mb MB free, the run needs about $1 MB"
}

# Starts Swift with s3api in SWIFT_DIR (scripts/swift-s3.sh), exports its
# SWIFT_S3_* settings and makes BUCKET if it is not there yet.
swift_start()
{
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
}

# Unless KEEP is 1 (-k), stops Swift and removes its data and the
# directories given (several GB); the reports stay.
swift_cleanup()
{
	[ "$KEEP" = 0 ] || return 0
	"$top/scripts/swift-s3.sh" stop "$SWIFT_DIR" >/dev/null 2>&1 || true
	rm -rf "$@" "$SWIFT_DIR/devices"
}

# Makes node directory $1 afresh: data/, a free port (NODEDIR/port), the
# build tree (bin) and Swift's directory (swift-dir), which the internal
# commands the benchmark runs read back.
node_init()
{
	local dir=$1
	rm -rf "$dir"
	mkdir -p "$dir/data"
	free_port >"$dir/port"
	echo "$BUILD" >"$dir/bin"
	echo "$SWIFT_DIR" >"$dir/swift-dir"
}

# Prints the sluice.conf lines for objects under prefix $1 of BUCKET in Swift.
node_conf_s3()
{
	cat <<EOF
object.store = s3://$BUCKET/$1
s3.endpoint = $SWIFT_S3_ENDPOINT
s3.region = $SWIFT_S3_REGION
s3.path.style = true
s3.access.key = $SWIFT_S3_ACCESS_KEY
s3.secret.key = $SWIFT_S3_SECRET_KEY
EOF
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

# Waits up to $2 seconds until the Python condition $3 holds of r, the
# status of brokerd of node directory $1 (its control socket); dies with
# "$4 in $2 s" if it does not.
status_wait()
{
	"$PY" - "$1/data/control.sock" "$2" "$3" <<'EOF' || die "$4 in $2 s"
import json, socket, sys, time
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b'{"op":"status"}\n')
    r = json.loads(s.makefile().readline())
    s.close()
    if eval(sys.argv[3], {"r": r}):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
}

# Prints "NAME cpu-ticks" for the process of each pid file given (NAME is
# the file's name less .mypid or .pid) and for the whole machine ("all":
# busy ticks of every CPU, from /proc/stat, so other people's jobs show).
cpu_ticks()
{
	local f name pid
	for f in "$@"; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		name=${name%.mypid}
		name=${name%.pid}
		pid=$(<"$f")
		# Fields 14 and 15 (utime, stime) after the ")" that ends the name.
		[ -r "/proc/$pid/stat" ] &&
			sed 's/^.*) //' "/proc/$pid/stat" | awk -v n="$name" '{ print n, $12 + $13 }'
	done
	awk '$1 == "cpu" { print "all", $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
