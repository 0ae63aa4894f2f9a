"""LISTEN for key changes and new dispatches on a dedicated connection, reconnecting if it drops."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
import asyncpg

from servers.kernel import channels

__all__ = ["listen"]

log = logging.getLogger("xiopro.xem.router")


async def listen(pool: asyncpg.Pool, on_notify: Callable[[str, str], Awaitable[None]]) -> None:
    send, receive = anyio.create_memory_object_stream[tuple[str, str]](1000)

    def callback(_conn: object, _pid: int, channel: str, payload: str) -> None:
        try:
            send.send_nowait((channel, payload))
        except anyio.WouldBlock:
            log.warning("notification backlog full; the periodic refresh will catch up")

    async def consume() -> None:
        async for channel, payload in receive:
            try:
                await on_notify(channel, payload)
            except Exception:
                log.exception("handling notification %s failed", channel)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        delay = 0.5
        while True:
            try:
                async with pool.acquire() as conn:
                    closed = anyio.Event()
                    conn.add_termination_listener(lambda _c, closed=closed: closed.set())
                    for channel in (channels.XEM_KEYS, channels.XEM_DISPATCH):
                        await conn.add_listener(channel, callback)
                    delay = 0.5
                    try:
                        await closed.wait()
                    finally:
                        with anyio.CancelScope(shield=True):
                            if not conn.is_closed():
                                for channel in (channels.XEM_KEYS, channels.XEM_DISPATCH):
                                    await conn.remove_listener(channel, callback)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", type(exc).__name__, delay)
            await anyio.sleep(delay)
            delay = min(delay * 2, 10)
