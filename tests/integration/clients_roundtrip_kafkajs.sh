#!/bin/bash
# kafkajs (pure JavaScript protocol code; consumers always in a group):
# admin create, 12,500 records (none, gzip, snappy; acks -1/1/0),
# byte-for-byte read-back through a consumer group, reads from the end, an
# offset and a timestamp, metadata, admin delete.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init clients_roundtrip_kafkajs
sl_require_node_modules
sl_bootstrap_start

sl_check "kafkajs round trip on $(sl_topic rt)"
KAFKAJS_NO_PARTITIONER_WARNING=1 sl_run 300 node "$SL_LIBDIR/kafkajs_roundtrip.js" full "$(sl_topic rt)" $(($(sl_now_ms) - 3600000))

sl_bootstrap_stop
echo "PASS: clients_roundtrip_kafkajs"
