"""Timing markers (§8.4) set once by the real paths (create, claim, activities, transitions) and time health (§8.5):
time_status against a planned duration or a deadline, and delay reasons, through odm-mcp."""

from __future__ import annotations

import json

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call

MARKERS = ("queued_at", "started_at", "first_activity_at", "completed_at")


async def _task_view(client, key: str) -> dict:
    return json.loads((await client.read_resource(f"odm://tasks/{key}")).contents[0].text)


async def _move(client, key: str, pair: str, token: int | None = None) -> None:
    status, state = pair.split(".")
    await call(client, "transition", kind="task", id=key, status=status, state=state, claim_token=token)


async def test_markers_are_set_once_by_claims_activities_and_transitions(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era, toolsets="execution") as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        a = await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o")
        created = await _task_view(client, a["id"])
        claim = await call(client, "next_task", agent_id="101")
        token = claim["claim_token"]
        claimed = await _task_view(client, a["id"])
        await call(client, "record_activity", task_id=a["id"], agent_runtime_id="101", duration_ms=60000, claim_token=token)
        first = await _task_view(client, a["id"])
        await call(client, "record_activity", task_id=a["id"], agent_runtime_id="101", duration_ms=60000, claim_token=token)
        await _move(client, a["id"], "execute.paused", token)
        await _move(client, a["id"], "execute.active", token)
        await _move(client, a["id"], "ready.ready", token)  # released: back in the queue, queued_at stays
        claim = await call(client, "next_task", agent_id="101")
        await _move(client, a["id"], "complete.completed", claim["claim_token"])
        done = await _task_view(client, a["id"])
    assert created["status_state"] == "ready.ready" and created["queued_at"] is not None
    assert created["started_at"] is None and created["first_activity_at"] is None and created["completed_at"] is None
    assert claimed["started_at"] is not None and claimed["queued_at"] == created["queued_at"]
    assert first["first_activity_at"] is not None
    assert done["queued_at"] == created["queued_at"] and done["started_at"] == claimed["started_at"]
    assert done["first_activity_at"] == first["first_activity_at"] and done["completed_at"] is not None
    assert done["time_status"] is None  # no deadline, no planned duration: nothing to be late against


async def test_time_status_follows_the_planned_duration_and_the_deadline_and_delays_say_why(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="execution") as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        a = await call(client, "create_task", ticket_id=ticket["id"], title="a", objective="o")
        b = await call(client, "create_task", ticket_id=ticket["id"], title="b", objective="o", depends_on=[a["id"]])
        planned = await call(client, "set_time_target", task_id=a["id"], plan_duration_minutes=10)
        token = (await call(client, "next_task", agent_id="101"))["claim_token"]
        statuses = []
        for minutes in (7, 1, 3):  # 7 of 10 on track, 8 of 10 at risk, 11 of 10 breached
            await call(client, "record_activity", task_id=a["id"], agent_runtime_id="101", duration_ms=minutes * 60000,
                       claim_token=token)
            statuses.append((await _task_view(client, a["id"]))["time_status"])
        late = await call(client, "set_time_target", task_id=b["id"], sla_due_at="2026-01-01T00:00:00Z")
        ahead = await call(client, "set_time_target", task_id=b["id"], sla_due_at="2030-01-01T00:00:00Z")
        waiting = await _task_view(client, b["id"])
    assert planned["time_status"] == "on_track" and planned["plan_duration_minutes"] == 10
    assert statuses == ["on_track", "at_risk", "breached"]
    assert late["time_status"] == "breached" and ahead["time_status"] == "on_track"
    assert waiting["delay_category"] == "dependency" and "1 dependencies" in waiting["delay_reason"]
    assert waiting["queued_at"] is not None and waiting["time_status"] == "on_track"
