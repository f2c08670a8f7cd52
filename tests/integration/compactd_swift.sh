#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# compactd against Swift with s3api (SigV4 checked): a trickle of small
# uploads is compacted in the bucket, then Swift is stopped in the middle
# of compaction (paced at 1 MB/s, so runs last seconds) for 15 s.  compactd
# stays up, abandons its run (failed GETs or PUTs are retried by the store,
# then given up), and once Swift is back on the same port its next runs
# finish: nothing left over in the bucket, every record read back exactly
# once, and each partition in few objects.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
. "$(dirname "$0")/compactd_lib.sh"
swift_init compactd_swift
sl_require_built compactd/compactd

swift_start
swift_bucket_create sluice-compactd
swift_config sluice-compactd c
store=s3://sluice-compactd/c
broker_start "num.partitions = 8" "region.ms = 100" "region.bytes = 1M" \
	"${SW_CONF[@]}" "${CD_CONF[@]}" "compaction.bytes.per.sec = 1M"
uploader_start
topic=$(sl_topic t)
sock=$(compactd_sock)
total=$(sl_run 120 $CPY trickle --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 8 --seconds 15 --rate 2000 --size 200)
uploads_drain 60
read -r bytes0 count0 <<<"$($CPY store-bytes "$store")"
sl_note "$total records in $count0 objects ($bytes0 bytes)"

sl_check "Swift stopped for 15 s in the middle of compaction: compactd stays up"
compactd_start
for _ in $(seq 300); do
	grep -q "rewrite of" "$SL_BROKER_DIR/compactd.log" && break
	sleep 0.1
done
sleep "0.$((RANDOM % 10))"
swift_stop
for _ in $(seq 15); do
	sleep 1
	proc_alive "$SL_COMPACTD_PID" || { compactd_log_tail; sl_fail "compactd died while Swift was down"; }
done
swift_start "$SW_PORT"
compactd_wait_runs 180 2
proc_alive "$SL_COMPACTD_PID" || { compactd_log_tail; sl_fail "compactd died"; }
grep -m 2 "compact: run abandoned" "$SL_BROKER_DIR/compactd.log" | sed 's/^.*compact: /# /'
grep -q "compact: run abandoned" "$SL_BROKER_DIR/compactd.log" ||
	sl_fail "no run was abandoned: Swift was not stopped during one"

sl_check "after Swift is back: nothing left over, every record once, few objects"
ok=
for _ in $(seq 180); do
	sleep 1
	if $CPY leftovers "$sock" "$store" >"$SL_TMP/leftovers"; then
		ok=1
		break
	fi
done
[ -n "$ok" ] || { cat "$SL_TMP/leftovers"; compactd_log_tail; sl_fail "leftovers remain"; }
sl_run 60 $CPY layout "$sock" "$topic" --max 32 | tail -n 1 | sed 's/^/# /'
read -r bytes1 count1 <<<"$($CPY store-bytes "$store")"
sl_note "now $count1 objects ($bytes1 bytes)"
compactd_stop
broker_stop
broker_restart
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count "$total" --size 200 --partitions 8
compactd_logs_clean
uploader_stop
sl_bootstrap_stop
echo "PASS: compactd_swift"
