# robust_lib.sh: what the robustness tests (crash_*, bad_input*, wal_full*)
# need beyond lib.sh, which is sourced first and starts, restarts, kills
# and stops brokerd.

# Succeeds while brokerd (SL_BROKER_PID) runs; a zombie counts as dead
# (brokerd is our child, so after a crash it lingers until reaped).
robust_broker_alive()
{
	local state
	[ -n "$SL_BROKER_PID" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$SL_BROKER_PID/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# Prints a seed for a test's random choices: $SLUICE_TEST_SEED if set (to
# replay a failure), else one drawn now.  The test prints it.
robust_seed()
{
	echo "${SLUICE_TEST_SEED:-$(( $(date +%s) % 100000 ))}"
}

# Sleeps a random time between $1 and $2 tenths of a second (bash RANDOM,
# so the sequence follows the seed given to RANDOM).
robust_sleep_tenths()
{
	local lo=$1 hi=$2 t
	t=$((lo + RANDOM % (hi - lo + 1)))
	sleep "$((t / 10)).$((t % 10))"
}

# Counts the lines of brokerd's log that match an extended regex.
robust_log_count()
{
	grep -cE "$1" "$SL_BROKER_DIR/brokerd.log" 2>/dev/null || true
}
