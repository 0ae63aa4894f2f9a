"""Names a client tab-completes (agent ids, lease names, event topics, todo, alert and message ids,
assignees), by prefix, across the Bus's tables: a read model for ``completion/complete``."""

from __future__ import annotations

import asyncpg

__all__ = ["NAME_KINDS", "NameStore"]

_SQL = {
    "agent": "SELECT id AS v FROM agent_registry WHERE id LIKE $1 ORDER BY 1 LIMIT $2",
    "lease": "SELECT name AS v FROM leases WHERE name LIKE $1 ORDER BY 1 LIMIT $2",
    "topic": "SELECT DISTINCT topic AS v FROM events WHERE topic LIKE $1 ORDER BY 1 LIMIT $2",
    "todo": "SELECT id::text AS v FROM user_todos WHERE id::text LIKE $1 ORDER BY created_at DESC LIMIT $2",
    "alert": "SELECT id::text AS v FROM alerts WHERE id::text LIKE $1 ORDER BY id DESC LIMIT $2",
    "message": "SELECT id::text AS v FROM messages WHERE id::text LIKE $1 ORDER BY id DESC LIMIT $2",
    "assignee": "SELECT DISTINCT assigned_to AS v FROM user_todos WHERE assigned_to LIKE $1 ORDER BY 1 LIMIT $2",
}
NAME_KINDS = tuple(_SQL)


class NameStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def starting(self, kind: str, prefix: str, limit: int) -> list[str]:
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return [r["v"] for r in await self.conn.fetch(_SQL[kind], pattern, limit)]
