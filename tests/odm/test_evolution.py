"""Ticket evolution (§11): every action writes a lineage record; plans and tasks move with the work."""

from __future__ import annotations

import json

import asyncpg
import pytest

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, fails


async def _ticket(client, tasks: int = 3, **extra):
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="Big", **extra)
    made = []
    for i in range(tasks):
        deps = [made[-1]["id"]] if made else []
        made.append(await call(client, "create_task", ticket_id=ticket["id"], title=f"t{i}", objective="o", depends_on=deps))
    return project, ticket, made


async def _detail(client, ticket_id: str) -> dict:
    return json.loads((await client.read_resource(f"odm://tickets/{ticket_id}")).contents[0].text)


async def test_split_makes_dot_numbered_sub_tickets_whose_plans_sum_to_the_whole(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        _, ticket, made = await _ticket(client, plan_cost=10, plan_duration=90)
        result = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="split", reason="two pieces",
                            parts=[{"title": "front", "task_ids": [made[0]["id"]], "plan_cost": 4},
                                   {"title": "back", "task_ids": [made[1]["id"], made[2]["id"]]}])
        source, front, back = [await _detail(client, k) for k in ("1001", "1001.1", "1001.2")]
        moved = json.loads((await client.read_resource(f"odm://tasks/{made[2]['id']}")).contents[0].text)
    assert result["target_ticket_ids"] == ["1001.1", "1001.2"]
    assert result["task_ids"] == [t["id"] for t in made]
    plans = {t["id"]: t["plan_cost"] for t in result["tickets"]}
    assert plans == {"1001": 0.0, "1001.1": 4.0, "1001.2": 6.0} and sum(plans.values()) == 10
    assert sum(t["plan_duration"] for t in result["tickets"]) == 90
    assert [t["id"] for t in front["tasks"]] == [made[0]["id"]] and len(back["tasks"]) == 2 and source["tasks"] == []
    assert front["parent_ticket_id"] == "1001" and source["sub_ticket_ids"] == ["1001.1", "1001.2"]
    assert moved["ticket_id"] == "1001.2" and moved["depends_on"] == [made[1]["id"]]  # ids and edges intact
    assert [e["action"] for e in front["lineage"]] == ["split"] and front["lineage"][0]["id"] == result["id"]


async def test_spawn_subticket_carves_out_only_what_it_is_given(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket, made = await _ticket(client, tasks=1, plan_cost=10)
        spawned = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="spawn_subticket", reason="side",
                             parts=[{"title": "side quest", "plan_cost": 2.5}])
        task = await call(client, "create_task", ticket_id="1001.1", title="side", objective="o")
        two = await fails(client, "evolve_ticket", ticket_id=ticket["id"], action="spawn_subticket", reason="x",
                          parts=[{"title": "a"}, {"title": "b"}])
        greedy = await fails(client, "evolve_ticket", ticket_id=ticket["id"], action="split", reason="x",
                             parts=[{"title": "a", "plan_cost": 7}, {"title": "b", "plan_cost": 1}])
        foreign = await fails(client, "evolve_ticket", ticket_id="1001.1", action="split", reason="x",
                              parts=[{"title": "a", "task_ids": [made[0]["id"]]}, {"title": "b"}])
    assert {t["id"]: t["plan_cost"] for t in spawned["tickets"]} == {"1001": 7.5, "1001.1": 2.5}
    assert task["id"] == "1001.1.01"
    assert two.startswith("[invalid_argument]") and "exactly 1 part" in two
    assert greedy.startswith("[invalid_argument]") and "ticket has 7.5" in greedy
    assert foreign.startswith("[invalid_argument]") and "not in ticket 1001.1" in foreign


