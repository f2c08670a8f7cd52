#!/usr/bin/python3
"""Builds the harness's account, container and object rings.

usage: ring-build.py ETC ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT

For each ring it runs the swift-ring-builder commands

    swift-ring-builder ETC/TYPE.builder create 0 1 1
    swift-ring-builder ETC/TYPE.builder add r1z1-127.0.0.1:PORT/d1 1
    swift-ring-builder ETC/TYPE.builder rebalance

(one partition, one replica, one device d1 on 127.0.0.1:PORT) through
swift-ring-builder's own main() in this one interpreter: nine separate
swift-ring-builder processes cost about 3 s of CPU in imports alone, more
than the rest of the harness's start.  Exits 0 when ETC/TYPE.ring.gz is
written for all three, 1 otherwise; swift-ring-builder's output goes to
stdout.
"""

import os
import sys

from swift.cli import ringbuilder

# swift-ring-builder's exit statuses: done, done with warnings, error.
EXIT_SUCCESS, EXIT_WARNING = 0, 1


def ring_builder(*args):
    """Runs one swift-ring-builder command; returns its exit status."""
    print('swift-ring-builder ' + ' '.join(args), flush=True)
    try:
        ringbuilder.main(['swift-ring-builder'] + list(args))
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_SUCCESS
    return EXIT_SUCCESS


def ring_build(etc, kind, port):
    """Builds ring KIND from scratch; returns True when it was written."""
    builder = os.path.join(etc, kind + '.builder')
    ring = os.path.join(etc, kind + '.ring.gz')
    for path in (builder, ring):
        if os.path.exists(path):
            os.unlink(path)
    for args in (('create', '0', '1', '1'),
                 ('add', 'r1z1-127.0.0.1:%d/d1' % port, '1'),
                 ('rebalance',)):
        if ring_builder(builder, *args) not in (EXIT_SUCCESS, EXIT_WARNING):
            return False
    return os.path.getsize(ring) > 0


def main(argv):
    """Builds the three rings; returns the exit status."""
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 1
    etc = argv[1]
    ports = [int(p) for p in argv[2:]]
    ok = True
    for kind, port in zip(('account', 'container', 'object'), ports):
        if not ring_build(etc, kind, port):
            print('ring-build: %s ring not built' % kind, flush=True)
            ok = False
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
