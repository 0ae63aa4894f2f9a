"""Lost agents: a destructive invocation in flight becomes ambiguous (Bus alert and todo), a late result from the
agent's queue settles it, an operator resolves one that never reports; a read is re-dispatched to another agent;
a second xem-mcp process (stdio) sees the same tools and reads an invocation started in the first."""

from __future__ import annotations

import sys
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from servers import bus as bus_server
from tests.conftest import connect_client
from tests.xem.bridge import bridge_settings, xem_client
from tests.xem.support import wait_for
from tests.xem.test_bridge_e2e import enrolled, text


async def _true(value):
    return value


async def bus_todos(bus) -> list[dict]:
    """Run the Bus attention scan (as bus-mcp's scanner does every 60 s) and list the open todos."""
    async with connect_client(bus_server.SPEC, bridge_settings(bus), toolsets="ops") as client:
        await client.call_tool("scan_now", {"force": True})
        listed = await client.call_tool("list_todos", {"status": "active"})
        return listed.structured_content["items"]


async def test_kill9_mid_destructive_call_is_ambiguous_settled_by_the_late_result_or_resolved_by_an_operator(
        bus, mesh, monkeypatch):
    monkeypatch.setenv("XIOPRO_XEM_CALL_WAIT_S", "0.5")
    router = mesh.start_router()
    agent = await enrolled(bus, mesh)
    assert mesh.xeroctl("approvals", "policy", "set", "ws", "--risk", "destructive", "--not-required").returncode == 0
    runs, release = mesh.workspace / "runs.txt", mesh.workspace / "release"
    async with xem_client(bus) as client:
        started = await client.call_tool("ws__drop", {})
        assert started.structured_content["state"] in ("dispatched", "running"), text(started)
        assert "get_invocation" in started.structured_content["next_step"]
        first = started.structured_content["id"]
        await wait_for(lambda: _true(runs.exists()), what="the destructive tool to start")
        router.kill9()  # nobody acknowledges the result now: it stays in the agent's queue
        release.touch()
        await wait_for(lambda: _true([r for r in mesh.outbox("a") if r[1] == "result"]), what="the result in the queue")
        agent.kill9()
        mesh.start_router()
        await wait_for(lambda: bus.pool.fetchval("SELECT state = 'ambiguous' FROM xem.invocations WHERE id = $1::uuid", first),
                       what="the invocation to become ambiguous once the agent is offline")
        got = await client.call_tool("get_invocation", {"id": first})
        assert got.structured_content["state"] == "ambiguous"
        todos = await bus_todos(bus)
        assert any(first in t["title"] for t in todos), todos
        listed = mesh.xeroctl("invocations", "list", "--state", "ambiguous")
        assert first in listed.stdout

        agent = mesh.start_agent(mesh.tmp / "agent-a.toml", "a")  # its queue still holds the result
        await wait_for(lambda: bus.pool.fetchval("SELECT state = 'succeeded' FROM xem.invocations WHERE id = $1::uuid", first),
                       what="the late result to settle the ambiguous invocation")
        settled = (await client.call_tool("get_invocation", {"id": first})).structured_content
        assert settled["late_result"] is True and settled["result"]["stdout"] == "done\n"
        assert runs.read_text() == "run\n"  # not run again
        assert not any(first in t["title"] for t in await bus_todos(bus))

        await wait_for(lambda: bus.pool.fetchval("SELECT state = 'online' FROM xem.agents"), what="the agent back online")
        release.unlink()
        second = (await client.call_tool("ws__drop", {})).structured_content["id"]
        await wait_for(lambda: _true(runs.read_text() == "run\nrun\n"), what="the second run to start")
        agent.kill9()
        await wait_for(lambda: bus.pool.fetchval("SELECT state = 'ambiguous' FROM xem.invocations WHERE id = $1::uuid", second),
                       what="the second invocation to become ambiguous")
        bad = mesh.xeroctl("invocations", "resolve", first, "--outcome", "failed", "--note", "x")
        assert bad.returncode != 0 and "[invalid_transition]" in bad.stderr
        done = mesh.xeroctl("invocations", "resolve", second, "--outcome", "failed", "--note", "checked: nothing dropped")
        assert done.returncode == 0, done.stderr
        resolved = (await client.call_tool("get_invocation", {"id": second})).structured_content
        assert resolved["state"] == "failed" and resolved["resolution"]["note"] == "checked: nothing dropped"
        again = mesh.xeroctl("invocations", "resolve", second, "--outcome", "succeeded", "--note", "y")
        assert again.returncode != 0 and "[conflict]" in again.stderr
    release.touch()  # let the orphaned tool of the killed agent end


async def test_a_read_on_a_lost_agent_is_redispatched_and_a_stdio_bridge_reads_the_same_invocation(bus, mesh, monkeypatch):
    monkeypatch.setenv("XIOPRO_XEM_CALL_WAIT_S", "0.5")
    mesh.start_router()
    first = await enrolled(bus, mesh, "a", "xem-a")
    await enrolled(bus, mesh, "b", "xem-b")
    async with xem_client(bus) as client:
        started = (await client.call_tool("ws__tick", {"n": 20})).structured_content
        assert started["agent"] == "xem-a"  # least in flight, then by name
        await wait_for(lambda: bus.pool.fetchval("SELECT count(*) > 0 FROM xem.progress WHERE invocation_id = $1::uuid",
                                                 started["id"]), what="the tick to run on xem-a")
        first.kill9()
        done = await wait_for(lambda: bus.pool.fetchrow(
            "SELECT agent_name, redispatches FROM xem.invocations WHERE id = $1::uuid AND state = 'succeeded'", started["id"]),
            what="the read to be re-dispatched to xem-b and finish")
        assert done["agent_name"] == "xem-b" and done["redispatches"] == 1

        env = {**mesh.env, "XIOPRO_LOG_LEVEL": "WARNING"}
        params = StdioServerParameters(command=str(Path(sys.executable).parent / "xem-mcp"), args=[], env=env)
        async with Client(params, mode="legacy") as other:
            listed = {t.name for t in (await other.list_tools()).tools}
            assert {"ws__echo", "ws__tick", "ws__wipe"} <= listed
            seen = await other.call_tool("get_invocation", {"id": started["id"]})
            assert seen.structured_content["state"] == "succeeded" and seen.structured_content["agent"] == "xem-b"
            ran = await other.call_tool("ws__echo", {"msg": "from stdio"})
            assert ran.structured_content["state"] == "succeeded", text(ran)
        mine = await client.call_tool("get_invocation", {"id": ran.structured_content["id"]})
        assert mine.structured_content["result"] == ran.structured_content["result"]
