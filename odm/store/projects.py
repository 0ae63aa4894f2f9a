"""Projects, their rosters (project_agent_binding) and sprints."""

from __future__ import annotations

import asyncpg

from odm.domain.models import Project, ProjectAgentBinding, Sprint
from odm.store._base import Store

__all__ = ["ProjectStore", "RosterStore", "SprintStore"]

_BY_SUFFIX = "length(id), id"  # prefix-n ids in numeric order


class ProjectStore(Store):
    table, model = "projects", Project

    async def children(self, key: str) -> list[str]:
        rows = await self.conn.fetch(f"SELECT id FROM projects WHERE parent_project_id = $1 ORDER BY {_BY_SUFFIX}", key)
        return [r["id"] for r in rows]

    async def ticket_counts(self, key: str) -> dict[str, int]:
        rows = await self.conn.fetch(
            "SELECT status_state, count(*) AS n FROM tickets WHERE project_id = $1 GROUP BY 1 ORDER BY 1", key
        )
        return {r["status_state"]: r["n"] for r in rows}

    async def page(self, *, parent_project_id: str | None, status_state: str | None,
                   after: tuple | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT * FROM projects
                WHERE ($1::text IS NULL OR parent_project_id = $1) AND ($2::text IS NULL OR status_state = $2)
                  AND ($3::int IS NULL OR (length(id), id) > ($3, $4::text))
                ORDER BY {_BY_SUFFIX} LIMIT $5""",
            parent_project_id, status_state, after[0] if after else None, after[1] if after else None, limit,
        )


class RosterStore(Store):
    table, model = "project_agent_bindings", ProjectAgentBinding

    async def current(self, project_id: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM project_agent_bindings WHERE project_id = $1 AND left_at IS NULL ORDER BY joined_at, id",
            project_id,
        )

    async def upsert(self, project_id: str, agent_id: str, roles: list[str], allocation: str, orchestrator: bool) -> asyncpg.Record:
        if orchestrator:  # one orchestrator per project: the new one replaces the old
            await self.conn.execute(
                """UPDATE project_agent_bindings SET is_project_orchestrator = false, updated_at = now()
                   WHERE project_id = $1 AND left_at IS NULL AND is_project_orchestrator AND agent_id <> $2""",
                project_id, agent_id,
            )
        row = await self.conn.fetchrow(
            """UPDATE project_agent_bindings SET roles = $3, allocation = $4, is_project_orchestrator = $5, updated_at = now()
               WHERE project_id = $1 AND agent_id = $2 AND left_at IS NULL RETURNING *""",
            project_id, agent_id, roles, allocation, orchestrator,
        )
        if row is None:
            row = await self.insert(project_id=project_id, agent_id=agent_id, roles=roles,
                                    allocation=allocation, is_project_orchestrator=orchestrator)
        return row

    async def leave(self, project_id: str, agent_id: str | None = None) -> int:
        """Close the current bindings of ``agent_id`` (or of everyone); returns how many."""
        result = await self.conn.execute(
            """UPDATE project_agent_bindings SET left_at = now(), updated_at = now()
               WHERE project_id = $1 AND left_at IS NULL AND ($2::text IS NULL OR agent_id = $2)""",
            project_id, agent_id,
        )
        return int(result.split()[-1])


class SprintStore(Store):
    table, model = "sprints", Sprint

    async def page(self, *, project_id: str | None, after: tuple | None, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            f"""SELECT * FROM sprints WHERE ($1::text IS NULL OR project_id = $1)
                  AND ($2::int IS NULL OR (length(id), id) > ($2, $3::text))
                ORDER BY {_BY_SUFFIX} LIMIT $4""",
            project_id, after[0] if after else None, after[1] if after else None, limit,
        )
