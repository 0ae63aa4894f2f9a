"""The exec-tool catalog through a real MCP client without agent processes (agents enrolled by the services):
names, merging, the compact form above N, list_changed in the 2026-07-28 era, and approval policies by MCP."""

from __future__ import annotations

import anyio

from tests.xem.bridge import xem_client
from xem import services
from xem.domain.catalog import build_catalog
from xem.domain.invocations import mcp_tool_name
from xem.domain.keys import new_keypair
from xem.domain.manifest import Manifest, ToolSpec
from xem.domain.protocol import Enroll
from xem.keyfiles import join_secret

SCHEMA = {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": False}


def manifest(*tools: tuple[str, str, str]) -> Manifest:
    return Manifest(manifest_version=1, tools=tuple(
        ToolSpec(name=n, workspace=w, description=f"{n} in {w}", input_schema=SCHEMA, risk=r, timeout_s=5)  # type: ignore[arg-type]
        for w, n, r in tools))


async def enroll(bus, name: str, m: Manifest) -> None:
    key = new_keypair()[0].decode()
    token, _ = await services.mint_join_key(bus.xem, bus.home, "xem", 60, max_ttl_s=60)
    await services.enroll(bus.xem, join_secret(bus.home), Enroll(sender=name, join_key=token, public_key=key, manifest=m), key)


def test_names_are_formed_within_64_characters_and_agents_serving_one_tool_are_one_entry():
    assert mcp_tool_name("ws", "echo") == "ws__echo"
    assert mcp_tool_name("w" * 40, "t" * 30) is None
    catalog = build_catalog([("b", manifest(("ws", "echo", "read")).model_dump(mode="json")),
                             ("a", manifest(("ws", "echo", "read"), ("w" * 40, "t" * 30, "read")).model_dump(mode="json")),
                             ("c", manifest(("ws__x", "y", "read"), ("ws", "x__y", "read")).model_dump(mode="json"))])
    assert catalog.tools["ws__echo"].agents == ("a", "b")
    assert "ws__x__y" in catalog.tools and len(catalog.skipped) == 2  # too long, and a name taken by another pair


async def test_the_2026_era_hears_list_changed_and_more_than_n_tools_switch_to_the_compact_form(bus, monkeypatch):
    monkeypatch.setenv("XIOPRO_XEM_COMPACT_ABOVE", "2")
    async with xem_client(bus, mode="2026-07-28") as client, client.listen(tools_list_changed=True) as sub:
        await enroll(bus, "xem-1", manifest(("ws", "a", "read"), ("ws", "b", "destructive")))
        with anyio.fail_after(20):
            await sub.__anext__()
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["ws__b"].annotations.destructive_hint is True and tools["ws__a"].annotations.read_only_hint is True
        await enroll(bus, "xem-2", manifest(("ws", "c", "write")))
        with anyio.fail_after(20):
            await sub.__anext__()
        names = {t.name for t in (await client.list_tools()).tools}
        assert not any("__" in n for n in names) and {"list_exec_tools", "describe_exec_tool", "invoke"} <= names
        listed = (await client.call_tool("list_exec_tools", {"query": "c in"})).structured_content
        assert [i["name"] for i in listed["items"]] == ["ws__c"]
        page = (await client.call_tool("list_exec_tools", {"limit": 2})).structured_content
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (await client.call_tool("list_exec_tools", {"limit": 2, "cursor": page["next_cursor"]})).structured_content
        assert [i["name"] for i in rest["items"]] == ["ws__c"]
        described = (await client.call_tool("describe_exec_tool", {"workspace": "ws", "tool": "c"})).structured_content
        assert described["input_schema"] == SCHEMA and described["agents"] == ["xem-2"]


async def test_compact_toolset_lists_no_per_agent_tools_and_policies_are_managed_by_mcp(bus):
    await enroll(bus, "xem-1", manifest(("ws", "a", "read")))
    async with xem_client(bus, toolsets="compact,management") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "ws__a" not in names and {"invoke", "decide_approval", "approval_policy"} <= names
        shown = (await client.call_tool("approval_policy", {"workspace": "ws"})).structured_content
        defaults = {p["risk"]: p["required"] for p in shown["policies"]}
        assert defaults == {"read": False, "write": False, "destructive": True, "irreversible": True}
        changed = await client.call_tool("approval_policy", {"workspace": "ws", "risk": "read", "required": True,
                                                             "escalation": ["oncall"]})
        read = next(p for p in changed.structured_content["policies"] if p["risk"] == "read")
        assert read["required"] is True and read["escalation"] == ["oncall"] and read["default"] is False
        gated = await client.call_tool("invoke", {"workspace": "ws", "tool": "a", "arguments": {"x": "1"}})
        assert gated.is_error and gated.content[0].text.startswith("[approval_required] ")
        approval = gated.content[0].text.split()[2]
        bad = await client.call_tool("decide_approval", {"id": "nope", "decision": "approved"})
        assert bad.content[0].text.startswith("[invalid_argument] ")
        first = await client.call_tool("decide_approval", {"id": approval, "decision": "rejected", "reason": "no"})
        assert first.structured_content["state"] == "rejected"
        second = await client.call_tool("decide_approval", {"id": approval, "decision": "approved"})
        assert second.is_error and second.content[0].text.startswith("[conflict] ")
        cancelled = await client.call_tool("cancel_invocation", {"id": first.structured_content["id"]})
        assert cancelled.content[0].text.startswith("[invalid_transition] ")


async def test_a_traceparent_in_meta_is_carried_into_the_invocation_and_its_trace(bus):
    await enroll(bus, "xem-1", manifest(("ws", "a", "destructive")))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with xem_client(bus) as client:
        gated = await client.call_tool("ws__a", {"x": "1", "idempotency_key": "t-1"}, meta={"traceparent": parent})
        assert gated.content[0].text.startswith("[approval_required] ")
        invocation = await bus.pool.fetchrow("SELECT id, trace_context->>'traceparent' AS tp FROM xem.invocations")
        assert invocation["tp"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c" and invocation["tp"] != parent
        got = (await client.call_tool("get_invocation", {"id": str(invocation["id"])})).structured_content
        assert got["traceparent"] == invocation["tp"] and got["state"] == "pending_approval"
        oversized = await client.call_tool("ws__a", {"x": "y" * 70_000})
        assert oversized.content[0].text.startswith("[invalid_argument] ") and "over the limit" in oversized.content[0].text


async def test_a_call_naming_an_agent_in_conflict_pill_offline_or_unknown_is_refused_and_nothing_is_dispatched(bus):
    await enroll(bus, "xem-1", manifest(("ws", "a", "read")))
    await enroll(bus, "xem-2", manifest(("ws", "a", "read")))
    await enroll(bus, "xem-2", manifest(("ws", "a", "read")))  # a second key for the same name: conflict_pill
    await enroll(bus, "xem-3", manifest(("ws", "a", "read")))
    await bus.pool.execute("UPDATE xem.agents SET state = 'offline' WHERE name = 'xem-3'")
    async with xem_client(bus) as client:
        async def refusal(agent: str) -> str:
            answer = await client.call_tool("invoke", {"workspace": "ws", "tool": "a", "arguments": {"x": "1"}, "agent": agent})
            assert answer.is_error
            return answer.content[0].text

        pill = await refusal("xem-2")
        assert pill.startswith("[conflict] agent xem-2 is conflict_pill") and "xeroctl agents recover xem-2" in pill
        assert "call without agent" in pill
        assert (await refusal("xem-3")).startswith("[unavailable] agent xem-3 is offline")
        assert (await refusal("xem-9")).startswith("[not_found] no agent named xem-9")
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == 0
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.dispatches") == 0
    started = await services.start_invocation(bus.xem, services.CallRequest("ws", "a", {"x": "1"}), retention_s=60,
                                              max_argument_bytes=10_000)
    assert started.invocation.state == "dispatched" and started.invocation.agent == "xem-1"  # the one that may run it
