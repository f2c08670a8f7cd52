#!/bin/bash
# uploaderd killed with -9 again and again while a producer writes 96 MB
# with acks=all through a 16 MiB WAL into Swift (so the producer depends on
# uploads to make room): after each restart uploaderd resumes where the
# catalog says; every region is committed exactly once and in order (an
# upload whose commit was cut off is an orphan object, harmless); brokerd
# refuses commits that do not match the catalog; consumers see every
# record exactly once, before and after a cold restart of brokerd that
# serves them from S3.  SLUICE_TEST_SEED replays a run's kill timings.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init uploader_kill_swift

seed=${SLUICE_TEST_SEED:-$(($(date +%s) % 100000))}
RANDOM=$seed
sl_note "seed $seed"
swift_start
swift_bucket_create sluice-kill
swift_config sluice-kill c
broker_start "wal.capacity.bytes = 16M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic t)
acked=$SL_TMP/acked
total=96000

sl_check "uploaderd killed with -9 while producing $total records with acks=all"
t0=$(sl_now_ms)
$PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --count $total \
	--size 1000 --acked "$acked" >"$SL_TMP/produce.out" 2>&1 &
producer=$!
sl_track_pid "$producer"
kills=0
while [ $kills -lt 15 ] && proc_alive "$producer"; do
	# Up for 100 to 500 ms: most kills land in an upload or a commit.
	sleep "0.$((RANDOM % 5 + 1))"
	proc_alive "$SL_UPLOADER_PID" || { uploader_log_tail; sl_fail "uploaderd died on its own"; }
	uploader_kill
	kills=$((kills + 1))
	# Down for 100 to 900 ms: long enough, now and then, to fill the WAL.
	sleep "0.$((RANDOM % 9 + 1))"
	proc_alive "$SL_BROKER_PID" || sl_fail "brokerd died"
	uploader_start
done
sl_note "uploaderd killed $kills times"
[ $kills -ge 6 ] || sl_fail "the producer ended after only $kills kills"
wait "$producer" || { cat "$SL_TMP/produce.out"; sl_fail "producer failed"; }
sl_untrack_pid "$producer"
cat "$SL_TMP/produce.out"
uploads_drain 60
sl_note "produced and uploaded in $(($(sl_now_ms) - t0)) ms"
daemons_alive "after the kills"
sl_note "$(grep -c 'brokerd refused object' "$SL_BROKER_DIR/uploaderd.log") commits refused, $(grep -c 'PUT of object' "$SL_BROKER_DIR/uploaderd.log") PUTs failed"

sl_check "every region committed exactly once, in order"
commits_check

sl_check "brokerd refuses commits that do not match the catalog"
sl_run 30 $FAULTS fence "$SL_BROKER_DIR/data/control.sock"
commits_check

sl_check "consumers read every acknowledged record once"
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $total --acked "$acked"

sl_check "from S3 after a cold restart of brokerd: acknowledged records, every record once"
broker_stop
broker_restart
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $total --acked "$acked"
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $total
[ "$(shm_counter cold_read_bytes)" -ge 96000000 ] ||
	sl_fail "only $(shm_counter cold_read_bytes) bytes were read from S3"

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: uploader_kill_swift"
