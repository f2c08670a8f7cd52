#!/bin/bash
# brokerd and uploaderd start, stop and crash independently (Swift as the
# object store): uploaderd started before brokerd waits and connects;
# brokerd killed with -9 under a producer and restarted while uploaderd
# keeps running (the same uploaderd resumes with the new generation);
# both killed and restarted, brokerd first, then uploaderd first.  After
# each step more records are produced, the WAL drains into Swift, and
# everything so far is verified: topic "load" (produced across brokerd's
# crash) for every acknowledged record, topic "calm" (produced between
# crashes) for every record exactly once.  At the end brokerd restarted
# cold serves both from S3.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init broker_restart_order

swift_start
swift_bucket_create sluice-order
swift_config sluice-order n1
load=$(sl_topic load)
calm=$(sl_topic calm)
acked=$SL_TMP/acked
calm_n=0
load_n=0
STEP=6000

# Produces STEP more records to the calm topic (no crash meanwhile).
calm_produce()
{
	sl_run 60 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$calm" \
		--first $calm_n --count $STEP --size 1000
	calm_n=$((calm_n + STEP))
}

# Waits for the uploads, checks the commits and reads everything back.
drain_verify()
{
	uploads_drain 60
	daemons_alive "$1"
	commits_check
	if [ $load_n -gt 0 ]; then
		sl_run 60 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$load" \
			--count $load_n --acked "$acked"
	fi
	sl_run 60 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$calm" \
		--count $calm_n
}

# Fails unless uploaderd (pid $1) is still the one running and has said
# hello to brokerd generation $2 (its log says so).
uploader_follows()
{
	if [ "$SL_UPLOADER_PID" != "$1" ] || ! proc_alive "$1"; then
		uploader_log_tail
		sl_fail "uploaderd $1 is gone"
	fi
	for _ in $(seq 100); do
		grep -q "uploaderd info: upload: brokerd generation $2," \
			"$SL_BROKER_DIR/uploaderd.log" && return 0
		sleep 0.1
	done
	uploader_log_tail
	sl_fail "uploaderd did not connect to brokerd generation $2 in 10 s"
}

sl_check "uploaderd started before brokerd waits for it, then connects"
SL_BROKER_DIR=$SL_TMP/broker
SL_BROKER_PORT=$(sl_free_port) || sl_fail "no free port"
broker_config_write "$SL_BROKER_DIR" "$SL_BROKER_PORT" "wal.capacity.bytes = 16M" \
	"cache.bytes = 4M" "region.bytes = 1M" "region.ms = 200" "${SW_CONF[@]}"
uploader_start
up=$SL_UPLOADER_PID
sleep 2
proc_alive "$up" || { uploader_log_tail; sl_fail "uploaderd exited without brokerd"; }
broker_launch || { broker_log_tail; sl_fail "brokerd did not start"; }
export SLUICE_BOOTSTRAP=127.0.0.1:$SL_BROKER_PORT
sl_note "brokerd pid $SL_BROKER_PID on $SLUICE_BOOTSTRAP"
uploader_follows "$up" 1
calm_produce
drain_verify "after starting uploaderd first"

sl_check "brokerd killed with -9 under load and restarted while uploaderd runs"
base=$(broker_status wal.durable)
$PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$load" --count 30000 \
	--size 1000 --acked "$acked" >"$SL_TMP/produce.out" 2>&1 &
producer=$!
sl_track_pid "$producer"
# Kill once 8 MB of the 30 MB are durable: in the middle of the load.
for _ in $(seq 200); do
	durable=$(broker_status wal.durable)
	[ "$durable" -ge $((base + (8 << 20))) ] && break
	sleep 0.05
done
proc_alive "$producer" || sl_fail "the producer ended before brokerd was killed"
daemons_alive "before brokerd was killed"
broker_kill
sl_note "brokerd killed with $((durable - base)) bytes of the load durable"
sleep 1
broker_restart
wait "$producer" || { cat "$SL_TMP/produce.out"; sl_fail "producer failed"; }
sl_untrack_pid "$producer"
cat "$SL_TMP/produce.out"
load_n=30000
uploader_follows "$up" 2
calm_produce
drain_verify "after brokerd's restart"

sl_check "both killed; brokerd restarted first, then uploaderd"
daemons_alive "before both were killed"
uploader_kill
broker_kill
broker_restart
calm_produce
uploader_start
up=$SL_UPLOADER_PID
uploader_follows "$up" 3
drain_verify "after restarting brokerd, then uploaderd"

sl_check "both killed; uploaderd restarted first, then brokerd"
daemons_alive "before both were killed"
broker_kill
uploader_kill
uploader_start
up=$SL_UPLOADER_PID
sleep 1
broker_restart
uploader_follows "$up" 4
calm_produce
drain_verify "after restarting uploaderd, then brokerd"

sl_check "brokerd restarted cold serves everything from S3"
broker_stop
broker_restart
uploader_follows "$up" 5
drain_verify "after a clean restart of brokerd"
[ "$(shm_counter cold_read_bytes)" -ge $(((calm_n + load_n) * 1000)) ] ||
	sl_fail "only $(shm_counter cold_read_bytes) bytes were read from S3"

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: broker_restart_order"
