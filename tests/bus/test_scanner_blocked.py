"""A task blocked by a cancelled dependency reaches the attention queue with the ODM's reason, read from a real
odm-mcp (streamable HTTP), and its todo is marked done once the dependency is removed."""

from __future__ import annotations

from mcp import Client

from servers import odm
from tests.bus.support import bus_client, call, sql
from tests.support.http import serve_http


async def test_a_task_blocked_by_a_cancelled_dependency_becomes_a_todo_with_the_reason_until_released(suite_settings):
    async with serve_http(odm.SPEC, suite_settings) as url:
        async with Client(url, mode="legacy") as odm_client:
            project = await call(odm_client, "create_project", name="P")
            ticket = await call(odm_client, "create_ticket", project_id=project["id"], title="T")
            first = await call(odm_client, "create_task", ticket_id=ticket["id"], title="first", objective="o")
            second = await call(odm_client, "create_task", ticket_id=ticket["id"], title="second", objective="o",
                                depends_on=[first["id"]])
            await call(odm_client, "transition", kind="task", id=first["id"], status="complete", state="cancelled")
            async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as bus:
                found = await call(bus, "scan_now", force=True)
                todos = await sql(suite_settings, "SELECT linked_id, title, description, priority FROM user_todos "
                                                  "WHERE status = 'open'")
                await call(odm_client, "update_task", id=second["id"], depends_on=[])
                cleared = await call(bus, "scan_now", force=True)
    source = {s["name"]: s for s in found["sources"]}["odm.tasks.stale"]
    assert source["created"] == 1 and len(todos) == 1
    todo = todos[0]
    assert todo["linked_id"] == second["id"] and todo["title"].startswith(f"Task {second['id']} is blocked: second")
    assert todo["description"].startswith(f"depends on {first['id']} (complete.cancelled), which will not complete")
    assert todo["priority"] == "high"
    assert cleared["dismissed"] == 1
    done = await sql(suite_settings, "SELECT status, description FROM user_todos WHERE linked_id = $1", second["id"])
    assert done[0]["status"] != "open"
    assert done[0]["description"].endswith(f"task {second['id']} is no longer blocked (its dependency was removed or "
                                           "revived, or it was cancelled)")
