# lib.sh: shared shell functions of the integration tests (sourced by each
# tests/integration/*.sh).  A test calls sl_init, then sl_bootstrap_start,
# which gives it a Kafka endpoint in $SLUICE_BOOTSTRAP:
#   - by default a brokerd from the build tree, on a free loopback port, with
#     a config generated in a temp dir (mktemp -d);
#   - SLUICE_BOOTSTRAP=host:port set by the caller: an already running broker
#     (nothing is started; set SLUICE_MOCK=1 too if it is the mock cluster);
#   - SLUICE_TEST_BROKER=mock: librdkafka's mock cluster
#     (tests/integration/mock_cluster), for developing the tests without
#     brokerd.  The mock has no CreateTopics/DeleteTopics and no ListOffsets
#     by timestamp: drivers fall back to auto-creation there, skip the
#     deletion and timestamp checks, and say so.
# Failure tests use broker_kill (SIGKILL) and broker_restart (same config,
# data and port); broker_stop (SIGTERM) fails the test on a non-zero exit.
# Everything a test starts is stopped and the temp dir removed by an EXIT
# trap (SLUICE_KEEP_TMP=1 keeps the dir for a post-mortem).
#
# Run by hand from a build directory, top_builddir defaults to it.
#
# Exit statuses follow automake: 0 pass, 1 fail, 77 skip.  A missing tool
# skips only outside CI; with CI=true it is a failure.

# Debian's client libraries (confluent_kafka, kafka) belong to this
# interpreter; a python3 earlier on PATH may not have them.
SL_PYTHON=/usr/bin/python3
SL_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$SL_LIBDIR/../.." && pwd)}"
: "${top_builddir:=$(if [ -f config.status ]; then pwd; else echo "$top_srcdir"; fi)}"
SL_TMP=
SL_PIDS=
SL_BROKER_PID=
SL_BROKER_DIR=
SL_BROKER_PORT=
SL_MOCK_PID=
SL_TEST_NAME=

# Prints one line of the test log.
sl_note()
{
	echo "# $*"
}

# Announces a check; the line tells what a later failure refers to.
sl_check()
{
	echo "check: $*"
}

# Ends the test as failed with a message.
sl_fail()
{
	echo "FAIL: $SL_TEST_NAME: $*"
	exit 1
}

# Ends the test as skipped outside CI, as failed inside it.
sl_skip_or_fail()
{
	if [ "${CI:-}" = true ]; then
		sl_fail "$* (a missing tool is a failure in CI)"
	fi
	echo "SKIP: $SL_TEST_NAME: $*"
	exit 77
}

# Requires each named command on PATH (or an absolute path).
sl_require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			sl_skip_or_fail "$c not found (run scripts/setup-debian.sh)"
	done
}

# Requires each named Python module in Debian's python3.
sl_require_python_module()
{
	local m
	sl_require_cmd "$SL_PYTHON"
	for m in "$@"; do
		"$SL_PYTHON" -c "import $m" >/dev/null 2>&1 ||
			sl_skip_or_fail "python module $m missing (run scripts/setup-debian.sh)"
	done
}

# Requires an executable built by `make check` under top_builddir.
sl_require_built()
{
	[ -x "$top_builddir/$1" ] ||
		sl_skip_or_fail "$top_builddir/$1 not built (run make check)"
}

# Requires node and the npm packages of tests/integration/package.json.
sl_require_node_modules()
{
	sl_require_cmd node
	[ -d "$SL_LIBDIR/node_modules/kafkajs" ] ||
		sl_skip_or_fail "kafkajs missing (npm ci in tests/integration)"
}

# Kills what the test started and removes its temp dir (EXIT trap).
sl_cleanup()
{
	local status=$? pid
	for pid in $SL_PIDS; do
		kill -9 "$pid" 2>/dev/null
	done
	for pid in $SL_PIDS; do
		wait "$pid" 2>/dev/null
	done
	# A brokerd killed with -9 leaves its shared-memory segment behind.
	rm -f "/dev/shm/$(sl_shm_name)"
	if [ -n "$SL_TMP" ]; then
		if [ "${SLUICE_KEEP_TMP:-}" = 1 ]; then
			echo "# kept $SL_TMP"
		else
			rm -rf "$SL_TMP"
		fi
	fi
	exit "$status"
}

# Starts a test: names it, makes the temp dir, installs the cleanup trap.
sl_init()
{
	SL_TEST_NAME=$1
	SL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-$SL_TEST_NAME.XXXXXX") ||
		{ echo "FAIL: mktemp"; exit 1; }
	trap sl_cleanup EXIT
	trap 'exit 1' INT TERM
	echo "== $SL_TEST_NAME"
}

# Remembers a background process for the EXIT trap.
sl_track_pid()
{
	SL_PIDS="$SL_PIDS $1"
}

