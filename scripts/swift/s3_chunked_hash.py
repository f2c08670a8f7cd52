"""WSGI filter: checks x-amz-content-sha256 on chunked S3 uploads.

Swift's s3api (2.30, and upstream still) compares a SigV4 request's signed
x-amz-content-sha256 with the body only when the request has a
Content-Length.  A body sent with Transfer-Encoding: chunked and no
Content-Length is stored whatever its hash, yet a client (libcurl uploading
a stream of unknown size does this) must not pass the tests against such a
body when S3 would refuse it.  This filter, placed before s3api in the
proxy pipeline (scripts/swift/proxy-server.conf.in), hashes such a body as
it is read and fails the read at its end when the hash differs: the proxy
then answers 422 without committing the object, which s3api turns into
400 BadDigest, as it does for its own check.  It does nothing to requests
with a Content-Length (s3api checks those), UNSIGNED-PAYLOAD, or
aws-chunked streaming payloads (s3api refuses those: NotImplemented).
"""

import hashlib
import re

from swift.common import swob

HEX_SHA256 = re.compile(r'^[0-9a-fA-F]{64}$')


class ChunkedHashingInput(object):
    """wsgi.input wrapper: hashes what is read; at the end of the body,
    raises 422 unless the hash is the expected one."""

    def __init__(self, wsgi_input, expected_hex):
        self._input = wsgi_input
        self._hasher = hashlib.sha256()
        self._expected = expected_hex.lower()
        self._checked = False

    def _end(self):
        # Both a short read and an empty one mean the end of a chunked
        # body (eventlet reads across chunks until the size asked for).
        if self._checked:
            return
        self._checked = True
        if self._hasher.hexdigest() != self._expected:
            raise swob.HTTPUnprocessableEntity(
                body='The x-amz-content-sha256 you specified did not match '
                     'what we received (chunked body).')

    def read(self, size=None):
        chunk = self._input.read() if size is None or size < 0 else \
            self._input.read(size)
        self._hasher.update(chunk)
        if size is None or size < 0 or len(chunk) < size:
            self._end()
        return chunk

    def readline(self, size=None):
        line = self._input.readline() if size is None or size < 0 else \
            self._input.readline(size)
        self._hasher.update(line)
        if not line:
            self._end()
        return line

    def close(self):
        close = getattr(self._input, 'close', None)
        if close:
            close()


class S3ChunkedHash(object):
    """The filter: wraps the input of chunked, hash-signed S3 requests."""

    def __init__(self, app):
        self.app = app

    def __call__(self, env, start_response):
        claimed = env.get('HTTP_X_AMZ_CONTENT_SHA256', '')
        if ('chunked' in env.get('HTTP_TRANSFER_ENCODING', '').lower()
                and not env.get('CONTENT_LENGTH')
                and HEX_SHA256.match(claimed)):
            env['wsgi.input'] = ChunkedHashingInput(env['wsgi.input'],
                                                    claimed)
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    """paste.deploy entry point (paste.filter_factory)."""
    return S3ChunkedHash
