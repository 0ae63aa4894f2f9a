"""The stdio set-up stands alone: with no XIOPRO_ODM_URL, bus-mcp runs an odm-mcp child of its own over stdio
(on the same home and ODM database) and renews claims and reads the ODM feeds through it."""

from __future__ import annotations

from servers import bus, odm
from tests.conftest import connect_client
from tests.support.wait import wait_for


async def test_a_bus_without_an_odm_url_renews_claims_through_its_own_odm_child(suite_settings):
    settings = suite_settings.model_copy(update={"odm_url": None})
    async with connect_client(odm.SPEC, settings) as o:  # the same ODM database, seen directly
        project = (await o.call_tool("create_project", {"name": "P"})).structured_content["id"]
        ticket = (await o.call_tool("create_ticket", {"project_id": project, "title": "T"})).structured_content["id"]
        await o.call_tool("create_task", {"ticket_id": ticket, "title": "t", "objective": "o"})
        claim = (await o.call_tool("next_task", {"agent_id": "101", "lease_seconds": 60})).structured_content
    async with connect_client(bus.SPEC, settings) as b:
        await b.call_tool("register_agent", {"agent_id": "101", "role": "worker"})

        async def renewed():
            answer = (await b.call_tool("heartbeat", {"agent_id": "101", "in_flight": [claim["task"]["id"]]})).structured_content
            return answer if answer.get("odm_claims_renewed") else None

        answer = await wait_for(renewed, what="a heartbeat renewing the claim through the odm-mcp child", within=60, every=0.5)
    assert answer["odm_claims_renewed"] == [claim["task"]["id"]] and answer.get("odm_note") is None
