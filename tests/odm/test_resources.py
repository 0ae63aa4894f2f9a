"""Resources and prompts of odm-mcp: the task feed contract the Bus reads, ready work, lifecycles, details."""

from __future__ import annotations

import json

import asyncpg
import pytest
from mcp.shared.exceptions import MCPError

from odm.domain.lifecycles import LIFECYCLES, describe_follows
from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call

FEED_FIELDS = {"id", "title", "status_state", "priority", "ticket_id", "project_id", "claimed_by", "claim_expires_at",
               "started_at", "updated_at", "blocked_reason"}


async def _read(client, uri: str):
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def _graph(client, tasks: int = 3):
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
    made = [await call(client, "create_task", ticket_id=ticket["id"], title=f"t{i}", objective="o",
                       requires_approval=(i == tasks - 1)) for i in range(tasks)]
    return project, ticket, made


async def test_task_feed_follows_the_bus_contract_and_filters_combine(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        project, ticket, made = await _graph(client)
        await call(client, "next_task", agent_id="agent-7")
        everything = await _read(client, "odm://feeds/tasks")
        mine = await _read(client, "odm://feeds/tasks?claimed_by=agent-7")
        waiting = await _read(client, "odm://feeds/tasks?status_state=approval.waiting,ready.ready")
        both = await _read(client, "odm://feeds/tasks?status_state=approval.waiting&claimed_by=agent-7")
        fresh = await _read(client, "odm://feeds/tasks?in_progress_over_s=3600")
    assert set(everything) == {"items", "next_cursor"} and everything["next_cursor"] is None
    assert [set(item) for item in everything["items"]] == [FEED_FIELDS] * 3
    running = mine["items"][0]
    assert (running["id"], running["status_state"], running["claimed_by"]) == (made[0]["id"], "execute.active", "agent-7")
    assert running["ticket_id"] == ticket["id"] and running["project_id"] == project["id"]
    assert running["claim_expires_at"].endswith("+00:00") and running["started_at"] is not None
    assert [i["status_state"] for i in waiting["items"]] == ["ready.ready", "approval.waiting"]
    assert both["items"] == [] and fresh["items"] == []


async def test_task_feed_reports_tasks_in_progress_longer_than_asked(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        await _graph(client, tasks=2)
        await call(client, "next_task", agent_id="a")
        conn = await asyncpg.connect(odm_settings.odm_dsn)
        try:
            await conn.execute("UPDATE tasks SET started_at = now() - interval '25 hours' WHERE claimed_by = 'a'")
        finally:
            await conn.close()
        old = await _read(client, "odm://feeds/tasks?in_progress_over_s=86400")
    assert [i["claimed_by"] for i in old["items"]] == ["a"]


async def test_task_feed_pages_with_an_opaque_cursor(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        await _graph(client, tasks=5)
        first = await _read(client, "odm://feeds/tasks?limit=2")
        second = await _read(client, f"odm://feeds/tasks?limit=2&cursor={first['next_cursor']}")
        third = await _read(client, f"odm://feeds/tasks?limit=2&cursor={second['next_cursor']}")
    ids = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert ids == [f"1001.0{n}" for n in range(1, 6)] and third["next_cursor"] is None


@pytest.mark.parametrize("query, words", [
    ("limit=0", "limit must be a number from 1 to 1000"), ("limit=1001", "limit must be"),
    ("limit=abc", "limit must be"), ("in_progress_over_s=-5", "in_progress_over_s must be"),
    ("status_state=running", "not a task pair"), ("cursor=zzz", "cursor is not one this tool returned"),
])
async def test_task_feed_refuses_bad_parameters_with_a_code(odm_settings, query, words):
    async with connect_client(odm.SPEC, odm_settings) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource(f"odm://feeds/tasks?{query}")
    assert str(caught.value).startswith("[invalid_argument]") and words in str(caught.value)


async def test_details_of_tickets_and_tasks_and_unknown_ids(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        _, ticket, made = await _graph(client)
        detail = await _read(client, f"odm://tickets/{ticket['id']}")
        task = await _read(client, f"odm://tasks/{made[0]['id']}")
        with pytest.raises(MCPError) as missing:
            await client.read_resource("odm://tasks/1001.77")
        with pytest.raises(MCPError) as wrong_kind:
            await client.read_resource(f"odm://tickets/{made[0]['id']}")
    assert [t["id"] for t in detail["tasks"]] == [t["id"] for t in made] and detail["lineage"] == []
    assert task["objective"] == "o" and task["blocks"] == [] and task["spec_stale"] is False
    assert str(missing.value).startswith("[not_found] no task 1001.77")
    assert "looks like a task id" in str(wrong_kind.value)


async def test_ready_lists_what_next_task_would_hand_out(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        project, _, made = await _graph(client)
        ready = await _read(client, "odm://ready")
        scoped = await _read(client, f"odm://ready?project_id={project['id']}")
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("odm://ready?project_id=proj-42")
    assert [t["id"] for t in ready] == [made[0]["id"], made[1]["id"]] == [t["id"] for t in scoped]
    assert str(unknown.value).startswith("[not_found]")


@pytest.mark.parametrize("kind", sorted(LIFECYCLES))
async def test_lifecycles_are_served_as_data(odm_settings, kind):
    async with connect_client(odm.SPEC, odm_settings) as client:
        served = await _read(client, f"odm://lifecycles/{kind}")
    assert served == json.loads(json.dumps(LIFECYCLES[kind].describe() | {"automatic": describe_follows(kind)}))
    assert served["initial"] in served["pairs"] and set(served["transitions"]) == set(served["pairs"])


async def test_an_unknown_lifecycle_kind_is_not_found(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("odm://lifecycles/spaceship")
    assert str(caught.value).startswith("[not_found]") and "ticket" in str(caught.value)


async def test_resource_templates_are_listed(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert templates == {"odm://tickets/{id}", "odm://tasks/{id}", "odm://ready{?project_id}", "odm://lifecycles/{kind}",
                         "odm://feeds/tasks{?status_state,claimed_by,in_progress_over_s,cursor,limit}",
                         "odm://feeds/budgets{?cursor,limit}",
                         "odm://escalations{?status}", "odm://escalations/{id}",
                         "odm://feeds/escalations{?status,task_id,agent_id,cursor,limit}",
                         "odm://reports/execution-summary{?timeframe,from,to,agent_id,ticket_id}",
                         "odm://research/{id}", "odm://knowledge/{id}",
                         "odm://templates{?cursor}", "odm://templates/{agent_id}", "odm://runtimes{?health,cursor}",
                         "odm://runtimes/{id}", "odm://sessions/{id}"}


async def test_plan_ticket_prompt_shows_the_ticket_and_its_tasks(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era) as client:
        _, ticket, made = await _graph(client)
        prompt = await client.get_prompt("plan_ticket", {"ticket_id": ticket["id"]})
        missing = await client.get_prompt("plan_ticket", {"ticket_id": "4242"})
    text = prompt.messages[0].content.text
    assert f"Ticket {ticket['id']}: T" in text and f"- {made[0]['id']} [ready.ready] t0" in text
    assert "create_task" in text and "depends_on" in text
    assert "[not_found] no ticket 4242" in missing.messages[0].content.text


async def test_triage_ideas_prompt_lists_ideas_due_for_review(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        idea = await call(client, "create_idea", title="dark mode", review_cycle="weekly")
        await call(client, "create_idea", title="later")
        conn = await asyncpg.connect(odm_settings.odm_dsn)
        try:
            await conn.execute("UPDATE ideas SET next_review_at = now() + interval '7 days' WHERE title = 'later'")
        finally:
            await conn.close()
        prompt = await client.get_prompt("triage_ideas", {"limit": "5"})
    text = prompt.messages[0].content.text
    assert f"- {idea['id']} [new] dark mode" in text and "later" not in text.split("For each idea")[0]
    assert "(1 shown)" in text
