#!/usr/bin/python3
"""Runs one Swift WSGI server in the foreground for scripts/swift-s3.sh.

usage: swift-server.py SERVER CONF LOG
  SERVER  proxy-server, account-server, container-server or object-server
  CONF    its paste.deploy config; swift.conf and the rings sit beside it
  LOG     file that receives everything the server logs

It does what /usr/bin/swift-*-server does, plus two things those scripts
cannot be told, so that the harness needs nothing outside its directory:
  - Swift reads swift.conf (hash prefix and suffix, storage policies,
    constraints) from /etc/swift, and no server calls set_swift_dir(); we
    point it at CONF's directory before the server loads anything.
  - Swift logs only to syslog (/dev/log, or UDP to localhost:514 when there
    is none); we swap its syslog handler class for one that appends to LOG.
With workers = 0 in CONF the server is this one process, so the pid the
shell gets from `&` is the pid to stop.
"""

import logging
import os
import sys

from swift.common import utils


class FileLogHandler(logging.FileHandler):
    """Appends records to LOG; takes the arguments of Swift's
    ThreadSafeSysLogHandler, which it replaces."""

    path = None

    def __init__(self, address=None, facility=None):
        super().__init__(FileLogHandler.path)

    def createLock(self):
        # Swift's own syslog handler uses PipeMutex too: a threading lock
        # does not exclude eventlet green threads of the same OS thread.
        self.lock = utils.PipeMutex()


def main(argv):
    """Runs the server; returns its exit status (1 on a usage error)."""
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 1
    server, conf, log = argv[1], os.path.abspath(argv[2]), argv[3]
    utils.set_swift_dir(os.path.dirname(conf))
    # Both read swift.conf when first imported; read it again from here.
    from swift.common import constraints, storage_policy
    storage_policy.reload_storage_policies()
    constraints.reload_constraints()
    FileLogHandler.path = log
    utils.ThreadSafeSysLogHandler = FileLogHandler
    from swift.common.wsgi import run_wsgi
    return run_wsgi(conf, server)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
