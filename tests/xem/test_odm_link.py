"""The ODM link on a real odm-mcp: a finished invocation with a task_id becomes one ``tool_call`` activity, retried
while the ODM cannot be reached, never recorded twice (also when an answer was lost), and refused for good when
the ODM will never take it (no such task)."""

from __future__ import annotations

import uuid
from typing import Any

from mcp import Client

from servers import odm as odm_server
from servers.kernel.odm_client import OdmGateway
from servers.runtime.settings import SuiteSettings
from tests.support.http import serve_http
from tests.support.net import free_port
from tests.xem.test_catalog import enroll, manifest
from xem import services
from xem.odm_link import send_pending
from xem.settings import XemSettings


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content}"
    return result.structured_content


async def _finished(bus, task_id: str, x: str) -> uuid.UUID:
    """A destructive call with ``task_id``, rejected by an operator: it ends (rejected) without running."""
    started = await services.start_invocation(bus.xem, services.CallRequest("ws", "a", {"x": x}, task_id=task_id),
                                              retention_s=60, max_argument_bytes=10_000)
    assert started.invocation.approval is not None
    await services.decide_approval(bus.xem, uuid.UUID(started.invocation.approval.id), "rejected", by="test")
    return uuid.UUID(started.invocation.id)


def test_the_link_is_on_by_default():
    assert XemSettings().odm_link is True


async def test_a_finished_call_with_a_task_id_is_one_tool_call_activity_on_the_real_odm(bus, pg, tmp_path):
    await enroll(bus, "xem-1", manifest(("ws", "a", "destructive")))
    settings = SuiteSettings(home=tmp_path / "odm-home", bus_dsn=bus.dsn, odm_dsn=pg.dsn(pg.new_name("odm")),
                             log_level="WARNING", http_auth="none")
    async with serve_http(odm_server.SPEC, settings, toolsets="accounting") as url, Client(url, mode="legacy") as odm:
        project = await _call(odm, "create_project", name="P")
        ticket = await _call(odm, "create_ticket", project_id=project["id"], title="T")
        task = await _call(odm, "create_task", ticket_id=ticket["id"], title="clean up", objective="o")
        await _call(odm, "next_task", agent_id="007")  # in progress: it takes activities
        tracked = await _finished(bus, task["id"], "1")
        stray = await _finished(bus, "9999.99", "2")  # no such task in this ODM
        untracked = await services.start_invocation(bus.xem, services.CallRequest("ws", "a", {"x": "3"}),
                                                    retention_s=60, max_argument_bytes=10_000)

        down = OdmGateway(f"http://127.0.0.1:{free_port()}/mcp", 5, who="the XEM bridge")
        assert await send_pending(bus.xem, down) == 0  # unreachable: both stay pending
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations WHERE odm_state = 'pending'") == 2

        up = OdmGateway(url, 10, who="the XEM bridge")
        assert await send_pending(bus.xem, up) == 1
        states = dict(await bus.pool.fetch("SELECT id, odm_state FROM xem.invocations"))
        assert states[tracked] == "recorded" and states[stray] == "refused"
        assert states[uuid.UUID(untracked.invocation.id)] == "none"
        assert "[not_found]" in await bus.pool.fetchval("SELECT odm_error FROM xem.invocations WHERE id = $1", stray)
        assert await send_pending(bus.xem, up) == 0  # nothing pending: nothing sent again

        await bus.pool.execute("UPDATE xem.invocations SET odm_state = 'pending' WHERE id = $1", tracked)  # a lost answer
        assert await send_pending(bus.xem, up) == 1
        listed = await _call(odm, "list_activities", task_id=task["id"])
        [activity] = listed["items"]  # once, although the ODM was sent it twice
        assert activity["activity_type"] == "tool_call" and activity["result_status"] == "cancelled"
        assert activity["duration_ms"] is not None and activity["duration_ms"] >= 0
