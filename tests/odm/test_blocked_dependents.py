"""A dependency that ends without completing (issue 12, point 2): its dependents are blocked with the reason,
told in effects, shown in the ticket and the feed, and released by removing the dependency or reviving it."""

from __future__ import annotations

import json

from mcp import Client

from odm.domain.commands import EvolveTicket, NextTask, TaskCreate, TaskUpdate, Transition
from odm.services import claims, evolution, tasks, transitions
from servers import odm
from tests.conftest import connect_client
from tests.odm.graphs import graph as _graph
from tests.odm.graphs import moves as _moves
from tests.support.odm import call


async def _read(client: Client, uri: str) -> dict:
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def _cancel(svc, key: str) -> list[str]:
    return (await transitions.transition(svc, Transition(kind="task", id=key, status="complete", state="cancelled"))).effects


async def test_cancelling_a_dependency_blocks_its_dependents_and_names_them_in_effects(services):
    _, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    second = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="then", objective="o", depends_on=[first]))
    third = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="also", objective="o", depends_on=[first]))
    effects = await _cancel(services, first)
    blocked = await tasks.get_task(services, second.id)
    assert [e for e in effects if "blocked" in e] == [
        f"{second.id} blocked (plan.blocked): depends on {first} (complete.cancelled), which will not complete",
        f"{third.id} blocked (plan.blocked): depends on {first} (complete.cancelled), which will not complete"]
    assert blocked.status_state == "plan.blocked" and blocked.blocked_reason is not None
    assert blocked.blocked_reason.startswith(f"depends on {first} (complete.cancelled), which will not complete")
    assert (await claims.next_task(services, NextTask(agent_id="a"))).task is None  # nothing runnable
    assert await _moves(services, second.id) == [("lifecycle task", "plan.queued", "plan.blocked")]


async def test_removing_the_dead_dependency_releases_the_blocked_task_and_says_so(services):
    _, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    second = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="then", objective="o", depends_on=[first]))
    await _cancel(services, first)
    released = await tasks.update_task(services, TaskUpdate(id=second.id, depends_on=[]))
    assert released.status_state == "ready.ready"
    assert released.effects == [f"{second.id} released from plan.blocked to ready.ready "
                                "(its dead dependencies were removed from depends_on)"]
    assert (await claims.next_task(services, NextTask(agent_id="a"))).task.id == second.id


async def test_reviving_the_cancelled_dependency_puts_its_dependents_back_to_wait_for_it(services):
    _, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    second = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="then", objective="o", depends_on=[first]))
    await _cancel(services, first)
    revived = await transitions.transition(services, Transition(kind="task", id=first, status="plan", state="queued",
                                                                override=True, reason="needed after all"))
    assert f"{second.id} released from plan.blocked to plan.queued ({first} revived to plan.queued)" in revived.effects
    assert (await tasks.get_task(services, second.id)).status_state == "plan.queued"


async def test_a_task_created_on_a_cancelled_dependency_starts_blocked(services):
    _, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    await _cancel(services, first)
    late = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="late", objective="o", depends_on=[first]))
    assert late.status_state == "plan.blocked"
    assert late.effects == [f"{late.id} blocked (plan.blocked): depends on {first} (complete.cancelled), which will not complete"]


async def test_cancelling_a_ticket_blocks_the_tasks_of_other_tickets_that_depend_on_its_tasks(services):
    project, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    _, _, other, _ = await _graph(services, 0, sprint=False)
    waiting = await tasks.create_task(services, TaskCreate(ticket_id=other, title="w", objective="o", depends_on=[first]))
    result = await evolution.evolve_ticket(services, EvolveTicket(ticket_id=ticket, action="cancel", reason="dropped"))
    assert f"{waiting.id} blocked (plan.blocked): depends on {first} (complete.cancelled), which will not complete" in result.effects
    revived = await evolution.evolve_ticket(services, EvolveTicket(ticket_id=ticket, action="revive", reason="back"))
    assert f"{waiting.id} released from plan.blocked to plan.queued ({first} revived to ready.ready)" in revived.effects
    assert (await tasks.get_task(services, waiting.id)).status_state == "plan.queued"


async def test_through_mcp_a_cancelled_dependency_shows_the_blocked_task_in_the_ticket_and_the_feed(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        first = await call(client, "create_task", ticket_id=ticket["id"], title="first", objective="o")
        second = await call(client, "create_task", ticket_id=ticket["id"], title="second", objective="o",
                            depends_on=[first["id"]])
        cancelled = await call(client, "transition", kind="task", id=first["id"], status="complete", state="cancelled")
        view = await _read(client, f"odm://tickets/{ticket['id']}")
        feed = await _read(client, "odm://feeds/tasks?status_state=plan.blocked")
        released = await call(client, "update_task", id=second["id"], depends_on=[])
        after = await _read(client, "odm://feeds/tasks?status_state=plan.blocked")
    assert cancelled["effects"] == [f"{second['id']} blocked (plan.blocked): depends on {first['id']} (complete.cancelled), "
                                    "which will not complete"]
    shown = {t["id"]: t for t in view["tasks"]}[second["id"]]
    assert shown["status_state"] == "plan.blocked" and first["id"] in shown["blocked_reason"]
    assert [(t["id"], first["id"] in t["blocked_reason"]) for t in feed["items"]] == [(second["id"], True)]
    assert released["status_state"] == "ready.ready" and released["effects"][0].startswith(f"{second['id']} released")
    assert after["items"] == []


async def test_a_dependency_that_fails_blocks_its_dependents_too(services):
    _, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    second = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="then", objective="o", depends_on=[first]))
    claim = await claims.next_task(services, NextTask(agent_id="a"))
    effects: list[str] = []
    for status, state in (("recover", "ready"), ("recover", "failed"), ("complete", "failed")):
        effects += (await transitions.transition(services, Transition(kind="task", id=first, status=status, state=state,
                                                                      claim_token=claim.claim_token))).effects
    assert f"{second.id} blocked (plan.blocked): depends on {first} (complete.failed), which will not complete" in effects
    assert (await tasks.get_task(services, second.id)).status_state == "plan.blocked"


async def test_a_blocked_task_of_a_deferred_ticket_is_paused_and_blocked_again_when_the_ticket_is_revived(services):
    _, _, ticket, (first,) = await _graph(services, 1, sprint=False)
    _, _, other, _ = await _graph(services, 0, sprint=False)
    waiting = await tasks.create_task(services, TaskCreate(ticket_id=other, title="w", objective="o", depends_on=[first]))
    await _cancel(services, first)
    await evolution.evolve_ticket(services, EvolveTicket(ticket_id=other, action="defer", reason="later"))
    assert (await tasks.get_task(services, waiting.id)).status_state == "plan.paused"
    revived = await evolution.evolve_ticket(services, EvolveTicket(ticket_id=other, action="revive", reason="now"))
    assert f"{waiting.id} blocked (plan.blocked): depends on {first} (complete.cancelled), which will not complete" in revived.effects
