"""Chat templates of project and workspace scope (one row per version, never updated) and the workspace -> project
link they resolve by (``xem.workspaces``, read only); a new version is announced on ``XEM_TEMPLATES``."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from servers.kernel import channels

__all__ = ["TemplateStore"]


class TemplateStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def project_of(self, workspace: str) -> str | None:
        """The ODM project id of ``workspace`` (None: unknown workspace or no project)."""
        value: str | None = await self.conn.fetchval("SELECT project_id FROM xem.workspaces WHERE name = $1", workspace)
        return value

    async def for_name(self, name: str, workspace: str, project_id: str | None) -> list[asyncpg.Record]:
        """Every version of ``name`` that can apply to ``workspace`` (its own, and its project's)."""
        return await self.conn.fetch(
            "SELECT scope, owner, name, version, document FROM xem.chat_templates WHERE name = $1 AND "
            "((scope = 'workspace' AND owner = $2) OR (scope = 'project' AND owner = $3))", name, workspace, project_id)

    async def get(self, scope: str, owner: str, name: str, version: int) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT scope, owner, name, version, document, created_by, created_at FROM xem.chat_templates "
            "WHERE scope = $1 AND owner = $2 AND name = $3 AND version = $4", scope, owner, name, version)

    async def by_key(self, key: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT scope, owner, name, version, document FROM xem.chat_templates "
                                        "WHERE idempotency_key = $1", key)

    async def insert_next(self, scope: str, owner: str, name: str, document: dict[str, Any], *, key: str | None,
                          by: str | None) -> int:
        """Insert ``document`` as the next version of (scope, owner, name) and announce it; the version it got.

        A transaction-scoped advisory lock on the template serialises concurrent creates of one template."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('xem.chat_templates:' || $1 || ':' || $2 || ':' || $3))",
                                scope, owner, name)
        version: int = await self.conn.fetchval(
            "INSERT INTO xem.chat_templates (scope, owner, name, version, document, idempotency_key, created_by) "
            "SELECT $1, $2, $3, coalesce(max(version), 0) + 1, $4::jsonb, $5, $6 FROM xem.chat_templates "
            "WHERE scope = $1 AND owner = $2 AND name = $3 RETURNING version",
            scope, owner, name, json.dumps(document), key, by)
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_TEMPLATES, name)
        return version

    async def latest(self, *, name: str | None, scope: str | None, owner: str | None, after: tuple[str, str, str] | None,
                     limit: int) -> list[asyncpg.Record]:
        """The latest version of each (scope, owner, name), with its version count, ordered by (name, scope, owner)."""
        return await self.conn.fetch(
            "SELECT DISTINCT ON (name, scope, owner) name, scope, owner, version, document->>'description' AS description, "
            "created_at, count(*) OVER (PARTITION BY name, scope, owner) AS versions FROM xem.chat_templates "
            "WHERE ($1::text IS NULL OR name = $1) AND ($2::text IS NULL OR scope = $2) AND ($3::text IS NULL OR owner = $3) "
            "AND ($4::text IS NULL OR (name, scope, owner) > ($4, $5, $6)) "
            "ORDER BY name, scope, owner, version DESC LIMIT $7",
            name, scope, owner, *(after or (None, None, None)), limit)

    async def names(self) -> list[asyncpg.Record]:
        """Each template name with the variables of its latest version of every (scope, owner)."""
        return await self.conn.fetch(
            "SELECT DISTINCT ON (name, scope, owner) name, scope, owner, version, document FROM xem.chat_templates "
            "ORDER BY name, scope, owner, version DESC")
