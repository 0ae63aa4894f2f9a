"""The workspace and model tools (management), report_model (inference) and the xem://workspaces resources,
through an in-process MCP client on a real database: bad input is a [code] error with the next step and changes
nothing."""

from __future__ import annotations

import json

from tests.xem.bridge import xem_client


def text(result) -> str:
    return result.content[0].text


async def state(bus) -> tuple:
    return (await bus.pool.fetch("SELECT name, kind, scope::text FROM xem.workspaces ORDER BY name"),
            await bus.pool.fetch("SELECT workspace, role, model_id FROM xem.workspace_models ORDER BY 1, 2"))


async def test_workspace_tool_creates_promotes_binds_and_scopes_and_refuses_bad_input_without_changing_anything(bus):
    async with xem_client(bus, toolsets="default,management,inference") as client:
        made = await client.call_tool("workspace", {"action": "create", "name": "kb", "kind": "chat", "project_id": "P-7"})
        assert not made.is_error, text(made)
        out = made.structured_content
        assert out["kind"] == "chat" and out["project_id"] == "P-7" and out["open"] is False
        assert "promote it with `xeroctl workspaces promote kb`" in out["closed_reason"]

        before = await state(bus)
        bad = [
            ("conflict", {"action": "create", "name": "kb", "kind": "operational"}),
            ("not_found", {"action": "bind", "name": "kb", "planner": "no-such-model"}),
            ("not_found", {"action": "get", "name": "nowhere"}),
            ("invalid_argument", {"action": "bind", "name": "ws", "executor": "test-planner", "verifier": "test-planner"}),
            ("invalid_argument", {"action": "bind", "name": "kb"}),
            ("invalid_argument", {"action": "scope", "name": "kb", "patterns": {"msg": "(unclosed"}}),
            ("invalid_argument", {"action": "scope", "name": "kb", "path_prefixes": ["../up"]}),
            ("invalid_argument", {"action": "create", "name": "bad name!", "kind": "chat"}),
        ]
        for code, args in bad:
            answer = await client.call_tool("workspace", args)
            assert answer.is_error and text(answer).startswith(f"[{code}] "), (args, text(answer))
        assert "xeroctl models set no-such-model --available" in text(await client.call_tool(
            "workspace", {"action": "bind", "name": "kb", "planner": "no-such-model"}))
        assert await state(bus) == before

        promoted = (await client.call_tool("workspace", {"action": "promote", "name": "kb"})).structured_content
        assert promoted["kind"] == "operational" and "no planner model bound" in promoted["closed_reason"]
        demoted = await client.call_tool("workspace", {"action": "promote", "name": "kb", "kind": "chat"})
        assert text(demoted).startswith("[invalid_transition] workspace kb cannot go from operational to chat"), text(demoted)
        assert "a demotion is refused" in text(demoted)
        bound = (await client.call_tool("workspace", {"action": "bind", "name": "kb", "planner": "test-planner",
                                                      "executor": "test-executor", "verifier": "test-verifier"})).structured_content
        assert bound["open"] is True and bound["closed_reason"] is None
        scoped = (await client.call_tool("workspace", {"action": "scope", "name": "kb", "path_prefixes": ["logs/"],
                                                       "patterns": {"echo.msg": "[a-z]+"}})).structured_content
        assert scoped["scope"] == {"path_prefixes": ["logs"], "patterns": {"echo.msg": "[a-z]+"}}

        # an inference host reports a model gone: every workspace bound to it closes, naming the role
        reported = await client.call_tool("report_model", {"id": "test-verifier", "available": False, "host": "xim-1"})
        assert reported.structured_content["items"][0]["reported_by"] == "host:xim-1"
        closed = (await client.call_tool("workspace", {"action": "get", "name": "kb"})).structured_content
        assert closed["open"] is False and "verifier model test-verifier unavailable" in closed["closed_reason"]
        models = (await client.call_tool("model", {})).structured_content["items"]
        assert {m["id"]: m["available"] for m in models} == {"test-executor": True, "test-planner": True,
                                                             "test-verifier": False}
        await client.call_tool("model", {"action": "set", "id": "test-verifier", "available": True})
        assert (await client.call_tool("workspace", {"action": "get", "name": "kb"})).structured_content["open"] is True

        listing = json.loads((await client.read_resource("xem://workspaces")).contents[0].text)
        assert [w["name"] for w in listing["workspaces"]] == ["kb", "ws"]
        one = json.loads((await client.read_resource("xem://workspaces/kb")).contents[0].text)
        assert one["kind"] == "operational" and one["models"]["planner"] == "test-planner"


async def test_management_and_inference_tools_are_not_in_the_default_toolset(bus):
    async with xem_client(bus) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert not {"workspace", "model", "report_model"} & listed
