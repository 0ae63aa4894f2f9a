"""Escalations end to end over real processes: odm-mcp and bus-mcp over streamable HTTP. escalate on the ODM
becomes an attention todo within one Bus scan and shows in the agent's my_work; decide dismisses it (done)
with a reason that names the decision."""

from __future__ import annotations

import sys

from mcp import Client

from tests.bus.support import call, sql
from tests.conftest import script_env
from tests.support.net import running_server

ODM = [sys.executable, "-m", "servers.cli.odm_mcp"]
BUS = [sys.executable, "-m", "servers.cli.bus_mcp", "--toolsets", "ops"]


async def _todos(settings) -> list[tuple[str, str, str, str]]:
    rows = await sql(settings, "SELECT linked_type, linked_id, status, coalesce(description, '') AS d FROM user_todos "
                               "WHERE linked_type = 'escalation' ORDER BY id")
    return [(r["linked_type"], r["linked_id"], r["status"], r["d"]) for r in rows]


async def test_escalate_makes_a_todo_in_one_scan_and_decide_dismisses_it_with_a_reason(suite_settings, tmp_path):
    base = {"XIOPRO_HOME": str(tmp_path), "XIOPRO_LOG_LEVEL": "WARNING", "XIOPRO_ODM_DSN": suite_settings.odm_dsn}
    async with running_server(ODM, script_env(**base)) as odm_url:
        bus_env = script_env(**base, XIOPRO_BUS_DSN=suite_settings.bus_dsn, XIOPRO_ODM_URL=odm_url)
        async with running_server(BUS, bus_env) as bus_url, Client(odm_url, mode="legacy") as odm, \
                Client(bus_url, mode="legacy") as bus:
            project = await call(odm, "create_project", name="P")
            ticket = await call(odm, "create_ticket", project_id=project["id"], title="T")
            task = await call(odm, "create_task", ticket_id=ticket["id"], title="deploy", objective="ship it")
            await call(odm, "next_task", agent_id="007")
            await call(bus, "register_agent", agent_id="007", role="coder")
            esc = await call(odm, "escalate", task_id=task["id"], summary="Deploy on Friday?", urgency="critical",
                             trigger_type="requires_approval", options=["yes", "no"], recommended_option="no")
            first = await call(bus, "scan_now", force=True)
            work = await call(bus, "my_work", agent_id="007")
            opened = await _todos(suite_settings)
            todo = (await sql(suite_settings, "SELECT title, priority, linked_url FROM user_todos "
                                              "WHERE linked_type = 'escalation'"))[0]
            await call(odm, "decide", escalation_id=esc["id"], decision_type="approve", selected_option="yes",
                       created_by="founder")
            second = await call(bus, "scan_now", force=True)
            after = await call(bus, "my_work", agent_id="007")
    sources = {s["name"]: s for s in first["sources"]}
    assert sources["odm.escalations"]["status"] == "ok" and sources["odm.escalations"]["created"] == 1
    assert opened == [("escalation", esc["id"], "open", opened[0][3])]
    assert todo["title"].startswith(f"Escalation {esc['id']} on task {task['id']}: Deploy on Friday?")
    assert (todo["priority"], todo["linked_url"]) == ("critical", f"odm://escalations/{esc['id']}")
    assert [e["id"] for e in work["escalations"]] == [esc["id"]] and work["tasks"][0]["id"] == task["id"]
    assert second["dismissed"] >= 1
    closed = await _todos(suite_settings)
    assert closed[0][2] == "done"
    assert closed[0][3].endswith(f"escalation {esc['id']} is no longer pending (resolved: approve by founder)")
    assert after["escalations"] == [] and after["tasks"][0]["status_state"] == "execute.active"
