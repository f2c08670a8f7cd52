#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Retention end to end: a topic with retention.ms 15000.  An old phase of
# records and, ten seconds later, a short new one; once the old phase is
# past retention.ms, brokerd moves each partition's log start past its
# blocks, compactd replaces the objects that hold nothing live by nothing
# (and rewrites the rest without the dead blocks), deletes them after
# retired.grace.ms, and the bucket's bytes fall.  A consumer starting at
# the beginning lands on the new log start, and every record of the new
# phase is still there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/compactd_lib.sh"
sl_init compactd_retention
sl_require_python_module confluent_kafka

objects=$SL_TMP/objects
store=file://$objects
broker_start "region.ms = 100" "region.bytes = 1M" "object.store = $store" "${CD_CONF[@]}"
uploader_start
compactd_start
topic=$(sl_topic t)
sock=$(compactd_sock)
sl_run 60 $CPY create-topic --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 4 --config retention.ms=15000

t0=$(sl_now_ms)
old=$(sl_run 60 $CPY trickle --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 4 --seconds 4 --rate 2500 --size 200)
uploads_drain 60
compactd_wait_runs 30 2
read -r bytes1 count1 <<<"$($CPY store-bytes "$store")"
sl_note "old phase: $old records; the bucket holds $count1 objects, $bytes1 bytes"
while [ $(($(sl_now_ms) - t0)) -lt 13000 ]; do sleep 0.2; done
new=$(sl_run 60 $CPY trickle --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 4 --seconds 1 --rate 1000 --size 200 --first "$old")
uploads_drain 60

sl_check "after the old phase expires the bucket's bytes fall and log starts move"
ok=
while [ $(($(sl_now_ms) - t0)) -lt 27000 ]; do
	sleep 0.5
	read -r bytes2 count2 <<<"$($CPY store-bytes "$store")"
	$CPY earliest --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --partitions 4 \
		>"$SL_TMP/earliest" 2>&1 || continue
	if [ "$bytes2" -lt $((bytes1 / 2)) ] &&
		awk '$2 == 0 || $4 != $2 { bad = 1 } END { exit bad }' "$SL_TMP/earliest"; then
		ok=1
		break
	fi
done
sed 's/^/# partition low high first: /' "$SL_TMP/earliest"
[ -n "$ok" ] || { compactd_log_tail; broker_log_tail; sl_fail "bucket at $bytes2 bytes (was $bytes1), or a log start did not move"; }
sl_note "the bucket fell from $bytes1 to $bytes2 bytes ($count1 to $count2 objects) $(($(sl_now_ms) - t0)) ms after the first record"
expired=$(grep -o "[0-9]* objects expired" "$SL_BROKER_DIR/compactd.log" | awk '{ s += $1 } END { print s + 0 }')
sl_note "$expired objects replaced by nothing"
[ "$expired" -gt 0 ] || sl_fail "no object was expired"

sl_check "the new phase is all there after the log start"
awk '{ n += $3 - $2 } END { print n }' "$SL_TMP/earliest" >"$SL_TMP/left"
[ "$(cat "$SL_TMP/left")" -ge "$new" ] || sl_fail "$(cat "$SL_TMP/left") records left, fewer than the $new new ones"
compactd_logs_clean
compactd_stop
uploader_stop
sl_bootstrap_stop
echo "PASS: compactd_retention"
