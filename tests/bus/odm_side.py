"""The ODM side of the Bus tests, real or stand-in, seeded with the same scenario.

Scenario (task ids as the real ODM numbers them): 1001.01 executing for 30 h, claimed by 002;
1001.02 executing for 1 h, claimed by 003; 1001.03 waiting for approval; 1001.04 ready (``escalate`` claims it
and opens an escalation on it, where a test asks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from mcp import Client

from servers import odm
from servers.runtime.settings import SuiteSettings
from tests.bus.fake_odm import FakeOdm, fake_odm
from tests.support.http import serve_http

__all__ = ["OdmSide", "odm_side"]


@dataclass
class OdmSide:
    kind: str  # "real" or "fake"
    url: str
    fake: FakeOdm | None = None
    odm_dsn: str | None = None

    async def escalate(self, task_id: str, agent_id: str, summary: str) -> str:
        """Open an escalation on ``task_id`` (the real side claims it for ``agent_id`` first); returns its id."""
        if self.fake is not None:
            return str(self.fake.add_escalation(f"esc-{len(self.fake.escalations) + 1}", task_id, agent_id=agent_id,
                                                summary=summary, urgency="high")["id"])
        async with Client(self.url, mode="legacy") as client:
            claimed = await _call(client, "next_task", agent_id=agent_id, lease_seconds=3600)
            assert claimed["task"]["id"] == task_id, claimed
            return str((await _call(client, "escalate", task_id=task_id, summary=summary, urgency="high"))["id"])

    async def finish_task(self, task_id: str) -> None:
        """Move a task on (complete.completed or ready.ready) the way each side can."""
        if self.fake is not None:
            task = next(t for t in self.fake.tasks if t["id"] == task_id)
            task["status_state"] = "ready.ready" if task["status_state"] == "approval.waiting" else "complete.completed"
            return
        async with Client(self.url, mode="legacy") as client:
            current = await _read(client, f"odm://tasks/{task_id}")
            target = ("ready", "ready") if current["status_state"] == "approval.waiting" else ("complete", "completed")
            result = await client.call_tool("transition", {
                "kind": "task", "id": task_id, "status": target[0], "state": target[1], "override": True,
                "reason": "bus scanner test moves the task on",
            })
            assert not result.is_error, result.content


async def _read(client: Client, uri: str) -> Any:
    import json

    return json.loads((await client.read_resource(uri)).contents[0].text)


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content}"
    return result.structured_content


async def seed_real(url: str, odm_dsn: str) -> None:
    async with Client(url, mode="legacy") as client:
        project = await _call(client, "create_project", name="Bus scanner")
        ticket = await _call(client, "create_ticket", project_id=project["id"], title="scan me")
        for n in range(4):
            await _call(client, "create_task", ticket_id=ticket["id"], title=f"task {n + 1}", objective="o",
                        requires_approval=(n == 2))
        for agent in ("002", "003"):
            await _call(client, "next_task", agent_id=agent, lease_seconds=3600)
    conn = await asyncpg.connect(odm_dsn)
    try:
        await conn.execute("UPDATE tasks SET started_at = now() - interval '30 hours' WHERE claimed_by = '002'")
    finally:
        await conn.close()


def seed_fake(fake: FakeOdm) -> None:
    fake.add_task("1001.01", "execute.active", started_hours_ago=30, claimed_by="002", title="task 1")
    fake.add_task("1001.02", "execute.active", started_hours_ago=1, claimed_by="003", title="task 2")
    fake.add_task("1001.03", "approval.waiting", title="task 3")
    fake.add_task("1001.04", "ready.ready", title="task 4")


@asynccontextmanager
async def odm_side(kind: str, settings: SuiteSettings) -> AsyncIterator[OdmSide]:
    """A seeded ODM over streamable HTTP: the real odm-mcp (own test database) or the stand-in."""
    if kind == "fake":
        async with fake_odm("escalations") as fake:
            seed_fake(fake)
            yield OdmSide("fake", fake.url, fake=fake)
        return
    async with serve_http(odm.SPEC, settings) as url:
        await seed_real(url, settings.odm_dsn)
        yield OdmSide("real", url, odm_dsn=settings.odm_dsn)
