"""Sessions through an MCP client: template -> runtime -> session -> activities with exact cost and time roll-ups,
a crash recovered per §5.7 under the same claim, transcripts by reference, activity references checked, the
session lifecycle served, and runtime interventions (§10.5) with windows and revocation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from odm.domain.lifecycles import LIFECYCLES
from servers import odm
from tests.conftest import connect_client
from tests.odm.execution_support import SHA, claimed_task, surface, template, working_runtime
from tests.support.odm import call, data_fingerprint, fails

TOOLS = "execution,accounting"


async def _read(client, uri: str):
    return json.loads((await client.read_resource(uri)).contents[0].text)


def _item(task_id: str, session_id: str | None, cost: float | None, ms: int, agent: str = "101") -> dict:
    return {"task_id": task_id, "agent_runtime_id": agent, "session_id": session_id, "actual_cost": cost,
            "duration_ms": ms, "prompt_tokens": 10}


async def test_session_and_runtime_cost_and_time_are_exactly_the_sum_of_their_activities(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLS) as client:
        runtime, first = await working_runtime(client)
        claim = await claimed_task(client)
        task = claim["task"]["id"]
        await call(client, "record_activities", items=[_item(task, first["id"], 0.1, 1000),
                                                       _item(task, first["id"], 0.2, 2500)])
        await call(client, "transition_session", session_id=first["id"], to="complete.closed")
        second = await call(client, "open_session", runtime_id="101", execution_surface_id=first["execution_surface_id"])
        await call(client, "record_activities", items=[_item(task, second["id"], 0.3, 500)])
        await call(client, "record_activity", task_id=task, agent_runtime_id="101", actual_cost=0.05, duration_ms=100)
        one = await _read(client, f"odm://sessions/{first['id']}")
        two = await _read(client, f"odm://sessions/{second['id']}")
        whole = await _read(client, "odm://runtimes/101")
        await call(client, "record_activities", items=[_item(task, second["id"], None, 0)])  # cost unknown
        unknown = await _read(client, f"odm://sessions/{second['id']}")
    assert runtime["status_state"] == "ready.ready" and first["status_state"] == "execute.active"
    assert Decimal(one["spent"]["actual_cost"]) == Decimal("0.3") and one["spent"]["actual_duration_ms"] == 3500
    assert Decimal(two["spent"]["actual_cost"]) == Decimal("0.3") and two["spent"]["activity_count"] == 1
    assert Decimal(whole["spent"]["actual_cost"]) == Decimal("0.65") and whole["spent"]["actual_duration_ms"] == 4100
    assert whole["spent"]["activity_count"] == 4 and whole["spent"]["cost_incomplete"] is False
    assert whole["sessions"] == [second["id"], first["id"]] and whole["current_session_id"] == second["id"]
    assert whole["status_state"] == "execute.active" and whole["claimed_task_ids"] == [task]
    assert unknown["spent"]["cost_incomplete"] is True and Decimal(unknown["spent"]["actual_cost"]) == Decimal("0.3")


async def test_a_single_activity_recorded_in_a_session_counts_in_that_session_and_a_foreign_one_is_refused(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLS) as client:
        _, session = await working_runtime(client)
        task = (await claimed_task(client))["task"]["id"]
        await call(client, "record_activity", task_id=task, agent_runtime_id="101", actual_cost=0.25, duration_ms=700,
                   session_id=session["id"])
        spent = (await _read(client, f"odm://sessions/{session['id']}"))["spent"]
        before = await data_fingerprint(odm_settings.odm_dsn)
        unknown = await fails(client, "record_activity", task_id=task, agent_runtime_id="101", actual_cost=0.1,
                              session_id="ses-99")
        after = await data_fingerprint(odm_settings.odm_dsn)
    assert Decimal(spent["actual_cost"]) == Decimal("0.25") and spent["actual_duration_ms"] == 700
    assert spent["activity_count"] == 1
    assert unknown.startswith("[not_found] session_id: no session ses-99") and before == after


async def test_a_crashed_session_recovers_and_its_work_continues_under_the_same_claim(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLS) as client:
        _, session = await working_runtime(client)
        claim = await claimed_task(client)
        task, token = claim["task"]["id"], claim["claim_token"]
        crashed = await call(client, "transition_session", session_id=session["id"], to="recover.crashed",
                             reason="terminal closed")
        during = await _read(client, "odm://runtimes/101")
        recovering = await call(client, "transition_session", session_id=session["id"], to="recover.recovering",
                                transcript={"uri": "s3://xiopro/transcripts/ses-1.jsonl", "sha256": SHA, "bytes": 4096})
        back = await call(client, "transition_session", session_id=session["id"], to="execute.active")
        again = await call(client, "next_task", agent_id="101")
        recorded = await call(client, "record_activities", items=[
            _item(task, session["id"], 0.1, 100) | {"claim_token": token}])
        after = await _read(client, "odm://runtimes/101")
        lifecycle = await _read(client, "odm://lifecycles/session")
    assert crashed["crash_count"] == 1 and crashed["last_error"] == "terminal closed"
    assert any("health recovering" in e and "claims are kept" in e for e in crashed["effects"])
    assert during["health_state"] == "recovering" and during["claimed_task_ids"] == [task]
    assert recovering["transcript"] == {"uri": "s3://xiopro/transcripts/ses-1.jsonl", "sha256": SHA, "bytes": 4096}
    assert back["status_state"] == "execute.active" and after["health_state"] == "healthy"
    assert again["renewed"] is True and again["claim_token"] == token and again["task"]["id"] == task
    assert recorded["recorded"] == 1
    assert set(lifecycle["pairs"]) == set(LIFECYCLES["session"].pairs) and lifecycle["initial"] == "create.queued"


async def test_a_session_that_cannot_resume_is_closed_and_replaced_not_recovered(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLS) as client:
        await template(client)
        api = await surface(client, "api-1", type="api_worker")
        await call(client, "spawn_runtime", agent_id="101", template="002")
        session = await call(client, "open_session", runtime_id="101", execution_surface_id=api["id"])
        await call(client, "transition_session", session_id=session["id"], to="recover.crashed")
        refused = await fails(client, "transition_session", session_id=session["id"], to="recover.recovering")
        rc = await fails(client, "open_session", runtime_id="101", execution_surface_id=api["id"], rc_attachable=True)
        outside = await fails(client, "transition_session", session_id=session["id"], to="execute.idle")
    assert session["resumable"] is False and session["rc_attachable"] is False
    assert refused.startswith("[invalid_argument] to: session ses-1 is not resumable; close it")
    assert rc.startswith("[invalid_argument] rc_attachable: surface srf-1 (api_worker) has supports_rc=false")
    assert outside.startswith("[invalid_transition] session ses-1 cannot go from recover.crashed to execute.idle")


async def test_activities_naming_a_wrong_session_or_surface_are_refused_and_nothing_is_recorded(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLS) as client:
        _, session = await working_runtime(client)
        await call(client, "spawn_runtime", agent_id="102", template="002")
        claim = await claimed_task(client)
        task = claim["task"]["id"]
        before = await data_fingerprint(odm_settings.odm_dsn)
        unknown = await fails(client, "record_activities", items=[_item(task, "ses-99", 0.1, 1)])
        foreign = await fails(client, "record_activities", items=[_item(task, None, 0.1, 1),
                                                                  _item(task, session["id"], 0.1, 1, agent="102")])
        surface_gone = await fails(client, "record_activities", items=[
            _item(task, None, 0.1, 1) | {"execution_surface_id": "srf-9"}])
        after_refusals = await data_fingerprint(odm_settings.odm_dsn)
        await call(client, "transition_session", session_id=session["id"], to="complete.closed")
        closed = await fails(client, "record_activities", items=[_item(task, session["id"], 0.1, 1)])
    assert unknown.startswith("[not_found] items[0].session_id: no session ses-99")
    assert foreign.startswith("[invalid_argument] items[1].session_id: session ses-1 belongs to runtime 101, not 102")
    assert surface_gone.startswith("[not_found] items[0].execution_surface_id: no execution surface srf-9")
    assert closed.startswith("[invalid_argument] items[0].session_id: session ses-1 is complete.closed")
    assert before == after_refusals


async def test_a_pause_intervention_pauses_the_runtime_and_its_revocation_is_a_new_record_that_resumes_it(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLS) as client:
        _, session = await working_runtime(client)
        pause = await call(client, "intervene", scope_type="agent_runtime", scope_ref="101", mode="pause",
                           reason="budget review", initiated_by="governor")
        paused = await _read(client, "odm://runtimes/101")
        revoked = await call(client, "intervene", scope_type="agent_runtime", scope_ref="101", revokes=pause["id"],
                             reason="approved")
        resumed = await _read(client, "odm://runtimes/101")
        twice = await fails(client, "intervene", scope_type="agent_runtime", scope_ref="101", revokes=pause["id"],
                            reason="again")
        later = datetime.now(UTC) + timedelta(hours=1)
        window = await call(client, "intervene", scope_type="session", scope_ref=session["id"], mode="constrain",
                            reason="read only tonight", constraints=["no writes"], effective_from=later.isoformat(),
                            effective_until=(later + timedelta(hours=8)).isoformat())
        reroute = await call(client, "intervene", scope_type="session", scope_ref=session["id"], mode="reroute",
                             reason="provider down", model="claude-haiku")
        on_session = await _read(client, f"odm://sessions/{session['id']}")
        bad = await fails(client, "intervene", scope_type="session", scope_ref=session["id"], mode="constrain",
                          reason="x")
        backwards = await fails(client, "intervene", scope_type="agent_runtime", scope_ref="101", mode="pause",
                                reason="x", effective_until="2020-01-01T00:00:00Z")
        nobody = await fails(client, "intervene", scope_type="agent_runtime", scope_ref="999", mode="pause", reason="x")
    assert pause["in_effect"] is True and pause["initiated_by"] == "governor" and pause["params"] is None
    assert "runtime 101 moved from execute.active to execute.paused" in pause["effects"]
    assert paused["status_state"] == "execute.paused" and [i["id"] for i in paused["interventions"]] == [pause["id"]]
    assert revoked["mode"] == "revoke" and revoked["revokes_id"] == pause["id"]
    assert resumed["status_state"] == "execute.active" and resumed["interventions"] == []
    assert twice.startswith(f"[conflict] revokes: {pause['id']} was already revoked by {revoked['id']}")
    assert window["in_effect"] is False and reroute["in_effect"] is True
    assert [i["id"] for i in on_session["interventions"]] == [reroute["id"]]
    assert bad.startswith("[invalid_argument] constraints: a constrain intervention needs at least one constraint")
    assert backwards.startswith("[invalid_argument] effective_until:")
    assert nobody.startswith("[not_found] scope_ref: no runtime 999")
