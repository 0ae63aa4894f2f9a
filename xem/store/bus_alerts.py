"""XEM alerts in the Bus alert table (``public.alerts``), which the attention scanner turns into todos.

Coupling, on purpose and in one place, as ``bus_registry``: the Bus owns that table (bus migration 0005)
and XEM shares the bus database, so the row is written here in SQL (XEM never imports ``bus``). The
dedup key ``xem:<kind>:<id>`` keeps one open alert per subject; resolving it clears the todo.
"""

from __future__ import annotations

import asyncpg

from servers.kernel import channels

__all__ = ["BusAlertStore"]


class BusAlertStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def raise_alert(self, dedup_key: str, severity: str, title: str, detail: str) -> None:
        await self.conn.execute(
            "INSERT INTO public.alerts (severity, title, detail, source, environment, dedup_key, raised_by) "
            "VALUES ($1, $2, $3, 'xem', 'xem', $4, 'xem-router') "
            "ON CONFLICT (dedup_key) WHERE status <> 'resolved' AND dedup_key IS NOT NULL "
            "DO UPDATE SET occurrences = public.alerts.occurrences + 1, last_raised_at = now()",
            severity, title[:200], detail, dedup_key,
        )
        await self.conn.execute("SELECT pg_notify($1, 'bus://alerts')", channels.BUS_CHANGES)

    async def resolve(self, dedup_key: str, by: str, resolution: str) -> None:
        await self.conn.execute(
            "UPDATE public.alerts SET status = 'resolved', resolved_by = $2, resolved_at = now(), resolution = $3 "
            "WHERE dedup_key = $1 AND status <> 'resolved'",
            dedup_key, by[:200], resolution,
        )
