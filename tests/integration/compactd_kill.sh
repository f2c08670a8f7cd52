#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# compactd killed with -9 mid-rewrite, again and again, while consumers
# read the topic cold from the object store: the catalog keeps pointing at
# valid objects, so every record is read exactly once, in order, byte for
# byte; outputs of killed rewrites are orphans that a later run deletes
# (orphan.grace.ms 5000), and replaced inputs are deleted and forgotten
# after retired.grace.ms.  compactd is paced at 1 MB/s so that a rewrite
# (up to 2 MB in, 2 MB out) takes seconds and the kills land inside one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/compactd_lib.sh"
sl_init compactd_kill
sl_require_python_module confluent_kafka

objects=$SL_TMP/objects
store=file://$objects
broker_start "num.partitions = 8" "region.ms = 100" "region.bytes = 1M" \
	"object.store = $store" "${CD_CONF[@]}" "compaction.bytes.per.sec = 1M"
uploader_start
topic=$(sl_topic t)
sock=$(compactd_sock)

# 20 s at 2000 records/s: some 200 small uploads (region.ms 100)
total=$(sl_run 120 $CPY trickle --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 8 --seconds 20 --rate 2000 --size 200)
uploads_drain 60
# cold: from now on fetches read the objects compactd rewrites
broker_stop
broker_restart
read -r bytes0 count0 <<<"$($CPY store-bytes "$store")"
sl_note "$count0 objects, $bytes0 bytes in the bucket"

sl_check "compactd killed with -9 six times while two consumers read everything"
for k in 1 2; do
	$PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --count $total \
		--size 200 --partitions 8 >"$SL_TMP/verify$k.out" 2>&1 &
	eval "reader$k=$!"
	sl_track_pid $!
done
compactd_start
for k in 1 2 3 4 5 6; do
	sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	mid=$(grep -c "compact: .* rewrite" "$SL_BROKER_DIR/compactd.log")
	compactd_kill
	sl_note "compactd killed ($k; $mid rewrites committed so far)"
	compactd_start
done
for k in 1 2; do
	eval "pid=\$reader$k"
	wait "$pid" || { cat "$SL_TMP/verify$k.out"; broker_log_tail; sl_fail "reader $k failed"; }
	sl_untrack_pid "$pid"
	tail -n 1 "$SL_TMP/verify$k.out" | sed 's/^/# reader: /'
done

sl_check "leftovers of the killed runs are deleted by later runs"
ok=
for _ in $(seq 120); do
	sleep 1
	if $CPY leftovers "$sock" "$store" >"$SL_TMP/leftovers"; then
		ok=1
		break
	fi
done
[ -n "$ok" ] || { cat "$SL_TMP/leftovers"; compactd_log_tail; sl_fail "leftovers remain"; }
deleted=$(grep -o "retired and [0-9]* orphans deleted" "$SL_BROKER_DIR/compactd.log" |
	awk '{ s += $3 } END { print s + 0 }')
killed=$(grep -c "compact: deleting [0-9]* orphans" "$SL_BROKER_DIR/compactd.log")
sl_note "no orphan or retired object left; $deleted orphans deleted in $killed sweeps"

sl_check "after a cold restart every record is still there exactly once"
compactd_stop
broker_stop
broker_restart
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $total --size 200 --partitions 8
read -r bytes1 count1 <<<"$($CPY store-bytes "$store")"
sl_note "now $count1 objects, $bytes1 bytes in the bucket"
compactd_logs_clean
uploader_stop
sl_bootstrap_stop
echo "PASS: compactd_kill"
