#!/bin/bash
# confluent-kafka-python (librdkafka underneath): create a 4-partition topic
# through the admin API, produce 12,500 records with keys, values, headers and
# explicit timestamps (null keys, null and empty values; none, gzip, snappy,
# lz4 and zstd batches; acks -1, 1 and 0), read them back byte for byte, then
# read from the end, from an offset and from a timestamp, check the metadata
# and delete the topic.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init clients_roundtrip_confluent
sl_require_python_module confluent_kafka
sl_bootstrap_start

sl_check "confluent-kafka-python round trip on $(sl_topic rt)"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/confluent_roundtrip.py" full "$(sl_topic rt)" $(($(sl_now_ms) - 3600000))

sl_bootstrap_stop
echo "PASS: clients_roundtrip_confluent"
