"""The scanner's ODM sources, read through an ODM MCP API over HTTP (the stand-in of tests/bus/fake_odm.py;
test_odm_feed_contract.py holds it to the real odm-mcp): stale tasks, pending approvals, escalations,
budgets; an unreachable ODM dismisses nothing; my_work joins ODM claims with Bus messages and leases."""

from __future__ import annotations

from contextlib import AsyncExitStack

import anyio

import servers.kernel.odm_client
from servers import bus as bus_server
from tests.bus.fake_odm import fake_odm
from tests.bus.support import bus_client, call, sql
from tests.support.http import serve_http

OPS = "ops,alerts"


def _with_odm(settings, url: str):
    return settings.model_copy(update={"odm_url": url})


async def _todos(settings, linked_type: str) -> list:
    return await sql(
        settings,
        "SELECT linked_id, status, title, description, priority, linked_url FROM user_todos "
        "WHERE linked_type = $1 ORDER BY created_at, linked_id",
        linked_type,
    )


def _by_name(report: dict) -> dict:
    return {s["name"]: s for s in report["sources"]}


async def test_escalation_makes_one_todo_with_two_scanners_and_resolving_it_marks_it_done(suite_settings):
    async with fake_odm("escalations") as odm, AsyncExitStack() as stack:
        odm.escalations.append({"id": "E-1", "status": "pending", "task_id": "1001.02", "title": "needs a decision",
                                "severity": "critical", "created_at": "2026-03-28T10:00:00+00:00"})
        settings = _with_odm(suite_settings, odm.url)
        clients = [await stack.enter_async_context(bus_client(settings, toolsets=OPS)) for _ in range(2)]
        reports = []

        async def scan(client):
            reports.append(await call(client, "scan_now", force=True))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for client in clients:
                    tg.start_soon(scan, client)
        [todo] = await _todos(suite_settings, "escalation")
        assert (todo["status"], todo["priority"], todo["linked_url"]) == ("open", "critical", "odm://escalations/E-1")
        assert todo["title"] == "Escalation E-1 on task 1001.02: needs a decision"
        assert sum(_by_name(r)["odm.escalations"]["created"] for r in reports) == 1
        odm.escalations[0]["status"] = "resolved"
        report = await call(clients[0], "scan_now", force=True)
    [todo] = await _todos(suite_settings, "escalation")
    assert _by_name(report)["odm.escalations"]["dismissed"] == 1
    assert todo["status"] == "done" and todo["description"].endswith(": escalation E-1 is no longer pending (resolved)")


async def test_unreachable_odm_dismisses_nothing_and_the_scan_reports_its_sources_unavailable(suite_settings):
    async with fake_odm("escalations") as odm:
        odm.escalations.append({"id": "E-2", "status": "pending", "title": "x", "created_at": None})
        odm.add_task("1001.01", "execute.active", started_hours_ago=30)
        odm.add_task("1001.02", "approval.waiting")
        url = odm.url
        async with bus_client(_with_odm(suite_settings, url), toolsets=OPS) as client:
            await call(client, "scan_now", force=True)
    # the ODM is gone now; the conditions did not clear, the source just cannot be read
    async with bus_client(_with_odm(suite_settings, url), toolsets=OPS) as client:
        report = await call(client, "scan_now", force=True)
    sources = _by_name(report)
    for name in ("odm.tasks.stale", "odm.tasks.approval", "odm.escalations", "odm.budgets"):
        assert sources[name]["status"] == "unavailable" and "is unreachable" in sources[name]["reason"]
    assert report["dismissed"] == 0
    open_links = await sql(suite_settings, "SELECT linked_type, linked_id FROM user_todos WHERE status = 'open' ORDER BY 1")
    assert [(r["linked_type"], r["linked_id"]) for r in open_links] == [
        ("approval", "1001.02"), ("escalation", "E-2"), ("task", "1001.01")
    ]
    events = await sql(suite_settings, "SELECT severity, payload FROM events WHERE topic = 'bus.scan' ORDER BY id")
    assert events[-1]["severity"] == "warning" and "odm.escalations" in events[-1]["payload"]


