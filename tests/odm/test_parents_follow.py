"""Parents follow their children (issue 12, point 1): tickets, sprints and projects move to execute and review
and back as their children move, in the child's transaction, reported in effects and recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import asyncpg

from odm.domain.commands import NextTask, SprintCreate, TaskCreate, TicketCreate, TicketUpdate, Transition
from odm.services import OdmServices, claims, projects, tasks, tickets, transitions
from servers import odm
from tests.conftest import connect_client
from tests.odm.graphs import graph as _graph
from tests.odm.graphs import moved as _moved
from tests.odm.graphs import moves as _moves
from tests.odm.graphs import pairs as _pairs
from tests.support.odm import call
from tests.support.wait import wait_for


async def _finish(services: OdmServices, key: str, token: int | None, state: str = "completed") -> list[str]:
    done = await transitions.transition(services, Transition(kind="task", id=key, status="complete", state=state,
                                                             claim_token=token))
    return done.effects


async def test_the_first_claim_starts_the_ticket_its_sprint_and_its_project_and_says_so(services):
    project, sprint, ticket, _ = await _graph(services)
    first = await claims.next_task(services, NextTask(agent_id="a"))
    second = await claims.next_task(services, NextTask(agent_id="b"))
    assert first.effects == [
        f"ticket {ticket} create.draft -> execute.active (one of its tasks is under way (claimed: execute other than "
        "execute.ready, review, test or recover))",
        f"sprint {sprint} create.draft -> execute.active (one of its tickets is in execute)",
        f"project {project} create.draft -> execute.active (one of its tickets is in execute)",
    ]
    assert second.effects == []  # the parents run already: the second claim does not touch them
    assert await _pairs(services, project=project, sprint=sprint, ticket=ticket) == {
        "project": "execute.active", "sprint": "execute.active", "ticket": "execute.active"}


async def test_a_ticket_whose_tasks_all_finish_moves_to_review_and_its_sprint_and_project_follow(services):
    project, sprint, ticket, (t1, t2) = await _graph(services)
    a = await claims.next_task(services, NextTask(agent_id="a"))
    b = await claims.next_task(services, NextTask(agent_id="b"))
    assert a.task is not None and b.task is not None
    first = await _finish(services, t1, a.claim_token)
    assert _moved(first) == [] and (await _pairs(services, ticket=ticket))["ticket"] == "execute.active"
    last = await _finish(services, t2, b.claim_token, "cancelled")
    assert _moved(last) == [f"ticket {ticket} execute.active -> review.ready",
                                                f"sprint {sprint} execute.active -> review.active",
                                                f"project {project} execute.active -> review.active"]
    assert await _moves(services, ticket) == [("lifecycle ticket", "create.draft", "execute.active"),
                                              ("lifecycle ticket", "execute.active", "review.ready")]
    assert await _moves(services, project) == [("lifecycle project", "create.draft", "execute.active"),
                                               ("lifecycle project", "execute.active", "review.active")]


async def test_a_project_stays_in_execute_while_another_of_its_tickets_is_still_running(services):
    project, _, ticket, (t1,) = await _graph(services, 1, sprint=False)
    other = await tickets.create_ticket(services, TicketCreate(project_id=project, title="other"))
    await tasks.create_task(services, TaskCreate(ticket_id=other.id, title="x", objective="o"))
    a = await claims.next_task(services, NextTask(agent_id="a"))
    await claims.next_task(services, NextTask(agent_id="b"))
    effects = await _finish(services, t1, a.claim_token)
    assert _moved(effects) == [f"ticket {ticket} execute.active -> review.ready"]
    assert await _pairs(services, project=project, ticket=other.id) == {"project": "execute.active",
                                                                         "ticket": "execute.active"}


async def test_a_task_added_under_a_ticket_in_review_sends_the_ticket_and_its_parents_back_to_execute(services):
    project, sprint, ticket, (t1,) = await _graph(services, 1)
    a = await claims.next_task(services, NextTask(agent_id="a"))
    await _finish(services, t1, a.claim_token)
    added = await tasks.create_task(services, TaskCreate(ticket_id=ticket, title="more", objective="o"))
    assert added.status_state == "ready.ready"
    assert _moved(added.effects) == [f"ticket {ticket} review.ready -> execute.active",
                                      f"sprint {sprint} review.active -> execute.active",
                                      f"project {project} review.active -> execute.active"]
    assert await _pairs(services, project=project, sprint=sprint, ticket=ticket) == {
        "project": "execute.active", "sprint": "execute.active", "ticket": "execute.active"}


async def test_a_cancelled_task_revived_under_a_ticket_in_review_sends_the_ticket_back_to_execute(services):
    _, _, ticket, (t1, t2) = await _graph(services, 2, sprint=False)
    a = await claims.next_task(services, NextTask(agent_id="a"))
    await _finish(services, t2, None, "cancelled")
    await _finish(services, t1, a.claim_token)
    assert (await _pairs(services, ticket=ticket))["ticket"] == "review.ready"
    revived = await transitions.transition(services, Transition(kind="task", id=t2, status="plan", state="queued",
                                                                override=True, reason="needed after all"))
    assert f"ticket {ticket} review.ready -> execute.active" in _moved(revived.effects)
    assert (await _pairs(services, ticket=ticket))["ticket"] == "execute.active"


async def test_two_concurrent_completions_of_the_last_two_tasks_move_the_ticket_to_review_exactly_once(services, odm_settings):
    _, _, ticket, (t1, t2) = await _graph(services, 2, sprint=False)
    a = await claims.next_task(services, NextTask(agent_id="a"))
    b = await claims.next_task(services, NextTask(agent_id="b"))
    blocker = await asyncpg.connect(odm_settings.odm_dsn)  # holds the ticket so both completions reach it together
    results: dict[str, list[str]] = {}

    async def complete(key: str, token: int | None) -> None:
        results[key] = await _finish(services, key, token)

    async def waiting_on_the_ticket() -> bool:
        await blocker.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is cached
        return await blocker.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 2

    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", ticket)
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(complete, t1, a.claim_token)
                tg.start_soon(complete, t2, b.claim_token)
                await wait_for(waiting_on_the_ticket, what="both completions waiting for the ticket")
                await tx.commit()
    finally:
        await blocker.close()
    moved = [e for effects in results.values() for e in effects if e.startswith(f"ticket {ticket}")]
    assert len(moved) == 1 and moved[0].startswith(f"ticket {ticket} execute.active -> review.ready")
    assert (await _pairs(services, ticket=ticket))["ticket"] == "review.ready"
    assert [m for m in await _moves(services, ticket) if m[2] == "review.ready"] == [
        ("lifecycle ticket", "execute.active", "review.ready")]


async def test_through_mcp_the_last_completion_reports_the_ticket_in_review_and_the_lifecycle_documents_it(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        task = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        claim = await call(client, "next_task", agent_id="a")
        done = await call(client, "transition", kind="task", id=task["id"], status="complete", state="completed",
                          claim_token=claim["claim_token"])
        view = json.loads((await client.read_resource(f"odm://tickets/{ticket['id']}")).contents[0].text)
        described = json.loads((await client.read_resource("odm://lifecycles/ticket")).contents[0].text)
    assert _moved(claim["effects"]) == [f"ticket {ticket['id']} create.draft -> execute.active",
                                                            f"project {project['id']} create.draft -> execute.active"]
    assert _moved(done["effects"]) == [f"ticket {ticket['id']} execute.active -> review.ready",
                                                           f"project {project['id']} execute.active -> review.active"]
    assert view["status_state"] == "review.ready"
    to_review = [r for r in described["automatic"] if r["to"] == "review.ready"]
    assert len(to_review) == 1 and "execute.active" in to_review[0]["from"] and "complete.cancelled" in to_review[0]["when"]
    assert any(r["to"] == "execute.active" and "review.ready" in r["from"] for r in described["automatic"])


async def test_a_ticket_sent_back_to_rework_by_hand_brings_its_project_back_to_execute(services):
    project, _, ticket, (t1,) = await _graph(services, 1, sprint=False)
    a = await claims.next_task(services, NextTask(agent_id="a"))
    await _finish(services, t1, a.claim_token)
    for status, state in (("review", "active"), ("review", "rework")):
        assert _moved((await transitions.transition(services, Transition(kind="ticket", id=ticket, status=status,
                                                                          state=state))).effects) == []
    back = await transitions.transition(services, Transition(kind="ticket", id=ticket, status="execute", state="active"))
    assert _moved(back.effects) == [f"project {project} review.active -> execute.active"]


async def test_a_running_ticket_put_in_a_draft_sprint_starts_the_sprint(services):
    project, _, ticket, _ = await _graph(services, 1, sprint=False)
    await claims.next_task(services, NextTask(agent_id="a"))
    now = datetime.now(UTC)
    sprint = await projects.create_sprint(services, SprintCreate(project_id=project, name="S2", start_date=now,
                                                                 end_date=now + timedelta(days=7)))
    joined = await tickets.update_ticket(services, TicketUpdate(id=ticket, sprint_id=sprint.id))
    assert _moved(joined.effects) == [f"sprint {sprint.id} create.draft -> execute.active"]
    assert (await _pairs(services, sprint=sprint.id))["sprint"] == "execute.active"
