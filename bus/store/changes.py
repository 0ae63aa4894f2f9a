"""Change notices over PostgreSQL NOTIFY: every write names the bus:// resources it changed.

A notice is sent inside the writing transaction, so PostgreSQL delivers it at commit (and never for
a rolled-back write) to every process listening on the database, the writer included (the
receiving side is ``bus.store.listener``). The channel is ``servers.kernel.channels.BUS_CHANGES``.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from servers.kernel import channels

__all__ = ["CHANNEL", "ChangeStore", "notify_sql"]

CHANNEL = channels.BUS_CHANGES


def notify_sql(uris: str) -> str:
    """A query queueing a notice for each URI of the ``text[]`` expression ``uris`` (so that a
    statement can write and announce at once; PostgreSQL folds duplicates within one transaction)."""
    return f"SELECT pg_notify('{CHANNEL}', uri) FROM unnest({uris}) AS uri"


class ChangeStore:
    """The change notices of one use case, on its connection (delivered when its transaction commits)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def announce(self, uris: Iterable[str]) -> None:
        """Queue a notice for each URI (none: no statement)."""
        unique = sorted(set(uris))
        if unique:
            await self.conn.execute(notify_sql("$1::text[]"), unique)
