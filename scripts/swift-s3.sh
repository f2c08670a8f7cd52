#!/bin/bash
# swift-s3.sh: a local S3 endpoint for the tests: OpenStack Swift (Debian's
# swift-proxy, -account, -container, -object) with its s3api middleware and
# tempauth, plus memcached, all on 127.0.0.1, everything under one directory.
#
#   swift-s3.sh start DIR [PORT]   start (or find running) and print the env
#   swift-s3.sh stop DIR           stop every process start started
#   swift-s3.sh status DIR         one line per process; exit 0 all running,
#                                  3 none, 1 some
#
# start prints, and writes to DIR/env, four shell-evaluable lines:
#   SWIFT_S3_ENDPOINT=http://127.0.0.1:PORT   (path-style requests only)
#   SWIFT_S3_REGION=us-east-1                 (SigV4 scope region)
#   SWIFT_S3_ACCESS_KEY=sluice:harness        (tempauth "account:user")
#   SWIFT_S3_SECRET_KEY=<40 hex digits>       (made once per DIR)
# SigV4 signatures and x-amz-content-sha256 payload hashes are checked as
# AWS does (s3api, plus our swift/s3_chunked_hash.py filter for bodies sent
# without a Content-Length); docs/testing-s3.md says what is and is not.
#
# The proxy listens on PORT (default: the previous one if free, else a free
# one); memcached and the account, container and object servers get free
# loopback ports below the ephemeral range.  Nothing outside DIR is
# written: DIR/etc holds the rendered configs (templates in scripts/swift/),
# the rings (swift-ring-builder's commands, run by swift/ring-build.py: one
# replica, one device, rebuilt when the ports change) and the credentials;
# DIR/devices/d1 the data (it needs user xattrs: ext4 or xfs, not tmpfs
# before Linux 6.6); DIR/run the pidfiles; DIR/log one log per process.
# Servers run as the calling user (root in CI), one process each
# (workers = 0), detached with setsid, through swift/swift-server.py.
#
# start is idempotent: when everything runs (on PORT, if given) it only
# prints the env; a partly running set is stopped and started again.  Data
# in DIR survives stop and start.  Callers on the same DIR are serialised
# with flock on DIR/lock.
set -euo pipefail

PY=/usr/bin/python3
REGION=us-east-1
S3_ACCOUNT=sluice
S3_USER=harness
READY_TIMEOUT=30
STOP_TIMEOUT=10
# Start order; stop goes the other way.
PROCS="memcached account-server container-server object-server proxy-server"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmpl=$here/swift
dir='' etc='' run='' logd='' run_user='' failed_proc=''
# eventlet's green DNS pulls in dnspython and httpx, half of every Swift
# process's start-up time; everything here is a literal 127.0.0.1.
export EVENTLET_NO_GREENDNS=yes
# Our Python files live in the source tree; leave no __pycache__ there.
export PYTHONDONTWRITEBYTECODE=1

usage()
{
	echo "usage: $0 start DIR [PORT] | stop DIR | status DIR" >&2
	exit 2
}

die()
{
	echo "swift-s3: $*" >&2
	exit 1
}

# Milliseconds since the epoch.
now_ms()
{
	date +%s%3N
}

# Sets the directory variables for harness dir $1 (made absolute).
dirs_set()
{
	mkdir -p "$1" || die "cannot create $1"
	dir=$(cd "$1" && pwd)
	etc=$dir/etc
	run=$dir/run
	logd=$dir/log
}

# Prints a string on process $1's command line (the pid reuse check).
proc_marker()
{
	if [ "$1" = memcached ]; then
		echo "memcached -l 127.0.0.1 -p $MEMCACHED_PORT "
	else
		echo "$etc/$1.conf"
	fi
}

# Prints the pid of harness process $1 and succeeds when it runs: the pid
# in its pidfile is alive and its command line still names this DIR.
proc_pid()
{
	local pid cmdline
	[ -f "$run/$1.pid" ] || return 1
	read -r pid <"$run/$1.pid" || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	# A zombie's cmdline is empty, so an exited process fails here too.
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	case $cmdline in *"$(proc_marker "$1")"*) ;; *) return 1 ;; esac
	echo "$pid"
}

# Succeeds when process $1 itself listens on 127.0.0.1:$2: a socket of
# its (found through /proc/$1/fd) is a listener on that address in
# /proc/net/tcp.  Someone else on the port does not count.
proc_listens()
{
	local addr inode fds
	addr=$(printf '0100007F:%04X' "$2")
	fds=$(ls -l "/proc/$1/fd" 2>/dev/null) || return 1
	# Columns: sl local_address rem_address st(0A = LISTEN) ... inode.
	while read -r inode; do
		case $fds in *"socket:[$inode]"*) return 0 ;; esac
	done < <(awk -v a="$addr" '$2 == a && $4 == "0A" { print $10 }' /proc/net/tcp)
	return 1
}

