#!/bin/bash
# upload.pace against a real S3 (Swift with s3api, which checks every
# PUT's signature and payload hash): with 8 MiB regions filled in about
# eight seconds each, uploaderd sends each region's PUT at a limited rate
# (its debug log names the rate), the PUT lasts about as long as that rate
# says, and brokerd restarted with a cold cache reads every record back
# from the objects byte for byte.
#
# A region's PUT is paced only while no other region waits behind it, and
# takes three quarters of the time its region took to fill (at most 4 s):
# with regions filled in two seconds, a step that produced faster than the
# one before (steps are slower and less even under the sanitizers) sealed
# the next region first, and that upload went at full speed.  The gaps
# between steps make each fill about twice the longest PUT.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swift_lib.sh"
swift_init upload_swift_paced
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"

swift_start
swift_bucket_create sluice-paced
swift_config sluice-paced cluster1
broker_start "wal.capacity.bytes = 256M" "cache.bytes = 8M" "region.bytes = 8M" \
	"region.ms = 60000" "log.level = debug" "${SW_CONF[@]}"
uploader_start
topic=$(sl_topic t)

sl_check "40 MB produced in steps of 4 MB every 3 s or so; regions go up paced"
step=4000
for i in $(seq 0 9); do
	sl_run 60 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
		--first $((i * step)) --count $step --size 1000
	sleep 3
done
uploads_drain 120
daemons_alive "after the uploads"
log=$SL_BROKER_DIR/uploaderd.log
paced=$(grep -c "paced at" "$log" || true)
sl_note "$paced of $(grep -c "upload: object .* committed" "$log") uploads paced"
[ "$paced" -ge 2 ] || { uploader_log_tail; sl_fail "fewer than 2 paced uploads"; }
# each paced PUT lasts at least about bytes / rate: the debug line is
# written as the PUT starts, the commit line after it ends
$SL_PYTHON - "$log" <<'PY' || sl_fail "a paced PUT was faster than its rate"
import re, sys
from datetime import datetime
def ts(line):
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()
start = {}
checked = 0
for line in open(sys.argv[1]):
    m = re.search(r"upload: object ([0-9a-f]{16}) \((\d+) bytes, .* paced at (\d+) bytes/s", line)
    if m:
        start[m.group(1)] = (ts(line), int(m.group(2)) / int(m.group(3)))
        continue
    m = re.search(r"upload: object ([0-9a-f]{16}) committed", line)
    if m and m.group(1) in start:
        t0, want = start.pop(m.group(1))
        took = ts(line) - t0
        print(f"object {m.group(1)}: {took:.2f} s, paced for {want:.2f} s")
        if took < 0.7 * want:
            sys.exit(1)
        checked += 1
sys.exit(0 if checked else 1)
PY
commits_check

sl_check "brokerd restarted with a cold cache reads it all back from the objects"
broker_stop
broker_restart
sl_run 180 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count $((10 * step)) --size 1000
[ "$(shm_counter cold_read_errors)" -eq 0 ] || sl_fail "cold reads failed"
[ "$(shm_counter cold_read_bytes)" -ge 30000000 ] || sl_fail "the records were not read from S3"

uploader_stop
sl_bootstrap_stop
logs_clean
swift_stop
echo "PASS: upload_swift_paced"
