#!/bin/bash
# A member killed without leaving (SIGKILL, librdkafka through
# confluent-kafka, range assignor, 3 s session timeout): the two others
# take over its partitions within the session timeout (+3 s of slack for
# the rebalance) and every record is still processed at least once.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_member_killed
sl_require_python_module confluent_kafka
sl_bootstrap_start "group.min.session.timeout.ms = 1000"

sl_check "one of three members killed under load"
sl_run 90 "$SL_PYTHON" "$SL_LIBDIR/groups_rdkafka.py" killed "$(sl_topic t)" "$(sl_topic g)" "$SL_TMP"

sl_bootstrap_stop
echo "PASS: groups_member_killed"
