"""Agent registry and liveness: register, heartbeat, online → stale → offline, error said by the agent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bus.domain.agents import liveness
from tests.bus.support import bus_client, call, call_error, sql

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "reported, age_s, expected",
    [
        ("online", 0, "online"),
        ("online", 89.9, "online"),
        ("online", 90, "stale"),
        ("online", 299, "stale"),
        ("online", 300, "offline"),
        ("error", 0, "error"),
        ("error", 10_000, "error"),
        ("offline", 0, "offline"),
    ],
)
def test_liveness_follows_missed_heartbeats_unless_the_agent_said_otherwise(reported, age_s, expected):
    last = NOW - timedelta(seconds=age_s)
    assert liveness(reported, last, NOW, stale_after_s=90, offline_after_s=300) == expected


async def test_registered_agent_is_online_and_listed_in_bus_agents(suite_settings, era):
    async with bus_client(suite_settings, mode=era) as client:
        first = await call(client, "register_agent", agent_id="002", role="coder", host_id="hetzner-1",
                           capabilities=["python", "sql"])
        again = await call(client, "register_agent", agent_id="002", role="coder")
        listing = await client.read_resource("bus://agents")
    assert (first["status"], first["previous_status"], first["unread_messages"]) == ("online", None, 0)
    assert again["previous_status"] == "online"
    body = json.loads(listing.contents[0].text)
    assert body["master"] is None
    assert [(a["id"], a["status"], a["capabilities"]) for a in body["agents"]] == [("002", "online", [])]


async def test_agent_goes_stale_then_offline_and_a_heartbeat_brings_it_back(suite_settings):
    async with bus_client(suite_settings, stale_after_s=30, offline_after_s=60, toolsets="ops") as client:
        await call(client, "register_agent", agent_id="005", role="ops")
        await sql(suite_settings, "UPDATE agent_registry SET last_heartbeat_at = now() - interval '45 seconds'")
        assert (await call(client, "list_agents"))["items"][0]["status"] == "stale"
        await sql(suite_settings, "UPDATE agent_registry SET last_heartbeat_at = now() - interval '61 seconds'")
        assert (await call(client, "list_agents", status="offline"))["items"][0]["id"] == "005"
        ack = await call(client, "heartbeat", agent_id="005")
    assert ack["previous_status"] == "offline" and ack["status"] == "online"
    assert ack["heartbeat_within_s"] == 30


async def test_error_said_by_the_agent_stands_until_it_reports_online(suite_settings, era):
    async with bus_client(suite_settings, mode=era) as client:
        await call(client, "register_agent", agent_id="003", role="designer")
        ack = await call(client, "heartbeat", agent_id="003", status="error", note="model quota exhausted")
        assert ack["status"] == "error"
        await sql(suite_settings, "UPDATE agent_registry SET last_heartbeat_at = now() - interval '1 day'")
        agent = await client.read_resource("bus://agents/003")
        assert '"status": "error"' in agent.contents[0].text
        ack = await call(client, "heartbeat", agent_id="003", in_flight=["1001.02"])
    assert (ack["previous_status"], ack["status"]) == ("error", "online")


async def test_list_agents_pages_with_a_cursor_and_filters_by_role(suite_settings):
    async with bus_client(suite_settings, toolsets="ops") as client:
        for n in range(5):
            await call(client, "register_agent", agent_id=f"00{n}", role="coder" if n % 2 else "ops")
        first = await call(client, "list_agents", limit=2)
        second = await call(client, "list_agents", limit=2, cursor=first["next_cursor"])
        third = await call(client, "list_agents", limit=2, cursor=second["next_cursor"])
        coders = await call(client, "list_agents", role="coder")
    assert [a["id"] for a in first["items"] + second["items"] + third["items"]] == ["000", "001", "002", "003", "004"]
    assert third["next_cursor"] is None
    assert [a["id"] for a in coders["items"]] == ["001", "003"]


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("heartbeat", {"agent_id": "404"}, "[not_found] agent 404 is not registered; call register_agent first"),
        ("heartbeat", {"agent_id": "002", "status": "sleeping"}, "[invalid_argument] heartbeat: status"),
        ("register_agent", {"agent_id": "bad id!", "role": "coder"}, "[invalid_argument] register_agent: agent_id"),
        ("register_agent", {"agent_id": "002", "role": "Coder Role"}, "[invalid_argument] register_agent: role"),
        ("register_agent", {"agent_id": "002"}, "[invalid_argument] register_agent: role: is required"),
        ("register_agent", {"agent_id": "002", "role": "coder", "capabilities": ["x" * 65]},
         "[invalid_argument] register_agent: capabilities.0"),
    ],
)
async def test_bad_registry_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings) as client:
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT id FROM agent_registry") == []
