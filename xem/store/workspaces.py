"""Workspaces, the agents bound to them, their model bindings, and the model catalog. Every change that can open
or close a workspace notifies ``xem_tools`` (at commit), so every xem-mcp process rebuilds its tool list."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from servers.kernel import channels

__all__ = ["ModelStore", "WorkspaceStore"]


async def _notify(conn: asyncpg.Connection, what: str) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", channels.XEM_TOOLS, what)


class WorkspaceStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, name: str, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.workspaces WHERE name = $1" + (" FOR UPDATE" if lock else ""), name)

    async def page(self, limit: int, after: str | None, kind: str | None = None) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM xem.workspaces WHERE ($2::text IS NULL OR name > $2) AND ($3::text IS NULL OR kind = $3) "
            "ORDER BY name LIMIT $1", limit, after, kind,
        )

    async def kinds(self) -> dict[str, str]:
        """Every workspace's kind, by name (the gate of the catalog reads it with ``all_bindings``)."""
        return {r[0]: r[1] for r in await self.conn.fetch("SELECT name, kind FROM xem.workspaces")}

    async def create(self, name: str, kind: str, project_id: str | None, scope: dict[str, Any], by: str) -> bool:
        """False if a workspace of that name exists (nothing is changed)."""
        status = await self.conn.execute(
            "INSERT INTO xem.workspaces (name, kind, project_id, scope, created_by, promoted_at) "
            "VALUES ($1, $2, $3, $4::jsonb, $5, CASE WHEN $2 = 'operational' THEN now() END) ON CONFLICT DO NOTHING",
            name, kind, project_id, json.dumps(scope), by,
        )
        await _notify(self.conn, name)
        return status.endswith(" 1")

    async def declared(self, names: list[str], agent: str) -> list[str]:
        """The workspaces an agent's manifest declares get a record (operational, no models: closed) if they had
        none, and the agent is bound to each; returns the names created."""
        rows = await self.conn.fetch(
            "INSERT INTO xem.workspaces (name, kind, created_by, promoted_at) SELECT n, 'operational', 'manifest', now() "
            "FROM unnest($1::text[]) n ON CONFLICT DO NOTHING RETURNING name", names,
        )
        await self.conn.execute(
            "INSERT INTO xem.workspace_agents (workspace, agent_name) SELECT n, $2 FROM unnest($1::text[]) n "
            "ON CONFLICT DO NOTHING", names, agent,
        )
        return [r[0] for r in rows]

    async def bind_agents(self, name: str, agents: list[str]) -> None:
        await self.conn.execute(
            "INSERT INTO xem.workspace_agents (workspace, agent_name) SELECT $1, a FROM unnest($2::text[]) a "
            "ON CONFLICT DO NOTHING", name, agents,
        )

    async def agents_of(self, name: str) -> list[str]:
        rows = await self.conn.fetch("SELECT agent_name FROM xem.workspace_agents WHERE workspace = $1 ORDER BY agent_name", name)
        return [r[0] for r in rows]

    async def promote(self, name: str) -> None:
        await self.conn.execute("UPDATE xem.workspaces SET kind = 'operational', promoted_at = now(), updated_at = now() "
                                "WHERE name = $1", name)
        await _notify(self.conn, name)

    async def set_scope(self, name: str, scope: dict[str, Any]) -> None:
        await self.conn.execute("UPDATE xem.workspaces SET scope = $2::jsonb, updated_at = now() WHERE name = $1",
                                name, json.dumps(scope))
        await _notify(self.conn, name)

    async def bindings(self, name: str) -> dict[str, str]:
        rows = await self.conn.fetch("SELECT role, model_id FROM xem.workspace_models WHERE workspace = $1", name)
        return {r[0]: r[1] for r in rows}

    async def bound_models(self, name: str) -> tuple[dict[str, str], list[asyncpg.Record]]:
        """``bindings(name)`` and the model rows they name (what the workspace's gate depends on), in one statement."""
        rows = await self.conn.fetch(
            "SELECT b.role, b.model_id, m.id, m.provider, m.available, m.reported_by FROM xem.workspace_models b "
            "LEFT JOIN xem.models m ON m.id = b.model_id WHERE b.workspace = $1", name)
        return {r["role"]: r["model_id"] for r in rows}, [r for r in rows if r["id"] is not None]

    async def all_bindings(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for r in await self.conn.fetch("SELECT workspace, role, model_id FROM xem.workspace_models"):
            out.setdefault(r[0], {})[r[1]] = r[2]
        return out

    async def bind_models(self, name: str, bindings: dict[str, str]) -> None:
        await self.conn.executemany(
            "INSERT INTO xem.workspace_models (workspace, role, model_id) VALUES ($1, $2, $3) "
            "ON CONFLICT (workspace, role) DO UPDATE SET model_id = EXCLUDED.model_id, bound_at = now()",
            [(name, role, model) for role, model in sorted(bindings.items())],
        )
        await self.conn.execute("UPDATE xem.workspaces SET updated_at = now() WHERE name = $1", name)
        await _notify(self.conn, name)


class ModelStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def all(self) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM xem.models ORDER BY id")

    async def page(self, limit: int, after: str | None) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM xem.models WHERE ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $1",
                                     limit, after)

    async def get(self, model_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.models WHERE id = $1", model_id)

    async def set(self, model_id: str, available: bool, provider: str | None, reported_by: str,
                  detail: str | None) -> asyncpg.Record:
        """Create or update one entry; notifies only when its availability (or the entry) is new."""
        row = await self.conn.fetchrow(
            "WITH before AS (SELECT available FROM xem.models WHERE id = $1 FOR UPDATE) "
            "INSERT INTO xem.models (id, provider, available, reported_by, detail) "
            "VALUES ($1, coalesce($3, 'unknown'), $2, $4, $5) ON CONFLICT (id) DO UPDATE SET available = EXCLUDED.available, "
            "provider = coalesce($3, xem.models.provider), reported_by = EXCLUDED.reported_by, detail = EXCLUDED.detail, "
            "updated_at = now() RETURNING *, (SELECT available FROM before) AS was",
            model_id, available, provider, reported_by, detail,
        )
        assert row is not None
        if row["was"] is None or row["was"] != available:
            await _notify(self.conn, f"model:{model_id}")
        return row
