#!/usr/bin/python3
"""Runs sluicestat's refreshing screen on a pseudo-terminal (tools.sh):

  ops_screen.py EXPECT -- sluicestat ARGS...

Waits until the screen shows EXPECT (a counter name) in a header line
with "CHANGE/s" and then a second refresh, presses q, and expects
sluicestat to exit 0 within 5 s with the terminal restored.
"""

import os
import pty
import select
import sys
import time


def main():
    expect = sys.argv[1].encode()
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    screen = b""
    deadline = time.time() + 10
    while time.time() < deadline and (screen.count(b"CHANGE/s") < 2 or expect not in screen):
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                screen += os.read(fd, 65536)
            except OSError:
                break
    if expect not in screen or screen.count(b"CHANGE/s") < 2:
        print("the screen did not show %r twice in 10 s; got:" % expect)
        print(screen.decode(errors="replace")[-2000:])
        return 1
    os.write(fd, b"q")
    deadline = time.time() + 5
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                print("screen refreshed and quit on q")
                return 0
            print("sluicestat ended with status %d" % status)
            return 1
        try:
            select.select([fd], [], [], 0.1)
            os.read(fd, 65536)
        except OSError:
            pass
    os.kill(pid, 9)
    print("sluicestat did not quit on q")
    return 1


if __name__ == "__main__":
    sys.exit(main())
