"""request_subplan through a real MCP client, router and agent: a cap of 3 refuses the fourth call, a tool outside
the scope is refused, closing and expiry are recorded; refused calls dispatch nothing."""

from __future__ import annotations

import sqlite3
import uuid

from tests.xem.bridge import xem_client
from tests.xem.templates_support import add_workspace
from tests.xem.test_bridge_e2e import enrolled, text
from xem import services


async def executions(bus, subplan: str) -> tuple[int, int]:
    """(invocations, dispatches to the agent) under ``subplan``."""
    row = await bus.pool.fetchrow(
        "SELECT count(*) AS invocations, count(d.id) AS dispatched FROM xem.invocations i "
        "LEFT JOIN xem.dispatches d ON d.id = i.id WHERE i.subplan_id = $1::uuid", subplan)
    return row["invocations"], row["dispatched"]


def received_steps(mesh) -> list[str]:
    """The ``msg`` of every dispatch the agent received (its SQLite inbox), read without disturbing it."""
    conn = sqlite3.connect(f"file:{mesh.tmp / 'state-a' / 'queue.sqlite'}?mode=ro", uri=True)
    try:
        payloads = [bytes(p).decode("utf-8", "replace") for (p,) in conn.execute("SELECT payload FROM inbox")]
    finally:
        conn.close()
    return [m for p in payloads for m in ("step 0", "step 1", "step 2", "step 3") if m in p]


async def test_a_subplan_of_three_iterations_refuses_the_fourth_call_and_tools_outside_its_scope(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    await add_workspace(bus, "ws", "p1")
    async with xem_client(bus, toolsets="subplans") as client:
        opened = await client.call_tool("request_subplan", {"workspace": "ws", "template": "incident_triage",
                                                            "tools": ["echo"], "max_iterations": 3})
        plan = opened.structured_content
        assert not opened.is_error and plan["max_iterations"] == 3 and plan["tool_scope"] == ["echo"], text(opened)
        assert plan["template"] == "incident_triage@1 (platform)" and plan["remaining"] == 3

        for i in range(3):
            done = await client.call_tool("ws__echo", {"msg": f"step {i}", "subplan": plan["id"]})
            assert done.structured_content["state"] == "succeeded", text(done)
            assert done.structured_content["subplan"] == plan["id"]
            assert done.structured_content["template"] == "incident_triage@1 (platform)"
        fourth = await client.call_tool("ws__echo", {"msg": "step 3", "subplan": plan["id"]})
        assert fourth.is_error and text(fourth).startswith("[conflict] ") and "3 of its 3 iterations" in text(fourth)
        assert "request_subplan" in text(fourth)
        outside = await client.call_tool("ws__wipe", {"target": "x", "subplan": plan["id"]})
        assert text(outside).startswith("[forbidden] ") and "may call only echo" in text(outside), text(outside)
        also_outside = await client.call_tool("invoke", {"workspace": "ws", "tool": "tick", "arguments": {"n": 1},
                                                         "subplan": plan["id"]})
        assert text(also_outside).startswith("[forbidden] "), text(also_outside)
        assert await executions(bus, plan["id"]) == (3, 3)
        assert sorted(received_steps(mesh)) == ["step 0", "step 1", "step 2"]  # the agent's own queue: 3 executions
        assert await bus.pool.fetchval("SELECT used FROM xem.subplans WHERE id = $1::uuid", plan["id"]) == 3

        closed = await client.call_tool("close_subplan", {"id": plan["id"], "note": "diagnosis done"})
        assert closed.structured_content["close_reason"] == "closed" and closed.structured_content["executions"] == 3
        twice = await client.call_tool("close_subplan", {"id": plan["id"]})
        assert text(twice).startswith("[conflict] "), text(twice)


async def test_subplan_limits_come_from_the_template_and_bad_requests_change_nothing(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    async with xem_client(bus, toolsets="subplans") as client:
        bad = [
            ("forbidden", {"workspace": "ws", "template": "incident_triage", "max_iterations": 6}),  # its cap is 5
            ("forbidden", {"workspace": "ws", "template": "incident_triage", "tools": ["wipe"]}),
            ("not_found", {"workspace": "ws", "template": "no_such_template"}),
            ("invalid_argument", {"workspace": "ws", "tools": ["echo"]}),  # no template: the cap must be given
            ("forbidden", {"workspace": "ws", "tools": ["echo"], "max_iterations": 101}),
        ]
        for code, arguments in bad:
            result = await client.call_tool("request_subplan", arguments)
            assert result.is_error and text(result).startswith(f"[{code}] "), (arguments, text(result))
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.subplans") == 0

        drawn = await client.call_tool("request_subplan", {"workspace": "ws", "template": "incident_triage"})
        assert drawn.structured_content["tool_scope"] == ["echo", "logs*", "status*"], text(drawn)
        assert drawn.structured_content["max_iterations"] == 5
        other_ws = await client.call_tool("invoke", {"workspace": "ops", "tool": "echo", "subplan": drawn.structured_content["id"]})
        assert other_ws.is_error, text(other_ws)
        unknown = await client.call_tool("ws__echo", {"msg": "x", "subplan": str(uuid.uuid4())})
        assert text(unknown).startswith("[not_found] "), text(unknown)
        not_an_id = await client.call_tool("ws__echo", {"msg": "x", "subplan": "nope"})
        assert text(not_an_id).startswith("[invalid_argument] "), text(not_an_id)

        # expiry: past its TTL a sub-plan refuses calls, and the sweep records when it expired
        sid = drawn.structured_content["id"]
        await bus.pool.execute("UPDATE xem.subplans SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", sid)
        expired = await client.call_tool("ws__echo", {"msg": "late", "subplan": sid})
        assert text(expired).startswith("[conflict] ") and "expired" in text(expired), text(expired)
        assert await services.expire_subplans(bus.xem) == 1
        row = await bus.pool.fetchrow("SELECT close_reason, closed_at = expires_at AS at_expiry, used FROM xem.subplans "
                                      "WHERE id = $1::uuid", sid)
        assert tuple(row) == ("expired", True, 0)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations WHERE subplan_id IS NOT NULL") == 0
