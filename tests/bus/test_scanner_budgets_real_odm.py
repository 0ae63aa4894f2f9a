"""Budget todos from a real odm-mcp process: a task near its cost_cap becomes a Bus todo within one scan, and
the todo is dismissed with a reason once the ODM says the budget is back within bounds."""

from __future__ import annotations

import sys

from mcp import Client

from tests.bus.support import bus_client, call, sql
from tests.conftest import script_env
from tests.support.net import running_server

ODM = [sys.executable, "-m", "servers.cli.odm_mcp", "--toolsets", "default,accounting"]


async def _odm(client: Client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content[0].text}"
    return result.structured_content


async def test_a_budget_near_its_cap_becomes_a_todo_and_is_dismissed_when_the_cap_is_raised(suite_settings, tmp_path):
    env = script_env(XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_HOME=str(tmp_path), XIOPRO_LOG_LEVEL="WARNING")
    async with running_server(ODM, env) as url:
        async with Client(url, mode="legacy") as odm:
            project = await _odm(odm, "create_project", name="P")
            ticket = await _odm(odm, "create_ticket", project_id=project["id"], title="T")
            task = await _odm(odm, "create_task", ticket_id=ticket["id"], title="capped", objective="o", cost_cap=1)
            await _odm(odm, "next_task", agent_id="002")
            await _odm(odm, "record_activity", task_id=task["id"], agent_runtime_id="002", actual_cost=0.9)
            async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as bus:
                first = await call(bus, "scan_now", force=True)
                todos = await sql(suite_settings, "SELECT linked_type, linked_id, title FROM user_todos WHERE status = 'open'")
                await _odm(odm, "set_budget", kind="task", id=task["id"], cost_cap=10)
                cleared = await call(bus, "scan_now", force=True)
    budgets = next(s for s in first["sources"] if s["name"] == "odm.budgets")
    assert budgets["status"] == "ok" and budgets["created"] == 1
    assert [(t["linked_type"], t["linked_id"]) for t in todos] == [("budget", f"task:{task['id']}")]
    assert "at 90% of plan" in todos[0]["title"]
    assert cleared["dismissed"] == 1
    reasons = await sql(suite_settings, "SELECT status, description FROM user_todos WHERE linked_type = 'budget'")
    assert reasons[0]["status"] != "open" and reasons[0]["description"].endswith(f"budget task:{task['id']} is back under 80% of plan")
