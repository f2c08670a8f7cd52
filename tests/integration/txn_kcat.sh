#!/bin/bash
# Transactions with kcat (-X transactional.id: all of its input in one
# transaction, committed at the end of the input): one committed run;
# one run killed with SIGKILL once its records are in the log (kcat 1.7's
# SIGINT exits without aborting while input is still buffered, so the
# broker's transaction timeout is what ends it: transaction.timeout.ms
# 3 s); another committed run.  While the killed run's transaction is
# open, kcat reading with isolation.level=read_committed stops before it;
# once brokerd aborted it, read_committed reads the two committed runs
# only, in order, and read_uncommitted reads all three.
. "$(dirname "$0")/lib.sh"
sl_init txn_kcat
sl_require_cmd kcat

broker_start "transaction.abort.timed.out.transaction.cleanup.interval.ms = 200"
topic=$(sl_topic t)
KCAT="kcat -b $SLUICE_BOOTSTRAP -t $topic -p 0"

# Counts what kcat reads from the beginning with the given isolation.
count_read()
{
	timeout 20 $KCAT -C -o beginning -e -q -X "isolation.level=$1" -f '%s\n' | wc -l
}

sl_check "a transaction committed at the end of kcat's input"
seq -f 'commit-a-%g' 1 50 | sl_run 60 $KCAT -P -X transactional.id=kcat-a

sl_check "a transaction whose kcat is killed: aborted by its timeout"
fifo=$SL_TMP/input
mkfifo "$fifo"
$KCAT -P -X transactional.id=kcat-b -X transaction.timeout.ms=3000 -X linger.ms=0 \
	<"$fifo" 2>"$SL_TMP/kcat-b.log" &
kcat_b=$!
sl_track_pid "$kcat_b"
exec 3>"$fifo"
seq -f 'abort-b-%g' 1 3000 >&3
for _ in $(seq 100); do
	[ "$(count_read read_uncommitted)" -ge 1050 ] && break
	sleep 0.2
done
[ "$(count_read read_uncommitted)" -ge 1050 ] || sl_fail "the killed run's records never reached the log"
kill -9 "$kcat_b"
wait "$kcat_b" 2>/dev/null
sl_untrack_pid "$kcat_b"
exec 3>&-
seq -f 'commit-c-%g' 1 20 | sl_run 60 $KCAT -P -X transactional.id=kcat-a
[ "$(count_read read_committed)" -eq 50 ] ||
	sl_fail "read_committed read past the open transaction"
sl_note "read_committed stops at the open transaction: 50 records"

sl_check "read_committed: the committed runs only; read_uncommitted: everything"
for _ in $(seq 100); do
	[ "$(count_read read_committed)" -eq 70 ] && break
	sleep 0.2
done
timeout 20 $KCAT -C -o beginning -e -q -X isolation.level=read_committed -f '%s\n' >"$SL_TMP/committed"
{ seq -f 'commit-a-%g' 1 50; seq -f 'commit-c-%g' 1 20; } >"$SL_TMP/want"
cmp -s "$SL_TMP/committed" "$SL_TMP/want" ||
	{ diff "$SL_TMP/want" "$SL_TMP/committed" | head -n 5; sl_fail "read_committed read the wrong records"; }
timeout 20 $KCAT -C -o beginning -e -q -X isolation.level=read_uncommitted -f '%s\n' >"$SL_TMP/all"
aborted=$(grep -c '^abort-b-' "$SL_TMP/all")
{ seq -f 'commit-a-%g' 1 50; seq -f 'abort-b-%g' 1 "$aborted"; seq -f 'commit-c-%g' 1 20; } >"$SL_TMP/want"
cmp -s "$SL_TMP/all" "$SL_TMP/want" ||
	{ diff "$SL_TMP/want" "$SL_TMP/all" | head -n 5; sl_fail "read_uncommitted read the wrong records"; }
sl_note "read_committed: $(wc -l <"$SL_TMP/committed") records, read_uncommitted: $(wc -l <"$SL_TMP/all")"
broker_stop
echo "PASS: txn_kcat"
