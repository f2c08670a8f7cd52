#!/bin/bash
# kafka-python's KafkaConsumer in a group: two consumers share a topic and
# read it exactly once, a later one resumes from the committed offsets, and
# the admin client lists, describes and deletes the group.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_kafka_python
sl_require_python_module kafka
sl_bootstrap_start

sl_check "kafka-python consumers in group $(sl_topic g)"
sl_run 90 "$SL_PYTHON" "$SL_LIBDIR/groups_kafka_python.py" "$(sl_topic t)" "$(sl_topic g)"

sl_bootstrap_stop
echo "PASS: groups_kafka_python"
