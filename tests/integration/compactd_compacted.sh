#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# A compacted topic (cleanup.policy=compact, delete.retention.ms 1000) with
# a real client (confluent_kafka): 2000 keys written five times, lz4, then
# tombstones for 300 of them and a last record alone in its batch.  Before
# compaction a consumer sees every version; after compactd has run (and
# brokerd restarted cold, so reads come from the rewritten objects),
# exactly the latest value of each live key remains, at its original
# offset, and no tombstone older than delete.retention.ms.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/compactd_lib.sh"
sl_init compactd_compacted
sl_require_python_module confluent_kafka

objects=$SL_TMP/objects
store=file://$objects
broker_start "region.ms = 100" "region.bytes = 1M" "object.store = $store" "${CD_CONF[@]}"
uploader_start
topic=$(sl_topic t)
sock=$(compactd_sock)
KEYS=(--keys 2000 --rounds 5 --tombstones 300 --size 100)
sl_run 60 $CPY create-topic --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--partitions 1 --config cleanup.policy=compact --config delete.retention.ms=1000 \
	--config min.compaction.lag.ms=0
sl_run 120 $CPY compacted-produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	"${KEYS[@]}" --compression lz4
uploads_drain 60

sl_check "before compaction every version is there"
sl_run 120 $CPY compacted-verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" "${KEYS[@]}"

sl_check "compactd keeps the latest record per key and drops expired tombstones"
compactd_start
sleep 2
# settled: three runs in a row commit nothing
quiet=0
for _ in $(seq 60); do
	before=$(grep -c "rewrite of" "$SL_BROKER_DIR/compactd.log")
	compactd_wait_runs 30 1
	after=$(grep -c "rewrite of" "$SL_BROKER_DIR/compactd.log")
	if [ "$before" -eq "$after" ]; then
		quiet=$((quiet + 1))
		[ $quiet -ge 3 ] && break
	else
		quiet=0
	fi
done
[ $quiet -ge 3 ] || { compactd_log_tail; sl_fail "compactd did not settle"; }
dropped=$(grep -o "[0-9]* records compacted away;" "$SL_BROKER_DIR/compactd.log" |
	awk '{ s += $1 } END { print s + 0 }')
sl_note "$dropped records compacted away"
compactd_stop
broker_stop
broker_restart
sl_run 120 $CPY compacted-verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	"${KEYS[@]}" --expect-compacted
$CPY layout "$sock" "$topic" | sed 's/^/# /'
compactd_logs_clean
uploader_stop
sl_bootstrap_stop
echo "PASS: compactd_compacted"
