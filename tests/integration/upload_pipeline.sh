#!/bin/bash
# The upload pipeline end to end on the local object-store backend: several
# times a small WAL's capacity goes through brokerd and uploaderd into
# objects; brokerd restarted with a cold cache serves every record back byte
# for byte from the objects; then uploaderd is killed with -9 repeatedly
# while producing, and every acknowledged record is still read exactly once.
. "$(dirname "$0")/lib.sh"
sl_init upload_pipeline
sl_require_python_module confluent_kafka

objects=$SL_TMP/objects
broker_start "wal.capacity.bytes = 16M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "object.store = file://$objects"
uploader_start
topic=$(sl_topic t)
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"

sl_check "64 MB (4x the WAL) produced with acks=all while uploaderd drains the WAL"
sl_run 300 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 64000 --size 1000
uploads_drain 60
n=$(find "$objects" -type f | wc -l)
sl_note "$n objects in $objects"
[ "$n" -ge 16 ] || sl_fail "expected at least 16 objects, found $n"

sl_check "brokerd restarted with a cold cache reads everything back from objects"
broker_stop
broker_restart
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 64000 --size 1000

sl_check "uploaderd killed with -9 five times while producing with acks=all"
acked=$SL_TMP/acked
$PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --first 64000 \
	--count 40000 --size 1000 --acked "$acked" >"$SL_TMP/produce2.out" 2>&1 &
producer=$!
sl_track_pid "$producer"
for k in 1 2 3 4 5; do
	sleep 0.$((RANDOM % 9 + 1))
	uploader_kill
	sl_note "uploaderd killed ($k)"
	sleep 0.2
	uploader_start
done
wait "$producer" || { cat "$SL_TMP/produce2.out"; sl_fail "producer failed"; }
sl_untrack_pid "$producer"
cat "$SL_TMP/produce2.out"
uploads_drain 60
grep -c "committed" "$SL_BROKER_DIR/brokerd.log" | sed 's/^/# commits logged: /'
broker_stop
broker_restart
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 104000 --size 1000
uploader_stop
sl_bootstrap_stop
echo "PASS: upload_pipeline"
