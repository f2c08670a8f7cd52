#!/bin/bash
# Admin APIs with real clients: DescribeConfigs, AlterConfigs,
# IncrementalAlterConfigs, CreatePartitions, DescribeCluster and
# DescribeLogDirs through confluent-kafka's AdminClient, kafka-python's
# KafkaAdminClient, kcat (producing to and reading a partition added by
# CreatePartitions) and the wire protocol; then a brokerd restart, after
# which retention.ms set by AlterConfigs, the added partitions and the
# broker config override are all still there.  See admin_apis.py.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init admin_apis
sl_require_cmd kcat
sl_require_python_module confluent_kafka kafka
if [ -n "${SLUICE_BOOTSTRAP:-}" ] || [ "${SLUICE_TEST_BROKER:-}" = mock ]; then
	# the second half restarts brokerd with the same data
	sl_skip_or_fail "needs a brokerd of its own (SLUICE_BOOTSTRAP or the mock set)"
fi
broker_start

topic=$(sl_topic grow)
auto=$(sl_topic auto)
sl_check "admin APIs on $topic"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/admin_apis.py" before "$topic" "$auto"

sl_check "the changes survive a restart"
broker_stop
broker_restart
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/admin_apis.py" after "$topic" "$auto"

sl_bootstrap_stop
echo "PASS: admin_apis"