# Forgets a process that was stopped and reaped.
sl_untrack_pid()
{
	local p out=
	for p in $SL_PIDS; do
		[ "$p" = "$1" ] || out="$out $p"
	done
	SL_PIDS=$out
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
sl_port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a loopback port that nothing listens on now, below the kernel's
# ephemeral range: a daemon a test restarts must get its port back, and a
# port in that range can meanwhile be taken by an outgoing connection (a
# client reconnecting to the stopped daemon may even connect to itself).
sl_free_port()
{
	local port tries=0 low=32768 span
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
	[ "$low" -gt 12000 ] || low=32768
	span=$((low - 10000))
	while [ $tries -lt 100 ]; do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % span))
		if ! sl_port_open "$port"; then
			echo "$port"
			return 0
		fi
		tries=$((tries + 1))
	done
	return 1
}

# Milliseconds since the epoch.
sl_now_ms()
{
	date +%s%3N
}

# The test's shared-memory segment name (without the leading slash).
sl_shm_name()
{
	echo "sluice-test-$$-$SL_TEST_NAME"
}

# Writes brokerd's config for a node rooted at dir $1 listening on port $2;
# extra "key = value" lines may follow as arguments.
broker_config_write()
{
	local dir=$1 port=$2 line
	shift 2
	mkdir -p "$dir/data"
	{
		echo "# generated by tests/integration/lib.sh for $SL_TEST_NAME"
		echo "listeners = PLAINTEXT://127.0.0.1:$port"
		echo "node.id = 1"
		echo "data.dir = $dir/data"
		echo "wal.path = $dir/data/wal"
		echo "wal.capacity.bytes = 256M"
		echo "cache.bytes = 64M"
		echo "num.partitions = 4"
		echo "auto.create.topics.enable = true"
		echo "shm.name = /$(sl_shm_name)"
		echo "pid.file = $dir/brokerd.pid"
		echo "log.level = info"
		for line in "$@"; do
			echo "$line"
		done
	} >"$dir/brokerd.conf"
}

# Prints the last lines of the broker's log (after a failure).
broker_log_tail()
{
	[ -f "$SL_BROKER_DIR/brokerd.log" ] || return 0
	echo "# --- last lines of $SL_BROKER_DIR/brokerd.log"
	tail -n 40 "$SL_BROKER_DIR/brokerd.log" | sed 's/^/# /'
}

# Starts brokerd -F with the config in $SL_BROKER_DIR and waits until its
# port accepts connections.  Returns 1 if it exits or is not ready in 30 s.
broker_launch()
{
	local bin=$top_builddir/brokerd/brokerd
	"$bin" -F -c "$SL_BROKER_DIR/brokerd.conf" >>"$SL_BROKER_DIR/brokerd.log" 2>&1 &
	SL_BROKER_PID=$!
	sl_track_pid "$SL_BROKER_PID"
	for _ in $(seq 300); do
		if ! kill -0 "$SL_BROKER_PID" 2>/dev/null; then
			wait "$SL_BROKER_PID"
			echo "# brokerd exited with status $? before it was ready"
			sl_untrack_pid "$SL_BROKER_PID"
			SL_BROKER_PID=
			return 1
		fi
		sl_port_open "$SL_BROKER_PORT" && return 0
		sleep 0.1
	done
	echo "# brokerd did not accept connections on port $SL_BROKER_PORT in 30 s"
	return 1
}

# Starts a fresh brokerd on a free port (extra config lines as arguments)
# and exports SLUICE_BOOTSTRAP.  A port taken meanwhile is retried.
broker_start()
{
	sl_require_built brokerd/brokerd
	SL_BROKER_DIR=$SL_TMP/broker
	for _ in 1 2 3; do
		SL_BROKER_PORT=$(sl_free_port) || sl_fail "no free port"
		rm -rf "$SL_BROKER_DIR"
		broker_config_write "$SL_BROKER_DIR" "$SL_BROKER_PORT" "$@"
		if broker_launch; then
			export SLUICE_BOOTSTRAP=127.0.0.1:$SL_BROKER_PORT
			sl_note "brokerd pid $SL_BROKER_PID on $SLUICE_BOOTSTRAP (dir $SL_BROKER_DIR)"
			return 0
		fi
		broker_log_tail
		[ -n "$SL_BROKER_PID" ] && broker_kill
	done
	sl_fail "brokerd did not start"
}

# Starts brokerd again on the same config, data and port (after a stop).
broker_restart()
{
	broker_launch || { broker_log_tail; sl_fail "brokerd did not restart"; }
	sl_note "brokerd restarted, pid $SL_BROKER_PID"
}

# Stops brokerd with SIGTERM; fails the test unless it exits 0 in 30 s
# (under the sanitizers a leak or error report makes the status non-zero).
broker_stop()
{
	local pid=$SL_BROKER_PID status
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		broker_log_tail
		sl_fail "brokerd (pid $pid) did not exit within 30 s of SIGTERM"
	fi
	wait "$pid"
	status=$?
	sl_untrack_pid "$pid"
	SL_BROKER_PID=
	if [ "$status" -ne 0 ]; then
		broker_log_tail
		sl_fail "brokerd exited with status $status after SIGTERM"
	fi
}

