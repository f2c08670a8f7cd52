# bench-lib.sh: shell functions shared by run-s3-bench.sh and
# run-compact-bench.sh (sourced; they set PY to Debian's python3 first).

# Prints a free loopback port below the kernel's ephemeral range: brokerd
# is restarted on it, and a port in that range can be taken meanwhile by an
# outgoing connection.
free_port()
{
	"$PY" - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
low = low if low > 12000 else 32768
for _ in range(200):
    port = random.randrange(10000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free loopback port")
PY
}

# Succeeds when something accepts connections on 127.0.0.1:$1.
port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
