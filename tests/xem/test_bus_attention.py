"""Pending XEM approvals feed the Bus attention queue: the scanner's approval source reads them, the todo
appears, and it is dismissed once the approval is decided."""

from __future__ import annotations

import uuid

from servers import bus as bus_server
from tests.bus.fake_odm import fake_odm
from tests.conftest import connect_client
from tests.support.net import free_port
from tests.xem.bridge import bridge_settings
from tests.xem.test_catalog import enroll, manifest
from xem import services


async def test_a_pending_xem_approval_is_a_bus_todo_until_it_is_decided(bus):
    await enroll(bus, "xem-1", manifest(("ws", "wipe", "destructive")))
    started = await services.start_invocation(bus.xem, services.CallRequest("ws", "wipe", {"x": "1"}),
                                              retention_s=60, max_argument_bytes=10_000)
    approval = started.invocation.approval
    assert approval is not None
    async with fake_odm() as odm:
        settings = bridge_settings(bus).model_copy(update={"odm_url": odm.url})
        async with connect_client(bus_server.SPEC, settings, toolsets="ops") as client:
            await client.call_tool("scan_now", {"force": True})
            todos = (await client.call_tool("list_todos", {"status": "active"})).structured_content["items"]
            [todo] = [t for t in todos if t.get("linked_id") == approval.id]
            assert todo["linked_type"] == "approval" and f"xeroctl approvals approve {approval.id}" in todo["title"]
            assert "ws__wipe (destructive)" in todo["title"]
            await services.decide_approval(bus.xem, uuid.UUID(approval.id), "rejected", by="operator", reason="no")
            report = (await client.call_tool("scan_now", {"force": True})).structured_content
            assert report["dismissed"] >= 1, report
            todos = (await client.call_tool("list_todos", {"status": "active"})).structured_content["items"]
            assert not [t for t in todos if t.get("linked_id") == approval.id]


async def test_xem_approvals_keep_reaching_the_queue_while_the_odm_is_down_and_the_odm_todos_stay(bus):
    await enroll(bus, "xem-1", manifest(("ws", "wipe", "destructive")))

    async def pending(n: str) -> str:
        started = await services.start_invocation(bus.xem, services.CallRequest("ws", "wipe", {"x": n}),
                                                  retention_s=60, max_argument_bytes=10_000)
        assert started.invocation.approval is not None
        return started.invocation.approval.id

    first = await pending("1")

    async def active(client) -> set[str]:
        items = (await client.call_tool("list_todos", {"status": "active"})).structured_content["items"]
        return {t["linked_id"] for t in items if t["linked_type"] == "approval"}

    async with fake_odm() as odm:
        odm.add_task("1001.01", "approval.waiting", title="ship it")
        async with connect_client(bus_server.SPEC, bridge_settings(bus).model_copy(update={"odm_url": odm.url}),
                                  toolsets="ops") as client:
            await client.call_tool("scan_now", {"force": True})
            assert await active(client) == {first, "1001.01"}
    second = await pending("2")
    await services.decide_approval(bus.xem, uuid.UUID(first), "rejected", by="operator", reason="no")
    gone = f"http://127.0.0.1:{free_port()}/mcp"  # the ODM went away
    async with connect_client(bus_server.SPEC, bridge_settings(bus).model_copy(update={"odm_url": gone}),
                              toolsets="ops") as client:
        report = (await client.call_tool("scan_now", {"force": True})).structured_content
        [status] = [s for s in report["sources"] if s["name"] == "odm.tasks.approval"]
        assert status["status"] == "unavailable" and status["reason"].startswith("the ODM at "), status
        assert await active(client) == {second, "1001.01"}  # the new XEM approval in, the decided one out, the task kept
