#!/bin/bash
# swift_harness: scripts/swift-s3.sh gives the tests a real S3 that checks
# SigV4 signatures and payload hashes the way AWS does (OpenStack Swift with
# s3api, see docs/testing-s3.md).  Checks the script's interface: start
# prints the four SWIFT_S3_* lines and writes them to DIR/env, returns
# with nothing holding its stdout, and is idempotent; status; stop ends
# every process; a restart on a given PORT keeps the data.  The S3 checks
# themselves (boto3 and hand-signed requests) are in swift_harness.py.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init swift_harness
sl_require_cmd memcached swift-proxy-server swift-account-server \
	swift-container-server swift-object-server
sl_require_python_module boto3 swift.common.middleware.s3api

SWIFT_S3=$top_srcdir/scripts/swift-s3.sh
SW_DIR=$SL_TMP/swift

# Stops the harness before lib.sh's cleanup removes its dir (EXIT trap).
swift_cleanup()
{
	local status=$?
	"$SWIFT_S3" stop "$SW_DIR" >/dev/null 2>&1
	(exit "$status")
	sl_cleanup
}
trap swift_cleanup EXIT

# Runs swift-s3.sh with its arguments and a time limit; its stdout goes to
# $SL_TMP/out, stderr to the test log.  Through $(...), so a server that
# kept the script's stdout open would hang it: the limit catches that.
harness()
{
	local out status
	out=$(timeout -k 5 60 "$SWIFT_S3" "$@")
	status=$?
	printf '%s\n' "$out" >"$SL_TMP/out"
	return "$status"
}

# Fails unless $SL_TMP/out is exactly the four env lines for port $1 (any
# port when empty) and the same as DIR/env; then exports them.
env_check()
{
	local lines
	mapfile -t lines <"$SL_TMP/out"
	[ ${#lines[@]} -eq 4 ] || sl_fail "start printed ${#lines[@]} lines, not 4: ${lines[*]}"
	[[ ${lines[0]} =~ ^SWIFT_S3_ENDPOINT=http://127\.0\.0\.1:[0-9]+$ ]] ||
		sl_fail "bad endpoint line: ${lines[0]}"
	if [ -n "${1:-}" ] && [ "${lines[0]}" != "SWIFT_S3_ENDPOINT=http://127.0.0.1:$1" ]; then
		sl_fail "endpoint ${lines[0]} is not on port $1"
	fi
	[ "${lines[1]}" = SWIFT_S3_REGION=us-east-1 ] || sl_fail "bad region line: ${lines[1]}"
	[[ ${lines[2]} =~ ^SWIFT_S3_ACCESS_KEY=[a-z0-9_-]+:[a-z0-9_-]+$ ]] ||
		sl_fail "bad access key line: ${lines[2]}"
	[[ ${lines[3]} =~ ^SWIFT_S3_SECRET_KEY=[0-9a-f]{40}$ ]] ||
		sl_fail "bad secret key line: ${lines[3]}"
	cmp -s "$SL_TMP/out" "$SW_DIR/env" || sl_fail "DIR/env differs from what start printed"
	set -a
	eval "$(cat "$SL_TMP/out")"
	set +a
}

# Prints the pids in DIR's pidfiles, one line.
pids_of()
{
	cat "$SW_DIR"/run/*.pid 2>/dev/null | tr '\n' ' '
}

sl_check "start on a fresh dir"
t0=$(sl_now_ms)
harness start "$SW_DIR" || sl_fail "start failed"
sl_note "start took $(($(sl_now_ms) - t0)) ms"
env_check
first_env=$(cat "$SL_TMP/out")
port=${SWIFT_S3_ENDPOINT##*:}
sl_port_open "$port" || sl_fail "nothing listens on the proxy port $port"

sl_check "status while running"
"$SWIFT_S3" status "$SW_DIR" >"$SL_TMP/status" || sl_fail "status exited $? while running"
sed 's/^/# /' "$SL_TMP/status"
[ "$(grep -c ' running pid ' "$SL_TMP/status")" -eq 5 ] || sl_fail "status does not show 5 running processes"
pids=$(pids_of)

sl_check "start again is a no-op"
t0=$(sl_now_ms)
harness start "$SW_DIR" || sl_fail "second start failed"
sl_note "second start took $(($(sl_now_ms) - t0)) ms"
[ "$(cat "$SL_TMP/out")" = "$first_env" ] || sl_fail "second start printed other lines"
[ "$(pids_of)" = "$pids" ] || sl_fail "second start restarted processes ($pids -> $(pids_of))"

sl_check "S3 behaviour (swift_harness.py full)"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/swift_harness.py" full "$SL_TMP/state.json"

sl_check "stop"
t0=$(sl_now_ms)
harness stop "$SW_DIR" || sl_fail "stop failed"
sl_note "stop took $(($(sl_now_ms) - t0)) ms"
for pid in $pids; do
	[ -d "/proc/$pid" ] && [ -n "$(tr -d '\0' 2>/dev/null <"/proc/$pid/cmdline")" ] &&
		sl_fail "process $pid still runs after stop"
done
sl_port_open "$port" && sl_fail "the proxy port $port still accepts connections"
status=0
"$SWIFT_S3" status "$SW_DIR" >"$SL_TMP/status" || status=$?
[ "$status" -eq 3 ] || sl_fail "status after stop exited $status, want 3"

sl_check "restart on a given port keeps the data"
port2=$(sl_free_port) || sl_fail "no free port"
t0=$(sl_now_ms)
harness start "$SW_DIR" "$port2" || sl_fail "start on port $port2 failed"
sl_note "restart took $(($(sl_now_ms) - t0)) ms"
env_check "$port2"
pids=$(pids_of)
harness start "$SW_DIR" "$port2" || sl_fail "second start on port $port2 failed"
[ "$(pids_of)" = "$pids" ] || sl_fail "start on the same port restarted processes"
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/swift_harness.py" persist "$SL_TMP/state.json"

sl_check "usage errors"
status=0
"$SWIFT_S3" frobnicate "$SW_DIR" 2>/dev/null || status=$?
[ "$status" -eq 2 ] || sl_fail "an unknown command exited $status, want 2"
status=0
"$SWIFT_S3" start "$SW_DIR" 99999 2>/dev/null || status=$?
[ "$status" -eq 1 ] || sl_fail "start with port 99999 exited $status, want 1"

harness stop "$SW_DIR" || sl_fail "final stop failed"
echo "PASS: swift_harness"
