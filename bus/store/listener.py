"""The receiving side of change notices: one LISTEN connection per process, and the in-process fan-out.

``ChangeListener`` hands every notice on ``servers.kernel.channels.BUS_CHANGES`` (a bus:// URI) to a
callback; ``ChangeHub`` is that callback, fanning the URI out to this process's push subscribers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import asyncpg

from bus.store.changes import CHANNEL

__all__ = ["ChangeHub", "ChangeListener"]

log = logging.getLogger("xiopro.bus.changes")


class ChangeListener:
    """One dedicated LISTEN connection that hands every notice (a URI) to ``on_change``.

    ``run`` keeps listening until cancelled, reconnecting after a lost connection; ``on_reconnect``
    is called after a reconnection, because notices sent while disconnected are gone.
    """

    def __init__(
        self,
        dsn: str,
        on_change: Callable[[str], None],
        *,
        on_reconnect: Callable[[], None] | None = None,
        retry_s: float = 1.0,
        keepalive_s: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._on_reconnect = on_reconnect
        self._retry_s = retry_s
        self._keepalive_s = keepalive_s
        self.listening = anyio.Event()

    def _notice(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._on_change(payload)
        except Exception:  # one bad subscriber must not stop the listener
            log.exception("change handler failed for %s", payload)

    async def run(self) -> None:
        first = True
        while True:
            lost = anyio.Event()
            try:
                conn = await asyncpg.connect(self._dsn, timeout=10)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("change listener cannot connect (%s); retrying", type(exc).__name__)
                await anyio.sleep(self._retry_s)
                continue
            try:
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notice)
                if not first and self._on_reconnect is not None:
                    self._on_reconnect()
                first = False
                self.listening.set()
                await self._watch(conn, lost)
                log.warning("change listener lost its connection; reconnecting")
            finally:
                with anyio.CancelScope(shield=True):
                    if not conn.is_closed():
                        await conn.close(timeout=2)

    async def _watch(self, conn: asyncpg.Connection, lost: anyio.Event) -> None:
        """Return when the connection is gone; a periodic query notices a silently dead peer."""
        while not lost.is_set():
            with anyio.move_on_after(self._keepalive_s):
                await lost.wait()
            if lost.is_set():
                return
            try:
                await conn.fetchval("SELECT 1", timeout=5)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                return


class ChangeHub:
    """In-process fan-out of change notices to synchronous subscribers (the MCP push layer)."""

    def __init__(self) -> None:
        self._subscribers: dict[object, Callable[[str], None]] = {}

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Register ``callback(uri)``; returns an idempotent unsubscribe."""
        token = object()
        self._subscribers[token] = callback

        def unsubscribe() -> None:
            self._subscribers.pop(token, None)

        return unsubscribe

    def dispatch(self, uri: str) -> None:
        for callback in list(self._subscribers.values()):
            try:
                callback(uri)
            except Exception:  # isolate subscribers from each other
                log.exception("change subscriber failed for %s", uri)
