"""What the MCP specification asks of every server beyond tools: completions for resource-template and prompt
arguments, logging in the session era, and capabilities that say exactly what is served, in both eras."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp_types import PromptReference, ResourceTemplateReference

from servers import bus, odm, xem
from tests.conftest import connect_client


async def _values(client: Client, ref, name: str, value: str) -> list[str]:
    return (await client.complete(ref, {"name": name, "value": value})).completion.values


async def test_odm_completes_ticket_task_and_project_ids_lifecycle_kinds_and_prompt_arguments(suite_settings, era):
    async with connect_client(odm.SPEC, suite_settings, mode=era) as client:
        project = (await client.call_tool("create_project", {"name": "P"})).structured_content["id"]
        for title in ("a", "b"):
            ticket = (await client.call_tool("create_ticket", {"project_id": project, "title": title})).structured_content
        await client.call_tool("create_task", {"ticket_id": ticket["id"], "title": "t", "objective": "o"})
        assert await _values(client, ResourceTemplateReference(type="ref/resource", uri="odm://tickets/{id}"), "id", "10") \
            == ["1001", "1002"]
        assert await _values(client, ResourceTemplateReference(type="ref/resource", uri="odm://tasks/{id}"), "id", "1002") \
            == ["1002.01"]
        assert await _values(client, ResourceTemplateReference(type="ref/resource", uri="odm://lifecycles/{kind}"), "kind",
                             "t") == ["task", "ticket"]
        assert await _values(client, PromptReference(type="ref/prompt", name="plan_ticket"), "ticket_id", "1001") == ["1001"]
        assert await _values(client, PromptReference(type="ref/prompt", name="plan_ticket"), "nothing", "") == []


async def test_bus_completes_agent_ids_and_lease_names(suite_settings, era):
    async with connect_client(bus.SPEC, suite_settings, mode=era) as client:
        for agent in ("101", "102", "201"):
            await client.call_tool("register_agent", {"agent_id": agent, "role": "worker"})
        await client.call_tool("acquire_lease", {"name": "go", "holder": "101", "ttl_seconds": 60})
        assert await _values(client, ResourceTemplateReference(type="ref/resource", uri="bus://inbox/{agent_id}"),
                             "agent_id", "10") == ["101", "102"]
        assert await _values(client, ResourceTemplateReference(type="ref/resource", uri="bus://leases/{name}"), "name",
                             "g") == ["go"]


@pytest.mark.filterwarnings("ignore:The logging capability is deprecated")
async def test_a_long_tool_logs_to_a_session_era_client_at_or_above_its_level(suite_settings):
    received: list[str] = []

    async def on_log(params) -> None:
        received.append(str(params.data))

    from servers.app.server import build_server
    from servers.app.spec import open_runtime

    async with open_runtime(bus.SPEC, suite_settings) as runtime:
        server = build_server(bus.SPEC, runtime, bus.SPEC.tools.select("ops"))
        async with Client(server, mode="legacy", logging_callback=on_log) as client:
            await client.set_logging_level("warning")  # the session era's way; deprecated on 2026-07-28
            await client.call_tool("scan_now", {"force": True})
            quiet = list(received)
            await client.set_logging_level("info")
            await client.call_tool("scan_now", {"force": True})
    assert quiet == []
    assert any("attention scan done" in line for line in received), received


@pytest.mark.parametrize("spec", [bus.SPEC, odm.SPEC, xem.SPEC], ids=["bus", "odm", "xem"])
async def test_session_era_capabilities_name_what_is_served(suite_settings, spec):
    async with connect_client(spec, suite_settings, mode="legacy") as client:
        caps = client.server_capabilities
    assert caps.logging is not None and caps.tools is not None and caps.prompts is not None
    assert caps.completions is not None
    assert caps.resources.subscribe is (spec is bus.SPEC), "only the Bus pushes resource updates"
    assert caps.tools.list_changed is (spec is xem.SPEC), "only xem-mcp's tool list changes (agents come and go)"
    assert not caps.extensions
