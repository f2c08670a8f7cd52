#!/bin/bash
# quickstart.sh: from a fresh clone on Debian 12 (as root) to a running
# Sluice: installs the dependencies, builds in the source tree, starts every
# daemon that has been built (brokerd, then uploaderd and compactd) with one
# generated config, then produces a few records with kcat and reads them
# back.  The daemons keep running afterwards; the script prints how to stop
# them.  Running it again stops the previous daemons first; their data (the
# WAL, the catalog) stays under $SLUICE_QUICKSTART_DIR (default
# /var/lib/sluice-quickstart) and is recovered on start.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
dir=${SLUICE_QUICKSTART_DIR:-/var/lib/sluice-quickstart}
port=${SLUICE_QUICKSTART_PORT:-9092}
conf=$dir/sluice.conf
topic=quickstart

step()
{
	echo "==> $*"
}

die()
{
	echo "quickstart: $*" >&2
	exit 1
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Stops a daemon from an earlier run, found by the pid this script noted.
stop_previous()
{
	local pidfile=$dir/quickstart.$1.pid pid i
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		echo "stopping the previous $1 (pid $pid)"
		kill -TERM "$pid"
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && die "$1 (pid $pid) did not stop"
	fi
	rm -f "$pidfile"
}

step "installing dependencies (scripts/setup-debian.sh)"
./scripts/setup-debian.sh

step "building (autoreconf -fi, configure, make)"
autoreconf -fi >/dev/null 2>&1 || die "autoreconf -fi failed"
./configure --quiet
make -j"$(nproc)" >/dev/null || die "make failed (run make for details)"

mkdir -p "$dir"
for d in compactd uploaderd brokerd; do
	stop_previous "$d"
done
port_open "$port" && die "port $port is in use; set SLUICE_QUICKSTART_PORT"

step "writing $conf"
cat >"$conf" <<CONF
# Sluice quickstart configuration (written by scripts/quickstart.sh).
listeners = PLAINTEXT://127.0.0.1:$port
node.id = 1
data.dir = $dir
wal.path = $dir/wal
wal.capacity.bytes = 256M
cache.bytes = 64M
num.partitions = 1
auto.create.topics.enable = true
shm.name = /sluice-quickstart
log.level = info
CONF

step "starting brokerd on 127.0.0.1:$port (log: $dir/brokerd.log)"
nohup "$top/brokerd/brokerd" -F -c "$conf" >>"$dir/brokerd.log" 2>&1 </dev/null &
pid=$!
for i in $(seq 300); do
	kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir/brokerd.log" >&2; die "brokerd exited"; }
	port_open "$port" && break
	[ "$i" -lt 300 ] || die "brokerd is not accepting connections after 30 s"
	sleep 0.1
done
echo "$pid" >"$dir/quickstart.brokerd.pid"

# The helpers read the same config; start whichever have been built.
for d in uploaderd compactd; do
	[ -x "$top/$d/$d" ] || continue
	step "starting $d (log: $dir/$d.log)"
	nohup "$top/$d/$d" -F -c "$conf" >>"$dir/$d.log" 2>&1 </dev/null &
	echo $! >"$dir/quickstart.$d.pid"
done

step "producing 5 records to topic '$topic' with kcat"
printf '%s\n' "k1	hello" "k2	from" "k3	sluice" "k4	at $(date -u +%FT%TZ)" "k5	bye" |
	kcat -P -b "127.0.0.1:$port" -t "$topic" -K '\t' -X acks=all ||
	die "kcat could not produce"

step "reading topic '$topic' back from the beginning"
kcat -C -b "127.0.0.1:$port" -t "$topic" -o beginning -e -q \
	-f 'partition %p offset %o key %k: %s\n' || die "kcat could not consume"

echo
echo "Sluice is running: bootstrap server 127.0.0.1:$port, data in $dir."
echo "Stop it with: kill$(for d in compactd uploaderd brokerd; do
	[ -f "$dir/quickstart.$d.pid" ] && printf ' $(cat %s)' "$dir/quickstart.$d.pid"; done)"
