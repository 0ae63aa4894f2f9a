"""The attention scanner (spec 4.14) with Bus-local sources: alerts and agents in error.

Dedup is the database's (even with two scanners), a cleared condition marks its todo done with a
reason, one process leads each cycle, and the periodic scan runs on its own with a short interval.
"""

from __future__ import annotations

import json
from contextlib import AsyncExitStack

import anyio

from tests.bus.support import bus_client, bus_server, call, sql, subscribed
from tests.support.net import free_port

OPS = "ops,alerts"


async def _system_todos(settings, linked_type: str) -> list:
    return await sql(
        settings,
        "SELECT id, status, description, completed_at, priority, assigned_to, linked_url FROM user_todos "
        "WHERE created_by = 'system' AND linked_type = $1 ORDER BY created_at",
        linked_type,
    )


async def test_active_alert_gets_one_todo_even_with_two_scanners_and_acknowledging_it_marks_it_done(suite_settings, era):
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(bus_client(suite_settings, mode=era, toolsets=OPS, primary_user="dana"))
        two = await stack.enter_async_context(bus_client(suite_settings, mode=era, toolsets=OPS, primary_user="dana"))
        raised = await call(one, "raise_alert", severity="critical", title="disk full", raised_by="005", detail="/var 99%")
        alert_id = raised["alert"]["id"]
        reports = {}

        async def scan(name, client):
            reports[name] = await call(client, "scan_now", force=True)

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for name, client in (("one", one), ("two", two)):
                    tg.start_soon(scan, name, client)
        await call(one, "scan_now", force=True)
        [todo] = await _system_todos(suite_settings, "alert")
        assert (todo["status"], todo["priority"], todo["assigned_to"]) == ("open", "critical", "dana")
        assert todo["linked_url"] == f"bus://alerts/{alert_id}"
        assert sum(r["created"] for r in reports.values()) == 1
        await call(one, "acknowledge_alert", alert_id=alert_id, by="shai")
        report = await call(two, "scan_now", force=True)
    [todo] = await _system_todos(suite_settings, "alert")
    assert report["dismissed"] == 1 and todo["status"] == "done" and todo["completed_at"] is not None
    assert todo["description"].startswith("/var 99%\n\nAuto-dismissed ")
    assert todo["description"].endswith(f": alert {alert_id} was acknowledged by shai")


async def test_warning_alerts_count_and_info_alerts_do_not(suite_settings):
    async with bus_client(suite_settings, toolsets=OPS) as client:
        await call(client, "raise_alert", severity="warning", title="memory high", raised_by="005")
        await call(client, "raise_alert", severity="info", title="deploy started", raised_by="005")
        await call(client, "scan_now", force=True)
        queue = await call(client, "list_todos")
    assert [(t["title"], t["priority"]) for t in queue["items"]] == [("Warning alert: memory high", "high")]


async def test_agent_in_error_gets_a_todo_until_it_recovers(suite_settings, era):
    async with bus_client(suite_settings, mode=era, toolsets=OPS) as client:
        await call(client, "register_agent", agent_id="002", role="coder")
        await call(client, "heartbeat", agent_id="002", status="error", note="quota exhausted")
        await call(client, "scan_now", force=True)
        [todo] = await _system_todos(suite_settings, "agent")
        assert todo["status"] == "open" and todo["linked_url"] == "bus://agents/002"
        await call(client, "heartbeat", agent_id="002")
        await call(client, "scan_now", force=True)
    [todo] = await _system_todos(suite_settings, "agent")
    assert todo["status"] == "done"
    assert todo["description"].endswith("agent 002 recovered from error (reported online)")


async def test_a_todo_the_human_dismissed_is_not_recreated_until_the_condition_recurs(suite_settings):
    async with bus_client(suite_settings, toolsets=OPS) as client:
        await call(client, "register_agent", agent_id="002", role="coder")
        await call(client, "heartbeat", agent_id="002", status="error")
        await call(client, "scan_now", force=True)
        [first] = await _system_todos(suite_settings, "agent")
        await call(client, "update_todo", id=str(first["id"]), status="dismissed")
        again = await call(client, "scan_now", force=True)
        await call(client, "heartbeat", agent_id="002")
        await call(client, "heartbeat", agent_id="002", status="error")  # a new occurrence
        recurred = await call(client, "scan_now", force=True)
    assert again["created"] == 0 and recurred["created"] == 1
    assert [t["status"] for t in await _system_todos(suite_settings, "agent")] == ["dismissed", "open"]


async def test_only_the_lease_holder_scans_a_cycle(suite_settings):
    async with bus_client(suite_settings, toolsets=OPS) as one, bus_client(suite_settings, toolsets=OPS) as two:
        first = await call(one, "scan_now")
        second = await call(two, "scan_now")
        lease = await call(one, "get_lease", name="bus.scanner")
    assert first["ran"] is True and first["leader"] == lease["holder"]
    assert second["ran"] is False and second["leader"] == lease["holder"] and second["sources"] == []


async def test_periodic_scan_fills_the_queue_and_pushes_bus_todos(suite_settings, era):
    async with bus_server(suite_settings, toolsets=OPS, scan_enabled=True, scan_interval_s=0.2) as server:
        async with subscribed(server, era, "bus://todos") as (client, pushes):
            await call(client, "raise_alert", severity="critical", title="db down", raised_by="005")
            with anyio.fail_after(15):
                assert await pushes.receive() == "bus://todos"
            queue = json.loads((await client.read_resource("bus://todos")).contents[0].text)
    assert [t["title"] for t in queue["items"]] == ["Critical alert: db down"]
    assert queue["items"][0]["created_by"] == "system"


async def test_unreachable_odm_makes_odm_sources_unavailable_and_local_ones_still_work(suite_settings):
    settings = suite_settings.model_copy(update={"odm_url": f"http://127.0.0.1:{free_port()}/mcp"})
    async with bus_client(settings, toolsets=OPS) as client:
        report = await call(client, "scan_now", force=True)
    status = {s["name"]: s["status"] for s in report["sources"]}
    reasons = {s["reason"] for s in report["sources"] if s["status"] != "ok"}
    assert len(reasons) == 1 and reasons.pop().startswith("the ODM at http://127.0.0.1:")
    assert status == {
        "bus.alerts": "ok", "bus.agents": "ok", "odm.tasks.stale": "unavailable", "odm.tasks.approval": "unavailable",
        "odm.escalations": "unavailable", "odm.budgets": "unavailable",
    }
