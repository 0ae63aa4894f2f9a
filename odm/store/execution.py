"""Agent templates (append-only versions), execution surfaces, agent runtimes and sessions; the health a reader
sees (``HEALTH``) and the roll-ups of the activities recorded under a runtime or a session."""

from __future__ import annotations

import asyncpg

from odm.domain.execution import LIVE_STATUSES
from odm.domain.models import LIVE_RUNTIME_PREDICATE, AgentRuntime, AgentTemplate, ExecutionSurface, Session
from odm.store._base import Store

__all__ = ["HEALTH", "RuntimeStore", "SessionStore", "SurfaceStore", "TemplateStore"]

_SILENT_FROM = ("ready", "execute", "discussion", "recover")
assert set(_SILENT_FROM) < set(LIVE_STATUSES)
# $1 degraded after (s), $2 failed after (s): the stored health, or what the silence since the last heartbeat says
HEALTH = f"""CASE WHEN r.health_state IN ('healthy', 'degraded') AND r.status IN ({", ".join(f"'{s}'" for s in _SILENT_FROM)})
    THEN CASE WHEN now() - coalesce(r.last_heartbeat_at, r.started_at, r.created_at) >= make_interval(secs => $2) THEN 'failed'
              WHEN now() - coalesce(r.last_heartbeat_at, r.started_at, r.created_at) >= make_interval(secs => $1) THEN 'degraded'
              ELSE r.health_state END
    ELSE r.health_state END"""
_SPENT = """SELECT count(*) AS activity_count, coalesce(sum(actual_cost), 0) AS actual_cost,
                  count(*) FILTER (WHERE actual_cost IS NULL) > 0 AS cost_incomplete,
                  coalesce(sum(duration_ms), 0)::bigint AS actual_duration_ms
           FROM activities WHERE {column} = $1"""


class TemplateStore(Store):
    table, model = "agent_templates", AgentTemplate

    async def lock_agent(self, agent_id: str) -> None:
        """Serialise versioning of one agent id (the unique indexes decide; this makes the loser wait, not fail)."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('odm.agent_template'), hashtext($1))", agent_id)

    async def latest(self, agent_id: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM agent_templates WHERE agent_id = $1 ORDER BY version DESC LIMIT 1", agent_id)

    async def version(self, agent_id: str, version: int) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            "SELECT * FROM agent_templates WHERE agent_id = $1 AND version = $2", agent_id, version)

    async def versions(self, agent_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch("SELECT * FROM agent_templates WHERE agent_id = $1 ORDER BY version", agent_id)

    async def page(self, after: str | None, limit: int) -> list[asyncpg.Record]:
        """The latest version of each agent id, by agent id."""
        return await self.conn.fetch(
            """SELECT DISTINCT ON (agent_id) * FROM agent_templates WHERE ($1::text IS NULL OR agent_id > $1)
               ORDER BY agent_id, version DESC LIMIT $2""", after, limit)


class SurfaceStore(Store):
    table, model = "execution_surfaces", ExecutionSurface

    async def by_name(self, name: str) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM execution_surfaces WHERE name = $1", name)


class RuntimeStore(Store):
    table, model = "agent_runtimes", AgentRuntime

    async def view(self, key: str, degraded_s: float, failed_s: float) -> asyncpg.Record | None:
        return await self.conn.fetchrow(
            f"SELECT r.*, {HEALTH} AS effective_health FROM agent_runtimes r WHERE r.id = $3", degraded_s, failed_s, key)

    async def page(self, health: str | None, after: str | None, limit: int, degraded_s: float,
                   failed_s: float) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT * FROM (SELECT r.*, {HEALTH} AS effective_health FROM agent_runtimes r
                               WHERE ($4::text IS NULL OR r.id > $4)) x
                WHERE $3::text IS NULL OR x.effective_health = $3 ORDER BY x.id LIMIT $5""",
            degraded_s, failed_s, health, after, limit)

    async def live_children(self, parent_id: str) -> list[str]:
        rows = await self.conn.fetch(
            f"SELECT id FROM agent_runtimes WHERE parent_runtime_id = $1 AND {LIVE_RUNTIME_PREDICATE} ORDER BY id", parent_id)
        return [r["id"] for r in rows]

    async def children(self, parent_id: str) -> list[str]:
        rows = await self.conn.fetch("SELECT id FROM agent_runtimes WHERE parent_runtime_id = $1 ORDER BY id", parent_id)
        return [r["id"] for r in rows]

    async def live_of_template(self, agent_id: str) -> list[str]:
        """Live runtimes of any version of the template of ``agent_id``."""
        rows = await self.conn.fetch(
            f"""SELECT r.id FROM agent_runtimes r JOIN agent_templates t ON t.id = r.agent_template_id
                WHERE t.agent_id = $1 AND {LIVE_RUNTIME_PREDICATE.replace("status", "r.status")} ORDER BY r.id""",
            agent_id)
        return [r["id"] for r in rows]

    async def heartbeat(self, agent_id: str, degraded_s: float, failed_s: float) -> asyncpg.Record | None:
        """Stamp ``last_heartbeat_at`` on the agent's runtime (None if it has none)."""
        return await self.conn.fetchrow(
            f"""UPDATE agent_runtimes r SET last_heartbeat_at = now(), updated_at = now() WHERE r.id = $3
                RETURNING r.*, {HEALTH} AS effective_health""", degraded_s, failed_s, agent_id)

    async def spent(self, runtime_id: str) -> asyncpg.Record:
        return await self.conn.fetchrow(_SPENT.format(column="agent_runtime_id"), runtime_id)

    async def claimed(self, agent_id: str) -> list[str]:
        """The tasks the agent holds a claim on (claims are the agent's, not a session's)."""
        rows = await self.conn.fetch("SELECT id FROM tasks WHERE claimed_by = $1 ORDER BY id", agent_id)
        return [r["id"] for r in rows]


class SessionStore(Store):
    table, model = "sessions", Session

    async def for_runtime(self, runtime_id: str, limit: int = 50) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM sessions WHERE agent_runtime_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            runtime_id, limit)

    async def spent(self, session_id: str) -> asyncpg.Record:
        return await self.conn.fetchrow(_SPENT.format(column="session_id"), session_id)
