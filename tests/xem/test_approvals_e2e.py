"""Approval gates and idempotency through a real MCP client, a real router and agent, and xeroctl."""

from __future__ import annotations

import json
import re

import anyio
import mcp_types

from tests.xem.bridge import xem_client
from tests.xem.support import wait_for
from tests.xem.test_bridge_e2e import enrolled, text

APPROVAL = re.compile(r"approval ([0-9a-f-]{36}) pending for ws__wipe \(destructive\)")


def wipes(mesh) -> list[str]:
    path = mesh.workspace / "wipes.txt"
    return path.read_text().splitlines() if path.exists() else []


async def test_a_destructive_call_waits_for_an_operator_runs_once_when_approved_and_never_when_rejected(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    async with xem_client(bus) as client:
        first = await client.call_tool("ws__wipe", {"target": "db1", "idempotency_key": "wipe-db1"})
        assert first.is_error and text(first).startswith("[approval_required] "), text(first)
        approval = APPROVAL.search(text(first)).group(1)
        assert f"xeroctl approvals approve {approval}" in text(first)
        listed = mesh.xeroctl("approvals", "list", "--json")
        assert approval in listed.stdout and '"risk": "destructive"' in listed.stdout
        again = await client.call_tool("ws__wipe", {"target": "db1", "idempotency_key": "wipe-db1"})
        assert text(again).startswith("[approval_required] ") and approval in text(again)
        assert wipes(mesh) == []

        done = mesh.xeroctl("approvals", "approve", approval)
        assert done.returncode == 0, done.stderr
        second = mesh.xeroctl("approvals", "reject", approval, "--reason", "too late")
        assert second.returncode != 0 and "[conflict]" in second.stderr and "first decision stands" in second.stderr
        await wait_for(lambda: wipes(mesh) == ["db1"], what="the approved wipe to run")
        outcome = await client.call_tool("ws__wipe", {"target": "db1", "idempotency_key": "wipe-db1"})
        assert outcome.structured_content["state"] == "succeeded", text(outcome)
        assert outcome.structured_content["replayed"] is True
        assert outcome.structured_content["approval"]["decided_by"] == "operator"

        refused = await client.call_tool("ws__wipe", {"target": "db2", "idempotency_key": "wipe-db2"})
        rejected_id = APPROVAL.search(text(refused)).group(1)
        assert mesh.xeroctl("approvals", "reject", rejected_id, "--reason", "not today").returncode == 0
        ended = await client.call_tool("ws__wipe", {"target": "db2", "idempotency_key": "wipe-db2"})
        assert ended.is_error and text(ended).startswith("[approval_rejected] ") and "not today" in text(ended)
        invocation = await bus.pool.fetchval("SELECT invocation_id FROM xem.approvals WHERE id = $1::uuid", rejected_id)
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.dispatches WHERE id = $1", invocation) == 0
        assert str(invocation) not in mesh.procs[-1].text()  # the agent never heard of it
        assert wipes(mesh) == ["db1"]

        policy = mesh.xeroctl("approvals", "policy", "show", "ws")
        assert "destructive  required=true" in policy.stdout and "(default)" in policy.stdout
        assert mesh.xeroctl("approvals", "policy", "set", "ws", "--risk", "destructive", "--no-inline").returncode == 0
        assert "inline=false" in mesh.xeroctl("approvals", "policy", "show", "ws").stdout


async def test_an_elicitation_capable_client_approves_inline_and_declining_does_not_run(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    answers: list[str] = []
    asked: list[str] = []

    async def elicit(_context, params) -> mcp_types.ElicitResult:
        asked.append(params.message)
        action = answers.pop(0)
        return mcp_types.ElicitResult(action=action, content={"approve": True} if action == "accept" else None)

    async with xem_client(bus, elicitation_callback=elicit) as client:
        answers.append("accept")
        ran = await client.call_tool("ws__wipe", {"target": "inline"})
        assert ran.structured_content["state"] == "succeeded", text(ran)
        assert ran.structured_content["approval"]["via"] == "elicitation"
        assert "ws__wipe (destructive)" in asked[0] and '"target": "inline"' in asked[0]
        answers.append("decline")
        declined = await client.call_tool("ws__wipe", {"target": "declined"})
        assert declined.is_error and text(declined).startswith("[approval_rejected] "), text(declined)
        assert wipes(mesh) == ["inline"]


async def test_fifty_concurrent_calls_with_one_key_run_once_and_get_one_answer(bus, mesh):
    mesh.start_router()
    await enrolled(bus, mesh)
    async with xem_client(bus) as client:
        answers: list[dict] = []

        async def call() -> None:
            result = await client.call_tool("ws__echo", {"msg": "once", "idempotency_key": "k-50"})
            assert not result.is_error, text(result)
            answers.append(result.structured_content)

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(call)
        assert len(answers) == 50 and len({a["id"] for a in answers}) == 1
        assert len({json.dumps(a["result"], sort_keys=True) for a in answers}) == 1
        assert {a["state"] for a in answers} == {"succeeded"}
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.dispatches") == 1
        assert await bus.pool.fetchval("SELECT count(*) FROM xem.invocations") == 1
        other = await client.call_tool("ws__echo", {"msg": "twice", "idempotency_key": "k-50"})
        assert other.is_error and text(other).startswith("[idempotency_mismatch] ") and answers[0]["id"] in text(other)
