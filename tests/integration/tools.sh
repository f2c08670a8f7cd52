#!/bin/bash
# The operator's tools against a running node and a stopped one.
# Running (brokerd and uploaderd in the foreground, logs kept): sluicectl's
# every subcommand, human and JSON, checked against what was produced;
# upload-now moving the WAL's records into an object; sluicestat one-shot,
# JSON and its refreshing screen; the Prometheus endpoint (format, counter
# values, latency histograms, S3 counters of brokerd and uploaderd); SIGHUP
# reloading a reloadable key, naming the key that needs a restart, and
# keeping the running config when the file is bad.  Stopped: every tool
# says brokerd is not running and what it looked for, and exits 1;
# sluicectl config still works; after a kill -9, sluicestat shows the last
# values and says they are stale.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops_lib.sh"
sl_init tools
sl_require_python_module confluent_kafka
sl_require_built tools/sluicectl
sl_require_built tools/sluicestat
objects=$SL_TMP/objects
# nothing seals on its own: upload-now does it
broker_start "region.ms = 3600000" "region.bytes = 4G" "object.store = file://$objects" \
	"metrics.listener = http://127.0.0.1:0"
uploader_start
export SLUICE_CONF=$SL_BROKER_DIR/brokerd.conf
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"
topic=$(sl_topic t)
sl_run 60 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --count 2000 \
	--size 100 >/dev/null
# port 0: brokerd took a free port and logged it
metrics_url=$(sed -n 's/.*metrics: Prometheus endpoint at \(http:[^ ]*\)$/\1/p' \
	"$SL_BROKER_DIR/brokerd.log" | tail -n 1)
