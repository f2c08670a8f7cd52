#!/bin/bash
# sluice-bench's compaction part against a real brokerd, uploaderd and
# compactd on the local object-store backend (file://), one short pair of
# phases: compactd is stopped and started through the commands given;
# it writes nothing while stopped and something while running; its
# counters are summed over its two processes (they restart at zero); the
# whole-run figures agree with the counters and with the bucket; a
# failing start command fails the run.  Uses tests/integration/lib.sh.
# Takes about a minute; not in make check.
. "$(dirname "$0")/../../tests/integration/lib.sh"
sl_init compactbench
sl_require_built tools/bench/sluice-bench
sl_require_built uploaderd/uploaderd
sl_require_built compactd/compactd
BENCH=$top_builddir/tools/bench/sluice-bench

objects=$SL_TMP/objects
# Small regions and test-sized compaction so a few seconds give it work.
broker_start "wal.capacity.bytes = 256M" "cache.bytes = 16M" "region.bytes = 1M" \
	"region.ms = 200" "object.store = file://$objects" \
	"compaction.interval.ms = 1000" "compaction.target.bytes = 4M" \
	"compaction.split.bytes = 256K" "compaction.small.object.bytes = 512K" \
	"retired.grace.ms = 1000" "compactd.pid.file = $SL_TMP/compactd.pid"
uploader_start
conf=$SL_BROKER_DIR/brokerd.conf

# The tool starts and stops compactd through these; every pid goes to
# compactd.pids so the EXIT trap can kill one left running.
cat >"$SL_TMP/start.sh" <<EOF
#!/bin/bash
setsid "$top_builddir/compactd/compactd" -F -c "$conf" </dev/null \
	>>"$SL_TMP/compactd.log" 2>&1 &
echo \$! >"$SL_TMP/compactd.mypid"
echo \$! >>"$SL_TMP/compactd.pids"
echo start >>"$SL_TMP/commands"
EOF
cat >"$SL_TMP/stop.sh" <<EOF
#!/bin/bash
echo stop >>"$SL_TMP/commands"
[ -f "$SL_TMP/compactd.mypid" ] || exit 0
pid=\$(<"$SL_TMP/compactd.mypid")
rm -f "$SL_TMP/compactd.mypid"
kill -TERM "\$pid" 2>/dev/null || exit 0
for _ in \$(seq 300); do
	kill -0 "\$pid" 2>/dev/null || exit 0
	sleep 0.1
done
exit 1
EOF
chmod +x "$SL_TMP/start.sh" "$SL_TMP/stop.sh"
trap 'st=$?; for p in $(cat "$SL_TMP/compactd.pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	(exit $st); sl_cleanup' EXIT

sl_check "two pairs: compactd writes only while running; figures agree"
"$BENCH" --only compact --s3-config "$conf" --bootstrap "$SLUICE_BOOTSTRAP" --topic cb \
	--partitions 8 --duration 4 --rate-mb 5 --compact-pairs 2 --compact-wait 60 \
	--settle-timeout 60 --compactd-start "$SL_TMP/start.sh" \
	--compactd-stop "$SL_TMP/stop.sh" --json "$SL_TMP/compact.json" >"$SL_TMP/out.txt" ||
	{ cat "$SL_TMP/out.txt"; tail -20 "$SL_TMP/compactd.log"; sl_fail "sluice-bench --only compact failed"; }
[ "$(tr '\n' ' ' <"$SL_TMP/commands")" = "stop start stop start " ] ||
	sl_fail "commands run: $(tr '\n' ' ' <"$SL_TMP/commands")"
[ "$(wc -l <"$SL_TMP/compactd.pids")" = 2 ] || sl_fail "compactd not started twice"
grep -q "ratio .* (target <= 1.5: " "$SL_TMP/out.txt" || sl_fail "no p99 ratio in the table"
on_disk=$(find "$objects/o" -type f | wc -l)
"$SL_PYTHON" - "$SL_TMP/compact.json" "$SL_TMP/compactd.log" "$on_disk" <<'EOF' || sl_fail "report"
import json, re, sys
c = json.load(open(sys.argv[1]))["compact"]
def check(ok, what):
    if not ok:
        sys.exit("FAIL: %s" % what)
check(c["ok"] and c["pairs"] == 2 and len(c["phases"]) == 4, "pairs and phases")
check(c["settled"], "compactd did not settle")
for i, ph in enumerate(c["phases"]):
    check(ph["compacting"] == (i % 2 == 1), "phase %d kind" % i)
    check(ph["ok"] and ph["acked"] > 0 and ph["p99_ms"] > 0, "phase %d latency" % i)
    check(ph["ingested_bytes"] > ph["acked"] * 1024, "phase %d ingest" % i)
    if ph["compacting"]:
        check(ph["compaction_bytes_written"] > 0, "compacting phase %d wrote nothing" % i)
    else:
        check(ph["compaction_bytes_written"] == 0 and ph["s3"]["compactd"]["PUT"] == 0,
              "idle phase %d: compactd wrote %d" % (i, ph["compaction_bytes_written"]))
# The whole run's writes are the two processes' final totals, as each
# logged them at its last run (counters restart with a process).
totals, last = [], None
for line in open(sys.argv[2]):
    if "compact: every" in line:
        if last is not None:
            totals.append(last)
        last = 0
    m = re.search(r"totals: read \d+, wrote (\d+) bytes", line)
    if m:
        last = int(m.group(1))
totals.append(last)
k = c["counters"]
check(len(totals) == 2 and k["bytes_written"] == sum(totals),
      "bytes written %d, logged %s" % (k["bytes_written"], totals))
check(abs(c["write_amp"] - k["bytes_written"] / c["ingested_bytes"]) < 1e-9, "write amp")
gb = c["ingested_bytes"] / 1e9
check(abs(c["s3_per_gb"]["compactd"]["PUT"] - c["s3"]["compactd"]["PUT"] / gb) < 1e-6,
      "PUTs per GB")
check(c["s3"]["compactd"]["PUT"] >= k["objects_written"] > 0, "compactd PUTs")
check(c["s3"]["uploaderd"]["PUT"] > 0, "uploaderd PUTs")
# what is in the bucket: every live object and the retired ones not yet deleted
check(int(sys.argv[3]) > 0, "no objects")
print("# write amplification %.2f, compactd PUT/GB %.1f, p99 ratio %.2f" %
      (c["write_amp"], c["s3_per_gb"]["compactd"]["PUT"], c["p99_ratio"]))
EOF

sl_check "a failing --compactd-start fails the run"
if "$BENCH" --only compact --s3-config "$conf" --bootstrap "$SLUICE_BOOTSTRAP" --topic cb \
	--duration 1 --compact-pairs 1 --compactd-start "exit 3" \
	--compactd-stop "$SL_TMP/stop.sh" >"$SL_TMP/bad.out" 2>&1; then
	sl_fail "a failing --compactd-start was ignored"
fi
grep -q "start compactd command failed" "$SL_TMP/bad.out" || sl_fail "no message for the failed start"

uploader_stop
sl_bootstrap_stop
echo "PASS: compactbench"
