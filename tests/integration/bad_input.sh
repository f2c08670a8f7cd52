#!/bin/bash
# Malformed input: raw sockets send brokerd truncated, oversized and
# negative frames, lying counts and lengths, unknown APIs and versions,
# corrupt record batches and a few thousand seeded random frames
# (bad_input.py says what each case expects).  After every case brokerd
# must still run and serve a fresh connection; at the end a real client
# produces and consumes.  SLUICE_FUZZ_SEED picks the random frames.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust_lib.sh"
sl_init bad_input
sl_require_python_module confluent_kafka
max_request=2097152
seed=${SLUICE_FUZZ_SEED:-20240611}
broker_start "socket.request.max.bytes = $max_request"

sl_check "malformed requests against brokerd pid $SL_BROKER_PID (seed $seed)"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/bad_input.py" "$SLUICE_BOOTSTRAP" \
	"$SL_BROKER_PID" "$max_request" "$seed"

sl_check "brokerd still runs, then stops cleanly on SIGTERM"
robust_broker_alive || sl_fail "brokerd died"
broker_stop
echo "PASS: bad_input"
