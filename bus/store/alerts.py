"""alerts: raise (or count a repeat under the dedup key), move along the lifecycle, list."""

from __future__ import annotations

import asyncpg

__all__ = ["AlertStore"]

_COLUMNS = (
    "id, severity, title, detail, source, environment, dedup_key, status, occurrences, raised_by, raised_at, "
    "last_raised_at, acknowledged_by, acknowledged_at, resolved_by, resolved_at, resolution"
)
_RANK = "CASE {0} WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END"


class AlertStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def raise_(
        self, severity: str, title: str, detail: str | None, source: str | None, environment: str | None,
        dedup_key: str | None, raised_by: str,
    ) -> asyncpg.Record:
        """A new alert, or the unresolved one with the same dedup key with one more occurrence
        (its severity rises to the higher of the two). The row carries ``repeated``."""
        return await self.conn.fetchrow(
            f"""
            INSERT INTO alerts AS a (severity, title, detail, source, environment, dedup_key, raised_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (dedup_key) WHERE status <> 'resolved' AND dedup_key IS NOT NULL DO UPDATE SET
                occurrences = a.occurrences + 1,
                last_raised_at = now(),
                detail = coalesce(EXCLUDED.detail, a.detail),
                severity = CASE WHEN {_RANK.format('EXCLUDED.severity')} > {_RANK.format('a.severity')}
                                THEN EXCLUDED.severity ELSE a.severity END
            RETURNING {_COLUMNS}, (xmax <> 0) AS repeated
            """,
            severity, title, detail, source, environment, dedup_key, raised_by,
        )

    async def get(self, alert_id: int, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        return await self.conn.fetchrow(f"SELECT {_COLUMNS} FROM alerts WHERE id = $1{lock}", alert_id)

    async def acknowledge(self, alert_id: int, by: str) -> asyncpg.Record:
        return await self.conn.fetchrow(
            f"UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = now() "
            f"WHERE id = $1 RETURNING {_COLUMNS}",
            alert_id, by,
        )

    async def resolve(self, alert_id: int, by: str, resolution: str | None) -> asyncpg.Record:
        return await self.conn.fetchrow(
            f"UPDATE alerts SET status = 'resolved', resolved_by = $2, resolved_at = now(), resolution = $3 "
            f"WHERE id = $1 RETURNING {_COLUMNS}",
            alert_id, by, resolution,
        )

    async def page(
        self, statuses: list[str], severity: str | None, before_id: int | None, limit: int
    ) -> list[asyncpg.Record]:
        """Newest first."""
        return await self.conn.fetch(
            f"""
            SELECT {_COLUMNS} FROM alerts
            WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR severity = $2)
              AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4
            """,
            statuses, severity, before_id, limit,
        )

    async def needing_attention(self) -> list[asyncpg.Record]:
        """Active (unacknowledged) critical and warning alerts: what the attention queue shows."""
        return await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM alerts WHERE status = 'active' AND severity IN ('critical', 'warning') ORDER BY id"
        )
