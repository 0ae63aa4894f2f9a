"""A Bus heartbeat with work in flight renews the agent's ODM claims through the ODM API (a real
odm-mcp process), each by its own lease; one saying offline releases them; an ODM that cannot renew or
release never fails the heartbeat."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

import asyncpg
from mcp import Client

from tests.bus.support import bus_client, call
from tests.conftest import script_env
from tests.support.net import running_server
from tests.support.odm import call as odm_call

ODM = [sys.executable, "-m", "servers.cli.odm_mcp"]


def _odm(suite_settings, home, *args: str):
    """A real odm-mcp process on the test's odm database (``async with ... as url``)."""
    env = script_env(XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_HOME=str(home), XIOPRO_LOG_LEVEL="WARNING")
    return running_server([*ODM, *args], env)


@asynccontextmanager
async def _bus_with_agent_002(suite_settings, odm_url: str):
    """A Bus client whose ODM is at ``odm_url``, with agent 002 registered."""
    async with bus_client(suite_settings.model_copy(update={"odm_url": odm_url})) as client:
        await call(client, "register_agent", agent_id="002", role="coder")
        yield client


async def _claim_then_nearly_expire(url: str, dsn: str) -> dict:
    """Task 1001.01 claimed by 002 with a 600 s lease, of which 5 s are left."""
    async with Client(url, mode="legacy") as odm:
        project = await odm_call(odm, "create_project", name="P")
        ticket = await odm_call(odm, "create_ticket", project_id=project["id"], title="T")
        await odm_call(odm, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        claim = await odm_call(odm, "next_task", agent_id="002", lease_seconds=600)
    await _sql(dsn, "UPDATE tasks SET claim_expires_at = now() + interval '5 seconds'")
    return claim


async def _seconds_left(dsn: str) -> float:
    return float(await _sql(dsn, "SELECT extract(epoch FROM claim_expires_at - now()) FROM tasks WHERE id = '1001.01'"))


async def _sql(dsn: str, query: str):
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


async def test_heartbeat_with_work_in_flight_renews_the_agents_odm_claims_by_their_own_lease(suite_settings, tmp_path):
    async with _odm(suite_settings, tmp_path, "--toolsets", "claims") as url:
        claim = await _claim_then_nearly_expire(url, suite_settings.odm_dsn)
        async with _bus_with_agent_002(suite_settings, url) as client:
            idle = await call(client, "heartbeat", agent_id="002")
            left_idle = await _seconds_left(suite_settings.odm_dsn)
            busy = await call(client, "heartbeat", agent_id="002", in_flight=["1001.01"])
            left_busy = await _seconds_left(suite_settings.odm_dsn)
        async with Client(url, mode="legacy") as odm:  # the claim is the same one: same token
            again = await odm_call(odm, "next_task", agent_id="002")
    assert idle["odm_claims_renewed"] is None and left_idle <= 5  # nothing in flight: the ODM is not asked
    assert busy["odm_claims_renewed"] == ["1001.01"] and busy["odm_note"] is None
    assert 500 < left_busy <= 600
    assert again["renewed"] is True and again["claim_token"] == claim["claim_token"]


async def test_heartbeat_still_succeeds_when_the_odm_cannot_renew_and_says_why(suite_settings, tmp_path):
    async with _odm(suite_settings, tmp_path) as url:  # default toolset: no heartbeat_runtime
        await _claim_then_nearly_expire(url, suite_settings.odm_dsn)
        async with _bus_with_agent_002(suite_settings, url) as client:
            without_tool = await call(client, "heartbeat", agent_id="002", in_flight=["1001.01"])
    async with bus_client(suite_settings.model_copy(update={"odm_url": url})) as client:  # the ODM is gone
        unreachable = await call(client, "heartbeat", agent_id="002", in_flight=["1001.01"])
    for answer in (without_tool, unreachable):
        assert answer["status"] == "online" and answer["odm_claims_renewed"] is None
        assert answer["odm_note"].endswith("call the ODM's next_task to renew the claim you hold")
    assert "heartbeat_runtime" in without_tool["odm_note"] and "unreachable" in unreachable["odm_note"]
    assert await _seconds_left(suite_settings.odm_dsn) <= 5


async def test_heartbeat_saying_offline_puts_the_agents_claimed_tasks_back_to_ready(suite_settings, tmp_path):
    async with _odm(suite_settings, tmp_path, "--toolsets", "claims") as url:
        claim = await _claim_then_nearly_expire(url, suite_settings.odm_dsn)
        async with _bus_with_agent_002(suite_settings, url) as client:
            failing = await call(client, "heartbeat", agent_id="002", status="error", note="disk full")
            held = await _sql(suite_settings.odm_dsn, "SELECT claimed_by FROM tasks WHERE id = '1001.01'")
            leaving = await call(client, "heartbeat", agent_id="002", status="offline")
        state = await _sql(suite_settings.odm_dsn, "SELECT status_state FROM tasks WHERE id = '1001.01'")
        async with Client(url, mode="legacy") as odm:
            taken = await odm_call(odm, "next_task", agent_id="003")
    assert failing["odm_claims_released"] is None and held == "002"  # an agent in error keeps its work
    assert leaving["status"] == "offline" and leaving["odm_claims_released"] == ["1001.01"]
    assert state == "ready.ready"
    assert taken["task"]["id"] == "1001.01" and taken["claim_token"] > claim["claim_token"]


async def test_heartbeat_saying_offline_while_the_odm_is_gone_still_succeeds_and_says_why(suite_settings, tmp_path):
    async with _odm(suite_settings, tmp_path, "--toolsets", "claims") as url:
        await _claim_then_nearly_expire(url, suite_settings.odm_dsn)
    async with _bus_with_agent_002(suite_settings, url) as client:
        leaving = await call(client, "heartbeat", agent_id="002", status="offline")
    assert leaving["status"] == "offline" and leaving["odm_claims_released"] is None
    assert "unreachable" in leaving["odm_note"] and leaving["odm_note"].endswith("when their leases end")
    assert await _sql(suite_settings.odm_dsn, "SELECT claimed_by FROM tasks WHERE id = '1001.01'") == "002"
