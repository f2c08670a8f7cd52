#!/bin/bash
# Crash test: a librdkafka producer (crash_producer, acks=all, retrying)
# writes to a 4-partition topic while brokerd is killed with SIGKILL at
# random moments and restarted on the same data dir and WAL.  Then the
# producer stops, brokerd restarts cleanly, and crash_check.py reads the
# topic with confluent_kafka and proves that every acknowledged record is
# stored at its acknowledged offset, offsets are contiguous, and copies of
# unanswered attempts obey the rule written at the top of crash_check.py.
#
# SLUICE_TEST_SEED replays the kill schedule of an earlier run;
# CRASH_KILLS (default 5) sets how many kills.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust_lib.sh"
sl_init crash_acks_all
sl_require_built tests/integration/crash_producer
sl_require_python_module confluent_kafka

partitions=4
rate=2000
kills=${CRASH_KILLS:-5}
seed=$(robust_seed)
RANDOM=$seed
topic=$(sl_topic crash)
acks=$SL_TMP/acks.log
events=$SL_TMP/events
stop=$SL_TMP/stop-producer
: >"$acks"
: >"$events"

broker_start
sl_run 60 "$SL_PYTHON" "$SL_LIBDIR/crash_check.py" create "$SLUICE_BOOTSTRAP" "$topic" "$partitions"

sl_check "$kills kill -9 of brokerd under an acks=all producer at $rate records/s (seed $seed)"
"$top_builddir/tests/integration/crash_producer" "$SLUICE_BOOTSTRAP" "$topic" \
	"$partitions" "$acks" "$stop" "$rate" >"$SL_TMP/producer.out" 2>"$SL_TMP/producer.log" &
producer=$!
sl_track_pid "$producer"
sleep 2
for k in $(seq "$kills"); do
	robust_sleep_tenths 20 80
	kill -0 "$producer" 2>/dev/null || sl_fail "the producer exited early"
	robust_broker_alive || { broker_log_tail; sl_fail "brokerd died on its own before kill $k"; }
	echo "kill $(sl_now_ms)" >>"$events"
	sl_note "kill $k: brokerd pid $SL_BROKER_PID, $(wc -l <"$acks") acknowledgements so far"
	broker_kill
	robust_sleep_tenths 0 10
	broker_restart
	echo "restart $(sl_now_ms)" >>"$events"
done
sleep 3

sl_check "stop the producer; it flushes what it can"
touch "$stop"
for i in $(seq 600); do
	kill -0 "$producer" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$producer" 2>/dev/null && sl_fail "the producer did not stop within 60 s"
wait "$producer"
status=$?
sl_untrack_pid "$producer"
sed 's/^/# producer: /' "$SL_TMP/producer.log" | grep -v 'Connection refused\|Disconnected' | tail -n 5
[ "$status" -eq 0 ] || sl_fail "the producer exited with status $status"
produced=$(awk '/^produced/ {print $2}' "$SL_TMP/producer.out")
[ -n "$produced" ] || sl_fail "the producer printed no counts"
sl_note "producer: $(tail -n 1 "$SL_TMP/producer.out")"

sl_check "clean restart, then read everything back"
broker_stop
broker_restart
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/crash_check.py" verify "$SLUICE_BOOTSTRAP" \
	"$topic" "$partitions" "$acks" "$events" "$produced"
sl_note "brokerd started $(robust_log_count 'brokerd ready') times on this data dir"
broker_stop
echo "PASS: crash_acks_all"
