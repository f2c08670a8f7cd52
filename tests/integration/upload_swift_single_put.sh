#!/bin/bash
# Requests per region and per cold read against a real S3 (Swift with
# s3api): with 40 MiB regions (above the object store's default multipart
# threshold of 32 MiB) uploaderd uploads each region with one PUT, no
# multipart upload (its own object store counters, reported to brokerd);
# brokerd restarted with a cold cache reads the topic back byte for byte
# with ranged GETs that each cover several blocks (cold_read_gets against
# cold_read_bytes), and serves nothing from the WAL or its cache.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init upload_swift_single_put

swift_start
swift_bucket_create sluice-single-put
swift_config sluice-single-put cluster1
broker_start "wal.capacity.bytes = 256M" "cache.bytes = 8M" "region.bytes = 40M" \
	"region.ms = 1000" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic t)

sl_check "120 MB produced; every region goes up in one PUT"
sl_run 180 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 120000 --size 1000
uploads_drain 120
daemons_alive "after the upload"
objects=$(broker_status uploader.objects)
[ "$objects" -ge 3 ] || sl_fail "expected at least 3 objects, uploaderd made $objects"
# uploaderd reports its object store counters every 5 s
for _ in $(seq 100); do
	[ "$($FAULTS status "$SL_BROKER_DIR/data/control.sock" reports.uploaderd.s3.puts \
		2>/dev/null)" = "$objects" ] && break
	sleep 0.2
done
puts=$(broker_status reports.uploaderd.s3.puts)
parts=$(broker_status reports.uploaderd.s3.multipart_parts)
requests=$(broker_status reports.uploaderd.s3.requests)
retries=$(broker_status reports.uploaderd.s3.retries)
bytes_up=$(broker_status reports.uploaderd.s3.bytes_up)
sl_note "$objects objects, $bytes_up bytes: $puts PUTs, $parts parts, $requests requests ($retries retried)"
[ "$puts" -eq "$objects" ] || sl_fail "uploaderd started $puts PUTs for $objects objects"
[ "$parts" -eq 0 ] || sl_fail "uploaderd uploaded $parts multipart parts"
[ "$requests" -eq $((puts + retries)) ] ||
	sl_fail "uploaderd sent $requests requests for $puts PUTs with $retries retries"
[ "$bytes_up" -gt $((2 * (32 << 20))) ] || sl_fail "only $bytes_up bytes uploaded"
commits_check

sl_check "brokerd restarted with a cold cache reads it back in GETs of several blocks"
broker_stop
broker_restart
sl_run 180 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 120000 --size 1000
gets=$(shm_counter cold_read_gets)
bytes=$(shm_counter cold_read_bytes)
sl_note "cold reads: $gets GETs, $bytes bytes"
[ "$(shm_counter fetch_wal_reads)" -eq 0 ] || sl_fail "brokerd read batches from the WAL"
[ "$(shm_counter fetch_cache_hits)" -eq 0 ] || sl_fail "brokerd found batches in its cache"
[ "$(shm_counter cold_read_errors)" -eq 0 ] || sl_fail "cold reads failed"
[ "$bytes" -ge 120000000 ] || sl_fail "only $bytes bytes were read from S3"
# one GET per block (about 1 MiB) would average 1 MiB
[ "$gets" -gt 0 ] && [ $((bytes / gets)) -ge $((3 << 20)) ] ||
	sl_fail "$gets GETs for $bytes bytes: not several blocks per GET"

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: upload_swift_single_put"