# Succeeds when GET $2 on 127.0.0.1:$1 answers 200.
http_ok()
{
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$2" "$1" >&3
		read -r -t 5 line <&3 || exit 1
		case $line in "HTTP/1."?" 200 "*) exit 0 ;; esac
		exit 1
	) 2>/dev/null
}

# Prints one loopback port per argument: the argument itself if it is a
# port nothing binds, else a random free one below the ephemeral range
# (so no outgoing connection can hold it), all distinct.  An argument "0"
# always gets a fresh port.
ports_pick()
{
	"$PY" - "$@" <<'EOF'
import random, socket, sys

def free(port):
    s = socket.socket()
    # As the servers do: a port left in TIME_WAIT by a previous run is free.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()

with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
    top = min(int(f.read().split()[0]), 65536) - 1
taken = set()
for want in (int(a) for a in sys.argv[1:]):
    port = want if want and want not in taken and free(want) else 0
    for _ in range(1000):
        if port:
            break
        p = random.randint(10000, top)
        if p != 11211 and p not in taken and free(p):
            port = p
    if not port:
        sys.exit('no free loopback port')
    taken.add(port)
    print(port)
EOF
}

# Writes template $1 to $2 with every @KEY@ replaced.
render()
{
	local text
	text=$(<"$tmpl/$1.in")
	text=${text//@ETC@/"$etc"}
	text=${text//@DEVICES@/"$dir/devices"}
	text=${text//@USER@/"$run_user"}
	text=${text//@REGION@/"$REGION"}
	text=${text//@S3_ACCOUNT@/"$S3_ACCOUNT"}
	text=${text//@S3_USER@/"$S3_USER"}
	text=${text//@SECRET_KEY@/"$SWIFT_S3_SECRET_KEY"}
	text=${text//@MEMCACHED_PORT@/"$MEMCACHED_PORT"}
	text=${text//@ACCOUNT_PORT@/"$ACCOUNT_PORT"}
	text=${text//@CONTAINER_PORT@/"$CONTAINER_PORT"}
	text=${text//@OBJECT_PORT@/"$OBJECT_PORT"}
	text=${text//@PROXY_PORT@/"$PROXY_PORT"}
	case $text in *@[A-Z_]*@*) die "unrendered key left in $2" ;; esac
	printf '%s\n' "$text" >"$2.tmp" && mv "$2.tmp" "$2"
}

# Starts harness process $1 detached (new session, stdio to its log, the
# lock fd closed) and records its pid.
proc_launch()
{
	local name=$1 log=$logd/$1.log
	shift
	setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
	echo "$!" >"$run/$name.pid"
}

# Starts harness process $1 with its own command line.
proc_start()
{
	case $1 in
	memcached)
		proc_launch memcached memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" \
			-U 0 -m 64 -c 1024 -u "$run_user"
		;;
	*)
		proc_launch "$1" "$PY" "$tmpl/swift-server.py" "$1" \
			"$etc/$1.conf" "$logd/$1.log"
		;;
	esac
}

# Prints the port of harness process $1.
proc_port()
{
	case $1 in
	memcached) echo "$MEMCACHED_PORT" ;;
	account-server) echo "$ACCOUNT_PORT" ;;
	container-server) echo "$CONTAINER_PORT" ;;
	object-server) echo "$OBJECT_PORT" ;;
	proxy-server) echo "$PROXY_PORT" ;;
	esac
}

# Prints the last lines of process $1's log to stderr.
log_tail()
{
	[ -s "$logd/$1.log" ] || return 0
	echo "swift-s3: --- last lines of $logd/$1.log" >&2
	tail -n 20 "$logd/$1.log" >&2
}

# Waits until every process named (all of them by default) listens, and,
# when the proxy is among them, answers its healthcheck; fails (with the
# log of the culprit, named in failed_proc) when one exits or time runs
# out.
ready_wait()
{
	local deadline name pid waiting names=${1:-$PROCS}
	failed_proc=
	deadline=$(($(now_ms) + READY_TIMEOUT * 1000))
	while :; do
		waiting=
		for name in $names; do
			if ! pid=$(proc_pid "$name"); then
				echo "swift-s3: $name exited during start" >&2
				log_tail "$name"
				failed_proc=$name
				return 1
			fi
			proc_listens "$pid" "$(proc_port "$name")" || waiting=$name
		done
		if [ -z "$waiting" ]; then
			case " $names " in
			*" proxy-server "*) http_ok "$PROXY_PORT" /healthcheck && return 0 ;;
			*) return 0 ;;
			esac
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			failed_proc=${waiting:-proxy-server}
			echo "swift-s3: $failed_proc not ready in ${READY_TIMEOUT} s" >&2
			log_tail "$failed_proc"
			return 1
		fi
		sleep 0.05
	done
}

# Loads the saved ports (or zeros) into the *_PORT variables.
ports_load()
{
	MEMCACHED_PORT=0 ACCOUNT_PORT=0 CONTAINER_PORT=0 OBJECT_PORT=0 PROXY_PORT=0
	if [ -f "$etc/ports" ]; then
		# shellcheck source=/dev/null
		. "$etc/ports"
	fi
}

# Loads the credentials of DIR, making them on the first start.
credentials_load()
{
	SWIFT_S3_ACCESS_KEY=$S3_ACCOUNT:$S3_USER
	if [ ! -s "$etc/secret" ]; then
		if ! (umask 077 && od -An -tx1 -N20 /dev/urandom | tr -d ' \n' >"$etc/secret.tmp" &&
			mv "$etc/secret.tmp" "$etc/secret"); then
			die "cannot write $etc/secret"
		fi
	fi
	SWIFT_S3_SECRET_KEY=$(<"$etc/secret")
	case $SWIFT_S3_SECRET_KEY in
	'' | *[!0-9a-f]*) die "$etc/secret is not hex; remove it to make a new one" ;;
	esac
}

# Prints the four env lines of the running harness.
env_print()
{
	echo "SWIFT_S3_ENDPOINT=http://127.0.0.1:$PROXY_PORT"
	echo "SWIFT_S3_REGION=$REGION"
	echo "SWIFT_S3_ACCESS_KEY=$SWIFT_S3_ACCESS_KEY"
	echo "SWIFT_S3_SECRET_KEY=$SWIFT_S3_SECRET_KEY"
}

# Succeeds when every harness process runs.
all_running()
{
	local name
	for name in $PROCS; do
		proc_pid "$name" >/dev/null || return 1
	done
}

# Stops every harness process that runs: SIGTERM, then SIGKILL for those
# still there after STOP_TIMEOUT seconds.  Removes the pidfiles.
procs_stop()
{
	local name pid deadline left procs_rev=
	for name in $PROCS; do
		procs_rev="$name $procs_rev"
	done
	for name in $procs_rev; do
		if pid=$(proc_pid "$name"); then
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	deadline=$(($(now_ms) + STOP_TIMEOUT * 1000))
	while :; do
		left=
		for name in $PROCS; do
			proc_pid "$name" >/dev/null && left="$left $name"
		done
		[ -z "$left" ] && break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "swift-s3: killing$left (no exit ${STOP_TIMEOUT} s after SIGTERM)" >&2
			for name in $left; do
				if pid=$(proc_pid "$name"); then
					kill -KILL "$pid" 2>/dev/null || true
				fi
			done
			sleep 0.2
			break
		fi
		sleep 0.05
	done
	for name in $PROCS; do
		rm -f "$run/$name.pid"
	done
}

# Fails unless the devices directory takes user xattrs (Swift keeps each
# object's metadata in them).
xattr_check()
{
	"$PY" - "$dir/devices" <<'EOF' || die "$dir/devices has no user xattrs (tmpfs before Linux 6.6?); use a directory on ext4 or xfs"
import os, sys, tempfile
with tempfile.NamedTemporaryFile(dir=sys.argv[1]) as f:
    os.setxattr(f.name, 'user.swift.harness', b'1')
EOF
}

# Picks the ports (keeping the saved ones that are free), renders the
# configs, builds the rings if the ports changed, starts every process and
# waits until all are ready.  Fails when one does not come up.
launch()
{
	local name ring_pid=
	# shellcheck disable=SC2046 # five port numbers, one per word
	set -- $(ports_pick "$MEMCACHED_PORT" "$ACCOUNT_PORT" "$CONTAINER_PORT" \
		"$OBJECT_PORT" "$PROXY_PORT")
	[ $# -eq 5 ] || die "could not find free loopback ports"
	MEMCACHED_PORT=$1 ACCOUNT_PORT=$2 CONTAINER_PORT=$3 OBJECT_PORT=$4 PROXY_PORT=$5
	printf 'MEMCACHED_PORT=%s\nACCOUNT_PORT=%s\nCONTAINER_PORT=%s\nOBJECT_PORT=%s\nPROXY_PORT=%s\n' \
		"$@" >"$etc/ports"
	for name in swift account-server container-server object-server proxy-server; do
		render "$name.conf" "$etc/$name.conf"
	done

	# The rings name the servers' ports; rebuild them only when those
	# changed.  Building overlaps the servers' own start: only the proxy
	# reads the rings.
	if [ "$(cat "$etc/rings.ports" 2>/dev/null)" != "$ACCOUNT_PORT $CONTAINER_PORT $OBJECT_PORT" ]; then
		rm -f "$etc/rings.ports"
		"$PY" "$tmpl/ring-build.py" "$etc" "$ACCOUNT_PORT" "$CONTAINER_PORT" \
			"$OBJECT_PORT" >"$logd/ring-build.log" 2>&1 9>&- &
		ring_pid=$!
	fi
	for name in $PROCS; do
		[ "$name" = proxy-server ] || proc_start "$name"
	done
	if [ -n "$ring_pid" ] && ! wait "$ring_pid"; then
		tail -n 20 "$logd/ring-build.log" >&2
		procs_stop
		die "building the rings failed"
	fi
	echo "$ACCOUNT_PORT $CONTAINER_PORT $OBJECT_PORT" >"$etc/rings.ports"
	# the proxy last, once the servers behind it listen: a client retrying
	# across a restart must not be told by a half-started Swift that its
	# bucket does not exist
	ready_wait "${PROCS% proxy-server}" || return 1
	proc_start proxy-server
	ready_wait
}

cmd_start()
{
	local want_port=${1:-} t0 name attempt
	t0=$(now_ms)
	case $want_port in
	'') ;;
	*[!0-9]*) die "PORT must be a number: $want_port" ;;
	*)
		if [ "$want_port" -lt 1 ] || [ "$want_port" -gt 65535 ]; then
			die "PORT out of range: $want_port"
		fi
		;;
	esac
	# One program of each Debian package the harness runs (swift-proxy,
	# swift-account, swift-container, swift-object, memcached); the servers
	# themselves are started through swift/swift-server.py.
	for name in "$PY" setsid flock memcached swift-proxy-server \
		swift-account-server swift-container-server swift-object-server; do
		command -v "$name" >/dev/null || die "$name not found (run scripts/setup-debian.sh)"
	done
	run_user=$(id -un) || die "the current user has no name; Swift needs one"
	mkdir -p "$etc" "$run" "$logd" "$dir/devices/d1"
	credentials_load

	if all_running && { [ -z "$want_port" ] || [ "$want_port" = "$PROXY_PORT" ]; }; then
		env_print
		return 0
	fi
	procs_stop
	xattr_check
	if [ -n "$want_port" ]; then
		[ "$(ports_pick "$want_port")" = "$want_port" ] ||
			die "port $want_port on 127.0.0.1 is taken"
		PROXY_PORT=$want_port
	fi
	# A port picked free can be taken before its server binds it (say, by
	# a harness starting beside this one): then try again on fresh ports.
	for attempt in 1 2 3; do
		[ "$attempt" -eq 1 ] || echo "swift-s3: a port was taken; trying other ports" >&2
		if launch; then
			env_print >"$dir/env.tmp" && mv "$dir/env.tmp" "$dir/env"
			env_print
			echo "swift-s3: started in $(($(now_ms) - t0)) ms: proxy 127.0.0.1:$PROXY_PORT, memcached $MEMCACHED_PORT, account $ACCOUNT_PORT, container $CONTAINER_PORT, object $OBJECT_PORT (dir $dir)" >&2
			return 0
		fi
		procs_stop
		[ -n "$failed_proc" ] || break
		case $(tail -n 5 "$logd/$failed_proc.log" 2>/dev/null) in
		*'Address already in use'* | *'Could not bind'*) ;;
		*) break ;;
		esac
		MEMCACHED_PORT=0 ACCOUNT_PORT=0 CONTAINER_PORT=0 OBJECT_PORT=0
		PROXY_PORT=${want_port:-0}
	done
	die "start failed; logs in $logd"
}

cmd_stop()
{
	local t0
	t0=$(now_ms)
	procs_stop
	echo "swift-s3: stopped in $(($(now_ms) - t0)) ms (dir $dir)" >&2
}

cmd_status()
{
	local name pid up=0 down=0
	for name in $PROCS; do
		if pid=$(proc_pid "$name"); then
			echo "$name running pid $pid port $(proc_port "$name")"
			up=$((up + 1))
		else
			echo "$name stopped"
			down=$((down + 1))
		fi
	done
	[ "$down" -eq 0 ] && return 0
	[ "$up" -eq 0 ] && return 3
	return 1
}

[ $# -ge 2 ] || usage
cmd=$1
case $cmd in
start) [ $# -le 3 ] || usage ;;
stop | status)
	[ $# -eq 2 ] || usage
	if [ ! -d "$2" ]; then
		# Nothing was ever started there; do not create it.
		[ "$cmd" = stop ] && exit 0
		echo "swift-s3: no harness in $2" >&2
		exit 3
	fi
	;;
*) usage ;;
esac
dirs_set "$2"
shift 2
exec 9>"$dir/lock"
flock 9
ports_load
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop ;;
status) cmd_status ;;
esac