# Kills brokerd with SIGKILL, as a crash would, and reaps it.
broker_kill()
{
	local pid=$SL_BROKER_PID
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sl_untrack_pid "$pid"
	SL_BROKER_PID=
}

# Starts librdkafka's mock cluster and exports its address.
mock_start()
{
	local out=$SL_TMP/mock_cluster.out
	sl_require_built tests/integration/mock_cluster
	"$top_builddir/tests/integration/mock_cluster" >"$out" 2>"$SL_TMP/mock_cluster.log" &
	SL_MOCK_PID=$!
	sl_track_pid "$SL_MOCK_PID"
	for _ in $(seq 100); do
		if [ -s "$out" ]; then
			export SLUICE_BOOTSTRAP
			SLUICE_BOOTSTRAP=$(head -n 1 "$out")
			export SLUICE_MOCK=1
			sl_note "mock cluster pid $SL_MOCK_PID on $SLUICE_BOOTSTRAP"
			return 0
		fi
		sleep 0.1
	done
	sl_fail "mock_cluster printed no bootstrap address"
}

# Gives the test a Kafka endpoint in $SLUICE_BOOTSTRAP (see the top).
sl_bootstrap_start()
{
	if [ -n "${SLUICE_BOOTSTRAP:-}" ]; then
		export SLUICE_BOOTSTRAP
		sl_note "using the running broker at $SLUICE_BOOTSTRAP${SLUICE_MOCK:+ (mock cluster)}"
	elif [ "${SLUICE_TEST_BROKER:-brokerd}" = mock ]; then
		mock_start
	else
		broker_start "$@"
	fi
}

# True when the peer is the mock cluster (checks it lacks are skipped).
sl_is_mock()
{
	[ "${SLUICE_MOCK:-}" = 1 ]
}

# Stops the mock cluster with SIGTERM; fails the test unless it exits 0.
mock_stop()
{
	local pid=$SL_MOCK_PID status
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	status=$?
	sl_untrack_pid "$pid"
	SL_MOCK_PID=
	[ "$status" -eq 0 ] || sl_fail "mock_cluster exited with status $status"
}

# Stops whatever sl_bootstrap_start started, checking its exit status.
sl_bootstrap_stop()
{
	if [ -n "$SL_BROKER_PID" ]; then
		broker_stop
	fi
	mock_stop
}

# Runs a command with a time limit; fails the test if it fails or hangs.
sl_run()
{
	local limit=$1 status
	shift
	timeout -k 5 "$limit" "$@"
	status=$?
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		broker_log_tail
		sl_fail "timed out after ${limit}s: $*"
	fi
	if [ "$status" -ne 0 ]; then
		broker_log_tail
		sl_fail "exit status $status: $*"
	fi
}

# Prints a topic name unique to this test run.
sl_topic()
{
	echo "sluice-$SL_TEST_NAME-$1-$$"
}

SL_UPLOADER_PID=

# Starts uploaderd -F on the broker's config (same sluice.conf).
uploader_start()
{
	sl_require_built uploaderd/uploaderd
	"$top_builddir/uploaderd/uploaderd" -F -c "$SL_BROKER_DIR/brokerd.conf" \
		>>"$SL_BROKER_DIR/uploaderd.log" 2>&1 &
	SL_UPLOADER_PID=$!
	sl_track_pid "$SL_UPLOADER_PID"
	sl_note "uploaderd pid $SL_UPLOADER_PID"
}

# Kills uploaderd with SIGKILL, as a crash would, and reaps it.
uploader_kill()
{
	local pid=$SL_UPLOADER_PID
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sl_untrack_pid "$pid"
	SL_UPLOADER_PID=
}

# Stops uploaderd with SIGTERM; fails the test unless it exits 0 in 30 s.
uploader_stop()
{
	local pid=$SL_UPLOADER_PID status
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && sl_fail "uploaderd did not exit within 30 s of SIGTERM"
	wait "$pid"
	status=$?
	sl_untrack_pid "$pid"
	SL_UPLOADER_PID=
	[ "$status" -eq 0 ] || sl_fail "uploaderd exited with status $status after SIGTERM"
}

# Prints the last lines of uploaderd's log.
uploader_log_tail()
{
	[ -f "$SL_BROKER_DIR/uploaderd.log" ] || return 0
	echo "# --- last lines of $SL_BROKER_DIR/uploaderd.log"
	tail -n 30 "$SL_BROKER_DIR/uploaderd.log" | sed 's/^/# /'
}

# Waits until brokerd's control socket reports everything durable as
# uploaded (all sealed regions committed), at most $1 seconds.
uploads_drain()
{
	local limit=${1:-60} sock=$SL_BROKER_DIR/data/control.sock
	for _ in $(seq $((limit * 10))); do
		if "$SL_PYTHON" - "$sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"op":"status"}\n')
r = json.loads(s.makefile().readline())
w = r["wal"]
sys.exit(0 if r["regions"]["uploaded_end"] >= w["durable"] else 1)
PY
		then
			return 0
		fi
		sleep 0.1
	done
	uploader_log_tail
	broker_log_tail
	sl_fail "uploads did not drain within ${limit}s"
}
