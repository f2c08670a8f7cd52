#!/bin/bash
# DeleteRecords and retention move log start offsets, end to end: brokerd
# and uploaderd on the local object store.  librdkafka's admin API
# (delete_records_admin) deletes records; confluent_kafka consumers that
# start from the beginning, or ask for an offset that is now gone, land on
# the new log start and read exactly the records above it, from the WAL
# cache and, after a restart, from the objects; ListOffsets EARLIEST
# reports it; it survives the restart.  A topic with retention.ms whose
# old records were uploaded has its log start moved past them by
# brokerd's retention pass.  A control-socket subscriber sees a "compact"
# event for each.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init delete_records
sl_require_python_module confluent_kafka
sl_require_built tests/integration/delete_records_admin

ADMIN=$top_builddir/tests/integration/delete_records_admin
PY="$SL_PYTHON $SL_LIBDIR/delete_records.py"
broker_start "object.store = file://$SL_TMP/objects" "region.bytes = 1M" \
	"region.ms = 200" "retention.check.interval.ms = 200"
uploader_start
events=$SL_TMP/events
$PY events --socket "$SL_BROKER_DIR/data/control.sock" --out "$events" &
sl_track_pid $!
B=(--bootstrap "$SLUICE_BOOTSTRAP")

# Prints what delete_records_admin answers, failing the test if it fails.
delete_records()
{
	timeout -k 5 60 "$ADMIN" "$@" || { broker_log_tail; sl_fail "delete_records_admin $*"; }
}

# Waits until the events file has a line with reason $1 (at most 10 s).
expect_event()
{
	for _ in $(seq 100); do
		grep -q "\"reason\":\"$1\"" "$events" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$events" 2>/dev/null | sed 's/^/# events: /'
	sl_fail "no compact event with reason $1"
}

t=$(sl_topic dr)
sl_check "1000 records in each of 2 partitions of $t"
sl_run 60 $PY create "${B[@]}" --topic "$t" --partitions 2
sl_run 60 $PY produce "${B[@]}" --topic "$t" --partition 0 --first 0 --count 1000
sl_run 60 $PY produce "${B[@]}" --topic "$t" --partition 1 --first 0 --count 1000

sl_check "DeleteRecords: partition 0 before 300, partition 1 everything (-1)"
out=$(delete_records "$t" 0:300 1:-1)
echo "$out" | sed 's/^/# /'
[ "$(echo "$out" | sort)" = "$(printf '0 300\n1 1000')" ] ||
	sl_fail "unexpected low watermarks: $out"
expect_event delete_records

sl_check "an offset above the high watermark is refused and moves nothing"
out=$(delete_records "$t" 0:5000)
echo "$out" | sed 's/^/# /'
[ "$out" = "0 error OFFSET_OUT_OF_RANGE" ] || sl_fail "unexpected answer: $out"
sl_run 60 $PY low "${B[@]}" --topic "$t" --partition 0 --expect 300

sl_check "consumers from the beginning land on the new log start"
sl_run 60 $PY consume "${B[@]}" --topic "$t" --partition 0 --expect-first 300 --expect-count 700
sl_run 60 $PY consume "${B[@]}" --topic "$t" --partition 1 --expect-first 1000 --expect-count 0
sl_run 60 $PY low "${B[@]}" --topic "$t" --partition 1 --expect 1000

sl_check "after the uploads and a restart (reads from the objects) nothing changed"
uploads_drain 60
broker_stop
broker_restart
sl_run 60 $PY low "${B[@]}" --topic "$t" --partition 0 --expect 300
sl_run 60 $PY consume "${B[@]}" --topic "$t" --partition 0 --expect-first 300 --expect-count 700
sl_run 60 $PY consume "${B[@]}" --topic "$t" --partition 1 --expect-first 1000 --expect-count 0
# the subscriber's connection went with the old brokerd
$PY events --socket "$SL_BROKER_DIR/data/control.sock" --out "$events" &
sl_track_pid $!

sl_check "DeleteRecords in the middle of a batch in an object"
out=$(delete_records "$t" 0:456)
[ "$out" = "0 456" ] || sl_fail "unexpected answer: $out"
sl_run 60 $PY consume "${B[@]}" --topic "$t" --partition 0 --expect-first 456 --expect-count 544

r=$(sl_topic ret)
sl_check "retention.ms: uploaded records older than it go, young ones stay"
sl_run 60 $PY create "${B[@]}" --topic "$r" --partitions 1 --config retention.ms=600000
sl_run 60 $PY produce "${B[@]}" --topic "$r" --partition 0 --first 0 --count 500 --age-ms 3600000
uploads_drain 60
sl_run 60 $PY low "${B[@]}" --topic "$r" --partition 0 --expect 500 --wait 30
expect_event retention
sl_run 60 $PY produce "${B[@]}" --topic "$r" --partition 0 --first 500 --count 100
uploads_drain 60
sleep 1 # a few retention passes: the young records stay
sl_run 60 $PY low "${B[@]}" --topic "$r" --partition 0 --expect 500
sl_run 60 $PY consume "${B[@]}" --topic "$r" --partition 0 --expect-first 500 --expect-count 100
grep -q "retention: $r-0 log start 0 -> 500" "$SL_BROKER_DIR/brokerd.log" ||
	sl_fail "brokerd did not log the retention move"

uploader_stop
sl_bootstrap_stop
echo "PASS: delete_records"
