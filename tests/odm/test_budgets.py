"""Budgets that act, through an MCP client: a crossed cost_cap or hard limit pauses the task (the activity is kept)
and refuses further work with [budget_exceeded] until released; warnings show in budget_status and the budget
feed; plan vs actual variance; evolution moves planned budget and keeps actuals where they were spent."""

from __future__ import annotations

import json
from decimal import Decimal

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, fails

ALL = "default,planning,accounting,claims"


async def _claimed(client, **task) -> dict:
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T", plan_cost=10)
    made = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o", **task)
    claim = await call(client, "next_task", agent_id="a")
    assert claim["task"]["id"] == made["id"]
    return {"project": project["id"], "ticket": ticket["id"], "task": made["id"], "token": claim["claim_token"]}


async def _feed(client) -> list[dict]:
    return json.loads((await client.read_resource("odm://feeds/budgets")).contents[0].text)["items"]


async def test_crossing_the_cost_cap_records_the_activity_pauses_the_task_and_refuses_further_work(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client, cost_cap=1)
        warned = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=0.85)
        crossing = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=0.3)
        task = json.loads((await client.read_resource(f"odm://tasks/{w['task']}")).contents[0].text)
        back = await fails(client, "transition", kind="task", id=w["task"], status="execute", state="ready")
        claim = await fails(client, "next_task", agent_id="a")
        renew = await fails(client, "renew_claims", agent_id="a")
        other = await call(client, "next_task", agent_id="b")
        feed = await _feed(client)
        forced = await call(client, "transition", kind="task", id=w["task"], status="execute", state="active",
                            override=True, reason="operator raised the budget")
        resumed = await call(client, "next_task", agent_id="a")
    assert warned["budget_status"] == "warning" and not warned["paused_for_budget"]
    assert crossing["paused_for_budget"] and "paused for budget" in crossing["note"] and crossing["id"]
    assert crossing["budget_status"] == "exceeded" and Decimal(crossing["task_actual_cost"]) == Decimal("1.15")
    assert task["status_state"] == "approval.waiting" and task["budget_status"] == "exceeded"
    assert Decimal(task["actual_cost"]) == Decimal("1.15") and task["claimed_by"] == "a"
    for refused in (back, claim, renew):
        assert refused.startswith("[budget_exceeded]") and w["task"] in refused, refused
    assert other["task"] is None  # a paused task is not claimable by anyone
    assert {"id": f"task:{w['task']}", "budget_status": "exceeded", "planned_cost": 1.0, "actual_cost": 1.15} \
        .items() <= next(i for i in feed if i["id"] == f"task:{w['task']}").items()
    assert "budget hold" in " ".join(forced["effects"])
    assert resumed["renewed"] and resumed["task"]["id"] == w["task"]


async def test_a_crossed_project_hard_limit_pauses_the_recording_task_and_marks_the_project_blocked(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client)
        limits = await call(client, "set_budget", kind="project", id=w["project"], soft_limit=1, hard_limit=2,
                            warning_threshold_pct=50)
        first = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=0.6)
        soft = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=0.6)
        statuses = [(await call(client, "get_project", id=w["project"]))["budget_status"]]
        hard = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=1)
        project = await call(client, "get_project", id=w["project"])
        feed = {i["id"]: i for i in await _feed(client)}
    assert Decimal(limits["hard_limit"]) == 2 and not first["paused_for_budget"] and not soft["paused_for_budget"]
    assert statuses == ["exceeded"] and hard["paused_for_budget"] and "hard limit" in hard["note"]
    assert project["budget_status"] == "blocked" and Decimal(project["actual_cost"]) == Decimal("2.2")
    assert feed[f"project:{w['project']}"]["budget_status"] == "blocked"


async def test_plan_vs_actual_variance_shows_on_task_ticket_and_project(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client, plan_cost=2)
        await call(client, "set_budget", kind="project", id=w["project"], plan_cost=3.5)
        await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=3)
        task = json.loads((await client.read_resource(f"odm://tasks/{w['task']}")).contents[0].text)
        ticket = json.loads((await client.read_resource(f"odm://tickets/{w['ticket']}")).contents[0].text)
        project = await call(client, "get_project", id=w["project"])
    assert (Decimal(task["cost_variance"]), task["cost_variance_pct"], task["budget_status"]) == (Decimal(1), 50.0, "exceeded")
    assert (Decimal(ticket["cost_variance"]), ticket["cost_variance_pct"]) == (Decimal(-7), -70.0)
    assert (Decimal(project["cost_variance"]), project["budget_status"]) == (Decimal("-0.5"), "warning")