async def test_tasks_in_progress_over_24_hours_and_pending_approvals_come_and_go(suite_settings):
    async with fake_odm() as odm:
        odm.add_task("1001.01", "execute.active", started_hours_ago=30, claimed_by="002", title="long job")
        odm.add_task("1001.02", "execute.active", started_hours_ago=2)
        waiting = odm.add_task("1001.03", "approval.waiting", title="deploy to prod")
        async with bus_client(_with_odm(suite_settings, odm.url), toolsets=OPS) as client:
            first = await call(client, "scan_now", force=True)
            odm.tasks[0]["status_state"] = "complete.completed"
            waiting["status_state"] = "ready.ready"
            second = await call(client, "scan_now", force=True)
    assert _by_name(first)["odm.escalations"]["status"] == "unsupported"
    [stale] = await _todos(suite_settings, "task")
    [approval] = await _todos(suite_settings, "approval")
    assert stale["linked_id"] == "1001.01" and stale["title"].endswith("(over 24 h): long job")
    assert approval["title"] == "Task 1001.03 waits for your approval: deploy to prod"
    assert second["dismissed"] == 2
    assert stale["status"] == approval["status"] == "done"
    assert stale["description"].endswith("task 1001.01 is no longer in progress for over 24 h")


async def test_feeds_are_read_to_the_last_page(suite_settings, monkeypatch):
    monkeypatch.setattr(servers.kernel.odm_client, "PAGE_LIMIT", 2)
    async with fake_odm() as odm:
        for n in range(5):
            odm.add_task(f"1001.0{n}", "approval.waiting")
        async with bus_client(_with_odm(suite_settings, odm.url), toolsets=OPS) as client:
            report = await call(client, "scan_now", force=True)
    assert _by_name(report)["odm.tasks.approval"]["created"] == 5


async def test_budgets_near_their_threshold_need_attention(suite_settings):
    async with fake_odm("budgets") as odm:
        odm.budgets += [
            {"id": "b-1", "scope": "project", "scope_id": "p1", "planned_cost": 100.0, "actual_cost": 85.0},
            {"id": "b-2", "scope": "ticket", "scope_id": "1001", "planned_cost": 100.0, "actual_cost": 120.0},
            {"id": "b-3", "scope": "ticket", "scope_id": "1002", "planned_cost": 100.0, "actual_cost": 10.0},
        ]
        async with bus_client(_with_odm(suite_settings, odm.url), toolsets=OPS, budget_warn_ratio=0.8) as client:
            await call(client, "scan_now", force=True)
            odm.budgets[0]["actual_cost"] = 50.0
            await call(client, "scan_now", force=True)
    todos = {t["linked_id"]: t for t in await _todos(suite_settings, "budget")}
    assert set(todos) == {"b-1", "b-2"}
    assert todos["b-2"]["priority"] == "critical" and todos["b-2"]["title"] == "Budget of ticket 1001 at 120% of plan"
    assert todos["b-1"]["status"] == "done" and todos["b-2"]["status"] == "open"


async def test_my_work_joins_odm_claims_with_unread_messages_and_leases(suite_settings, era):
    async with fake_odm() as odm:
        odm.add_task("1001.01", "execute.active", started_hours_ago=1, claimed_by="002", title="mine")
        odm.add_task("1001.02", "execute.active", started_hours_ago=1, claimed_by="003")
        async with bus_client(_with_odm(suite_settings, odm.url), mode=era, toolsets=OPS) as client:
            await call(client, "register_agent", agent_id="000", role="orchestrator")
            await call(client, "register_agent", agent_id="002", role="coder")
            await call(client, "send_message", from_agent="000", to=["002"], subject="ping", body="b")
            await call(client, "acquire_lease", name="deploy", holder="002", ttl_seconds=60)
            work = await call(client, "my_work", agent_id="002")
    assert [t["id"] for t in work["tasks"]] == ["1001.01"] and work["odm_available"] is True
    assert work["unread_messages"] == 1 and work["messages"][0]["subject"] == "ping"
    assert [lease["name"] for lease in work["leases"]] == ["deploy"]


async def test_my_work_without_the_odm_still_answers_the_bus_part(suite_settings):
    async with fake_odm() as odm:
        url = odm.url
    async with bus_client(_with_odm(suite_settings, url), toolsets=OPS) as client:
        await call(client, "register_agent", agent_id="002", role="coder")
        work = await call(client, "my_work", agent_id="002")
        missing = await client.call_tool("my_work", {"agent_id": "404"})
    assert work["odm_available"] is False and "is unreachable" in work["odm_reason"]
    assert work["tasks"] == [] and work["unread_messages"] == 0
    assert missing.is_error and missing.content[0].text.startswith("[not_found] agent 404 is not registered")


async def test_my_work_from_a_server_that_is_no_odm_says_why_instead_of_failing(suite_settings):
    async with serve_http(bus_server.SPEC, suite_settings) as not_an_odm:  # an MCP server without odm://feeds/tasks
        async with bus_client(_with_odm(suite_settings, not_an_odm), toolsets=OPS) as client:
            await call(client, "register_agent", agent_id="002", role="coder")
            work = await call(client, "my_work", agent_id="002")
    assert work["odm_available"] is False and "does not offer odm://feeds/tasks" in work["odm_reason"]
