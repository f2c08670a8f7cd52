# ops_lib.sh: shell functions of the operations tests (init_script.sh,
# tools.sh), sourced after lib.sh.  They run Sluice the way an operator
# does: through etc/init.d/sluice, with the daemons daemonising, pointed at
# the build tree by SLUICE_SBIN and SLUICE_BIN (directories of symlinks to
# the built programs) and at a generated sluice.conf by SLUICE_CONF.
# Everything the daemons leave running is killed by the EXIT trap.

OPS_DIR=
OPS_INIT=$top_srcdir/etc/init.d/sluice
OPS_DAEMONS=
OPS_EXTRA=()

# Kills every daemon whose pidfile is in the test's tree (EXIT trap).
ops_kill_daemons()
{
	local f pid
	[ -n "$OPS_DIR" ] || return 0
	for f in "$OPS_DIR"/broker/brokerd.pid "$OPS_DIR"/broker/data/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	return 0
}

# Lays out the test's node: sbin/ and bin/ of symlinks to the build tree,
# a config for brokerd on a free port (extra "key = value" lines as
# arguments), an object store directory; exports the init script's
# environment and SLUICE_BOOTSTRAP.
ops_setup()
{
	local d
	sl_require_built brokerd/brokerd
	sl_require_built uploaderd/uploaderd
	sl_require_built tools/sluicectl
	sl_require_built tools/sluicestat
	OPS_DIR=$SL_TMP
	trap 'ops_status=$?; ops_kill_daemons; (exit $ops_status); sl_cleanup' EXIT
	mkdir -p "$OPS_DIR/sbin" "$OPS_DIR/bin"
	OPS_DAEMONS=
	for d in brokerd uploaderd compactd; do
		if [ -x "$top_builddir/$d/$d" ]; then
			ln -sf "$top_builddir/$d/$d" "$OPS_DIR/sbin/$d"
			OPS_DAEMONS="$OPS_DAEMONS $d"
		fi
	done
	ln -sf "$top_builddir/tools/sluicectl" "$top_builddir/tools/sluicestat" "$OPS_DIR/bin/"
	SL_BROKER_DIR=$OPS_DIR/broker
	OPS_EXTRA=("$@")
	ops_config_write
	export SLUICE_CONF=$SL_BROKER_DIR/brokerd.conf
	export SLUICE_SBIN=$OPS_DIR/sbin SLUICE_BIN=$OPS_DIR/bin
	sl_note "daemons:$OPS_DAEMONS; config $SLUICE_CONF"
}

# (Re)writes the node's config on a free port and exports SLUICE_BOOTSTRAP.
ops_config_write()
{
	SL_BROKER_PORT=$(sl_free_port) || sl_fail "no free port"
	broker_config_write "$SL_BROKER_DIR" "$SL_BROKER_PORT" \
		"object.store = file://$OPS_DIR/objects" "${OPS_EXTRA[@]}"
	export SLUICE_BOOTSTRAP=127.0.0.1:$SL_BROKER_PORT
}

# The first `init.d/sluice start`: a port taken meanwhile by someone else
# (tests run in parallel) is retried on another one.
ops_start()
{
	local out status
	for _ in 1 2 3; do
		out=$(sh "$OPS_INIT" start 2>&1)
		status=$?
		echo "$out" | sed 's/^/# init: /'
		if [ "$status" -eq 0 ]; then
			sl_note "Kafka on $SLUICE_BOOTSTRAP"
			return 0
		fi
		grep -q "Address already in use" <<<"$out" || break
		sh "$OPS_INIT" stop >/dev/null 2>&1
		ops_config_write
	done
	ops_logs
	sl_fail "init.d/sluice start exited $status"
}

# Runs the init script with arguments; prints its output; returns its status.
ops_init()
{
	local status
	sh "$OPS_INIT" "$@" 2>&1 | sed 's/^/# init: /'
	status=${PIPESTATUS[0]}
	return "$status"
}

# Runs the init script and fails the test unless it exits with status $1.
ops_init_expect()
{
	local want=$1 status
	shift
	ops_init "$@"
	status=$?
	if [ "$status" -ne "$want" ]; then
		ops_logs
		sl_fail "init.d/sluice $* exited $status, expected $want"
	fi
}

# The pid in daemon $1's pidfile (empty when none).
ops_pid()
{
	local f
	if [ "$1" = brokerd ]; then
		f=$SL_BROKER_DIR/brokerd.pid
	else
		f=$SL_BROKER_DIR/data/$1.pid
	fi
	cat "$f" 2>/dev/null
}

# Prints the daemons' recent syslog-less traces: with the daemons detached
# their logs go to syslog, so this shows what sluicectl status knows.
ops_logs()
{
	"$top_builddir/tools/sluicectl" -c "$SLUICE_CONF" status 2>&1 | sed 's/^/# status: /'
}

# sluicectl with the test's config.
ops_ctl()
{
	"$top_builddir/tools/sluicectl" -c "$SLUICE_CONF" "$@"
}

# sluicestat with the test's config.
ops_stat()
{
	"$top_builddir/tools/sluicestat" -c "$SLUICE_CONF" "$@"
}

# Evaluates a Python expression over the JSON on stdin (bound to d) and
# prints the result: `sluicectl -j wal | ops_json 'd["records"]'`.
ops_json()
{
	"$SL_PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1"
}

# Fails the test unless the command prints text matching $1 (grep -E) on
# stdout or stderr and exits with status $2.
ops_expect_output()
{
	local pattern=$1 want=$2 out status
	shift 2
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" -ne "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
		echo "$out" | sed 's/^/# /'
		sl_fail "$* exited $status (expected $want) or did not print /$pattern/"
	fi
}
