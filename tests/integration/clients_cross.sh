#!/bin/bash
# Cross-client: records written by one client are read back byte for byte by
# another, on one 4-partition topic, in a chain that covers every client as
# producer or consumer and several codecs:
#   confluent-kafka (snappy, acks -1)  -> read by kafkajs
#   kafkajs (gzip, acks 1)             -> read by kafka-python
#   kafka-python (zstd, acks -1)       -> read by librdkafka C
#   librdkafka C (lz4, acks 1)         -> read by confluent-kafka
#   everything                         -> read by kcat (keys, timestamps, sizes)
# Each reader checks the whole topic so far (records 0..N-1 of records.py).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init clients_cross
sl_require_cmd kcat
sl_require_python_module confluent_kafka kafka snappy lz4.frame zstandard
sl_require_node_modules
sl_require_built tests/integration/rdkafka_roundtrip
sl_bootstrap_start

topic=$(sl_topic x)
base=$(($(sl_now_ms) - 3600000))
confluent() { sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/confluent_roundtrip.py" "$@"; }
kafka_python() { sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/kafka_python_roundtrip.py" "$@"; }
kafkajs() { KAFKAJS_NO_PARTITIONER_WARNING=1 sl_run 120 node "$SL_LIBDIR/kafkajs_roundtrip.js" "$@"; }
rdkafka() { sl_run 120 "$top_builddir/tests/integration/rdkafka_roundtrip" "$@"; }

sl_check "create $topic (confluent-kafka admin)"
confluent create "$topic"

sl_check "confluent-kafka produces 0..2999 (snappy), kafkajs reads them"
confluent produce "$topic" "$base" 0 3000 -1 snappy
kafkajs verify "$topic" "$base" 3000

sl_check "kafkajs produces 3000..5999 (gzip), kafka-python reads 0..5999"
kafkajs produce "$topic" "$base" 3000 6000 1 gzip
kafka_python verify "$topic" "$base" 6000

sl_check "kafka-python produces 6000..8999 (zstd), librdkafka C reads 0..8999"
kafka_python produce "$topic" "$base" 6000 9000 -1 zstd
rdkafka verify "$topic" "$base" 9000

sl_check "librdkafka C produces 9000..11999 (lz4), confluent-kafka reads 0..11999"
rdkafka produce "$topic" "$base" 9000 12000 1 lz4
confluent verify "$topic" "$base" 12000

sl_check "kcat reads 0..11999"
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/kcat_roundtrip.py" verify "$topic" "$base" 12000

sl_check "delete $topic (confluent-kafka admin)"
confluent delete "$topic"

sl_bootstrap_stop
echo "PASS: clients_cross"
