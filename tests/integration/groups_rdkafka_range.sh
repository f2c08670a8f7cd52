#!/bin/bash
# librdkafka's high-level consumer (confluent-kafka) with the range assignor:
# three members on a 12-partition topic under continuous produce, then one
# leaves, one joins, another leaves; every record is processed exactly once
# (members commit on revocation and when they leave).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_rdkafka_range
sl_require_python_module confluent_kafka
sl_bootstrap_start "group.min.session.timeout.ms = 1000"

sl_check "three members come and go under load (range)"
sl_run 90 "$SL_PYTHON" "$SL_LIBDIR/groups_rdkafka.py" churn "$(sl_topic t)" "$(sl_topic g)" range "$SL_TMP"

sl_bootstrap_stop
echo "PASS: groups_rdkafka_range"
