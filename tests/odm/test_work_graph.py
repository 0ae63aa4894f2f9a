"""Projects, tickets and tasks through a real MCP client: numbering, dependencies, gates, spec versions."""

from __future__ import annotations

import json

import anyio
import asyncpg

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, fails


async def _ticket(client, **extra):
    project = await call(client, "create_project", name="XIOPro")
    return project, await call(client, "create_ticket", project_id=project["id"], title="Login", **extra)


async def test_tickets_count_from_1001_and_tasks_use_dot_notation(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project, first = await _ticket(client)
        second = await call(client, "create_ticket", project_id=project["id"], title="Logout")
        tasks = [await call(client, "create_task", ticket_id=second["id"], title=f"t{i}", objective="do it") for i in range(3)]
    assert (first["id"], second["id"]) == ("1001", "1002")
    assert [t["id"] for t in tasks] == ["1002.01", "1002.02", "1002.03"]
    assert first["status_state"] == "create.draft" and first["status"] == "create" and first["state"] == "draft"


async def test_a_sub_project_may_not_have_sub_projects(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        top = await call(client, "create_project", name="XIOPro")
        sub = await call(client, "create_project", name="MVP1", parent_project_id=top["id"])
        error = await fails(client, "create_project", name="deeper", parent_project_id=sub["id"])
    assert sub["parent_project_id"] == top["id"]
    assert error.startswith("[invalid_argument]") and f"use parent_project_id={top['id']}" in error


async def test_a_task_waits_on_its_dependencies_and_becomes_ready_when_they_complete(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        _, ticket = await _ticket(client)
        a = await call(client, "create_task", ticket_id=ticket["id"], title="design", objective="o")
        b = await call(client, "create_task", ticket_id=ticket["id"], title="build", objective="o", depends_on=[a["id"]])
        blocked = await fails(client, "transition", kind="task", id=b["id"], status="ready", state="ready")
        claim = await call(client, "next_task", agent_id="agent-1")
        early = await fails(client, "transition", kind="task", id=b["id"], status="complete", state="completed",
                            override=False)
        done = await call(client, "transition", kind="task", id=a["id"], status="complete", state="completed",
                          claim_token=claim["claim_token"])
        b_now = await client.read_resource(f"odm://tasks/{b['id']}")
    assert a["status_state"] == "ready.ready" and b["status_state"] == "plan.queued" and b["depends_on"] == [a["id"]]
    assert blocked.startswith("[invalid_transition]") and "dependencies are incomplete: 1001.01" in blocked
    assert claim["task"]["id"] == a["id"]
    assert early.startswith("[invalid_transition]")
    assert f"{b['id']} now ready.ready" in done["effects"] and "claim of agent-1 released" in done["effects"]
    assert '"status_state":"ready.ready"' in b_now.contents[0].text and '"blocks":[]' in b_now.contents[0].text


async def test_completing_with_an_incomplete_dependency_is_refused_naming_it(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket = await _ticket(client)
        a = await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o")
        b = await call(client, "create_task", ticket_id=ticket["id"], title="b", objective="o")
        await call(client, "update_task", id=b["id"], depends_on=[a["id"]])
        claims = [await call(client, "next_task", agent_id=f"agent-{i}") for i in range(2)]
        error = await fails(client, "transition", kind="task", id=a["id"], status="execute", state="ready")
        moved = await call(client, "transition", kind="task", id=b["id"], status="complete", state="completed",
                           override=True, reason="done by hand")
    assert claims[0]["task"]["id"] == a["id"] and claims[1]["task"] is None  # b waits on a
    assert error.startswith("[invalid_transition]")
    assert moved["override_record_id"].startswith("ovr-")


async def test_a_dependency_cycle_is_refused_and_the_cycle_named(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket = await _ticket(client)
        a = await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o")
        b = await call(client, "create_task", ticket_id=ticket["id"], title="b", objective="o", depends_on=[a["id"]])
        c = await call(client, "create_task", ticket_id=ticket["id"], title="c", objective="o", depends_on=[b["id"]])
        error = await fails(client, "update_task", id=a["id"], depends_on=[c["id"]])
        self_loop = await fails(client, "update_task", id=a["id"], depends_on=[a["id"]])
        detail = await client.read_resource(f"odm://tasks/{a['id']}")
    assert error == (f"[dependency_cycle] depending on {c['id']} would close the cycle "
                     f"{a['id']} -> {c['id']} -> {b['id']} -> {a['id']} (each depends on the next); "
                     "drop one of these dependencies")
    assert self_loop.startswith("[dependency_cycle]")
    assert '"depends_on":[]' in detail.contents[0].text and f'"blocks":["{b["id"]}"]' in detail.contents[0].text


async def test_a_gated_task_waits_for_a_human_before_any_agent_can_claim_it(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        _, ticket = await _ticket(client)
        risky = await call(client, "create_task", ticket_id=ticket["id"], title="drop table", objective="o",
                           requires_approval=True)
        unclear = await call(client, "create_task", ticket_id=ticket["id"], title="naming", objective="o",
                             requires_human=True)
        nothing = await call(client, "next_task", agent_id="a")
        bypass = await fails(client, "transition", kind="task", id=risky["id"], status="execute", state="active")
        await call(client, "transition", kind="task", id=risky["id"], status="execute", state="ready", reason="approved")
        claimed = await call(client, "next_task", agent_id="a")
    assert risky["status_state"] == "approval.waiting" and unclear["status_state"] == "discussion.waiting"
    assert nothing["task"] is None and "1 approval.waiting" in nothing["note"] and "1 discussion.waiting" in nothing["note"]
    assert bypass.startswith("[invalid_transition]") and "next_task" in bypass
    assert claimed["task"]["id"] == risky["id"]


async def test_a_spec_change_bumps_the_version_and_flags_the_claimed_task_as_stale(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket = await _ticket(client)
        task = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="first")
        claim = await call(client, "next_task", agent_id="a")
        same = await call(client, "update_task", id=task["id"], objective="first", priority="high")
        changed = await call(client, "update_task", id=task["id"], objective="second")
        again = await call(client, "next_task", agent_id="a")
    assert claim["task"]["spec_version"] == 1 and same["spec_version"] == 1 and not same["spec_stale"]
    assert changed["spec_version"] == 2 and changed["spec_stale"] is True
    assert again["renewed"] is True and again["claim_token"] == claim["claim_token"]


async def test_the_same_idempotency_key_returns_the_same_object_and_other_content_is_refused(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project = await call(client, "create_project", name="P", idempotency_key="p-1")
        again = await call(client, "create_project", name="P", idempotency_key="p-1")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T", idempotency_key="k")
        ticket_again = await call(client, "create_ticket", project_id=project["id"], title="T", idempotency_key="k")
        task = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o", idempotency_key="k")
        task_again = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o", idempotency_key="k")
        mismatch = await fails(client, "create_task", ticket_id=ticket["id"], title="other", objective="o",
                               idempotency_key="k")
        next_ticket = await call(client, "create_ticket", project_id=project["id"], title="U")
    assert again == project and ticket_again == ticket and task_again == task
    assert mismatch.startswith("[idempotency_mismatch]") and "new key" in mismatch
    assert next_ticket["id"] == "1002"


async def test_concurrent_creates_number_tickets_and_tasks_without_gaps_or_twins(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        project = await call(client, "create_project", name="P")
        made: list[str] = []

        async def ticket(i: int) -> None:
            made.append((await call(client, "create_ticket", project_id=project["id"], title=f"T{i}"))["id"])

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(12):
                    tg.start_soon(ticket, i)
        tasks: list[str] = []

        async def task(i: int) -> None:
            tasks.append((await call(client, "create_task", ticket_id="1001", title=f"t{i}", objective="o"))["id"])

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(12):
                    tg.start_soon(task, i)
    assert sorted(made) == [str(n) for n in range(1001, 1013)]
    assert sorted(tasks) == [f"1001.{n:02d}" for n in range(1, 13)]


async def test_a_refused_create_leaves_no_gap_in_ticket_numbers(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        project = await call(client, "create_project", name="P")
        await call(client, "create_ticket", project_id=project["id"], title="one")
        await fails(client, "create_ticket", project_id=project["id"], title="bad", topics=["topic-99"])
        two = await call(client, "create_ticket", project_id=project["id"], title="two")
    assert two["id"] == "1002"


async def test_historical_three_digit_tickets_are_imported_as_they_are(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        old = await call(client, "import_ticket", id="069", project_id=project["id"], title="old one",
                         status="complete", state="completed")
        twice = await fails(client, "import_ticket", id="069", project_id=project["id"], title="again")
        four = await fails(client, "import_ticket", id="1001", project_id=project["id"], title="not historical")
        bad_pair = await fails(client, "import_ticket", id="070", project_id=project["id"], title="x",
                               status="complete", state="active")
        await call(client, "import_ticket", id="072", project_id=project["id"], title="still open")
        task = await call(client, "create_task", ticket_id="072", title="t", objective="o")
        closed = await fails(client, "create_task", ticket_id="069", title="t", objective="o")
        new = await call(client, "create_ticket", project_id=project["id"], title="new")
    assert old["id"] == "069" and old["status_state"] == "complete.completed"
    assert twice.startswith("[conflict]") and four.startswith("[invalid_argument]")
    assert bad_pair.startswith("[invalid_argument]") and "complete.active is not a ticket status.state" in bad_pair
    assert task["id"] == "072.01" and closed.startswith("[conflict]")
    assert new["id"] == "1001"


async def test_the_claim_query_uses_the_claimable_partial_index(odm_settings):
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        definition = await conn.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = 'tasks_claimable'")
    finally:
        await conn.close()
    assert "'ready.ready'" in definition and "'execute.ready'" in definition and "claimed_by IS NULL" in definition


async def test_a_task_waiting_on_many_is_released_when_they_complete_concurrently(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket = await _ticket(client)
        parts = [await call(client, "create_task", ticket_id=ticket["id"], title=f"p{i}", objective="o") for i in range(8)]
        join = await call(client, "create_task", ticket_id=ticket["id"], title="join", objective="o",
                          depends_on=[p["id"] for p in parts])
        claims = [await call(client, "next_task", agent_id=f"a{i}") for i in range(8)]

        async def finish(claim) -> None:
            await call(client, "transition", kind="task", id=claim["task"]["id"], status="complete", state="completed",
                       claim_token=claim["claim_token"])

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for claim in claims:
                    tg.start_soon(finish, claim)
        ready = await client.read_resource("odm://ready")
    assert join["status_state"] == "plan.queued"
    assert f'"{join["id"]}"' in ready.contents[0].text


async def test_a_new_dependency_on_a_task_completing_concurrently_never_strands_the_dependent(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket = await _ticket(client)
        firsts = [await call(client, "create_task", ticket_id=ticket["id"], title=f"f{i}", objective="o") for i in range(6)]
        claims = [await call(client, "next_task", agent_id=f"a{i}") for i in range(6)]
        made: list[dict] = []

        async def finish(claim) -> None:
            await call(client, "transition", kind="task", id=claim["task"]["id"], status="complete", state="completed",
                       claim_token=claim["claim_token"])

        async def follow(first) -> None:
            made.append(await call(client, "create_task", ticket_id=ticket["id"], title="next", objective="o",
                                   depends_on=[first["id"]]))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for claim, first in zip(claims, firsts, strict=True):
                    tg.start_soon(finish, claim)
                    tg.start_soon(follow, first)
        states = [json.loads((await client.read_resource(f"odm://tasks/{m['id']}")).contents[0].text)["status_state"]
                  for m in made]
    assert states == ["ready.ready"] * 6