metrics_port=${metrics_url##*:}
metrics_port=${metrics_port%%/*}
[ -n "$metrics_port" ] && [ "$metrics_port" != 0 ] || sl_fail "brokerd did not log its metrics port"

sl_check "sluicectl status: brokerd and uploaderd running with their pids"
for _ in $(seq 50); do # uploaderd reports right after its hello
	ops_ctl -j status | ops_json '"report" in d["uploaderd"]' | grep -q True && break
	sleep 0.1
done
ops_expect_output "brokerd +running, pid $SL_BROKER_PID, node 1" 0 ops_ctl status
ops_expect_output "uploaderd +running, pid $SL_UPLOADER_PID" 0 ops_ctl status
[ "$(ops_ctl -j status | ops_json 'd["brokerd"]["status"]["pid"] == '"$SL_BROKER_PID"' and d["uploaderd"]["running"] and d["uploaderd"]["report"]["pid"] == '"$SL_UPLOADER_PID")" = True ] ||
	sl_fail "sluicectl -j status disagrees with the pids"

sl_check "sluicectl topics: 4 partitions, 2000 records, all in the WAL"
ops_expect_output "^$topic +3 " 0 ops_ctl topics "$topic"
[ "$(ops_ctl -j topics "$topic" | ops_json 'sum(p["high_watermark"] for p in d["topics"][0]["partitions"])')" = 2000 ] ||
	sl_fail "high watermarks do not add up to 2000"
[ "$(ops_ctl -j topics "$topic" | ops_json 'sum(p["wal"]["records"] for p in d["topics"][0]["partitions"])')" = 2000 ] ||
	sl_fail "the WAL does not hold the 2000 records"
ops_expect_output "no topic" 1 ops_ctl topics no-such-topic

sl_check "sluicectl wal: 2000 records held above the trim point"
ops_expect_output "holds +2000 records" 0 ops_ctl wal
[ "$(ops_ctl -j wal | ops_json 'd["records"] == 2000 and d["durable"] > d["trim"]')" = True ] ||
	sl_fail "sluicectl -j wal"

sl_check "sluicectl upload-now -w: the WAL's records go to an object"
ops_expect_output "uploaded: the catalog has the WAL up to" 0 ops_ctl upload-now -w -t 30
[ "$(ops_ctl -j wal | ops_json 'd["records"] == 0 and d["trim"] == d["durable"]')" = True ] ||
	sl_fail "the WAL still holds records after upload-now"
[ "$(ops_ctl -j topics "$topic" | ops_json 'all(p["s3"]["end_offset"] == p["high_watermark"] for p in d["topics"][0]["partitions"])')" = True ] ||
	sl_fail "S3 does not hold every partition up to its high watermark"
ops_expect_output "nothing to seal" 0 ops_ctl upload-now

sl_check "sluicectl catalog and objects: one object, ranges per partition"
ops_expect_output "objects +1 live" 0 ops_ctl catalog
ops_expect_output "$topic/2 +offsets \[0, " 0 ops_ctl objects "$topic"
[ "$(ops_ctl -j objects | ops_json 'len(d["objects"])')" = 1 ] || sl_fail "sluicectl -j objects"

sl_check "sluicectl compact-now answers"
ops_expect_output "compaction requested" 0 ops_ctl compact-now

sl_check "sluicectl groups: a group's committed offsets and its lag"
"$SL_PYTHON" - "$SLUICE_BOOTSTRAP" "$topic" <<'PY' || sl_fail "cannot commit offsets"
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "ops-tools"})
c.commit(offsets=[TopicPartition(sys.argv[2], p, 100) for p in range(4)], asynchronous=False)
c.close()
PY
ops_expect_output "^group ops-tools: Empty, .* lag 1600$" 0 ops_ctl groups
[ "$(ops_ctl -j groups ops-tools | ops_json '[(o["partition"], o["committed"], o["lag"]) for o in d["groups"][0]["offsets"]]')" = \
	"[(0, 100, 400), (1, 100, 400), (2, 100, 400), (3, 100, 400)]" ] || sl_fail "sluicectl -j groups"
ops_expect_output "no group 'nobody'" 1 ops_ctl groups nobody

sl_check "sluicectl config: effective values, -d, -n, -h, unknown keys"
ops_expect_output "^listeners = PLAINTEXT://127.0.0.1:$SL_BROKER_PORT$" 0 ops_ctl config listeners
ops_expect_output "^$SL_BROKER_DIR/data/control.sock$" 0 ops_ctl config -h control.socket
ops_expect_output "^pid.file = $" 0 ops_ctl config -d pid.file
ops_ctl config -n | grep -q "^region.ms = 3600000$" || sl_fail "config -n lacks region.ms"
! ops_ctl config -n | grep -q "^s3.region" || sl_fail "config -n shows a default"
ops_expect_output "unknown key 'no.such.key'" 1 ops_ctl config no.such.key

sl_check "sluicestat: one-shot, JSON, a filter and the refreshing screen"
ops_expect_output "^produce_records +2000 " 0 ops_stat -1
[ "$(ops_stat -j | ops_json 'd["counters"]["produce_records"]["value"] == 2000 and d["counters"]["produce_records"]["kind"] == "counter" and d["brokerd_pid"] == '"$SL_BROKER_PID")" = True ] ||
	sl_fail "sluicestat -j"
[ "$(ops_stat -1 -f fetch_ | grep -vc '^fetch_')" = 0 ] || sl_fail "sluicestat -f let others through"
sl_run 20 "$SL_PYTHON" "$SL_LIBDIR/ops_screen.py" produce_records -- \
	"$top_builddir/tools/sluicestat" -c "$SLUICE_CONF" -w 0.2

sl_check "metrics: the exposition format, counters, histograms, S3 counters"
# a consumer, for the fetch latency histogram
sl_run 60 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --count 2000 \
	--size 100 >/dev/null
# uploaderd's S3 counters come with its next report (every 5 s)
for _ in $(seq 80); do
	ops_ctl -j status | ops_json 'd["uploaderd"]["report"]["s3"]["puts"]' | grep -q '^[1-9]' &&
		break
	sleep 0.1
done
sl_run 30 "$SL_PYTHON" "$SL_LIBDIR/ops_metrics.py" "$metrics_url" \
	--eq sluice_produce_records_total=2000 --eq sluice_upload_lag_bytes=0 \
	--eq sluice_uploader_attached=1 --ge sluice_uploader_objects_total=1 \
	--ge 'sluice_s3_operations_total{daemon="uploaderd",op="put"}=1' \
	--ge 'sluice_s3_operations_total{daemon="brokerd",op="put"}=1' \
	--eq 'sluice_daemon_error{daemon="uploaderd"}=0' \
	--same sluice_produce_latency_seconds_count,sluice_produce_requests_total \
	--ge sluice_fetch_latency_seconds_count=1 --ge sluice_wal_used_bytes=0

sl_check "SIGHUP: a reloadable key applied, a restart-only key named, a bad file refused"
sed -i -e 's/^region.ms = .*/region.ms = 250/' \
	-e "s/^listeners = .*/listeners = PLAINTEXT:\/\/127.0.0.1:$((SL_BROKER_PORT + 1))/" \
	-e 's/^log.level = .*/log.level = debug/' "$SLUICE_CONF"
kill -HUP "$SL_BROKER_PID" "$SL_UPLOADER_PID"
for _ in $(seq 50); do
	grep -q "reload: .*not applied" "$SL_BROKER_DIR/uploaderd.log" && break
	sleep 0.1
done
grep -q "reload: region.ms = 250 (was 3600000)" "$SL_BROKER_DIR/brokerd.log" ||
	{ broker_log_tail; sl_fail "brokerd did not log the reloaded region.ms"; }
grep -q "reload: listeners changed .* restart brokerd" "$SL_BROKER_DIR/brokerd.log" ||
	{ broker_log_tail; sl_fail "brokerd did not say listeners needs a restart"; }
grep -q "reload: listeners changed .* restart uploaderd" "$SL_BROKER_DIR/uploaderd.log" ||
	{ uploader_log_tail; sl_fail "uploaderd did not say listeners needs a restart"; }
[ "$(ops_ctl config -h region.ms)" = 250 ] || sl_fail "sluicectl config does not see the edit"
# region.ms now seals on its own, and log.level = debug shows it
sl_run 60 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" --first 2000 \
	--count 10 --size 100 >/dev/null
for _ in $(seq 50); do
	grep -q "debug: regions: sealed region" "$SL_BROKER_DIR/brokerd.log" && break
	sleep 0.1
done
grep -q "debug: regions: sealed region" "$SL_BROKER_DIR/brokerd.log" ||
	{ broker_log_tail; sl_fail "region.ms or log.level was not reloaded"; }
echo "no.such.key = 1" >>"$SLUICE_CONF"
kill -HUP "$SL_BROKER_PID"
for _ in $(seq 50); do
	grep -q "keeping the running configuration" "$SL_BROKER_DIR/brokerd.log" && break
	sleep 0.1
done
grep -q "unknown key 'no.such.key'; keeping the running configuration" \
	"$SL_BROKER_DIR/brokerd.log" || { broker_log_tail; sl_fail "a bad file was not refused"; }
sed -i -e '/^no.such.key/d' \
	-e "s/^listeners = .*/listeners = PLAINTEXT:\/\/127.0.0.1:$SL_BROKER_PORT/" "$SLUICE_CONF"
ops_expect_output "brokerd +running" 0 ops_ctl status

sl_check "stopped: every tool says brokerd is not running and exits 1"
uploader_stop
broker_stop
for c in status topics wal catalog objects groups upload-now compact-now; do
	ops_expect_output "brokerd is not running \(no control socket at $SL_BROKER_DIR/data/control.sock" 1 ops_ctl "$c"
done
ops_expect_output "^brokerd +not running" 1 ops_ctl status
ops_expect_output "^uploaderd +not running" 1 ops_ctl status
ops_expect_output "brokerd is not running \(no shared memory segment at /$(sl_shm_name)\)" 1 ops_stat -1
ops_expect_output "brokerd is not running" 1 ops_stat -j
ops_expect_output "^node.id = 1$" 0 ops_ctl config node.id
! sl_port_open "$metrics_port" || sl_fail "the metrics port is still open"

sl_check "after kill -9: sluicestat shows the last values and says they are stale"
broker_restart
broker_kill
ops_expect_output "brokerd \(pid [0-9]+\) is not running: these are the last values" 0 ops_stat -1
echo "PASS: tools"
