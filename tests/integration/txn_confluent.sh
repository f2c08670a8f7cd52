#!/bin/bash
# Transactions with librdkafka's transactional producer (confluent-kafka):
# commits and aborts read by READ_COMMITTED and READ_UNCOMMITTED
# consumers, an open transaction holding the last stable offset, fencing
# by a new producer instance, a transaction aborted by its timeout, and a
# transaction left open across a kill -9 of brokerd, aborted after the
# restart by a new instance (txn_check.py says what each step checks).
. "$(dirname "$0")/lib.sh"
sl_init txn_confluent
sl_require_python_module confluent_kafka

broker_start "transaction.abort.timed.out.transaction.cleanup.interval.ms = 200"

sl_check "commits and aborts, an open transaction, fencing, a timeout"
sl_run 300 "$SL_PYTHON" "$SL_LIBDIR/txn_check.py" basic "$SLUICE_BOOTSTRAP" "$(sl_topic basic)"

sl_check "a transaction left open across a kill -9 of brokerd"
topic=$(sl_topic crash)
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/txn_check.py" leave-open "$SLUICE_BOOTSTRAP" "$topic"
broker_kill
broker_restart
sl_run 120 "$SL_PYTHON" "$SL_LIBDIR/txn_check.py" after-crash "$SLUICE_BOOTSTRAP" "$topic"
broker_stop
echo "PASS: txn_confluent"
