"""The agent's connection to the router: a CURVE DEALER, recreated with jittered back-off after an
authentication failure (libzmq does not retry a handshake the router refused)."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

__all__ = ["Link"]

log = logging.getLogger("xiopro.xem.agent")

_EVENTS = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL \
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_DISCONNECTED


class Link:
    def __init__(self, endpoint: str, server_key: bytes, public_key: bytes, secret_key: bytes, *,
                 backoff_min_s: float, backoff_max_s: float, max_bytes: int) -> None:
        self.endpoint = endpoint
        self._keys = (server_key, public_key, secret_key)
        self._backoff = (backoff_min_s, backoff_max_s)
        self._max_bytes = max_bytes
        self._ctx = zmq.asyncio.Context()
        self._sock: zmq.asyncio.Socket | None = None
        self._generation = 0
        self._garbled = 0  # handshakes that failed without detail (e.g. a wrong server key)
        self.connected = anyio.Event()

    def _open(self) -> zmq.asyncio.Socket:
        server, public, secret = self._keys
        sock = self._ctx.socket(zmq.DEALER)
        sock.curve_serverkey = server
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.linger = 0
        sock.maxmsgsize = self._max_bytes + 1024
        sock.sndhwm = 10_000
        sock.connect(self.endpoint)
        self._generation += 1
        return sock

    async def send(self, payload: bytes) -> None:
        """Queue a frame on the current socket (lost if the socket is recreated: the outbox resends)."""
        if self._sock is None:
            return
        try:
            await self._sock.send(payload, flags=zmq.DONTWAIT)
        except zmq.Again:
            log.warning("send queue full; the frame will be resent from the outbox if it matters")

    async def run(self, on_frame: Callable[[bytes], Awaitable[None]], on_connect: Callable[[], Awaitable[None]]) -> None:
        """Receive frames forever; reconnect with jittered back-off after an authentication failure."""
        delay = self._backoff[0]
        while True:
            sock = self._open()
            self._sock = sock
            monitor = sock.get_monitor_socket(_EVENTS)
            failed = anyio.Event()
            try:
                async with anyio.create_task_group() as tg:

                    async def watch(monitor: Any = monitor, failed: anyio.Event = failed) -> None:
                        nonlocal delay
                        while True:
                            event = parse_monitor_message(await monitor.recv_multipart())
                            if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                                delay = self._backoff[0]
                                self.connected.set()
                                tg.start_soon(on_connect)  # type: ignore[arg-type]  # any awaitable-returning callable
                            elif event["event"] == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
                                # libzmq retries this one itself; most often router_public_key is wrong
                                if self._garbled % 100 == 0:
                                    log.warning("the CURVE handshake with %s failed (%d times); check router_public_key "
                                                "against `xeroctl agents router-key`", self.endpoint, self._garbled + 1)
                                self._garbled += 1
                            elif event["event"] == zmq.EVENT_DISCONNECTED:
                                self.connected = anyio.Event()
                            elif event["event"] in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
                                log.warning("the router refused the handshake (%s); reconnecting in about %.1fs",
                                            "authentication" if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH else "protocol",
                                            delay)
                                failed.set()
                                tg.cancel_scope.cancel()
                                return

                    tg.start_soon(watch)
                    while True:
                        await on_frame(await sock.recv())
            finally:
                self.connected = anyio.Event()
                self._sock = None
                sock.disable_monitor()
                monitor.close(linger=0)
                sock.close(linger=0)
            if failed.is_set():
                await anyio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, self._backoff[1])

    def close(self) -> None:
        self._ctx.term()
