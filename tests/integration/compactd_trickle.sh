#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# compactd under a sustained trickle of small produces for 50 partitions
# (region.ms 200: five uploads a second, each a small stream-set object
# holding every partition) on the local object store.  Without compaction
# each partition would sit in every upload (some 150 objects after 30 s).
#
# The bound checked every few seconds, from compactd/plan.h: a partition
# is in at most U + 2 + PLAN_SPLIT_OBJECTS (8 stream-set objects that are
# not small) + PLAN_NONFULL_MAX (43 per-stream objects below full size:
# 31 pieces waiting to fill, 3 in each of 4 tiers below) objects beyond
# its full per-stream ones (none here: 60 KB per partition), where U = 10
# covers the uploads since the last run (compaction.interval.ms 1000,
# plus the run's own time): 63.
#
# Then, with brokerd restarted cold, reading partition 0 from the start
# makes one GET per block of it (brokerd's cold_read_gets counter), every
# record is read back exactly once, and the write amplification (bytes
# compactd wrote per byte uploaded) is printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/compactd_lib.sh"
sl_init compactd_trickle
sl_require_python_module confluent_kafka

BOUND=63
SECONDS_TRICKLE=${SLUICE_TRICKLE_SECS:-30}
objects=$SL_TMP/objects
broker_start "num.partitions = 50" "region.ms = 200" "region.bytes = 1M" \
	"object.store = file://$objects" "${CD_CONF[@]}"
uploader_start
compactd_start
topic=$(sl_topic t)
sock=$(compactd_sock)

sl_check "a ${SECONDS_TRICKLE} s trickle (1000 records/s over 50 partitions): each partition stays in at most $BOUND objects"
$CPY trickle --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --partitions 50 \
	--seconds "$SECONDS_TRICKLE" --rate 1000 --size 100 >"$SL_TMP/count" 2>"$SL_TMP/trickle.err" &
producer=$!
sl_track_pid "$producer"
worst=0
while kill -0 "$producer" 2>/dev/null; do
	sleep 3
	$CPY layout "$sock" "$topic" >"$SL_TMP/layout" 2>&1 || continue
	n=$(awk '/most objects per partition/ { print $NF }' "$SL_TMP/layout")
	[ -n "$n" ] || continue
	[ "$n" -gt "$worst" ] && worst=$n
	[ "$n" -le "$BOUND" ] || { cat "$SL_TMP/layout"; compactd_log_tail; sl_fail "a partition is in $n objects"; }
done
wait "$producer" || { cat "$SL_TMP/trickle.err"; sl_fail "the trickle producer failed"; }
sl_untrack_pid "$producer"
total=$(cat "$SL_TMP/count")
uploads_drain 60
compactd_wait_runs 30 3
sl_run 60 $CPY layout "$sock" "$topic" --max "$BOUND" >"$SL_TMP/layout"
tail -n 3 "$SL_TMP/layout" | sed 's/^/# /'
uploads=$(grep -c "upload: object .* committed" "$SL_BROKER_DIR/uploaderd.log")
sl_note "$total records, $uploads uploads; at most $worst objects per partition during the trickle"

sl_check "cold reads of partition 0 from the start make one GET per block"
read -r p0_objects p0_blocks <<<"$($CPY objects "$sock" "$topic" 0)"
compactd_stop
broker_stop
broker_restart
gets0=$($SL_PYTHON "$SL_LIBDIR/faults.py" counters "$(sl_shm_name)" | awk '$1 == "cold_read_gets" { print $2 }')
n0=$(sl_run 120 $CPY count --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --partition 0)
gets1=$($SL_PYTHON "$SL_LIBDIR/faults.py" counters "$(sl_shm_name)" | awk '$1 == "cold_read_gets" { print $2 }')
gets=$((gets1 - gets0))
sl_note "partition 0: $n0 records in $p0_objects objects ($p0_blocks blocks), read with $gets GETs (it was in $uploads uploads)"
[ "$n0" -eq $(((total + 49) / 50)) ] || sl_fail "partition 0 has $n0 records"
[ "$gets" -le "$p0_blocks" ] || sl_fail "$gets GETs for $p0_blocks blocks"
[ "$p0_objects" -le "$BOUND" ] || sl_fail "partition 0 is in $p0_objects objects"

sl_check "every record read back exactly once"
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count "$total" --size 100 --partitions 50

written=$(grep "compact: run" "$SL_BROKER_DIR/compactd.log" | tail -n 1 | sed 's/.*wrote \([0-9]*\) bytes$/\1/')
uploaded=$(grep -o "committed: WAL .*, [0-9]* bytes" "$SL_BROKER_DIR/uploaderd.log" | awk '{ s += $(NF - 1) } END { print s }')
requests=$(grep -o "[0-9]* S3 requests" "$SL_BROKER_DIR/compactd.log" | awk '{ s += $1 } END { print s + 0 }')
sl_note "write amplification: compactd wrote $written bytes for $uploaded bytes uploaded: $(awk -v w="$written" -v u="$uploaded" 'BEGIN { printf "%.2f", w / u }'); $requests S3 requests, $(awk -v r="$requests" -v u="$uploaded" 'BEGIN { printf "%.0f", r * 1073741824 / u }') per GB uploaded"
compactd_logs_clean
uploader_stop
sl_bootstrap_stop
echo "PASS: compactd_trickle"
