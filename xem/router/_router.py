"""The router process: receive, authorise and handle frames; push dispatches; housekeeping.

Every frame is checked against the key ring by the CURVE key ZAP attached to its connection
(not by anything the frame says), and again in the database by each service that writes.
Frames of one key are handled in arrival order; frames of different keys concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import zmq
import zmq.asyncio

from servers.kernel import channels
from xem import services
from xem.domain.keys import fingerprint
from xem.domain.protocol import ROUTER_SENDER, ErrorFrame, decode, encode, frame_id_of
from xem.errors import FrameRejected
from xem.keyfiles import join_secret, load_or_create_keypair, router_keys_dir
from xem.router._handlers import Handlers
from xem.router._listen import listen
from xem.router._zap import ZapHandler
from xem.settings import XemSettings

__all__ = ["Router"]

log = logging.getLogger("xiopro.xem.router")

_MAX_QUEUED_PER_KEY = 1000
_MAX_DROP_AUDITS_PER_S = 20


class Router:
    def __init__(self, home: Path, endpoint: str, settings: XemSettings) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.public_key, self._secret_key = load_or_create_keypair(router_keys_dir(home), "router")
        self._join_secret = join_secret(home)
        self._ctx = zmq.asyncio.Context()
        self._zap = ZapHandler(self._ctx, self._status_of)
        self._sock: zmq.asyncio.Socket | None = None
        self._keyring: dict[str, tuple[str, str]] = {}  # key -> (agent, active|revoked)
        self._routes: dict[str, tuple[str, bytes]] = {}  # agent -> (key, routing id of its latest frame)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # key -> (lock, frames queued on it)
        self._dropped_audit: dict[str, float] = {}  # key -> when a drop was last audited
        self._audit_budget = [0, 0]  # [second, drop audits written in it]
        self._pool: asyncpg.Pool | None = None
        self._xem: services.XemServices | None = None
        self._handlers: Handlers | None = None

    def _status_of(self, key: str) -> str | None:
        entry = self._keyring.get(key)
        return None if entry is None else entry[1]

    def bind(self) -> None:
        """Raises zmq.ZMQError if the endpoint cannot be bound (e.g. EADDRINUSE)."""
        self._zap.bind()  # before the ROUTER: a socket with no ZAP handler admits every key
        sock = self._ctx.socket(zmq.ROUTER)
        sock.curve_server = True
        sock.curve_secretkey = self._secret_key
        sock.curve_publickey = self.public_key
        sock.zap_domain = b"xem"
        sock.router_mandatory = True  # an unroutable dispatch raises instead of vanishing
        sock.linger = 0
        sock.maxmsgsize = self.settings.max_frame_bytes + 1024
        try:
            sock.bind(self.endpoint)
        except zmq.ZMQError:
            sock.close()
            raise
        self._sock = sock

    async def serve(self, pool: asyncpg.Pool) -> None:
        """Handle frames until cancelled. The key ring is loaded before the first frame is read."""
        assert self._sock is not None, "bind() first"
        self._pool = pool
        self._xem = services.XemServices(pool)
        self._handlers = Handlers(self._xem, self.settings, self._join_secret)
        await self.reload_keys()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._zap.serve)
            tg.start_soon(listen, pool, self._on_notify)
            tg.start_soon(self._housekeeping)
            await self._receive(tg)

    async def reload_keys(self) -> None:
        assert self._xem is not None
        self._keyring = await services.load_keyring(self._xem)

    async def _receive(self, tg: anyio.abc.TaskGroup) -> None:
        assert self._sock is not None
        while True:
            parts = await self._sock.recv_multipart(copy=False)
            if len(parts) != 2:
                log.warning("dropped a message of %d parts (expected routing id + frame)", len(parts))
                continue
            rid, payload = parts[0].bytes, parts[1]
            try:
                key = payload.get("User-Id")
            except zmq.ZMQError:
                key = None
            if not key:
                log.error("dropped a frame that carries no authenticated key (is the ZAP handler running?)")
                continue
            tg.start_soon(self._in_order, rid, str(key), payload.bytes)

    async def _in_order(self, rid: bytes, key: str, data: bytes) -> None:
        lock, waiting = self._locks.get(key) or (asyncio.Lock(), 0)
        if waiting >= _MAX_QUEUED_PER_KEY:
            log.warning("dropped a frame: key %s already has %d frames waiting", fingerprint(key), waiting)
            return
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                await self._handle(rid, key, data)
        except Exception:
            log.exception("failed to handle a frame from key %s", fingerprint(key))
        finally:
            lock, waiting = self._locks[key]
            if waiting == 1:
                del self._locks[key]  # no frame of this key is queued: forget it (unknown keys are unbounded)
            else:
                self._locks[key] = (lock, waiting - 1)

    async def _handle(self, rid: bytes, key: str, data: bytes) -> None:
        status = self._status_of(key)
        try:
            frame = decode(data, max_bytes=self.settings.max_frame_bytes)
        except FrameRejected as exc:
            if status != "active":
                return await self._drop(key, "malformed frame from a key that is not enrolled")
            log.warning("refused a frame from %s: %s", fingerprint(key), exc)
            ref = frame_id_of(data)
            await self._send(rid, ErrorFrame(sender=ROUTER_SENDER, ref=ref, code=exc.code, reason="malformed", message=str(exc)))
            return
        if status != "active" and not (status is None and frame.kind == "enroll"):
            return await self._drop(key, f"{frame.kind} frame from a {status or 'unknown'} key")
        assert self._handlers is not None
        replies = await self._handlers.handle(frame, key)
        if replies is None:
            self._keyring.pop(key, None)
            await self.reload_keys()
            return await self._drop(key, f"{frame.kind} frame from a key that may no longer speak")
        if frame.kind == "enroll" and replies and replies[0].kind == "enroll_ok":
            self._keyring[key] = (frame.sender, "active")
        if self._status_of(key) == "active":
            self._routes[self._keyring[key][0]] = (key, rid)
        for reply in replies:
            await self._send(rid, reply)
        if frame.kind in ("lease_renewal", "enroll"):
            await self._push(self._keyring.get(key, (None,))[0])

    async def _drop(self, key: str, why: str) -> None:
        """Audit a dropped frame: at most once per key per interval, and a few per second overall
        (a client can make up keys faster than the audit table should grow)."""
        now = time.monotonic()
        last = self._dropped_audit.get(key)
        if last is not None and now - last < self.settings.drop_audit_interval_s:
            return
        second = int(now)
        if self._audit_budget[0] != second:
            self._audit_budget = [second, 0]
        if self._audit_budget[1] >= _MAX_DROP_AUDITS_PER_S:
            return
        self._audit_budget[1] += 1
        self._dropped_audit[key] = now
        log.warning("dropped %s (key %s)", why, fingerprint(key))
        assert self._xem is not None
        agent = self._keyring.get(key, (None,))[0]
        await services.audit_drop(self._xem, agent, key, why)

    async def _send(self, rid: bytes, frame: Any) -> bool:
        assert self._sock is not None
        try:
            await self._sock.send_multipart([rid, encode(frame)])
            return True
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EHOSTUNREACH:
                raise
            return False

    async def _push(self, agent: str | None, *, cancels: bool = True) -> None:
        """Send the dispatches due to ``agent`` (or to every connected agent) over its latest connection, and the
        cancels due (unless ``cancels`` is False: a notice of a new dispatch brings none)."""
        agents = [agent] if agent is not None else list(self._routes)
        agents = [a for a in agents if a in self._routes and self._status_of(self._routes[a][0]) == "active"]
        if not agents:
            return
        assert self._xem is not None
        for name, frame in await services.claim_dispatches(self._xem, agents, self.settings.dispatch_resend_ms / 1000):
            route = self._routes.get(name)
            if route is not None and self._status_of(route[0]) == "active":
                if await self._send(route[1], frame):
                    continue
                self._routes.pop(name, None)  # its connection is gone
            await services.unsend(self._xem, frame.invocation_id)  # queued again for the agent's next connection
        if not cancels:
            return
        for name, cancel in await services.cancels_due(self._xem, agents):
            route = self._routes.get(name)
            if route is not None and self._status_of(route[0]) == "active" and not await self._send(route[1], cancel):
                self._routes.pop(name, None)

    async def _on_notify(self, channel: str, payload: str) -> None:
        if channel == channels.XEM_KEYS:
            await self.reload_keys()
        elif channel == channels.XEM_DISPATCH:
            if payload.startswith(channels.CANCEL_PREFIX):
                await self._push(payload[len(channels.CANCEL_PREFIX):])
            else:
                await self._push(payload, cancels=False)

    async def _housekeeping(self) -> None:
        assert self._xem is not None
        s = self.settings
        tick = min(s.lease_interval_s, s.keyring_refresh_ms / 1000, s.dispatch_resend_ms / 1000) / 2
        while True:
            await anyio.sleep(tick)
            now = time.monotonic()
            self._dropped_audit = {k: t for k, t in self._dropped_audit.items() if now - t < s.drop_audit_interval_s}
            try:
                await services.mark_offline(self._xem, s.offline_after_s)
                await services.expire_approvals(self._xem)
                await services.expire_subplans(self._xem)
                await self.reload_keys()
                await self._push(None)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("housekeeping failed (%s); retrying in %.1fs", type(exc).__name__, tick)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None
        self._zap.close()
        self._ctx.term()