async def test_merge_moves_tasks_and_plan_and_keeps_both_lineages(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project, source, made = await _ticket(client, tasks=2, plan_cost=3)
        target = await call(client, "create_ticket", project_id=project["id"], title="Keeper", plan_cost=5)
        await call(client, "evolve_ticket", ticket_id=source["id"], action="spawn_subticket", reason="earlier history",
                   parts=[{"title": "child"}])
        merged = await call(client, "evolve_ticket", ticket_id=source["id"], action="merge", reason="duplicate",
                            target_ticket_id=target["id"])
        kept = await _detail(client, target["id"])
        gone = await _detail(client, source["id"])
        again = await fails(client, "evolve_ticket", ticket_id=source["id"], action="merge", reason="x",
                            target_ticket_id=target["id"])
        itself = await fails(client, "evolve_ticket", ticket_id=target["id"], action="merge", reason="x",
                             target_ticket_id=target["id"])
    assert {t["id"]: (t["status_state"], t["plan_cost"]) for t in merged["tickets"]} == {
        source["id"]: ("complete.cancelled", 0.0), target["id"]: ("create.draft", 8.0)}
    assert [t["id"] for t in kept["tasks"]] == [t["id"] for t in made] and gone["tasks"] == []
    assert [e["action"] for e in kept["lineage"]] == ["spawn_subticket", "merge"]  # the source's history came along
    assert [e["action"] for e in gone["lineage"]] == ["spawn_subticket", "merge"]
    assert again.startswith("[invalid_transition]") and itself.startswith("[invalid_argument]")


async def test_defer_pauses_the_tasks_and_revive_restores_them(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket, made = await _ticket(client)
        claim = await call(client, "next_task", agent_id="a")
        deferred = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="defer", reason="not now")
        paused = await _detail(client, ticket["id"])
        nothing = await call(client, "next_task", agent_id="b")
        stale = await fails(client, "update_task", id=made[0]["id"], claim_token=claim["claim_token"], title="x")
        late = await call(client, "create_task", ticket_id=ticket["id"], title="late", objective="o")
        revived = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="revive", reason="now")
        back = await _detail(client, ticket["id"])
        resumed = await call(client, "next_task", agent_id="b")
    assert deferred["tickets"][0]["status_state"] == "plan.waiting"
    assert [t["status_state"] for t in paused["tasks"]] == ["execute.paused", "plan.paused", "plan.paused"]
    assert nothing["task"] is None and stale.startswith("[conflict]") and late["status_state"] == "plan.paused"
    assert revived["tickets"][0]["status_state"] == "plan.queued" and revived["task_ids"] == [t["id"] for t in made]
    assert [t["status_state"] for t in back["tasks"]] == ["execute.ready", "plan.queued", "plan.queued", "plan.paused"]
    assert resumed["task"]["id"] == made[0]["id"] and resumed["claim_token"] > claim["claim_token"]


async def test_cancel_cancels_open_tasks_and_revive_brings_them_back(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        _, ticket, made = await _ticket(client)
        await call(client, "next_task", agent_id="a")
        await call(client, "transition", kind="task", id=made[0]["id"], status="complete", state="completed")
        plain = await fails(client, "transition", kind="ticket", id=ticket["id"], status="complete", state="cancelled")
        cancelled = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="cancel", reason="dropped")
        after = await _detail(client, ticket["id"])
        add = await fails(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        revived = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="revive", reason="back")
        back = await _detail(client, ticket["id"])
        twice = await fails(client, "evolve_ticket", ticket_id=ticket["id"], action="revive", reason="again")
    assert plain.startswith("[invalid_transition]") and "evolve_ticket with action=cancel" in plain
    assert cancelled["task_ids"] == [made[1]["id"], made[2]["id"]]
    assert [t["status_state"] for t in after["tasks"]] == ["complete.completed", "complete.cancelled", "complete.cancelled"]
    assert add.startswith("[conflict]") and "revive" in add
    assert revived["tickets"][0]["status_state"] == "plan.queued"
    assert [t["status_state"] for t in back["tasks"]] == ["complete.completed", "ready.ready", "plan.queued"]
    assert twice.startswith("[invalid_transition]")


async def test_reassign_moves_the_ticket_and_its_tasks_to_another_project_and_sprint(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project, ticket, made = await _ticket(client, tasks=1)
        other = await call(client, "create_project", name="Other")
        sprint = await call(client, "create_sprint", project_id=other["id"], name="S", start_date="2026-01-01T00:00:00Z",
                            end_date="2026-01-14T00:00:00Z")
        wrong = await fails(client, "evolve_ticket", ticket_id=ticket["id"], action="reassign", reason="x",
                            sprint_id=sprint["id"])
        moved = await call(client, "evolve_ticket", ticket_id=ticket["id"], action="reassign", reason="belongs there",
                           project_id=other["id"], sprint_id=sprint["id"])
        listed = await call(client, "list_tickets", sprint_id=sprint["id"])
        tasks = await call(client, "list_tasks", project_id=other["id"])
        extra = await fails(client, "evolve_ticket", ticket_id=ticket["id"], action="defer", reason="x",
                            project_id=other["id"])
    assert wrong.startswith("[invalid_argument]") and "belongs to project" in wrong
    assert moved["action"] == "reassign" and moved["task_ids"] == [made[0]["id"]]
    assert [t["id"] for t in listed["items"]] == [ticket["id"]] and listed["items"][0]["project_id"] == other["id"]
    assert [t["id"] for t in tasks["items"]] == [made[0]["id"]]
    assert extra.startswith("[invalid_argument]") and "only for action reassign" in extra


async def test_evolution_records_are_append_only_in_the_database(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket, _ = await _ticket(client, tasks=1)
        await call(client, "evolve_ticket", ticket_id=ticket["id"], action="defer", reason="later")
        await call(client, "transition", kind="ticket", id=ticket["id"], status="archive", state="archived",
                   override=True, reason="cleanup")
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        for statement in ("UPDATE ticket_evolutions SET reason = 'rewritten'", "DELETE FROM ticket_evolutions",
                          "UPDATE override_records SET reason = 'rewritten'", "DELETE FROM override_records"):
            with pytest.raises(asyncpg.ObjectNotInPrerequisiteStateError, match="append-only"):
                await conn.execute(statement)
        await conn.execute("UPDATE override_records SET revoked = true, revoked_by = 'user-1', revoked_at = now()")
    finally:
        await conn.close()
