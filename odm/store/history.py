"""The record of automatic lifecycle moves, kept in the append-only ``audit_log`` of the odm database.

One row per move: ``action`` = ``lifecycle <kind>`` (e.g. ``lifecycle ticket``), ``target`` = the object id,
``outcome`` = the pair it moved to, ``detail`` = from, to, why (the child move that caused it).
"""

from __future__ import annotations

import json

import asyncpg

__all__ = ["HistoryStore"]


class HistoryStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def record(self, kind: str, key: str, source: str, target: str, because: str, *, actor: str = "system") -> None:
        await self.conn.execute(
            """INSERT INTO audit_log (server, actor, action, target, outcome, detail)
               VALUES ('odm', $1, $2, $3, $4, $5::jsonb)""",
            actor, f"lifecycle {kind}", key, target, json.dumps({"kind": kind, "id": key, "from": source, "to": target,
                                                                "because": because}),
        )
