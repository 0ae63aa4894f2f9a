"""The planning toolset: topics (tree + related), users, hosts, sprints, lists with cursors."""

from __future__ import annotations

import json

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call


async def test_topics_form_a_tree_with_related_links_both_ways(odm_settings, era):
    async with connect_client(odm.SPEC, odm_settings, mode=era, toolsets="planning") as client:
        root = await call(client, "create_topic", name="engineering")
        auth = await call(client, "create_topic", name="auth", parent_topic_id=root["id"], taxonomy=["security"])
        crypto = await call(client, "create_topic", name="crypto", related_topic_ids=[auth["id"]])
        roots = await call(client, "list_topics")
        children = await call(client, "list_topics", parent_topic_id=root["id"])
    assert [t["id"] for t in roots["items"]] == [root["id"], crypto["id"]]
    assert [(t["id"], t["related_topic_ids"]) for t in children["items"]] == [(auth["id"], [crypto["id"]])]
    assert crypto["related_topic_ids"] == [auth["id"]]


async def test_users_and_hosts_are_registered_and_listed(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        user = await call(client, "create_user", name="Reviewer", email="r@example.org", role="reviewer",
                          notification_channels=["email", "slack"], idempotency_key="u1")
        same = await call(client, "create_user", name="Reviewer", email="r@example.org", role="reviewer",
                          notification_channels=["email", "slack"], idempotency_key="u1")
        users = await call(client, "list_users")
        host = await call(client, "register_host", name="cpx62", role="control_plane", vcpus=16, ram_gb=30,
                          max_concurrent_agents=10)
        updated = await call(client, "register_host", name="cpx62", role="control_plane", vcpus=16, ram_gb=30,
                             max_concurrent_agents=10, active_agents=4, status="degraded")
        hosts = await call(client, "list_hosts")
    assert same == user and [u["name"] for u in users["items"]] == ["operator", "Reviewer"]
    assert [u["is_primary"] for u in users["items"]] == [True, False]
    assert updated["id"] == host["id"] and hosts["items"] == [updated]
    assert (updated["status"], updated["active_agents"]) == ("degraded", 4)


async def test_lists_page_with_cursors_in_creation_order(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        made = [await call(client, "create_project", name=f"P{i}") for i in range(12)]
        first = await call(client, "list_projects", limit=5)
        pages = [first]
        while pages[-1]["next_cursor"]:
            pages.append(await call(client, "list_projects", limit=5, cursor=pages[-1]["next_cursor"]))
        for i in range(3):
            await call(client, "create_ticket", project_id=made[0]["id"], title=f"T{i}")
        tickets = await call(client, "list_tickets", project_id=made[0]["id"], limit=2)
        rest = await call(client, "list_tickets", project_id=made[0]["id"], limit=2, cursor=tickets["next_cursor"])
        detail = await call(client, "get_project", id=made[0]["id"])
    assert [p["id"] for page in pages for p in page["items"]] == [p["id"] for p in made]  # proj-1 ... proj-12
    assert len(pages) == 3 and pages[-1]["next_cursor"] is None
    assert [t["id"] for t in tickets["items"] + rest["items"]] == ["1001", "1002", "1003"]
    assert detail["tickets_by_status_state"] == {"create.draft": 3} and detail["sub_project_ids"] == []


async def test_sprints_hold_tickets_of_their_project(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        sprint = await call(client, "create_sprint", project_id=project["id"], name="S1",
                            start_date="2026-01-05T00:00:00Z", end_date="2026-01-16T00:00:00Z")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        placed = await call(client, "update_ticket", id=ticket["id"], sprint_id=sprint["id"], plan_cost=8)
        sprints = await call(client, "list_sprints", project_id=project["id"])
        in_sprint = await call(client, "list_tickets", sprint_id=sprint["id"])
    assert sprint["status_state"] == "create.draft" and sprints["items"] == [sprint]
    assert placed["sprint_id"] == sprint["id"] and placed["plan_cost"] == 8
    assert [t["id"] for t in in_sprint["items"]] == [ticket["id"]]


async def test_assigning_a_task_records_what_the_assignee_was_given(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        task = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="first")
        await call(client, "update_task", id=task["id"], objective="second")
        await call(client, "assign_task", id=task["id"], agent_id="coder-2")
        detail = json.loads((await client.read_resource(f"odm://tasks/{task['id']}")).contents[0].text)
    snapshot = detail["spec_snapshot"]
    assert detail["assigned_runtime_id"] == "coder-2"
    assert (snapshot["agent_id"], snapshot["spec_version"], snapshot["objective"]) == ("coder-2", 2, "second")
