#!/bin/bash
# A misconfigured object store (Swift with s3api checks SigV4 as AWS does):
#   - a wrong secret key: uploaderd logs SignatureDoesNotMatch, does not
#     crash and uploads nothing; produce works until the 8 MiB WAL is full,
#     then gets retriable errors; with the key fixed in the config and
#     uploaderd restarted the WAL drains, the producer completes, and every
#     record is read back once from S3 by brokerd restarted on the fixed
#     config;
#   - a missing bucket: uploaderd logs NoSuchBucket, same behaviour; once
#     the bucket is created the same uploaderd drains everything.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init s3_bad_credentials
swift_start
total=16000

# Starts a producer of $total records into topic $1 in the background
# (acks=all, message.timeout.ms 120 s) and waits until the WAL is full and
# produce is refused with REQUEST_TIMED_OUT; checks that nothing was
# uploaded and both daemons still run, and greps uploaderd's log for the
# S3 error code $2.
produce_until_full()
{
	local topic=$1 code=$2 full0 ring used refused
	full0=$(shm_counter produce_wal_full)
	ring=$(broker_status wal.ring_bytes)
	$PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --count $total \
		--size 1000 --acked "$SL_TMP/acked-$topic" --timeout-ms 120000 \
		>"$SL_TMP/produce-$topic.out" 2>&1 &
	producer=$!
	sl_track_pid "$producer"
	for _ in $(seq 300); do
		refused=$(($(shm_counter produce_wal_full) - full0))
		[ "$refused" -gt 20 ] && break
		sleep 0.1
	done
	used=$(($(broker_status wal.head) - $(broker_status wal.trim)))
	sl_note "WAL: $used of $ring bytes used; $refused batches refused as the WAL is full"
	[ "$refused" -gt 20 ] || sl_fail "produce was not refused within 30 s"
	[ $((used + (1 << 20))) -ge "$ring" ] || sl_fail "produce refused with the WAL not full"
	proc_alive "$producer" || { cat "$SL_TMP/produce-$topic.out"; sl_fail "the producer gave up"; }
	[ "$(broker_status regions.uploaded_end)" -eq 0 ] || sl_fail "something was uploaded"
	if [ "$code" != NoSuchBucket ]; then
		[ -z "$(swift_objects)" ] || sl_fail "objects were stored"
	fi
	for _ in $(seq 100); do
		grep -q "upload: PUT of object .* failed: $code" "$SL_BROKER_DIR/uploaderd.log" && break
		sleep 0.1
	done
	grep "upload: PUT of object" "$SL_BROKER_DIR/uploaderd.log" | tail -n 1 | sed 's/^/# /'
	grep -q "upload: PUT of object .* failed: $code" "$SL_BROKER_DIR/uploaderd.log" ||
		{ uploader_log_tail; sl_fail "uploaderd did not log $code"; }
	[ "$(shm_counter uploader_errors)" -gt 0 ] || sl_fail "uploaderd counted no failed upload"
	daemons_alive "with $code"
}

# Waits for the producer of topic $1, drains, checks the commits, restarts
# brokerd if $2 is "restart" (one that read a wrong key still has it), and
# reads every record back.
finish_verify()
{
	local topic=$1
	for _ in $(seq 600); do
		proc_alive "$producer" || break
		sleep 0.1
	done
	proc_alive "$producer" && sl_fail "the producer did not finish within 60 s"
	wait "$producer" || { cat "$SL_TMP/produce-$topic.out"; sl_fail "producer failed"; }
	sl_untrack_pid "$producer"
	cat "$SL_TMP/produce-$topic.out"
	uploads_drain 60
	daemons_alive "after the drain"
	commits_check
	if [ "${2:-}" = restart ]; then
		broker_stop
		broker_restart
	fi
	sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
		--count $total --acked "$SL_TMP/acked-$topic"
	sl_run 120 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
		--count $total
}

sl_check "a wrong secret key: SignatureDoesNotMatch, no crash, produce until the WAL is full"
swift_bucket_create sluice-creds
good=$SWIFT_S3_SECRET_KEY
swift_config sluice-creds k "0123456789abcdef0123456789abcdef01234567"
broker_start "wal.capacity.bytes = 8M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic key)
produce_until_full "$topic" SignatureDoesNotMatch

sl_check "the key fixed, brokerd and uploaderd restarted: the WAL drains, nothing is lost"
# brokerd needs the key too: it copies each catalog change to the bucket
# before it tells uploaderd a region is committed
uploader_stop
conf_set s3.secret.key "$good"
broker_stop
broker_restart
uploader_start
finish_verify "$topic" restart
[ "$(shm_counter cold_read_bytes)" -ge $((total * 1000)) ] ||
	sl_fail "only $(shm_counter cold_read_bytes) bytes were read from S3"
uploader_stop
broker_stop
logs_clean
mv "$SL_BROKER_DIR" "$SL_TMP/broker-key"

sl_check "a missing bucket: NoSuchBucket, no crash, produce until the WAL is full"
swift_config sluice-missing b
broker_start "wal.capacity.bytes = 8M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic bucket)
produce_until_full "$topic" NoSuchBucket

sl_check "the bucket created: the same uploaderd drains the WAL, nothing is lost"
swift_bucket_create sluice-missing
finish_verify "$topic" restart

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: s3_bad_credentials"
