"""The XEM router socket: a CURVE ROUTER whose ZAP handler admits only enrolled agent keys.

Until enrollment exists (the XEM transport issue) the allow-list is empty: every client is
refused at the handshake, and nothing a peer sends reaches the suite.
"""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import zmq
import zmq.asyncio
from zmq.auth.asyncio import AsyncioAuthenticator

from .keys import load_or_create_keypair

__all__ = ["RouterSocket", "router_keys_dir"]

log = logging.getLogger("xiopro.xem.router")


def router_keys_dir(home: Path) -> Path:
    return home / "xem" / "keys"


class _NoEnrolledKeys:
    """ZAP credentials provider: no key is enrolled yet, so every CURVE client is refused."""

    def callback(self, domain: str, key: bytes) -> bool:
        log.info("refused a CURVE client: key %s is not enrolled", key.decode(errors="replace")[:8])
        return False


class RouterSocket:
    """Binds the ROUTER on ``endpoint`` with the router's CURVE keys; ``serve`` drains until cancelled."""

    def __init__(self, home: Path, endpoint: str) -> None:
        self.endpoint = endpoint
        self.public_key, self._secret_key = load_or_create_keypair(router_keys_dir(home), "router")
        self._ctx = zmq.asyncio.Context()
        self._auth = AsyncioAuthenticator(self._ctx)
        self._sock: zmq.asyncio.Socket | None = None

    def bind(self) -> None:
        """Raises zmq.ZMQError if the endpoint cannot be bound (e.g. EADDRINUSE)."""
        self._auth.start()
        self._auth.configure_curve_callback(domain="*", credentials_provider=_NoEnrolledKeys())
        sock = self._ctx.socket(zmq.ROUTER)
        sock.curve_server = True
        sock.curve_secretkey = self._secret_key
        sock.curve_publickey = self.public_key
        sock.zap_domain = b"xem"
        sock.linger = 0
        try:
            sock.bind(self.endpoint)
        except zmq.ZMQError:
            sock.close()
            self._auth.stop()
            raise
        self._sock = sock

    async def serve(self) -> None:
        assert self._sock is not None, "bind() first"
        while True:
            frames = await self._sock.recv_multipart()
            log.warning("dropped %d frame(s): routing is not enabled in this release", len(frames))
            await anyio.lowlevel.checkpoint()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None
        self._auth.stop()
        self._ctx.term()
