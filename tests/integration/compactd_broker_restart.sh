#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# brokerd restarted while compactd is in the middle of a run: once killed
# with -9, once stopped with SIGTERM.  compactd (paced at 1 MB/s, so a run
# lasts seconds) loses the control socket, abandons the run without
# crashing (an unanswered proposal leaves its outputs to the orphan sweep),
# reconnects to the new brokerd and carries on; afterwards nothing is left
# over in the bucket and every record is read back exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/compactd_lib.sh"
sl_init compactd_broker_restart
sl_require_python_module confluent_kafka

objects=$SL_TMP/objects
store=file://$objects
broker_start "num.partitions = 8" "region.ms = 100" "region.bytes = 1M" \
	"object.store = $store" "${CD_CONF[@]}" "compaction.bytes.per.sec = 1M"
uploader_start
topic=$(sl_topic t)
sock=$(compactd_sock)
total=$(sl_run 120 $CPY trickle --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 8 --seconds 15 --rate 2000 --size 200)
uploads_drain 60
compactd_start

for how in kill stop; do
	sl_check "brokerd restarted ($how) during a compaction run"
	# wait until a rewrite is under way: its inputs are being read
	for _ in $(seq 100); do
		grep -q "compact: .* rewrite" "$SL_BROKER_DIR/compactd.log" && break
		sleep 0.1
	done
	sleep "0.$((RANDOM % 10))"
	if [ $how = kill ]; then
		broker_kill
	else
		broker_stop
	fi
	sleep 1
	kill -0 "$SL_COMPACTD_PID" 2>/dev/null || { compactd_log_tail; sl_fail "compactd died without brokerd"; }
	broker_restart
	runs=$(compactd_runs)
	compactd_wait_runs 60 2
	kill -0 "$SL_COMPACTD_PID" 2>/dev/null || { compactd_log_tail; sl_fail "compactd died"; }
done
grep -E "compact: run abandoned" "$SL_BROKER_DIR/compactd.log" | sed 's/^.*compact: /# /' | head -n 4

sl_check "nothing left over in the bucket; every record read back exactly once"
ok=
for _ in $(seq 120); do
	sleep 1
	if $CPY leftovers "$sock" "$store" >"$SL_TMP/leftovers"; then
		ok=1
		break
	fi
done
[ -n "$ok" ] || { cat "$SL_TMP/leftovers"; compactd_log_tail; sl_fail "leftovers remain"; }
compactd_stop
broker_stop
broker_restart
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count "$total" --size 200 --partitions 8
compactd_logs_clean
uploader_stop
sl_bootstrap_stop
echo "PASS: compactd_broker_restart"
