#!/bin/bash
# Committed offsets survive a crash: a consumer commits (each commit
# acknowledged only once durable) and stops without leaving, brokerd is
# killed with SIGKILL at once and restarted on the same data; the group's
# committed offsets are exactly the last acknowledged ones and a new
# consumer resumes from them.  Twice: the second time the journal brokerd
# replays was written by two runs of it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_broker_killed
sl_require_python_module confluent_kafka
sl_bootstrap_start

for round in 1 2; do
	topic=$(sl_topic "t$round")
	group=$(sl_topic "g$round")
	sl_check "round $round: commit, kill -9 brokerd, restart, resume"
	sl_run 60 "$SL_PYTHON" "$SL_LIBDIR/groups_rdkafka.py" crash-commit "$topic" "$group" "$SL_TMP/acked$round.json"
	broker_kill
	broker_restart
	sl_run 60 "$SL_PYTHON" "$SL_LIBDIR/groups_rdkafka.py" crash-check "$topic" "$group" "$SL_TMP/acked$round.json"
done

sl_bootstrap_stop
echo "PASS: groups_broker_killed"
