#!/bin/bash
# sluice-bench's S3 parts against a real brokerd and uploaderd on the local
# object-store backend (file://): the fill waits until the uploads drain;
# after a restart of brokerd the catch-up reads every record from objects
# only; the raw GETs read exactly the bytes of the objects on disk; the
# figures of the JSON report agree with each other; --restart-cmd runs and
# its failure fails the run.  Uses tests/integration/lib.sh.
. "$(dirname "$0")/../../tests/integration/lib.sh"
sl_init s3bench
sl_require_built tools/bench/sluice-bench
sl_require_built uploaderd/uploaderd
BENCH=$top_builddir/tools/bench/sluice-bench

objects=$SL_TMP/objects
broker_start "wal.capacity.bytes = 32M" "cache.bytes = 4M" "region.bytes = 4M" \
	"region.ms = 200" "block.cache.bytes = 16M" "object.store = file://$objects"
uploader_start
conf=$SL_BROKER_DIR/brokerd.conf

sl_check "fill: 40 MB produced, the uploads drain"
"$BENCH" --only fill --s3-config "$conf" --bootstrap "$SLUICE_BOOTSTRAP" --topic s3b \
	--fill-mb 40 --drain-timeout 60 --json "$SL_TMP/fill.json" ||
	sl_fail "sluice-bench --only fill failed"

sl_check "catch-up after a restart: every record from objects, raw GETs of every byte"
broker_stop
broker_restart
"$BENCH" --only catchup --s3-config "$conf" --bootstrap "$SLUICE_BOOTSTRAP" --topic s3b \
	--get-parallel 3 --get-range 300000 --restart-cmd "touch '$SL_TMP/restarted'" \
	--json "$SL_TMP/catchup.json" || sl_fail "sluice-bench --only catchup failed"
[ -f "$SL_TMP/restarted" ] || sl_fail "--restart-cmd did not run"
on_disk=$(find "$objects/o" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { print n, s }')
"$SL_PYTHON" - "$SL_TMP/fill.json" "$SL_TMP/catchup.json" $on_disk <<'EOF' || sl_fail "report"
import json, sys
fill = json.load(open(sys.argv[1]))["fill"]
cu = json.load(open(sys.argv[2]))["catchup"]
n_obj, obj_bytes = int(sys.argv[3]), int(sys.argv[4])
records = (40 * 10**6 + 1023) // 1024
def check(ok, what):
    if not ok:
        sys.exit("FAIL: %s" % what)
check(fill["ok"] and fill["records"] == records, "fill records %d" % fill["records"])
c = fill["counters"]
# Regions are sealed at 4 MiB (region.bytes), so at least this many objects.
check(c["uploads_committed"] >= c["produce_bytes"] // (4 << 20) >= 9 and
      c["uploads_committed"] == c["uploader_objects"],
      "objects committed %d, uploaded %d for %d bytes" %
      (c["uploads_committed"], c["uploader_objects"], c["produce_bytes"]))
check(abs(fill["objects_per_gb"] - c["uploads_committed"] / (c["produce_bytes"] / 1e9)) < 1e-6,
      "objects per GB")
r, k = cu["read"], cu["counters"]
check(cu["ok"] and r["consumed"] == r["expected"] == records + 4,
      "read back %d of %d" % (r["consumed"], r["expected"]))
check(k["fetch_cache_hits"] == 0 and k["fetch_wal_reads"] == 0 and k["cold_read_gets"] > 0,
      "not from objects only: %s" % k)
check(r["value_bytes"] == r["consumed"] * 1024, "value bytes")
w, g = cu["raw_get_whole"], cu["raw_get_ranged"]
check(w["objects"] == n_obj and w["gets"] == n_obj, "whole GETs %d of %d objects" %
      (w["gets"], n_obj))
check(w["bytes"] == obj_bytes == g["bytes"] == w["object_bytes"], "raw GET bytes")
check(g["gets"] >= obj_bytes // 300000 and g["range_bytes"] == 300000, "ranged GETs")
check(abs(cu["ratio_catchup_raw"] - r["batch_mbps"] / w["mbps"]) < 1e-6, "ratio")
print("# %d objects, %d bytes; catch-up %.1f MB/s, raw %.1f MB/s" %
      (n_obj, obj_bytes, r["batch_mbps"], w["mbps"]))
EOF

sl_check "a failing --restart-cmd fails the run before the catch-up"
if "$BENCH" --only catchup --s3-config "$conf" --bootstrap "$SLUICE_BOOTSTRAP" --topic s3b \
	--restart-cmd "exit 3" >"$SL_TMP/bad.out" 2>&1; then
	sl_fail "a failing --restart-cmd was ignored"
fi
grep -q "restart command failed" "$SL_TMP/bad.out" || sl_fail "no message for the failed restart"

uploader_stop
sl_bootstrap_stop
echo "PASS: s3bench"
