"""Pending XEM approvals feed the Bus attention queue: the scanner's approval source reads them, the todo
appears, and it is dismissed once the approval is decided."""

from __future__ import annotations

import uuid

from servers import bus as bus_server
from tests.bus.fake_odm import fake_odm
from tests.conftest import connect_client
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
