#!/bin/bash
# librdkafka's C API (tests/integration/rdkafka_roundtrip.c): CreateTopics,
# 12,500 records with every codec (none, gzip, snappy, lz4, zstd) and acks
# -1/1/0, byte-for-byte read-back with contiguous offsets and exact high
# watermarks, reads from the end, an offset and a timestamp
# (offsets_for_times), Metadata, DeleteTopics.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init clients_roundtrip_rdkafka
sl_require_built tests/integration/rdkafka_roundtrip
sl_bootstrap_start

sl_check "librdkafka C round trip on $(sl_topic rt)"
sl_run 300 "$top_builddir/tests/integration/rdkafka_roundtrip" full "$(sl_topic rt)" $(($(sl_now_ms) - 3600000))

sl_bootstrap_stop
echo "PASS: clients_roundtrip_rdkafka"
