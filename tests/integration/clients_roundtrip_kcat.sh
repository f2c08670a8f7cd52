#!/bin/bash
# kcat: topic auto-creation (num.partitions = 4), 12,600 text records in
# per-partition runs (none, gzip, snappy, lz4, zstd; acks -1/1/0; headers,
# null keys, empty and null values), read back with -J and compared, reads
# from the end, an offset (-o N) and a timestamp (-Q, -o s@), metadata (-L),
# and deletion (confluent-kafka admin, checked with kcat -L).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init clients_roundtrip_kcat
sl_require_cmd kcat
sl_require_python_module confluent_kafka
sl_bootstrap_start

sl_check "kcat round trip on $(sl_topic rt)"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/kcat_roundtrip.py" full "$(sl_topic rt)"

sl_bootstrap_stop
echo "PASS: clients_roundtrip_kcat"
