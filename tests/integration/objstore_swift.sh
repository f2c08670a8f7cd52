#!/bin/bash
# objstore_swift: the object store's S3 backend against a real S3, OpenStack
# Swift with s3api started by scripts/swift-s3.sh (it checks SigV4
# signatures and payload hashes as AWS does).  objstore_driver does the
# work: every operation (ranged GETs, a 70 MiB multipart upload in 16 MiB
# parts, LIST paging with a 7-key page size, DeleteObjects over two
# batches, concurrent requests), then a wrong secret key (a clear
# SignatureDoesNotMatch, not retried) and a missing bucket (NoSuchBucket).
# With Swift stopped: connection refused is retried with backoff and then
# reported; and a PUT started while Swift is down completes once the
# script has started Swift again on the same port.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init objstore_swift
sl_require_cmd memcached swift-proxy-server swift-account-server \
	swift-container-server swift-object-server
sl_require_built tests/integration/objstore_driver

SWIFT_S3=$top_srcdir/scripts/swift-s3.sh
SW_DIR=$SL_TMP/swift
DRIVER=$top_builddir/tests/integration/objstore_driver
BUCKET=objstore-test

# Stops Swift before lib.sh's cleanup removes its dir (EXIT trap).
objstore_cleanup()
{
	local status=$?
	"$SWIFT_S3" stop "$SW_DIR" >/dev/null 2>&1
	(exit "$status")
	sl_cleanup
}
trap objstore_cleanup EXIT

# Starts Swift (on port $1 if given) and exports the SWIFT_S3_* variables.
swift_start()
{
	local out
	out=$(timeout -k 5 120 "$SWIFT_S3" start "$SW_DIR" ${1:+"$1"}) ||
		sl_fail "swift-s3.sh start failed"
	set -a
	eval "$out"
	set +a
}

sl_check "start Swift"
swift_start
port=${SWIFT_S3_ENDPOINT##*:}
sl_note "endpoint $SWIFT_S3_ENDPOINT"
sl_run 60 "$DRIVER" mkbucket "$BUCKET"

sl_check "every operation"
sl_run 600 "$DRIVER" all "$BUCKET"

sl_check "a wrong secret key"
sl_run 60 "$DRIVER" badsecret "$BUCKET"

sl_check "a missing bucket"
sl_run 60 "$DRIVER" nobucket "$BUCKET"

sl_check "Swift stopped: retried, then given up"
timeout -k 5 60 "$SWIFT_S3" stop "$SW_DIR" >/dev/null || sl_fail "stop failed"
sl_port_open "$port" && sl_fail "the proxy port $port still accepts connections"
sl_run 60 "$DRIVER" refused "$BUCKET"

sl_check "Swift back during the retries"
fifo=$SL_TMP/recover.out
mkfifo "$fifo"
timeout -k 5 180 "$DRIVER" recover "$BUCKET" >"$fifo" &
driver=$!
sl_track_pid "$driver"
exec 3<"$fifo"
read -r -t 30 line <&3 || sl_fail "the driver did not start"
[ "$line" = waiting ] || sl_fail "the driver said: $line"
sleep 1 # let a few attempts fail first
swift_start "$port"
sl_note "Swift restarted on port $port"
while read -r -t 120 line <&3; do
	echo "$line"
done
exec 3<&-
wait "$driver" || sl_fail "the PUT across the outage failed (exit $?)"

timeout -k 5 60 "$SWIFT_S3" stop "$SW_DIR" >/dev/null || sl_fail "final stop failed"
echo "PASS: objstore_swift"
