# compactd_lib.sh: what the compactd tests (compactd.am) need beyond
# lib.sh, which is sourced first: starting, killing and stopping compactd
# on the broker's config, the config lines of a test-sized compaction, and
# the checks compactd.py makes over the control socket and the bucket.

SL_COMPACTD_PID=
CPY="$SL_PYTHON $SL_LIBDIR/compactd.py"
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"

# Compaction sized for tests: runs every second, small thresholds so a few
# megabytes go through every rule, short grace periods.  Extra "key = value"
# arguments of broker_start come after these and win.
CD_CONF=("compaction.interval.ms = 1000"
	"compaction.target.bytes = 1M"
	"compaction.split.bytes = 64K"
	"compaction.small.object.bytes = 128K"
	"compaction.bytes.per.sec = 64M"
	"compaction.max.objects.per.run = 200"
	"orphan.grace.ms = 5000"
	"retired.grace.ms = 1000"
	"retention.check.interval.ms = 500")

# Starts compactd -F on the broker's config.
compactd_start()
{
	sl_require_built compactd/compactd
	"$top_builddir/compactd/compactd" -F -c "$SL_BROKER_DIR/brokerd.conf" \
		>>"$SL_BROKER_DIR/compactd.log" 2>&1 &
	SL_COMPACTD_PID=$!
	sl_track_pid "$SL_COMPACTD_PID"
	sl_note "compactd pid $SL_COMPACTD_PID"
}

# Kills compactd with SIGKILL, as a crash would, and reaps it.
compactd_kill()
{
	local pid=$SL_COMPACTD_PID
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sl_untrack_pid "$pid"
	SL_COMPACTD_PID=
}

# Prints the last lines of compactd's log.
compactd_log_tail()
{
	[ -f "$SL_BROKER_DIR/compactd.log" ] || return 0
	echo "# --- last lines of $SL_BROKER_DIR/compactd.log"
	tail -n 30 "$SL_BROKER_DIR/compactd.log" | sed 's/^/# /'
}

# Stops compactd with SIGTERM; fails the test unless it exits 0 in 30 s.
compactd_stop()
{
	local pid=$SL_COMPACTD_PID status
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { compactd_log_tail; sl_fail "compactd did not exit within 30 s of SIGTERM"; }
	wait "$pid"
	status=$?
	sl_untrack_pid "$pid"
	SL_COMPACTD_PID=
	[ "$status" -eq 0 ] || { compactd_log_tail; sl_fail "compactd exited with status $status after SIGTERM"; }
}

# Fails if a daemon's log shows a panic, a fatal error or a sanitizer
# report.
compactd_logs_clean()
{
	local f
	for f in "$SL_BROKER_DIR"/brokerd.log "$SL_BROKER_DIR"/uploaderd.log \
		"$SL_BROKER_DIR"/compactd.log; do
		[ -f "$f" ] || continue
		if grep -nE '(brokerd|uploaderd|compactd) (panic|fatal): |AddressSanitizer|LeakSanitizer|runtime error: ' \
			"$f" >"$SL_TMP/bad-lines"; then
			head -n 20 "$SL_TMP/bad-lines" | sed 's/^/# /'
			sl_fail "$(basename "$f") reports a crash"
		fi
	done
}

# Counts compactd's finished runs so far (log lines).
compactd_runs()
{
	grep -c "compact: run done" "$SL_BROKER_DIR/compactd.log" 2>/dev/null || true
}

# Waits (at most $1 s) until compactd has finished $2 more runs than now.
compactd_wait_runs()
{
	local limit=$1 want=$(($(compactd_runs) + $2))
	for _ in $(seq $((limit * 10))); do
		[ "$(compactd_runs)" -ge "$want" ] && return 0
		sleep 0.1
	done
	compactd_log_tail
	sl_fail "compactd did not finish $2 runs within ${limit}s"
}

# The control socket of the broker.
compactd_sock()
{
	echo "$SL_BROKER_DIR/data/control.sock"
}
