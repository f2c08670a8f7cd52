#!/bin/bash
# Swift stopped for 30 s under load: a producer (acks=all, message.timeout.ms
# long enough to outlast the outage) writes 48 MB through an 8 MiB WAL.
# While Swift is down nothing is uploaded, the WAL fills, and from then on
# brokerd answers produce with a retriable error (REQUEST_TIMED_OUT: its
# produce_wal_full counter keeps growing) while uploaderd's failed uploads
# are counted and retried; brokerd and uploaderd stay up.  Swift restarted
# on the same port and directory: uploads resume, the WAL drains, the
# producer completes without a failure, and every record is read back
# exactly once, then again from S3 after a cold restart of brokerd.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init swift_outage

OUTAGE=${SLUICE_OUTAGE_SECS:-30}
swift_start
swift_bucket_create sluice-outage
swift_config sluice-outage o
broker_start "wal.capacity.bytes = 8M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic t)
acked=$SL_TMP/acked
total=48000

sl_check "Swift stopped under load: the WAL fills, produce gets retriable errors"
$PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --count $total \
	--size 1000 --acked "$acked" --timeout-ms $(((OUTAGE + 90) * 1000)) \
	>"$SL_TMP/produce.out" 2>&1 &
producer=$!
sl_track_pid "$producer"
# Stop Swift once the producer is under way (some uploads committed).
for _ in $(seq 200); do
	[ "$(broker_status regions.uploaded_end)" -gt $((2 << 20)) ] && break
	sleep 0.05
done
proc_alive "$producer" || sl_fail "the producer ended before Swift was stopped"
swift_stop
t_down=$(sl_now_ms)
uploaded=$(broker_status regions.uploaded_end)
full0=$(shm_counter produce_wal_full)
err0=$(shm_counter uploader_errors)
bret0=$(broker_status objstore.s3.retries)
ring=$(broker_status wal.ring_bytes)
filled=
while [ $(($(sl_now_ms) - t_down)) -lt $((OUTAGE * 1000)) ]; do
	sleep 1
	daemons_alive "while Swift was down"
	proc_alive "$producer" || { cat "$SL_TMP/produce.out"; sl_fail "the producer ended while Swift was down"; }
	used=$(($(broker_status wal.head) - $(broker_status wal.trim)))
	# full: produce is refused and no whole batch (up to ~1.5 MiB with
	# linger) fits any more
	if [ -z "$filled" ] && [ $((used + (2 << 20))) -ge "$ring" ] &&
		[ "$(shm_counter produce_wal_full)" -gt "$full0" ]; then
		filled=$(($(sl_now_ms) - t_down))
		sl_note "the WAL is full ($used of $ring bytes) $filled ms into the outage"
	fi
done
[ -n "$filled" ] || sl_fail "the WAL did not fill in ${OUTAGE} s (used $used of $ring bytes)"
[ "$(broker_status regions.uploaded_end)" -eq "$uploaded" ] ||
	sl_fail "the uploaded end moved while Swift was down"
refused=$(($(shm_counter produce_wal_full) - full0))
# uploaderd's PUTs fail, or, while it waits for a commit, brokerd's copies
# of the catalog to the bucket do: either way the S3 failures are retried
failed=$(($(shm_counter uploader_errors) - err0 + $(broker_status objstore.s3.retries) - bret0))
sl_note "during the outage: $refused batches answered REQUEST_TIMED_OUT, $failed failed S3 attempts (uploaderd and brokerd)"
[ "$refused" -gt 0 ] || sl_fail "no produce was refused while the WAL was full"
[ "$failed" -gt 0 ] || sl_fail "no failed S3 attempt was counted while Swift was down"
# the failure is logged by whichever of the two was talking to S3
grep -q "upload: PUT of object .* failed: .*onnect" "$SL_BROKER_DIR/uploaderd.log" ||
	grep -q "catalog mirror: .*onnect" "$SL_BROKER_DIR/brokerd.log" ||
	{ uploader_log_tail; sl_fail "neither uploaderd nor brokerd logged a failed PUT naming the connection"; }

sl_check "Swift back: uploads resume, the WAL drains, the producer completes"
swift_start "$SW_PORT"
t_up=$(sl_now_ms)
for _ in $(seq 1200); do
	proc_alive "$producer" || break
	sleep 0.1
done
proc_alive "$producer" && sl_fail "the producer did not finish within 120 s of Swift's return"
wait "$producer" || { cat "$SL_TMP/produce.out"; sl_fail "producer failed"; }
sl_untrack_pid "$producer"
cat "$SL_TMP/produce.out"
uploads_drain 60
sl_note "producer done and WAL drained $(($(sl_now_ms) - t_up)) ms after Swift came back"
daemons_alive "after the outage"
commits_check

sl_check "every acknowledged record read back once"
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $total --acked "$acked"

sl_check "every record once, from S3 after a cold restart of brokerd"
broker_stop
broker_restart
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $total

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: swift_outage"
