"""The feed contract the Bus relies on, run on the real odm-mcp and on the stand-in the scanner tests use:
same scenario, same answers through the Bus's own ODM client (servers.kernel.odm_client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from mcp import Client

import servers.kernel.odm_client
from bus.services.scanner.odm import BudgetSource
from servers import odm as odm_server
from servers.kernel.odm_client import open_odm
from tests.bus.fake_odm import FakeOdm, fake_odm
from tests.bus.odm_side import odm_side
from tests.support.http import serve_http

SIDES = ("real", "fake")
CONTRACT_FIELDS = {"id", "title", "status_state", "priority", "ticket_id", "project_id", "claimed_by",
                   "claim_expires_at", "started_at", "updated_at", "blocked_reason"}
# what EscalationSource (bus/services/scanner/odm.py) and my_work read from odm://feeds/escalations
ESCALATION_FIELDS = {"id", "task_id", "title", "summary", "priority", "detail", "status", "created_at", "agent_id", "url"}


@pytest.mark.parametrize("side", SIDES)
async def test_feed_answers_the_scanner_and_my_work_queries_alike(side, suite_settings):
    async with odm_side(side, suite_settings) as odm, open_odm(odm.url, 10) as session:
        stale = await session.feed("tasks", in_progress_over_s=86400)
        waiting = await session.feed("tasks", status_state="approval.waiting")
        mine = await session.feed("tasks", claimed_by="002")
        both = await session.feed("tasks", status_state="execute.active,approval.waiting")
    assert [t["id"] for t in stale] == ["1001.01"]
    assert [t["id"] for t in waiting] == ["1001.03"]
    assert [(t["id"], t["status_state"]) for t in mine] == [("1001.01", "execute.active")]
    assert [t["id"] for t in both] == ["1001.01", "1001.02", "1001.03"]
    assert all(CONTRACT_FIELDS <= set(t) for t in stale + waiting + mine + both)
    assert stale[0]["started_at"] is not None and stale[0]["claimed_by"] == "002"


@pytest.mark.parametrize("side", SIDES)
async def test_feed_is_followed_to_its_last_page(side, suite_settings, monkeypatch):
    monkeypatch.setattr(servers.kernel.odm_client, "PAGE_LIMIT", 1)
    async with odm_side(side, suite_settings) as odm, open_odm(odm.url, 10) as session:
        every = await session.feed("tasks")
    assert [t["id"] for t in every] == ["1001.01", "1001.02", "1001.03", "1001.04"]


@pytest.mark.parametrize("side", SIDES)
async def test_escalation_feed_answers_the_scanner_and_my_work_queries_alike(side, suite_settings):
    async with odm_side(side, suite_settings) as odm:
        esc_id = await odm.escalate("1001.04", "004", "Which region do we deploy to?")
        async with open_odm(odm.url, 10) as session:
            pending = await session.feed("escalations", status="pending")
            mine = await session.feed("escalations", status="pending", agent_id="004")
            others = await session.feed("escalations", status="pending", agent_id="002")
            of_task = await session.feed("escalations", task_id="1001.04")
    assert [(e["id"], e["task_id"], e["status"]) for e in pending] == [(esc_id, "1001.04", "pending")]
    assert [e["id"] for e in mine] == [e["id"] for e in of_task] == [esc_id] and others == []
    assert all(ESCALATION_FIELDS <= set(e) for e in pending + mine)
    item = pending[0]
    assert (item["title"], item["priority"], item["url"]) == ("Which region do we deploy to?", "high",
                                                              f"odm://escalations/{esc_id}")
    assert item["created_at"] is not None and "1001.04" in item["detail"]


@pytest.mark.parametrize("side", SIDES)
async def test_both_sides_offer_the_task_and_escalation_feeds_and_the_real_one_budgets(side, suite_settings):
    async with odm_side(side, suite_settings) as odm, open_odm(odm.url, 10) as session:
        assert session.offers("tasks") and session.offers("escalations")
        assert session.offers("budgets") == (side == "real")


class _Inputs:
    def __init__(self, session) -> None:
        self.session = session

    async def odm(self):
        return self.session


@asynccontextmanager
async def _budget_side(side: str, settings) -> AsyncIterator[str]:
    """An ODM whose task 1001.01 has spent 0.9 of its cost_cap 1.0 (a warning): real (recorded) or stand-in."""
    if side == "fake":
        item = {"id": "task:1001.01", "scope": "task", "scope_id": "1001.01", "title": "capped", "planned_cost": 1.0,
                "actual_cost": 0.9, "budget_status": "warning", "url": "odm://tasks/1001.01"}
        async with fake_odm("budgets", odm=FakeOdm(budgets=[item])) as fake:
            yield fake.url
        return
    async with serve_http(odm_server.SPEC, settings) as url:
        async with Client(url, mode="legacy") as client:
            project = (await client.call_tool("create_project", {"name": "P"})).structured_content
            ticket = (await client.call_tool("create_ticket", {"project_id": project["id"], "title": "T"})).structured_content
            await client.call_tool("create_task", {"ticket_id": ticket["id"], "title": "capped", "objective": "o",
                                                   "cost_cap": 1})
            await client.call_tool("next_task", {"agent_id": "002"})
            done = await client.call_tool("record_activity", {"task_id": "1001.01", "agent_runtime_id": "002",
                                                              "actual_cost": 0.9})
            assert not done.is_error, done.content
        yield url


@pytest.mark.parametrize("side", SIDES)
async def test_the_budget_feed_gives_the_scanner_a_budget_condition_alike(side, suite_settings):
    async with _budget_side(side, suite_settings) as url, open_odm(url, 10) as session:
        items = await session.feed("budgets")
        conditions = await BudgetSource(0.8).read(_Inputs(session))
    assert [(i["id"], i["budget_status"], i["planned_cost"], i["actual_cost"]) for i in items] == [
        ("task:1001.01", "warning", 1.0, 0.9)]
    assert [(c.linked_type, c.linked_id, c.priority) for c in conditions] == [("budget", "task:1001.01", "high")]
    assert "task 1001.01 at 90% of plan" in conditions[0].title
