#!/bin/bash
# kafka-python (its own protocol code, independent of librdkafka): the same
# round trip as the confluent test: admin create, 12,500 records with every
# codec and acks -1/1/0, byte-for-byte read-back, reads from the end, an
# offset and a timestamp, metadata, admin delete.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init clients_roundtrip_kafka_python
sl_require_python_module kafka snappy lz4.frame zstandard
sl_bootstrap_start

sl_check "kafka-python round trip on $(sl_topic rt)"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/kafka_python_roundtrip.py" full "$(sl_topic rt)" $(($(sl_now_ms) - 3600000))

sl_bootstrap_stop
echo "PASS: clients_roundtrip_kafka_python"
