#!/bin/bash
# The init script as an operator uses it, on the build tree (SLUICE_SBIN,
# SLUICE_BIN and SLUICE_CONF point it there): start all (brokerd first, and
# `start` returns once Kafka is served), status with LSB exit codes, then
# restart each daemon alone while a producer (acks=all) and a consumer run:
# the clients see only retriable errors and every acknowledged record is
# read back at its offset.  Then reload, a brokerd killed with -9 (status
# 1, start recovers it), stopping one daemon alone, stopping all in
# reverse order, and bad arguments.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops_lib.sh"
sl_init init_script
sl_require_python_module confluent_kafka
ops_setup "region.ms = 200" "region.bytes = 1M" "wal.capacity.bytes = 64M" \
	"shutdown.timeout.ms = 5000"
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"
topic=$(sl_topic t)
acked=$SL_TMP/acked
stop=$SL_TMP/stop

sl_check "status before anything runs: exit 3"
ops_init_expect 3 status

sl_check "start: every daemon, and Kafka is served when start returns"
ops_start
sl_port_open "$SL_BROKER_PORT" || sl_fail "start returned before brokerd listened"
ops_init_expect 0 status
declare -A pid
for d in $OPS_DAEMONS; do
	pid[$d]=$(ops_pid "$d")
	kill -0 "${pid[$d]}" 2>/dev/null || sl_fail "$d (pid '${pid[$d]}') is not running"
done
sl_check "start again: already running, nothing restarted"
ops_init_expect 0 start
for d in $OPS_DAEMONS; do
	[ "$(ops_pid "$d")" = "${pid[$d]}" ] || sl_fail "start restarted $d"
done

sl_check "each daemon restarted alone under a producer and a consumer"
# the topic first, so the consumer can be assigned its partitions
sl_run 60 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --first 0 \
	--count 400 --size 300 --acked "$acked" >/dev/null
(
	i=400
	while [ ! -f "$stop" ]; do
		$PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --first "$i" \
			--count 2000 --size 300 --acked "$acked" || exit 1
		i=$((i + 2000))
		echo "$i" >"$SL_TMP/produced"
	done
) >"$SL_TMP/produce.log" 2>&1 &
producer=$!
sl_track_pid "$producer"
"$SL_PYTHON" "$SL_LIBDIR/ops_consume.py" --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--stop "$stop" >"$SL_TMP/consume.log" 2>&1 &
consumer=$!
sl_track_pid "$consumer"
sleep 1
for d in $OPS_DAEMONS; do
	before=$(ops_pid "$d")
	ops_init_expect 0 restart "$d"
	after=$(ops_pid "$d")
	[ -n "$after" ] && [ "$after" != "$before" ] || sl_fail "restart $d: pid $before -> '$after'"
	for o in $OPS_DAEMONS; do
		[ "$o" = "$d" ] || [ "$(ops_pid "$o")" = "${pid[$o]}" ] ||
			sl_fail "restarting $d restarted $o too"
	done
	pid[$d]=$after
	sl_note "$d restarted: pid $before -> $after"
	sleep 1.5
done
touch "$stop"
wait "$producer" || { cat "$SL_TMP/produce.log"; sl_fail "a produce failed"; }
sl_untrack_pid "$producer"
wait "$consumer" || { cat "$SL_TMP/consume.log"; sl_fail "the consumer failed"; }
sl_untrack_pid "$consumer"
sed 's/^/# /' "$SL_TMP/consume.log"
grep -c "acknowledged" "$SL_TMP/produce.log" | sed 's/^/# producer runs: /'
produced=$(cat "$SL_TMP/produced")
n=$(wc -l <"$acked")
[ "$n" -eq "$produced" ] || sl_fail "$produced records produced, $n acknowledged"
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count "$produced" --size 300 --acked "$acked"
uploads_drain 30

sl_check "reload: SIGHUP to every daemon; they keep running"
ops_init_expect 0 reload
sleep 0.3
ops_init_expect 0 status
for d in $OPS_DAEMONS; do
	[ "$(ops_pid "$d")" = "${pid[$d]}" ] || sl_fail "reload restarted $d"
done

sl_check "brokerd killed with -9: status 1 (pidfile left), start brings it back"
kill -9 "${pid[brokerd]}"
for _ in $(seq 50); do
	ops_init status brokerd >/dev/null
	[ $? = 1 ] && break
	sleep 0.1
done
ops_init_expect 1 status brokerd
ops_init_expect 1 status
ops_init_expect 0 start
ops_init_expect 0 status brokerd
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count "$produced" --size 300 --acked "$acked"

sl_check "stop uploaderd alone: it is not running (3), brokerd still serves"
ops_init_expect 0 stop uploaderd
ops_init_expect 3 status uploaderd
ops_init_expect 3 status
ops_init_expect 0 status brokerd
sl_port_open "$SL_BROKER_PORT" || sl_fail "brokerd stopped with uploaderd"
ops_init_expect 0 start uploaderd

sl_check "stop: all, brokerd last; nothing left behind"
out=$(sh "$OPS_INIT" stop 2>&1) || { echo "$out"; sl_fail "stop failed"; }
echo "$out" | sed 's/^/# init: /'
order=$(echo "$out" | sed -n 's/^stopped \([a-z]*\).*/\1/p' | tr '\n' ' ')
expected=$(for d in $OPS_DAEMONS; do echo "$d"; done | tac | tr '\n' ' ')
[ "$order" = "$expected" ] || sl_fail "stop order '$order', expected '$expected'"
ops_init_expect 3 status
for d in $OPS_DAEMONS; do
	[ -z "$(ops_pid "$d")" ] || sl_fail "$d left its pidfile"
done
[ ! -e "/dev/shm/$(sl_shm_name)" ] || sl_fail "brokerd left its shared memory segment"
! sl_port_open "$SL_BROKER_PORT" || sl_fail "something still listens on $SL_BROKER_PORT"
ops_init_expect 0 stop

sl_check "bad arguments (2) and a missing configuration (6)"
ops_init_expect 2 frobnicate
ops_init_expect 2 start nosuchd
SLUICE_CONF=$SL_TMP/missing.conf ops_init_expect 6 start
echo "PASS: init_script"
