"""The feed contract the Bus relies on, run on the real odm-mcp and on the stand-in the scanner tests use:
same scenario, same answers through the Bus's own ODM client (servers.kernel.odm_client)."""

from __future__ import annotations

import pytest

import servers.kernel.odm_client
from bus.errors import FeedUnsupported
from servers.kernel.odm_client import open_odm
from tests.bus.odm_side import odm_side

SIDES = ("real", "fake")
CONTRACT_FIELDS = {"id", "title", "status_state", "priority", "ticket_id", "project_id", "claimed_by",
                   "claim_expires_at", "started_at", "updated_at", "blocked_reason"}


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
async def test_feeds_of_a_later_odm_issue_are_not_offered_yet(side, suite_settings):
    async with odm_side(side, suite_settings) as odm, open_odm(odm.url, 10) as session:
        assert session.offers("tasks")
        for feed in ("escalations", "budgets"):
            assert not session.offers(feed)
            with pytest.raises(FeedUnsupported, match=f"does not offer odm://feeds/{feed} yet"):
                await session.feed(feed)
