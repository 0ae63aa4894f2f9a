"""What an xem-mcp process hears from the bus database: one LISTEN connection for invocation state changes,
progress frames and changes of the servable tools, fanned out to the calls waiting in this process.

A waiter arms its event *before* it reads the row, so a notice that arrives between the read and the wait is
never lost. When the LISTEN connection is lost and comes back, every waiter and tools listener is woken (they
read again: notices sent meanwhile were missed). Nothing here polls.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import anyio
import asyncpg

from servers.kernel import channels

__all__ = ["Hub", "Watch"]

log = logging.getLogger("xiopro.xem.watch")
_HEARD = 4096  # invocations whose last notice is remembered (a call reads them back within milliseconds)
_CHANNELS = (channels.XEM_INVOCATIONS, channels.XEM_PROGRESS, channels.XEM_TOOLS, channels.XEM_TEMPLATES)


class Watch:
    """One waiter's view of one invocation: ``arm()`` then read, then ``await wait(timeout)``."""

    def __init__(self, *, running: bool = True) -> None:
        self._event = anyio.Event()
        self.progress = False  # a progress frame arrived since the last arm()
        self.running = running  # woken by the move to running too (a caller that reports progress); else only later

    def arm(self) -> None:
        self._event = anyio.Event()
        self.progress = False

    def fire(self, progress: bool = False) -> None:
        self.progress = self.progress or progress
        self._event.set()

    async def wait(self, within: float) -> bool:
        """False if ``within`` seconds passed without a notice."""
        with anyio.move_on_after(within):
            await self._event.wait()
            return True
        return False


class Hub:
    def __init__(self) -> None:
        self._watches: dict[str, set[Watch]] = {}
        self._heard: OrderedDict[str, str] = OrderedDict()  # invocation id -> the last state heard, latest last
        self.generation = 0  # LISTEN connections made so far: a notice sent while none was up was missed
        self._tools: list[Callable[[], Awaitable[None]]] = []
        self._templates: list[Callable[[], Awaitable[None]]] = []
        self.listening = anyio.Event()

    @contextmanager
    def watch(self, invocation_id: str, *, running: bool = True) -> Iterator[Watch]:
        """A waiter on ``invocation_id``; ``running=False``: the move to running does not wake it (one read less
        per call for a caller that waits only for the end)."""
        watch = Watch(running=running)
        self._watches.setdefault(invocation_id, set()).add(watch)
        try:
            yield watch
        finally:
            group = self._watches.get(invocation_id)
            if group is not None:
                group.discard(watch)
                if not group:
                    del self._watches[invocation_id]

    def heard(self, invocation_id: str) -> str | None:
        """The last state announced for ``invocation_id`` lately (the latest ``_HEARD`` invocations), or None.

        A caller that has just read an invocation may create its watch after the notice of a change came: this says
        whether one came (compare ``generation`` with the one before the read to know that none can have been missed).
        """
        return self._heard.get(invocation_id)

    def on_tools_changed(self, listener: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        """Call ``listener`` whenever an agent's servable tools may have changed; returns the unsubscribe."""
        self._tools.append(listener)

        def unsubscribe() -> None:
            if listener in self._tools:
                self._tools.remove(listener)

        return unsubscribe

    def on_templates_changed(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Call ``listener`` whenever a chat template got a new version (and after a reconnect)."""
        self._templates.append(listener)

    async def _tools_changed(self, channel: str = channels.XEM_TOOLS) -> None:
        for listener in list(self._tools if channel == channels.XEM_TOOLS else self._templates):
            try:
                await listener()
            except Exception:
                log.exception("a tools-changed listener failed")

    def _wake_all(self) -> None:
        for group in list(self._watches.values()):
            for watch in list(group):
                watch.fire(progress=True)

    async def run(self, pool: asyncpg.Pool) -> None:
        """LISTEN until cancelled, reconnecting with back-off when the connection drops."""
        send, receive = anyio.create_memory_object_stream[tuple[str, str]](10_000)

        def callback(_conn: object, _pid: int, channel: str, payload: str) -> None:
            if channel in (channels.XEM_TOOLS, channels.XEM_TEMPLATES):
                try:
                    send.send_nowait((channel, payload))
                except anyio.WouldBlock:
                    log.warning("tools-changed backlog full")
                return
            invocation_id, _, state = payload.partition(":")
            progress = channel == channels.XEM_PROGRESS
            if not progress:
                self._heard[invocation_id] = state
                self._heard.move_to_end(invocation_id)
                if len(self._heard) > _HEARD:
                    self._heard.popitem(last=False)
            for watch in list(self._watches.get(invocation_id, ())):
                if progress or state != "running" or watch.running:
                    watch.fire(progress=progress)

        async def consume() -> None:
            async for channel, _payload in receive:
                due = {channel}
                while True:  # coalesce a burst of notices into one refresh per channel
                    try:
                        due.add(receive.receive_nowait()[0])
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                for which in sorted(due):
                    await self._tools_changed(which)

        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)
            delay, first = 0.5, True
            while True:
                try:
                    async with pool.acquire() as conn:
                        closed = anyio.Event()
                        conn.add_termination_listener(lambda _c, closed=closed: closed.set())
                        for channel in _CHANNELS:
                            await conn.add_listener(channel, callback)
                        delay = 0.5
                        self.generation += 1
                        self.listening.set()
                        if not first:  # notices sent while we were not listening are lost: everyone reads again
                            self._wake_all()
                            await self._tools_changed()
                            await self._tools_changed(channels.XEM_TEMPLATES)
                        first = False
                        try:
                            await closed.wait()
                        finally:
                            with anyio.CancelScope(shield=True):
                                if not conn.is_closed():
                                    for channel in _CHANNELS:
                                        await conn.remove_listener(channel, callback)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", type(exc).__name__, delay)
                self.listening = anyio.Event()
                await anyio.sleep(delay)
                delay = min(delay * 2, 10)
