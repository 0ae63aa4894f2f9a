"""A stand-in ODM server for the scanner tests: the feed contract of the briefing over streamable HTTP.

It serves ``odm://feeds/tasks`` (and, when asked, ``odm://feeds/escalations`` and ``odm://feeds/budgets``,
which the real ODM does not offer yet) from in-memory lists. tests/bus/test_odm_feed_contract.py runs
the same feed cases against this fake and the real odm-mcp, so the fake cannot drift from the real thing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import uvicorn
from mcp.server import MCPServer

from tests.support.net import free_port
from tests.support.wait import wait_for

__all__ = ["FakeOdm", "fake_odm"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class FakeOdm:
    tasks: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def add_task(self, task_id: str, status_state: str, *, started_hours_ago: float | None = None,
                 claimed_by: str | None = None, title: str = "a task",
                 blocked_reason: str | None = None) -> dict[str, Any]:
        now = datetime.now(UTC)
        started = now - timedelta(hours=started_hours_ago) if started_hours_ago is not None else None
        task = {"id": task_id, "title": title, "status_state": status_state, "priority": "normal",
                "ticket_id": task_id.split(".")[0], "project_id": "p1", "claimed_by": claimed_by,
                "claim_expires_at": None, "started_at": _iso(started), "updated_at": now.isoformat(),
                "blocked_reason": blocked_reason}
        self.tasks.append(task)
        return task

    def add_escalation(self, esc_id: str, task_id: str, *, agent_id: str, summary: str,
                       urgency: str = "normal") -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        esc = {"id": esc_id, "task_id": task_id, "ticket_id": task_id.split(".")[0], "project_id": "p1",
               "title": summary, "summary": summary, "priority": urgency, "urgency": urgency,
               "trigger_type": "requires_human", "detail": f"requires_human on task {task_id}", "status": "pending",
               "status_state": "discussion.waiting", "agent_id": agent_id, "task_title": "a task", "due_at": None,
               "created_at": now, "updated_at": now, "url": f"odm://escalations/{esc_id}"}
        self.escalations.append(esc)
        return esc

    def _tasks(self, status_state: str, claimed_by: str, in_progress_over_s: str) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        chosen = self.tasks
        if status_state:
            chosen = [t for t in chosen if t["status_state"] in status_state.split(",")]
        if claimed_by:
            chosen = [t for t in chosen if t["claimed_by"] == claimed_by]
        if in_progress_over_s:
            limit = timedelta(seconds=int(in_progress_over_s))
            chosen = [t for t in chosen if t["status_state"] == "execute.active" and t["started_at"]
                      and now - datetime.fromisoformat(t["started_at"]) >= limit]
        return sorted(chosen, key=lambda t: t["id"])


def _page(items: list[dict[str, Any]], cursor: str, limit: str) -> str:
    start = int(cursor or 0)
    size = min(int(limit or 200), 1000)
    chunk = items[start:start + size]
    more = start + size < len(items)
    return json.dumps({"items": chunk, "next_cursor": str(start + size) if more else None})


def _server(odm: FakeOdm, feeds: set[str]) -> MCPServer:
    server = MCPServer("fake-odm", log_level="WARNING")

    @server.resource("odm://feeds/tasks{?status_state,claimed_by,in_progress_over_s,cursor,limit}")
    def tasks(status_state: str = "", claimed_by: str = "", in_progress_over_s: str = "", cursor: str = "",
              limit: str = "") -> str:
        return _page(odm._tasks(status_state, claimed_by, in_progress_over_s), cursor, limit)

    if "escalations" in feeds:
        @server.resource("odm://feeds/escalations{?status,task_id,agent_id,cursor,limit}")
        def escalations(status: str = "", task_id: str = "", agent_id: str = "", cursor: str = "", limit: str = "") -> str:
            chosen = [e for e in odm.escalations if (not status or e["status"] == status)
                      and (not task_id or e["task_id"] == task_id) and (not agent_id or e["agent_id"] == agent_id)]
            return _page(chosen, cursor, limit)

    if "budgets" in feeds:
        @server.resource("odm://feeds/budgets{?cursor,limit}")
        def budgets(cursor: str = "", limit: str = "") -> str:
            return _page(odm.budgets, cursor, limit)

    return server


class _QuietUvicorn(uvicorn.Server):
    @contextmanager
    def capture_signals(self):  # type: ignore[override] - the test runner owns the signals
        yield


@asynccontextmanager
async def fake_odm(*feeds: str, odm: FakeOdm | None = None) -> AsyncIterator[FakeOdm]:
    """Serve a FakeOdm at http://127.0.0.1:<port>/mcp until the block ends (then the port is closed)."""
    odm = odm or FakeOdm()
    port = free_port()
    app = _server(odm, set(feeds)).streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1")
    userver = _QuietUvicorn(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(userver.serve)
        await wait_for(lambda: userver.started, what="the stand-in ODM to listen", within=10, every=0.01)
        odm.url = f"http://127.0.0.1:{port}/mcp"
        try:
            yield odm
        finally:
            userver.should_exit = True
