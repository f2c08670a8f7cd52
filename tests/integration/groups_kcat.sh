#!/bin/bash
# kcat's balanced consumer (-G, librdkafka's high-level consumer with
# auto-commit): reads a topic to its end and commits; a second run of the
# group reads nothing, a third exactly the records produced since; two kcat
# members at once share the partitions (DescribeGroups shows both) and
# together read what is produced while they run.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
sl_init groups_kcat
sl_require_cmd kcat
sl_require_python_module kafka
sl_bootstrap_start

topic=$(sl_topic t)
group=$(sl_topic g)
bs=$SLUICE_BOOTSTRAP

# Produces records $1..$2 (values "k<i>"), spread over the partitions.
produce()
{
	seq "$1" "$2" | sed 's/^/k/' |
		sl_run 30 kcat -P -b "$bs" -t "$topic" -X topic.partitioner=random
}

# Reads with the group until every assigned partition's end, into $1.
read_group()
{
	sl_run 60 kcat -C -b "$bs" -G "$group" -e -q -f '%p %o %s\n' \
		-X auto.offset.reset=earliest "$topic" >"$1"
}

sl_check "create $topic with 4 partitions, produce 1000 records"
sl_run 30 kcat -b "$bs" -L -t "$topic" >/dev/null # auto-created
produce 1 1000

sl_check "kcat -G reads all 1000 and commits"
read_group "$SL_TMP/run1"
n=$(wc -l <"$SL_TMP/run1")
u=$(cut -d' ' -f3 "$SL_TMP/run1" | sort -u | wc -l)
[ "$n" -eq 1000 ] && [ "$u" -eq 1000 ] || sl_fail "first run read $n records ($u distinct)"

sl_check "the group's second run reads nothing"
read_group "$SL_TMP/run2"
[ ! -s "$SL_TMP/run2" ] || sl_fail "second run read $(wc -l <"$SL_TMP/run2") records"

sl_check "after 50 more, the third run reads exactly those"
produce 1001 1050
read_group "$SL_TMP/run3"
want=$(seq 1001 1050 | sed 's/^/k/' | sort)
got=$(cut -d' ' -f3 "$SL_TMP/run3" | sort)
[ "$got" = "$want" ] || sl_fail "third run read: $(echo $got | head -c 200)"

sl_check "two kcat members share the partitions"
for m in a b; do
	kcat -C -b "$bs" -G "$group" -q -f '%p %o %s\n' \
		-X auto.offset.reset=earliest -X session.timeout.ms=6000 \
		"$topic" >"$SL_TMP/member-$m" 2>"$SL_TMP/member-$m.err" &
	sl_track_pid $!
	eval "pid_$m=$!"
done
"$SL_PYTHON" - "$group" <<'EOF' || sl_fail "the group did not become Stable with 2 members"
import sys, time
from kafka.admin import KafkaAdminClient
import os
admin = KafkaAdminClient(bootstrap_servers=os.environ["SLUICE_BOOTSTRAP"])
deadline = time.time() + 30
while time.time() < deadline:
    g = admin.describe_consumer_groups([sys.argv[1]])[0]
    if g.state == "Stable" and len(g.members) == 2 and all(m.member_assignment.assignment for m in g.members):
        print("  Stable with members %s" % sorted(m.member_id for m in g.members))
        sys.exit(0)
    time.sleep(0.3)
sys.exit(1)
EOF
produce 1051 1250
for _ in $(seq 100); do
	[ "$(cat "$SL_TMP/member-a" "$SL_TMP/member-b" | wc -l)" -ge 200 ] && break
	sleep 0.2
done
for m in a b; do
	eval "pid=\$pid_$m"
	kill -TERM "$pid"
	wait "$pid"
	sl_untrack_pid "$pid"
done
want=$(seq 1051 1250 | sed 's/^/k/' | sort)
got=$(cat "$SL_TMP/member-a" "$SL_TMP/member-b" | cut -d' ' -f3 | sort -u)
[ "$got" = "$want" ] || sl_fail "the two members read $(echo "$got" | wc -l) of the 200 new records"
sl_note "the two members read $(wc -l <"$SL_TMP/member-a") and $(wc -l <"$SL_TMP/member-b") records"

sl_bootstrap_stop
echo "PASS: groups_kcat"
