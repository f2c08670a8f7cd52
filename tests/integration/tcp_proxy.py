"""A Kafka-aware TCP proxy that breaks connections on purpose.

usage: tcp_proxy.py LISTEN_PORT TARGET_HOST:TARGET_PORT STATS_FILE SEED
                    [--cut-request P] [--drop-response P]

Every client connection gets its own connection to the target; frames
(int32 size + body) are forwarded whole in both directions.  For each
request frame the proxy draws, with the seed's random sequence:
  --cut-request P    (default 0.01): forward only part of the request,
                     then close both sides (the broker sees a torn
                     frame and must write nothing of it);
  --drop-response P  (default 0.02): forward the request whole, then
                     close both sides when its response arrives instead
                     of passing it on (the broker did the work; the
                     client must retry and the retry must not be done
                     twice).
SIGUSR1 stops the faults (the end of a test drains cleanly).  STATS_FILE
gets "connections N cut_requests N dropped_responses N dropped_produce N"
(the last: responses to Produce requests) on SIGTERM and at every
accept and second.  Threads: one accept loop, two per connection.
"""

import os
import random
import signal
import socket
import sys
import threading
import time

lock = threading.Lock()
stats = {"connections": 0, "cut_requests": 0, "dropped_responses": 0,
         "dropped_produce": 0}
faults_on = True


def read_exact(sock, n):
    """n bytes from sock, or None at EOF or error."""
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(sock):
    head = read_exact(sock, 4)
    if head is None:
        return None
    body = read_exact(sock, int.from_bytes(head, "big"))
    return None if body is None else head + body


class Pair:
    """One client connection and its upstream."""

    def __init__(self, client, upstream, rng, cut_p, drop_p):
        self.client, self.upstream = client, upstream
        self.rng, self.cut_p, self.drop_p = rng, cut_p, drop_p
        self.sent = 0           # requests forwarded
        self.answered = 0       # responses seen
        self.drop_at = {}       # response index -> its request's ApiKey
        self.closed = False
        self.mu = threading.Lock()

    def close(self):
        with self.mu:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def requests(self):
        while True:
            frame = read_frame(self.client)
            if frame is None:
                break
            with lock:
                r = self.rng.random() if faults_on else 1.0
            try:
                if r < self.cut_p and len(frame) > 8:
                    cut = self.rng.randrange(4, len(frame))
                    self.upstream.sendall(frame[:cut])
                    with lock:
                        stats["cut_requests"] += 1
                    time.sleep(0.05)
                    break
                if r < self.cut_p + self.drop_p:
                    with self.mu:
                        self.drop_at[self.sent] = int.from_bytes(frame[4:6], "big")
                self.upstream.sendall(frame)
                self.sent += 1
            except OSError:
                break
        self.close()

    def responses(self):
        while True:
            frame = read_frame(self.upstream)
            if frame is None:
                break
            with self.mu:
                key = self.drop_at.get(self.answered)
            self.answered += 1
            if key is not None:
                with lock:
                    stats["dropped_responses"] += 1
                    stats["dropped_produce"] += key == 0
                break
            try:
                self.client.sendall(frame)
            except OSError:
                break
        self.close()


def write_stats(path):
    with lock:
        line = "connections %d cut_requests %d dropped_responses %d dropped_produce %d\n" % (
            stats["connections"], stats["cut_requests"], stats["dropped_responses"],
            stats["dropped_produce"])
    with open(path + ".tmp", "w") as f:
        f.write(line)
    os.replace(path + ".tmp", path)


def main():
    args = sys.argv[1:]
    if len(args) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    port, target, stats_path, seed = int(args[0]), args[1], args[2], int(args[3])
    cut_p, drop_p = 0.01, 0.02
    rest = args[4:]
    while rest:
        opt, val = rest[0], float(rest[1])
        rest = rest[2:]
        if opt == "--cut-request":
            cut_p = val
        elif opt == "--drop-response":
            drop_p = val
    host, tport = target.rsplit(":", 1)
    master = random.Random(seed)

    def on_term(signum, frame):
        write_stats(stats_path)
        sys.exit(0)

    def on_usr1(signum, frame):
        global faults_on
        with lock:
            faults_on = False

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    ls.settimeout(1.0)
    while True:
        write_stats(stats_path)
        try:
            client, _ = ls.accept()
        except socket.timeout:
            continue
        try:
            upstream = socket.create_connection((host, int(tport)), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()  # brokerd is down: the client reconnects later
            continue
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            stats["connections"] += 1
            rng = random.Random(master.random())
        pair = Pair(client, upstream, rng, cut_p, drop_p)
        threading.Thread(target=pair.requests, daemon=True).start()
        threading.Thread(target=pair.responses, daemon=True).start()


if __name__ == "__main__":
    main()
