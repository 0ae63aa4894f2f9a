"""Dispatch, results exactly once across kill -9 of either side, and parameter injection, with real processes."""

from __future__ import annotations

import json

import psutil

from tests.xem.support import Mesh, wait_for
from xem import services


async def _enrolled(bus, mesh: Mesh, label: str = "a", name: str = "xem-a"):
    agent = mesh.start_agent(mesh.agent_config(label, name, mesh.join_key()), label)
    await wait_for(lambda: bus.pool.fetchval(
        "SELECT state = 'online' AND last_lease_at > enrolled_at FROM xem.agents WHERE name = $1", name),
        what=f"{name} to enroll and renew (it has recorded its enrollment)")
    return agent


async def _result(bus, invocation_id) -> dict:
    async def done():
        row = await bus.pool.fetchrow("SELECT state, result FROM xem.dispatches WHERE id = $1", invocation_id)
        return row if row["state"] in ("completed", "ambiguous") else None

    row = await wait_for(done, what=f"the result of {invocation_id}")
    return json.loads(row["result"])


INERT = ["; rm -rf ws", "$(touch pwned)", "`touch pwned`", "a && touch pwned", "x | tee pwned"]
REFUSED = [({"msg": "--flag"}, "may not start with '-'"), ({"msg": "-rf"}, "may not start with '-'"),
           ({"msg": "x", "path": "../"}, "leaves the workspace root"),
           ({"msg": "x", "path": "/etc/passwd"}, "leaves the workspace root")]


async def test_shell_syntax_in_a_parameter_reaches_the_tool_as_inert_text_with_progress(bus, mesh):
    mesh.start_router()
    await _enrolled(bus, mesh)
    for value in INERT:
        dispatch = await services.create_dispatch(bus.xem, "xem-a", "ws", "echo", {"msg": value})
        result = await _result(bus, dispatch.invocation_id)
        assert result["status"] == "succeeded", result
        assert json.loads(result["stdout"]) == [value]
        progress = await bus.pool.fetch("SELECT data FROM xem.progress WHERE invocation_id = $1 ORDER BY seq",
                                        dispatch.invocation_id)
        assert "".join(r["data"] for r in progress) == result["stdout"]
    assert not list(mesh.tmp.rglob("pwned")) and mesh.workspace.exists()


async def test_option_and_path_escape_attempts_are_refused_by_the_agent(bus, mesh):
    mesh.start_router()
    await _enrolled(bus, mesh)
    for params, reason in REFUSED:
        dispatch = await services.create_dispatch(bus.xem, "xem-a", "ws", "echo", params)
        result = await _result(bus, dispatch.invocation_id)
        assert result["status"] == "refused" and reason in result["error"], (params, result)
    assert await bus.pool.fetchval("SELECT count(*) FROM xem.progress") == 0


async def test_kill9_of_the_agent_holding_an_unacked_result_then_restart_delivers_it_exactly_once(bus, mesh):
    router = mesh.start_router()
    agent = await _enrolled(bus, mesh)
    dispatch = await services.create_dispatch(bus.xem, "xem-a", "ws", "gate", {})
    runs = mesh.workspace / "runs.txt"
    await wait_for(lambda: _true(runs.exists()), what="the tool to start")
    router.kill9()  # nobody will acknowledge the result now
    (mesh.workspace / "release").touch()
    stored = await wait_for(lambda: _true([r for r in mesh.outbox("a") if r[1] == "result"]),
                            what="the result to be stored in the agent's queue")
    agent.kill9()
    mesh.start_router()
    mesh.start_agent(mesh.tmp / "agent-a.toml", "a")
    result = await _result(bus, dispatch.invocation_id)
    assert result["status"] == "succeeded" and result["stdout"] == "done\n"
    assert result["id"] == stored[0][0]  # the very frame stored before the crash
    assert await bus.pool.fetchval("SELECT result_frame_id::text FROM xem.dispatches") == stored[0][0]
    await wait_for(lambda: _true(not [r for r in mesh.outbox("a") if r[1] == "result"]),
                   what="the acknowledged result to leave the agent's queue")
    assert runs.read_text() == "run\n"  # the tool ran once


async def test_kill9_of_the_agent_while_a_mutation_runs_reports_it_ambiguous_after_restart(bus, mesh):
    mesh.start_router()
    agent = await _enrolled(bus, mesh)
    dispatch = await services.create_dispatch(bus.xem, "xem-a", "ws", "gate", {})
    await wait_for(lambda: _true((mesh.workspace / "runs.txt").exists()), what="the tool to start")
    agent.kill9()
    mesh.start_agent(mesh.tmp / "agent-a.toml", "a")
    result = await _result(bus, dispatch.invocation_id)
    assert result["status"] == "interrupted" and result["mutating"] is True
    assert await bus.pool.fetchval("SELECT state FROM xem.dispatches") == "ambiguous"
    assert (mesh.workspace / "runs.txt").read_text() == "run\n"  # not run a second time


async def test_stopping_the_agent_stops_its_running_tool_and_the_mutation_is_ambiguous_after_restart(bus, mesh):
    mesh.start_router()
    agent = await _enrolled(bus, mesh)
    dispatch = await services.create_dispatch(bus.xem, "xem-a", "ws", "gate", {})
    pid_file = mesh.workspace / "pid"
    await wait_for(lambda: _true(pid_file.exists() and pid_file.read_text()), what="the tool to start")
    tool = psutil.Process(int(pid_file.read_text()))
    agent.stop()  # SIGTERM
    await wait_for(lambda: _true(not tool.is_running() or tool.status() == psutil.STATUS_ZOMBIE), what="the tool to be killed")
    mesh.start_agent(mesh.tmp / "agent-a.toml", "a")
    result = await _result(bus, dispatch.invocation_id)
    assert result["status"] == "interrupted"
    assert await bus.pool.fetchval("SELECT state FROM xem.dispatches") == "ambiguous"


async def test_kill9_of_the_router_then_restart_agents_reconnect_and_renewals_resume(bus, mesh):
    router = mesh.start_router()
    await _enrolled(bus, mesh)
    router.kill9()
    restarted = await bus.pool.fetchval("SELECT now()")
    mesh.start_router()
    await wait_for(lambda: bus.pool.fetchval("SELECT last_lease_at > $1 FROM xem.agents", restarted),
                   what="a renewal after the router restarted")
    dispatch = await services.create_dispatch(bus.xem, "xem-a", "ws", "echo", {"msg": "after"})
    assert json.loads((await _result(bus, dispatch.invocation_id))["stdout"]) == ["after"]


async def test_a_stopped_agent_goes_offline_after_three_missed_renewals(bus, mesh):
    mesh.start_router()
    agent = await _enrolled(bus, mesh)
    agent.kill9()
    await wait_for(lambda: bus.pool.fetchval("SELECT state = 'offline' FROM xem.agents"), what="the agent to go offline")
    gap = await bus.pool.fetchval("SELECT extract(epoch FROM now() - last_lease_at) FROM xem.agents")
    assert gap >= 3 * 0.150


async def _true(value):
    return value
