"""The ZAP handler of the router socket: decides every CURVE handshake from the key ring.

Enrolled, active keys are admitted; revoked keys are refused. A key the router has never seen
is admitted only so that it can present a join key: the router drops any other frame it sends.
The handler must be bound before the ROUTER socket: without a ZAP handler libzmq admits everyone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import zmq
import zmq.asyncio
import zmq.utils.z85

from xem.domain.keys import fingerprint

__all__ = ["ZAP_ENDPOINT", "ZapHandler"]

ZAP_ENDPOINT = "inproc://zeromq.zap.01"
log = logging.getLogger("xiopro.xem.zap")


class ZapHandler:
    def __init__(self, ctx: zmq.asyncio.Context, status_of: Callable[[str], str | None]) -> None:
        self._ctx = ctx
        self._status_of = status_of  # key -> "active" | "revoked" | None (unknown)
        self._sock: zmq.asyncio.Socket | None = None

    def bind(self) -> None:
        sock = self._ctx.socket(zmq.REP)
        sock.linger = 0
        sock.bind(ZAP_ENDPOINT)
        self._sock = sock

    async def serve(self) -> None:
        assert self._sock is not None, "bind() first"
        while True:
            request = await self._sock.recv_multipart()
            await self._sock.send_multipart(self.reply(request))

    def reply(self, request: list[bytes]) -> list[bytes]:
        if len(request) < 6:
            return [b"1.0", b"", b"500", b"malformed ZAP request", b"", b""]
        version, request_id, _domain, _address, _identity, mechanism, *credentials = request
        if mechanism != b"CURVE" or len(credentials) != 1 or len(credentials[0]) != 32:
            return [version, request_id, b"400", b"CURVE only", b"", b""]
        key = zmq.utils.z85.encode(credentials[0]).decode()
        if self._status_of(key) == "revoked":
            log.info("refused handshake of revoked key %s", fingerprint(key))
            return [version, request_id, b"400", b"key revoked", b"", b""]
        return [version, request_id, b"200", b"OK", key.encode(), b""]

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None
