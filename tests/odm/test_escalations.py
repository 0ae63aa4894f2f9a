"""escalate and decide through an MCP client: the gates, the §5.6 resume rule per decision type, immutability
in the database, one winner among concurrent deciders, expiry, the resources and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import asyncpg
import pytest
from mcp.shared.exceptions import MCPError

from servers import odm
from servers.runtime.database import Target, prepare_database
from tests.conftest import connect_client
from tests.servers.app.test_http_auth import client_with, new_key
from tests.support.http import serve_http
from tests.support.odm import call, data_fingerprint, fails
from tests.support.wait import wait_for


async def _claimed_task(client, *, agent: str = "101", **task) -> str:
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
    created = await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o", **task)
    claimed = await call(client, "next_task", agent_id=agent)
    assert claimed["task"]["id"] == created["id"]
    return created["id"]


async def _read(client, uri: str):
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def test_escalate_puts_a_working_task_in_discussion_and_approval_waits_for_approval(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="Which database?", questions=["PG or SQLite?"],
                         options=["pg", "sqlite"], recommended_option="pg", urgency="high")
        detail = await _read(client, f"odm://tasks/{task}")
        listed = await _read(client, "odm://escalations?status=open")
        one = await _read(client, f"odm://escalations/{esc['id']}")
        lifecycle = await _read(client, "odm://lifecycles/escalation")
    assert esc["status_state"] == "discussion.waiting"
    assert esc["effects"] == [f"task {task} moved from execute.active to discussion.waiting"]
    assert one["allowed_decisions"] == ["answer", "redirect", "constrain", "reject", "postpone"]
    assert detail["status_state"] == "discussion.waiting" and detail["claimed_by"] == "101"
    assert [i["id"] for i in listed["items"]] == [esc["id"]] and one["options"] == ["pg", "sqlite"]
    assert lifecycle["initial"] == "create.queued" and "complete.expired" in lifecycle["pairs"]


async def test_approve_resumes_the_holder_and_a_second_decision_is_a_conflict(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="Deploy to prod?", trigger_type="requires_approval",
                         options=["yes", "no"])
        decided = await call(client, "decide", escalation_id=esc["id"], decision_type="approve", selected_option="yes",
                             created_by="founder")
        again = await fails(client, "decide", escalation_id=esc["id"], decision_type="reject", created_by="founder")
        detail = await _read(client, f"odm://tasks/{task}")
        after = await _read(client, f"odm://escalations/{esc['id']}")
    assert esc["status_state"] == "approval.waiting" and esc["effects"][0].endswith("to approval.waiting")
    assert decided["status_state"] == "complete.completed" and after["resolved_at"] is not None
    assert decided["effects"][0] == "human decision dec-1 recorded"
    assert after["decisions"][0]["task_resumed_to"] == "execute.active" and detail["status_state"] == "execute.active"
    assert after["decisions"][0]["selected_option"] == "yes" and after["decisions"][0]["created_by"] == "founder"
    assert again.startswith("[conflict] escalation esc-1 was already decided (approve by founder")


@pytest.mark.parametrize("decision, extra, resumed, claimed", [
    ("answer", {"message": "use pg"}, "execute.active", "101"),
    ("constrain", {"constraints": ["no new dependencies"]}, "execute.active", "101"),
    ("redirect", {"message": "do it in the router instead"}, "execute.ready", None),
    ("reject", {}, "complete.cancelled", None),
    ("reject", {"reject_to": "rework", "message": "too broad, narrow it"}, "execute.active", "101"),
])
async def test_each_decision_type_resumes_the_task_by_the_resume_rule(odm_settings, decision, extra, resumed, claimed):
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="How?")
        await call(client, "decide", escalation_id=esc["id"], decision_type=decision, created_by="founder", **extra)
        detail = await _read(client, f"odm://tasks/{task}")
    assert (detail["status_state"], detail["claimed_by"]) == (resumed, claimed)
    if decision == "constrain":
        assert detail["constraints"] == ["no new dependencies"]
    if decision in ("answer", "redirect") or extra.get("reject_to") == "rework":
        assert detail["constraints"][-1].endswith(extra["message"])


async def test_constraints_reach_the_next_claimer_after_a_redirect(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="Stuck")
        await call(client, "decide", escalation_id=esc["id"], decision_type="redirect", message="ask 102 for the key",
                   constraints=["stay under 1 GB"], created_by="founder")
        second = await call(client, "next_task", agent_id="102")
    assert second["task"]["id"] == task
    assert second["task"]["constraints"] == ["stay under 1 GB", "redirect (esc-1): ask 102 for the key"]


async def test_postpone_keeps_the_task_waiting_with_a_new_due_time_and_a_later_decision_still_counts(odm_settings):
    later = datetime.now(UTC) + timedelta(days=2)
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="Later?")
        postponed = await call(client, "decide", escalation_id=esc["id"], decision_type="postpone",
                               due_at=later.isoformat(), created_by="founder")
        waiting = await _read(client, f"odm://tasks/{task}")
        shown = await _read(client, f"odm://escalations/{esc['id']}")
        final = await call(client, "decide", escalation_id=esc["id"], decision_type="answer", message="go",
                           created_by="founder")
        decided = await _read(client, f"odm://escalations/{esc['id']}")
    assert postponed["status_state"] == "discussion.waiting" and waiting["status_state"] == "discussion.waiting"
    assert datetime.fromisoformat(shown["due_at"]) == later
    assert [d["decision_type"] for d in decided["decisions"]] == ["postpone", "answer"]
    assert final["status_state"] == "complete.completed"


async def test_two_concurrent_deciders_exactly_one_wins(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="Pick one", options=["a", "b"])
    results: dict[str, object] = {}

    async def decider(option: str) -> None:
        async with connect_client(odm.SPEC, odm_settings) as own:
            outcome = await own.call_tool("decide", {"escalation_id": esc["id"], "decision_type": "answer",
                                                     "selected_option": option, "created_by": f"human-{option}"})
            results[option] = outcome

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(decider, "a")
            tg.start_soon(decider, "b")
    errors = [r for r in results.values() if r.is_error]  # type: ignore[attr-defined]
    assert len(errors) == 1 and errors[0].content[0].text.startswith("[conflict]")  # type: ignore[attr-defined]
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM human_decisions") == 1
    finally:
        await conn.close()


async def test_a_human_decision_cannot_be_changed_or_deleted_in_the_database(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="x")
        await call(client, "decide", escalation_id=esc["id"], decision_type="answer", message="y", created_by="founder")
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        for statement in ("UPDATE human_decisions SET message = 'changed'", "DELETE FROM human_decisions",
                          "TRUNCATE human_decisions CASCADE"):
            with pytest.raises(asyncpg.ObjectNotInPrerequisiteStateError, match="append-only"):
                await conn.execute(statement)
    finally:
        await conn.close()


async def test_an_escalation_past_its_due_time_expires_by_the_sweeper_and_the_task_can_be_escalated_again(
        odm_settings, monkeypatch):
    monkeypatch.setenv("XIOPRO_CLAIM_SWEEP_INTERVAL_S", "0.05")
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        soon = datetime.now(UTC) + timedelta(seconds=30)
        esc = await call(client, "escalate", task_id=task, summary="x", due_at=soon.isoformat())
        conn = await asyncpg.connect(odm_settings.odm_dsn)
        try:
            await conn.execute("UPDATE escalation_requests SET due_at = now() - interval '1 second'")
        finally:
            await conn.close()

        async def expired() -> bool:
            return (await _read(client, f"odm://escalations/{esc['id']}"))["status_state"] == "complete.expired"

        await wait_for(expired, what="the sweeper to expire the escalation", within=10)
        late = await fails(client, "decide", escalation_id=esc["id"], decision_type="answer", created_by="founder")
        still = await _read(client, f"odm://tasks/{task}")
        again = await call(client, "escalate", task_id=task, summary="still need you")
    assert late.startswith("[conflict]") and "complete.expired" in late
    assert still["status_state"] == "discussion.waiting"
    assert again["status_state"] == "discussion.waiting" and again["id"] != esc["id"]


async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        project = await call(client, "create_project", name="Q")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T2")
        queued = await call(client, "create_task", ticket_id=ticket["id"], title="b", objective="o",
                            depends_on=[task])
        esc = await call(client, "escalate", task_id=task, summary="Pick", options=["a", "b"],
                         trigger_type="requires_approval")
        before = await data_fingerprint(odm_settings.odm_dsn)
        errors = {
            "unknown task": await fails(client, "escalate", task_id="1999.01", summary="x"),
            "not in progress": await fails(client, "escalate", task_id=queued["id"], summary="x"),
            "twice": await fails(client, "escalate", task_id=task, summary="x", trigger_type="requires_approval"),
            "bad recommendation": await fails(client, "escalate", task_id=task, summary="x", options=["a"],
                                              recommended_option="z"),
            "past due": await fails(client, "escalate", task_id=queued["id"], summary="x", due_at="2001-01-01T00:00:00Z"),
            "bad time": await fails(client, "escalate", task_id=task, summary="x", due_at="yesterday"),
            "type not allowed": await fails(client, "decide", escalation_id=esc["id"], decision_type="answer",
                                            created_by="founder"),
            "option": await fails(client, "decide", escalation_id=esc["id"], decision_type="approve",
                                  selected_option="c", created_by="founder"),
            "constrain without": await fails(client, "decide", escalation_id=esc["id"], decision_type="constrain",
                                             created_by="founder"),
            "postpone in the past": await fails(client, "decide", escalation_id=esc["id"], decision_type="postpone",
                                                due_at="2001-01-01T00:00:00Z", created_by="founder"),
            "unknown escalation": await fails(client, "decide", escalation_id="esc-99", decision_type="approve",
                                              created_by="founder"),
        }
        after = await data_fingerprint(odm_settings.odm_dsn)
    assert errors["unknown task"].startswith("[not_found] no task 1999.01")
    assert errors["not in progress"].startswith("[invalid_transition]") and "not in progress" in errors["not in progress"]
    assert errors["twice"].startswith("[conflict]") and esc["id"] in errors["twice"]
    assert errors["bad recommendation"].startswith("[invalid_argument]") and "recommended_option" in errors["bad recommendation"]
    assert errors["past due"].startswith("[invalid_argument] due_at 2001-01-01")
    assert errors["bad time"].startswith("[invalid_argument]") and "due_at" in errors["bad time"]
    assert errors["type not allowed"] == ("[invalid_argument] decision_type 'answer' is not allowed for escalation "
                                          f"{esc['id']}; allowed: approve, reject, constrain, postpone")
    assert errors["option"].startswith("[invalid_argument] selected_option 'c' is not among the options")
    assert errors["constrain without"].startswith("[invalid_argument] constraints:")
    assert errors["postpone in the past"].startswith("[invalid_argument] due_at")
    assert errors["unknown escalation"].startswith("[not_found] no escalation esc-99")
    assert before == after


async def test_the_escalation_list_filters_by_status_and_the_feed_pages_with_its_cursor(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        for n in range(3):
            await call(client, "create_task", ticket_id=ticket["id"], title=f"t{n}", objective="o")
            await call(client, "next_task", agent_id=f"10{n}")
        opened = [await call(client, "escalate", task_id=f"{ticket['id']}.0{n + 1}", summary=f"q{n}") for n in range(3)]
        await call(client, "decide", escalation_id=opened[0]["id"], decision_type="answer", created_by="founder")
        open_now = await _read(client, "odm://escalations?status=open")
        closed = await _read(client, "odm://escalations?status=closed")
        waiting = await _read(client, "odm://escalations?status=discussion.waiting")
        first = await _read(client, "odm://feeds/escalations?limit=2")
        rest = await _read(client, f"odm://feeds/escalations?limit=2&cursor={first['next_cursor']}")
        with pytest.raises(MCPError, match=r"\[invalid_argument\] status 'maybe' is not open, pending, closed"):
            await client.read_resource("odm://escalations?status=maybe")
    assert [e["id"] for e in open_now["items"]] == [e["id"] for e in waiting["items"]] == [o["id"] for o in opened[1:]]
    assert [e["id"] for e in closed["items"]] == [opened[0]["id"]]
    assert [e["id"] for e in first["items"] + rest["items"]] == [o["id"] for o in opened] and rest["next_cursor"] is None


async def test_an_escalation_whose_task_was_forced_off_its_gate_is_withdrawn_by_the_sweeper(odm_settings, monkeypatch):
    monkeypatch.setenv("XIOPRO_CLAIM_SWEEP_INTERVAL_S", "0.05")
    async with connect_client(odm.SPEC, odm_settings) as client:
        task = await _claimed_task(client)
        esc = await call(client, "escalate", task_id=task, summary="x")
        await call(client, "transition", kind="task", id=task, status="complete", state="cancelled", override=True,
                   reason="the founder dropped it")

        async def withdrawn() -> bool:
            return (await _read(client, f"odm://escalations/{esc['id']}"))["status_state"] == "complete.cancelled"

        await wait_for(withdrawn, what="the sweeper to withdraw the escalation", within=10)
        pending = await _read(client, "odm://feeds/escalations?status=pending")
    assert pending["items"] == []


async def test_an_agents_execution_key_may_escalate_but_only_a_management_key_may_decide(suite_settings):
    keyed = suite_settings.model_copy(update={"http_auth": "keys"})
    await prepare_database(Target("bus", keyed.bus_dsn, embedded=False))  # where odm-mcp reads the keys
    async with serve_http(odm.SPEC, keyed) as url:
        agent_key = await new_key(keyed.bus_dsn, "agent", "execution")
        human_key = await new_key(keyed.bus_dsn, "founder", "management")
        async with client_with(url, agent_key) as agent:
            agent_tools = {t.name for t in (await agent.list_tools()).tools}
            task = await _claimed_task(agent)
            esc = await call(agent, "escalate", task_id=task, summary="May I?", trigger_type="requires_approval")
            refused = await agent.call_tool("decide", {"escalation_id": esc["id"], "decision_type": "approve",
                                                       "created_by": "agent"})
        async with client_with(url, human_key) as human:
            decided = await call(human, "decide", escalation_id=esc["id"], decision_type="approve", created_by="founder")
    assert "escalate" in agent_tools and "decide" not in agent_tools
    assert refused.is_error and refused.content[0].text.startswith("[forbidden] decide needs an API key with scope management")
    assert decided["status_state"] == "complete.completed"
