#!/bin/bash
# The upload pipeline into a real S3 (Swift with s3api, which checks SigV4
# signatures and payload hashes): 64 MB, four times the 16 MiB WAL, is
# produced with acks=all while uploaderd moves 1 MiB regions into objects;
# every region is committed once, in order; brokerd restarted with a cold
# cache (and nothing left in the WAL) serves every record back byte for
# byte from S3 (its cold-read counters prove where the bytes came from);
# sluice-object verifies objects listed with boto3 (and fails a copy with
# one byte changed).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init upload_swift_roundtrip
sl_require_built tools/object/sluice-object

swift_start
swift_bucket_create sluice-roundtrip
swift_config sluice-roundtrip cluster1
broker_start "wal.capacity.bytes = 16M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic t)

sl_check "64 MB (4x the WAL) produced with acks=all while uploaderd drains the WAL into Swift"
t0=$(sl_now_ms)
sl_run 120 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 64000 --size 1000
uploads_drain 60
sl_note "produced and uploaded in $(($(sl_now_ms) - t0)) ms"
daemons_alive "after the upload"
n=$(swift_objects | wc -l)
sl_note "$n objects in s3://$SW_BUCKET/$SW_PREFIX/o/"
[ "$n" -ge 16 ] || sl_fail "expected at least 16 objects, found $n"
[ "$(shm_counter uploader_errors)" -eq 0 ] || sl_fail "uploaderd counted failed uploads"

sl_check "every region committed once, in order, and its object is in the bucket"
commits_check
trim=$(broker_status wal.trim)
durable=$(broker_status wal.durable)
[ "$trim" -eq "$durable" ] || sl_fail "the WAL is trimmed to $trim, not to its durable end $durable"
[ "$durable" -gt $((48 << 20)) ] || sl_fail "only $durable bytes went through the WAL"

sl_check "brokerd restarted with a cold cache reads everything back from S3"
broker_stop
broker_restart
t0=$(sl_now_ms)
sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 64000 --size 1000
sl_note "read back in $(($(sl_now_ms) - t0)) ms"
gets=$(shm_counter cold_read_gets)
bytes=$(shm_counter cold_read_bytes)
sl_note "cold reads: $gets GETs, $bytes bytes"
[ "$(shm_counter fetch_wal_reads)" -eq 0 ] || sl_fail "brokerd read batches from the WAL"
[ "$(shm_counter fetch_cache_hits)" -eq 0 ] || sl_fail "brokerd found batches in its cache"
[ "$bytes" -ge 64000000 ] || sl_fail "only $bytes bytes were read from S3"
[ "$(shm_counter cold_read_errors)" -eq 0 ] || sl_fail "cold reads failed"

sl_check "sluice-object verifies objects listed with boto3"
swift_objects >"$SL_TMP/keys"
objects_verify $(sed -n '1p; 7p; $p' "$SL_TMP/keys")
bad=$SW_PREFIX/damaged/$(basename "$(head -n 1 "$SL_TMP/keys")")
sl_run 60 $FAULTS corrupt "$SW_BUCKET" "$(head -n 1 "$SL_TMP/keys")" "$bad"
if "$top_builddir/tools/object/sluice-object" -c "$SL_BROKER_DIR/brokerd.conf" \
	verify "s3://$SW_BUCKET/$bad" >"$SL_TMP/bad.out" 2>&1; then
	cat "$SL_TMP/bad.out"
	sl_fail "sluice-object verify passed an object with a changed byte"
fi
sed 's/^/# /' "$SL_TMP/bad.out"

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: upload_swift_roundtrip"
