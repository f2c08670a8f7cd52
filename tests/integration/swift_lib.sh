# swift_lib.sh: what the fault tests of the upload pipeline (faults.am)
# need beyond lib.sh, which is sourced first: one Swift with s3api per test
# (scripts/swift-s3.sh, under the test's temp dir, stopped by the EXIT
# trap), its bucket, the config lines that point brokerd and uploaderd at
# it, and the checks faults.py makes (objects, counters, commits).
#
# A test calls swift_init NAME instead of sl_init, then swift_start and
# swift_bucket_create, and passes "${SW_CONF[@]}" to broker_start.

SW_S3=$top_srcdir/scripts/swift-s3.sh
SW_DIR=
SW_PORT=
SW_BUCKET=
SW_PREFIX=
SW_CONF=()
FAULTS="$SL_PYTHON $SL_LIBDIR/faults.py"
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"

# Stops Swift, then does lib.sh's cleanup (EXIT trap); keeps the status.
swift_cleanup()
{
	local status=$?
	if [ -n "$SW_DIR" ] && [ -d "$SW_DIR" ]; then
		timeout -k 5 60 "$SW_S3" stop "$SW_DIR" >/dev/null 2>&1
	fi
	(exit "$status")
	sl_cleanup
}

# Starts a test that needs Swift: sl_init, the tools, the trap.
swift_init()
{
	sl_init "$1"
	trap swift_cleanup EXIT
	sl_require_cmd memcached swift-proxy-server swift-account-server \
		swift-container-server swift-object-server
	sl_require_python_module boto3 confluent_kafka swift.common.middleware.s3api
	sl_require_built brokerd/brokerd
	sl_require_built uploaderd/uploaderd
	SW_DIR=$SL_TMP/swift
}

# Starts Swift (on port $1 when given: a restart after swift_stop) and
# exports the SWIFT_S3_* variables it prints.
swift_start()
{
	local out t0
	t0=$(sl_now_ms)
	out=$(timeout -k 5 120 "$SW_S3" start "$SW_DIR" ${1:+"$1"} 2>>"$SL_TMP/swift-s3.log") || {
		tail -n 20 "$SL_TMP/swift-s3.log" | sed 's/^/# /'
		sl_fail "swift-s3.sh start failed"
	}
	set -a
	eval "$out"
	set +a
	SW_PORT=${SWIFT_S3_ENDPOINT##*:}
	sl_note "Swift on $SWIFT_S3_ENDPOINT (started in $(($(sl_now_ms) - t0)) ms)"
}

# Stops every Swift process; its port refuses connections afterwards.
swift_stop()
{
	timeout -k 5 60 "$SW_S3" stop "$SW_DIR" 2>>"$SL_TMP/swift-s3.log" ||
		sl_fail "swift-s3.sh stop failed"
	sl_port_open "$SW_PORT" && sl_fail "Swift's port $SW_PORT still accepts connections"
	sl_note "Swift stopped"
}

# Creates bucket $1 with boto3.
swift_bucket_create()
{
	sl_run 60 $FAULTS mkbucket "$1"
}

# Sets SW_CONF to the config lines for object store s3://$1/$2 on the
# running Swift, with secret key $3 (default: the right one).
swift_config()
{
	SW_BUCKET=$1
	SW_PREFIX=$2
	SW_CONF=("object.store = s3://$1/$2"
		"s3.endpoint = $SWIFT_S3_ENDPOINT"
		"s3.region = $SWIFT_S3_REGION"
		"s3.path.style = true"
		"s3.access.key = $SWIFT_S3_ACCESS_KEY"
		"s3.secret.key = ${3:-$SWIFT_S3_SECRET_KEY}")
}

# Replaces the value of key $1 in brokerd.conf (uploaderd reads it when it
# starts; a running brokerd keeps what it read).
conf_set()
{
	local conf=$SL_BROKER_DIR/brokerd.conf
	if ! { grep -v "^$1 = " "$conf" && echo "$1 = $2"; } >"$conf.new" ||
		! mv "$conf.new" "$conf"; then
		sl_fail "cannot rewrite $conf"
	fi
}

# Prints the keys of the objects under the store's prefix, one a line.
swift_objects()
{
	$FAULTS list "$SW_BUCKET" "$SW_PREFIX/o/" ||
		sl_fail "cannot list s3://$SW_BUCKET/$SW_PREFIX/o/"
}

# Prints counter or ring word $1 of brokerd's shared memory (faults.py
# counters names them).
shm_counter()
{
	$FAULTS counters "$(sl_shm_name)" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }' ||
		sl_fail "no counter $1 in /dev/shm/$(sl_shm_name)"
}

# Prints field $1 (e.g. wal.durable, regions.uploaded_end) of brokerd's
# status on the control socket.
broker_status()
{
	$FAULTS status "$SL_BROKER_DIR/data/control.sock" "$1" ||
		sl_fail "no status from $SL_BROKER_DIR/data/control.sock"
}

# Succeeds while process $1 (a child of ours) runs; a zombie is dead.
proc_alive()
{
	local state
	[ -n "$1" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# Fails if brokerd's or uploaderd's log shows a panic, a fatal error or a
# sanitizer report (a daemon killed with -9 later would hide its crash).
logs_clean()
{
	local f
	for f in "$SL_BROKER_DIR/brokerd.log" "$SL_BROKER_DIR/uploaderd.log"; do
		[ -f "$f" ] || continue
		if grep -nE '(brokerd|uploaderd) (panic|fatal): |AddressSanitizer|LeakSanitizer|runtime error: ' \
			"$f" >"$SL_TMP/bad-lines"; then
			head -n 20 "$SL_TMP/bad-lines" | sed 's/^/# /'
			sl_fail "$(basename "$f") reports a crash"
		fi
	done
}

# Fails unless the brokerd and uploaderd started last are both running and
# their logs are clean.
daemons_alive()
{
	proc_alive "$SL_BROKER_PID" || { broker_log_tail; sl_fail "brokerd died: $*"; }
	proc_alive "$SL_UPLOADER_PID" || { uploader_log_tail; sl_fail "uploaderd died: $*"; }
	logs_clean
}

# Checks brokerd's log of commits: the committed WAL ranges follow each
# other with no gap and no range committed twice, each committed object is
# in the bucket, the last one ends at the uploaded end.  Prints a summary.
commits_check()
{
	sl_run 60 $FAULTS commits "$SL_BROKER_DIR/brokerd.log" "$SW_BUCKET" \
		"$SW_PREFIX" "$(broker_status regions.uploaded_end)"
}

# Checks objects $@ (keys) with sluice-object verify over S3.
objects_verify()
{
	local key urls=()
	sl_require_built tools/object/sluice-object
	for key in "$@"; do
		urls+=("s3://$SW_BUCKET/$key")
	done
	sl_run 60 "$top_builddir/tools/object/sluice-object" -c "$SL_BROKER_DIR/brokerd.conf" \
		verify "${urls[@]}"
}
