#!/bin/bash
# Exactly-once processing under crashes: eos_ctp.py's consume-transform-
# produce loop (read_committed consumer, transactional producer,
# send_offsets_to_transaction) turns every record of an input topic into
# one result record while brokerd is killed with SIGKILL at random moments
# (before, during and after commits) and restarted on the same data.  The
# output topic, read with READ_COMMITTED, must hold every input's result
# exactly once, and the group's committed offsets must end at the input's
# end.  uploaderd runs too, so transactions span uploads and WAL trims.
#
# SLUICE_TEST_SEED replays an earlier run's kill schedule; EOS_KILLS
# (default 5) sets how many kills.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust_lib.sh"
sl_init eos_ctp_kill
sl_require_python_module confluent_kafka

count=4000
kills=${EOS_KILLS:-5}
seed=$(robust_seed)
RANDOM=$seed
tin=$(sl_topic in)
tout=$(sl_topic out)
group=ctp-$$
CTP="$SL_PYTHON $SL_LIBDIR/eos_ctp.py"

broker_start "transaction.abort.timed.out.transaction.cleanup.interval.ms = 500" \
	"wal.capacity.bytes = 32M" "region.bytes = 1M" "region.ms = 300" \
	"object.store = file://$SL_TMP/objects"
uploader_start
sl_run 120 $CTP fill "$SLUICE_BOOTSTRAP" "$tin" "$tout" "$count"

sl_check "$count records through the loop, $kills kill -9 of brokerd (seed $seed)"
$CTP run "$SLUICE_BOOTSTRAP" "$tin" "$tout" "$group" "$count" >"$SL_TMP/ctp.out" 2>&1 &
ctp=$!
sl_track_pid "$ctp"
sleep 2
for k in $(seq "$kills"); do
	robust_sleep_tenths 15 40
	kill -0 "$ctp" 2>/dev/null || break
	sl_note "kill $k"
	broker_kill
	robust_sleep_tenths 0 10
	broker_restart
done
for _ in $(seq 1500); do
	kill -0 "$ctp" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$ctp" 2>/dev/null && { tail -n 5 "$SL_TMP/ctp.out"; sl_fail "the loop did not finish within 5 minutes"; }
wait "$ctp"
status=$?
sl_untrack_pid "$ctp"
grep -v '^%' "$SL_TMP/ctp.out" | tail -n 8 | sed 's/^/# /'
[ "$status" -eq 0 ] || sl_fail "the loop exited with status $status"
restarts=$(robust_log_count 'brokerd ready')
[ "$restarts" -ge 2 ] || sl_fail "brokerd was never killed while the loop ran"
sl_note "brokerd started $restarts times; $(robust_log_count 'finishing its prepared') prepared transactions finished at start"

sl_check "every input's result exactly once, offsets committed to the end"
sl_run 120 $CTP verify "$SLUICE_BOOTSTRAP" "$tin" "$tout" "$group" "$count"
uploader_stop
broker_stop
echo "PASS: eos_ctp_kill"
