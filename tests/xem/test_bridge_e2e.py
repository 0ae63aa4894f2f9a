"""xem-mcp with real router and agent processes: tools from manifests (live list), calls, bad input, progress,
cancellation, and a second bridge reading an invocation started in the first."""

from __future__ import annotations

import json

import anyio
import mcp_types

from tests.xem.bridge import xem_client
from tests.xem.support import Mesh, wait_for


async def enrolled(bus, mesh: Mesh, label: str = "a", name: str = "xem-a", **config):
    agent = mesh.start_agent(mesh.agent_config(label, name, mesh.join_key(), bridge_tools=True, **config), label)
    await wait_for(lambda: bus.pool.fetchval(
        "SELECT state = 'online' AND last_lease_at > enrolled_at FROM xem.agents WHERE name = $1", name),
        what=f"{name} to enroll and renew")
    return agent


class Notices:
    """The tools/list_changed notices a client received."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, message) -> None:
        if isinstance(message, mcp_types.ServerNotification | mcp_types.ToolListChangedNotification):
            root = getattr(message, "root", message)
            if isinstance(root, mcp_types.ToolListChangedNotification):
                self.count += 1


async def names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


def text(result) -> str:
    return result.content[0].text


async def test_a_read_tool_appears_after_enrollment_runs_with_structured_output_and_goes_when_the_agent_does(bus, mesh):
    mesh.start_router()
    notices = Notices()
    async with xem_client(bus, message_handler=notices) as client:
        before = await names(client)
        assert "ws__echo" not in before and {"invoke", "get_invocation", "list_exec_tools"} <= before
        agent = await enrolled(bus, mesh)
        await wait_for(lambda: notices.count > 0, what="tools/list_changed after the enrollment")
        listed = {t.name: t for t in (await client.list_tools()).tools}
        echo, wipe = listed["ws__echo"], listed["ws__wipe"]
        assert echo.annotations.read_only_hint is True and echo.annotations.open_world_hint is True
        assert wipe.annotations.destructive_hint is True and "destructive" in wipe.description
        assert set(echo.input_schema["properties"]) == {"msg", "path", "idempotency_key", "agent", "task_id", "template",
                                                        "subplan"}

        done = await client.call_tool("ws__echo", {"msg": "hello"})
        assert not done.is_error, text(done)
        answer = done.structured_content
        assert answer["state"] == "succeeded" and answer["agent"] == "xem-a" and answer["tool"] == "ws__echo", json.dumps(answer)
        assert answer["result"]["exit_code"] == 0 and json.loads(answer["result"]["stdout"]) == ["hello"]
        assert answer["result"]["truncated"] is False and answer["traceparent"]
        got = await client.call_tool("get_invocation", {"id": answer["id"]})
        assert got.structured_content["result"] == answer["result"]

        # bad input: each a [code] error with the next step, nothing written
        bad = [
            ("not_found", "invoke", {"workspace": "ws", "tool": "nope", "arguments": {}}),
            ("not_found", "ws__echo", {"msg": "x", "agent": "xem-zzz"}),
            ("invalid_argument", "ws__echo", {"msg": 5}),
            ("invalid_argument", "ws__echo", {"msg": "x", "colour": "red"}),
            ("invalid_argument", "invoke", {"workspace": "ws", "tool": "echo", "arguments": {"msg": "x", "bogus": 1}}),
        ]
        rows = await bus.pool.fetchval("SELECT count(*) FROM xem.invocations")
        for code, tool, args in bad:
            result = await client.call_tool(tool, args)
            assert result.is_error and text(result).startswith(f"[{code}] "), text(result)
        big = await client.call_tool("ws__echo", {"msg": "x" * 70_000})
        assert big.is_error and text(big).startswith("[invalid_argument] ")
        assert "msg" in text(await client.call_tool("ws__echo", {"msg": 5}))
        unknown_id = await client.call_tool("get_invocation", {"id": "00000000-0000-0000-0000-000000000000"})
        assert text(unknown_id).startswith("[not_found] ")
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == rows

        notices.count = 0
        agent.kill9()
        await wait_for(lambda: notices.count > 0, what="tools/list_changed after the agent went offline")
        assert "ws__echo" not in await names(client)
        gone = await client.call_tool("invoke", {"workspace": "ws", "tool": "echo", "arguments": {"msg": "x"}})
        assert gone.is_error and text(gone).startswith("[unavailable] "), text(gone)


async def test_progress_streams_and_cancelling_the_request_kills_the_tool_on_the_agent(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    seen: list[str] = []

    async def progress(value, total, message) -> None:
        seen.append(message or "")

    async with xem_client(bus) as client:
        result = await client.call_tool("ws__tick", {"n": 10}, progress_callback=progress)
        assert result.structured_content["state"] == "succeeded", text(result)
        assert len(seen) >= 3 and "tick 0" in "".join(seen)

        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "ws__tick", {"n": 300})
            row = await wait_for(lambda: bus.pool.fetchrow(
                "SELECT id FROM xem.invocations WHERE state = 'running' AND arguments->>'n' = '300'"),
                what="the long tick to run")
            await wait_for(lambda: bus.pool.fetchval("SELECT count(*) >= 2 FROM xem.progress WHERE invocation_id = $1",
                                                     row["id"]), what="two progress frames")
            tg.cancel_scope.cancel()  # the client cancels its request (notifications/cancelled)
        await wait_for(lambda: bus.pool.fetchval("SELECT state = 'cancelled' FROM xem.invocations WHERE id = $1", row["id"]),
                       what="the cancelled invocation to end cancelled")
        status = await bus.pool.fetchval("SELECT result->>'status' FROM xem.invocations WHERE id = $1", row["id"])
        assert status == "killed"
        ticks = await bus.pool.fetchval("SELECT count(*) FROM xem.progress WHERE invocation_id = $1", row["id"])
        assert ticks < 300
