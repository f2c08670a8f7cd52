#!/bin/bash
# The idempotent producer under injected faults: librdkafka
# (enable.idempotence, gapless guarantee) produces through tcp_proxy.py,
# which cuts requests in the middle and drops responses of requests the
# broker did (so the client retries them), while brokerd is also killed
# with SIGKILL and restarted a few times, and uploaderd moves what is
# written to objects (so the WAL is trimmed behind producer state
# snapshots all along).  brokerd advertises the proxy,
# so every connection goes through it.  idem_check.py verify then reads
# every partition (through the proxy, its faults off: brokerd advertises
# it): each id once, none missing, in order, each at its acknowledged
# offset.
#
# SLUICE_TEST_SEED replays an earlier run's faults and kill schedule.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust_lib.sh"
sl_init idempotent_faults
sl_require_python_module confluent_kafka

partitions=3
count=30000
kills=3
seed=$(robust_seed)
RANDOM=$seed
topic=$(sl_topic idem)
proxy_port=$(sl_free_port) || sl_fail "no free port"
acks=$SL_TMP/acks.log

broker_start "advertised.listeners = PLAINTEXT://127.0.0.1:$proxy_port" \
	"wal.capacity.bytes = 16M" "region.bytes = 1M" "region.ms = 200" \
	"object.store = file://$SL_TMP/objects"
uploader_start
"$SL_PYTHON" "$SL_LIBDIR/tcp_proxy.py" "$proxy_port" "$SLUICE_BOOTSTRAP" \
	"$SL_TMP/proxy.stats" "$seed" >"$SL_TMP/proxy.log" 2>&1 &
proxy=$!
sl_track_pid "$proxy"
for _ in $(seq 50); do sl_port_open "$proxy_port" && break; sleep 0.1; done
sl_run 60 "$SL_PYTHON" "$SL_LIBDIR/idem_check.py" create "$SLUICE_BOOTSTRAP" "$topic" "$partitions"

sl_check "$count records through a proxy that breaks connections, $kills kill -9 of brokerd (seed $seed)"
"$SL_PYTHON" "$SL_LIBDIR/idem_check.py" produce "127.0.0.1:$proxy_port" "$topic" \
	"$partitions" "$count" "$acks" >"$SL_TMP/producer.out" 2>&1 &
producer=$!
sl_track_pid "$producer"
sleep 2
for k in $(seq "$kills"); do
	robust_sleep_tenths 10 30
	kill -0 "$producer" 2>/dev/null || break
	sl_note "kill $k: $(wc -l <"$acks") acknowledgements so far"
	broker_kill
	robust_sleep_tenths 0 10
	broker_restart
done
# the last stretch without faults, so the run ends
sleep 3
kill -USR1 "$proxy"
for _ in $(seq 900); do
	kill -0 "$producer" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$producer" 2>/dev/null && { tail -n 5 "$SL_TMP/producer.out"; sl_fail "the producer did not finish within 3 minutes"; }
wait "$producer"
status=$?
sl_untrack_pid "$producer"
grep -v 'delivery failed' "$SL_TMP/producer.out" | tail -n 3 | sed 's/^/# /'
[ "$status" -eq 0 ] || sl_fail "the producer exited with status $status"
sleep 1.2 # the proxy writes its counts every second
sl_note "proxy: $(cat "$SL_TMP/proxy.stats")"
read -r _ _ _ cuts _ _ _ drops <"$SL_TMP/proxy.stats"
[ "$cuts" -gt 0 ] && [ "$drops" -gt 0 ] ||
	sl_fail "the proxy cut $cuts requests and dropped $drops Produce answers: nothing was tested"

sl_check "every id stored once, in order, at its acknowledged offset"
# (brokerd advertises the proxy, whose faults are off now)
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/idem_check.py" verify "$SLUICE_BOOTSTRAP" "$topic" \
	"$partitions" "$count" "$acks"
kill -TERM "$proxy"
wait "$proxy" 2>/dev/null
sl_untrack_pid "$proxy"
commits=$(robust_log_count 'upload: committed object')
sl_note "$commits uploads committed (the WAL trimmed behind producer snapshots)"
[ "$commits" -gt 0 ] || sl_fail "nothing was uploaded: the trim path was not tested"
uploader_stop
broker_stop
echo "PASS: idempotent_faults"