async def test_a_split_moves_planned_budget_and_keeps_actuals_where_they_were_spent(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client)
        await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=1)
        split = await call(client, "evolve_ticket", ticket_id=w["ticket"], action="spawn_subticket", reason="own ticket",
                           parts=[{"title": "child", "task_ids": [w["task"]], "plan_cost": 4}])
        child = split["target_ticket_ids"][0]
        await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=2)
        source = json.loads((await client.read_resource(f"odm://tickets/{w['ticket']}")).contents[0].text)
        moved = json.loads((await client.read_resource(f"odm://tickets/{child}")).contents[0].text)
        project = await call(client, "get_project", id=w["project"])
    assert (source["plan_cost"], moved["plan_cost"]) == (6.0, 4.0)
    assert (Decimal(source["actual_cost"]), Decimal(moved["actual_cost"])) == (Decimal(1), Decimal(2))
    assert Decimal(project["actual_cost"]) == Decimal(3)


async def test_budget_input_that_does_not_fit_is_refused_naming_the_field(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client)
        task_soft = await fails(client, "set_budget", kind="task", id=w["task"], soft_limit=1)
        inverted = await fails(client, "set_budget", kind="ticket", id=w["ticket"], soft_limit=5, hard_limit=1)
        negative = await fails(client, "set_budget", kind="ticket", id=w["ticket"], hard_limit=-1)
        missing = await fails(client, "set_budget", kind="sprint", id="spr-99", hard_limit=1)
    assert task_soft.startswith("[invalid_argument]") and "soft_limit" in task_soft
    assert inverted.startswith("[invalid_argument]") and "soft_limit" in inverted
    assert negative.startswith("[invalid_argument]") and "hard_limit" in negative
    assert missing.startswith("[not_found]") and "spr-99" in missing


async def test_the_budget_pause_opens_a_budget_escalation_whose_approval_resumes_the_task(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client, cost_cap=1)
        crossing = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=1.5)
        pending = json.loads((await client.read_resource("odm://feeds/escalations?status=pending")).contents[0].text)
        esc = next(e for e in pending["items"] if e["task_id"] == w["task"])
        refused = await fails(client, "next_task", agent_id="a")
        raised = await call(client, "set_budget", kind="task", id=w["task"], cost_cap=5)
        decided = await call(client, "decide", escalation_id=esc["id"], decision_type="approve", created_by="operator")
        again = await fails(client, "decide", escalation_id=esc["id"], decision_type="approve", created_by="operator")
        resumed = await call(client, "next_task", agent_id="a")
        more = await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=1)
    assert esc["id"] in crossing["note"] and refused.startswith("[budget_exceeded]") and esc["id"] in refused
    assert raised["budget_status"] == "within_budget" or raised["budget_status"] == "warning"
    assert any(" to execute." in e for e in decided["effects"]) and again.startswith("[conflict]")
    assert any("budget hold" in e for e in decided["effects"])
    assert resumed["task"]["id"] == w["task"] and not more["paused_for_budget"]


async def test_a_merge_moves_the_plan_to_the_target_and_the_source_keeps_what_it_spent(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=ALL) as client:
        w = await _claimed(client)
        target = await call(client, "create_ticket", project_id=w["project"], title="target", plan_cost=1)
        await call(client, "record_activity", task_id=w["task"], agent_runtime_id="a", actual_cost=2.5)
        await call(client, "evolve_ticket", ticket_id=w["ticket"], action="merge", reason="same work",
                   target_ticket_id=target["id"])
        source = json.loads((await client.read_resource(f"odm://tickets/{w['ticket']}")).contents[0].text)
        merged = json.loads((await client.read_resource(f"odm://tickets/{target['id']}")).contents[0].text)
        project = await call(client, "get_project", id=w["project"])
    assert (source["status_state"], source["plan_cost"], merged["plan_cost"]) == ("complete.cancelled", 0.0, 11.0)
    assert (Decimal(source["actual_cost"]), Decimal(merged["actual_cost"])) == (Decimal("2.5"), Decimal(0))
    assert Decimal(project["actual_cost"]) == Decimal("2.5")
