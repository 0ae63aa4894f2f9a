"""The ODM link's contract, against a stand-in ODM server (the real ODM has no activities yet): a finished
invocation with a task_id becomes one ``tool_call`` activity, retried until the ODM accepts it, never sent twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import uvicorn
from mcp.server import MCPServer

from servers.kernel.odm_client import OdmGateway
from tests.support.net import free_port
from tests.support.wait import wait_for
from tests.xem.test_catalog import enroll, manifest
from xem import services
from xem.odm_link import send_pending
from xem.settings import XemSettings


class StandInOdm:
    """``record_activity`` as the ODM accounting issue specifies it: idempotent by key; fails while ``down``."""

    def __init__(self) -> None:
        self.activities: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self.down = True
        self.url = ""

    def server(self) -> MCPServer:
        server = MCPServer("stand-in-odm")

        @server.tool()
        async def record_activity(task_id: str, kind: str, idempotency_key: str, status: str, duration_ms: int,
                                  tool: str, agent: str | None = None, invocation_id: str | None = None,
                                  started_at: str | None = None, finished_at: str | None = None) -> dict[str, Any]:
            """Record an activity on a task."""
            self.calls += 1
            if self.down:
                raise ValueError("[unavailable] the ODM is starting; try again")
            self.activities.setdefault(idempotency_key, {"task_id": task_id, "kind": kind, "status": status,
                                                         "duration_ms": duration_ms, "tool": tool, "agent": agent})
            return {"id": idempotency_key}

        return server


@asynccontextmanager
async def stand_in() -> AsyncIterator[StandInOdm]:
    odm = StandInOdm()
    port = free_port()
    app = odm.server().streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1")
    userver = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    userver.capture_signals = lambda: __import__("contextlib").nullcontext()  # type: ignore[method-assign]
    async with anyio.create_task_group() as tg:
        tg.start_soon(userver.serve)
        await wait_for(lambda: userver.started, what="the stand-in ODM to listen", within=10)
        odm.url = f"http://127.0.0.1:{port}/mcp"
        try:
            yield odm
        finally:
            userver.should_exit = True


def test_the_link_is_off_by_default():
    assert XemSettings().odm_link is False


async def test_a_finished_call_with_a_task_id_is_one_tool_call_activity_retried_until_accepted(bus):
    await enroll(bus, "xem-1", manifest(("ws", "a", "destructive")))
    started = await services.start_invocation(bus.xem, services.CallRequest("ws", "a", {"x": "1"}, task_id="1001.01"),
                                              retention_s=60, max_argument_bytes=10_000)
    untracked = await services.start_invocation(bus.xem, services.CallRequest("ws", "a", {"x": "2"}),
                                                retention_s=60, max_argument_bytes=10_000)
    for s in (started, untracked):
        assert s.invocation.approval is not None
        await services.decide_approval(bus.xem, uuid.UUID(s.invocation.approval.id), "rejected", by="test")
    async with stand_in() as odm:
        gateway = OdmGateway(odm.url, 10, who="the XEM bridge")
        assert await send_pending(bus.xem, gateway) == 0 and odm.calls == 1  # refused: stays pending
        assert await bus.pool.fetchval("SELECT odm_error FROM xem.invocations WHERE task_id = '1001.01'")
        odm.down = False
        assert await send_pending(bus.xem, gateway) == 1
        assert await send_pending(bus.xem, gateway) == 0 and odm.calls == 2  # recorded: never sent again
    [activity] = odm.activities.values()
    assert activity["task_id"] == "1001.01" and activity["kind"] == "tool_call" and activity["status"] == "rejected"
    assert activity["tool"] == "ws__a" and activity["duration_ms"] >= 0
    assert await bus.pool.fetchval("SELECT odm_state FROM xem.invocations WHERE task_id IS NULL") == "none"
