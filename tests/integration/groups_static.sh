#!/bin/bash
# Static membership (group.instance.id, librdkafka through confluent-kafka):
# a static member is killed and restarted within its 10 s session timeout;
# it gets its partitions back under a new member id while the other member
# sees no rebalance (its own callbacks) and DescribeGroups shows a Stable
# group of two with the instance's member id replaced.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_static
sl_require_python_module confluent_kafka kafka
sl_bootstrap_start

sl_check "static member restarted within its session timeout"
sl_run 90 "$SL_PYTHON" "$SL_LIBDIR/groups_rdkafka.py" static "$(sl_topic t)" "$(sl_topic g)" "$SL_TMP"

sl_bootstrap_stop
echo "PASS: groups_static"
