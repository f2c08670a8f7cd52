#!/bin/bash
# kafkajs consumers in a group: two share a topic and read it exactly once,
# a later one resumes from the committed offsets; the admin client
# describes the group, fetches its offsets and deletes it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_kafkajs
sl_require_node_modules
sl_bootstrap_start

sl_check "kafkajs consumers in group $(sl_topic g)"
KAFKAJS_NO_PARTITIONER_WARNING=1 sl_run 90 node "$SL_LIBDIR/groups_kafkajs.js" "$(sl_topic t)" "$(sl_topic g)"

sl_bootstrap_stop
echo "PASS: groups_kafkajs"
