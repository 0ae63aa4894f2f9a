"""Push: ``announce`` (a change notice for any bus:// URI, to every bus-mcp process), and the per-URI
subscribers of this process (sessions that called resources/subscribe), fed by those notices.

A subscriber is an async ``send(uri)`` under a key (its connection); delivery runs in one background
task so a change notice (handled synchronously) never waits on a client.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from bus.services._work import Work, transactional
from bus.store.listener import ChangeHub

__all__ = ["UriSubscriptions", "announce"]

log = logging.getLogger("xiopro.bus.push")

Send = Callable[[str], Awaitable[None]]

_BUFFER = 10_000
_SEND_TIMEOUT_S = 5.0


@transactional
async def announce(work: Work, uris: Iterable[str]) -> None:
    """Tell every bus-mcp process (this one included) that the resources at ``uris`` changed."""
    await work.changes.announce(uris)


class UriSubscriptions:
    """The legacy push subscribers of this process, by URI."""

    def __init__(self, hub: ChangeHub, background: TaskGroup) -> None:
        self._by_uri: dict[str, dict[object, Send]] = {}
        self._send, receive = anyio.create_memory_object_stream[tuple[Send, str]](_BUFFER)
        hub.subscribe(self._on_change)
        background.start_soon(self._deliver, receive)

    def add(self, uri: str, key: object, send: Send) -> None:
        self._by_uri.setdefault(uri, {})[key] = send

    def remove(self, uri: str, key: object) -> None:
        subscribers = self._by_uri.get(uri)
        if subscribers is not None:
            subscribers.pop(key, None)
            if not subscribers:
                del self._by_uri[uri]

    def remove_all(self, key: object) -> None:
        for uri in list(self._by_uri):
            self.remove(uri, key)

    def count(self) -> int:
        return sum(len(s) for s in self._by_uri.values())

    def _on_change(self, uri: str) -> None:
        for send in list(self._by_uri.get(uri, {}).values()):
            try:
                self._send.send_nowait((send, uri))
            except anyio.WouldBlock:
                log.warning("push backlog full; dropped an update of %s (subscribers refetch on the next one)", uri)

    async def _deliver(self, receive: MemoryObjectReceiveStream[tuple[Send, str]]) -> None:
        async with receive:
            async for send, uri in receive:
                try:
                    with anyio.fail_after(_SEND_TIMEOUT_S):
                        await send(uri)
                except Exception:  # a gone or stuck client must not stop delivery to the others
                    log.debug("push of %s failed", uri, exc_info=True)
