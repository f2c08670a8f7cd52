#!/bin/bash
# WAL back-pressure: brokerd with a 4 MiB WAL (and a 1 MiB cache, so most
# reads come from the WAL) is produced into until it answers
# REQUEST_TIMED_OUT; it must stay up, keep every acknowledged batch byte
# for byte and refuse the rest (wal_full.py says what is checked).  The
# same checks run after a clean restart and after kill -9 and restart
# (recovery of a full ring).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust_lib.sh"
sl_init wal_full
sl_require_python_module confluent_kafka
broker_start "wal.capacity.bytes = 4M" "cache.bytes = 1M"
state=$SL_TMP/acked.json

sl_check "fill the WAL"
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/wal_full.py" fill "$SLUICE_BOOTSTRAP" "$state"
robust_broker_alive || sl_fail "brokerd died while the WAL was full"

sl_check "read back with the WAL full"
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/wal_full.py" verify "$SLUICE_BOOTSTRAP" "$state"

sl_check "clean restart with a full WAL, read back again"
broker_stop
broker_restart
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/wal_full.py" verify "$SLUICE_BOOTSTRAP" "$state"

sl_check "kill -9 and restart with a full WAL, read back again"
broker_kill
broker_restart
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/wal_full.py" verify "$SLUICE_BOOTSTRAP" "$state"

broker_stop
echo "PASS: wal_full"
