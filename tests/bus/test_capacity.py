"""Host capacity (spec 4.1B) and can_spawn: free RAM above the reserve, the agent cap, a fresh report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bus.domain.capacity import HostCapacity, decide_spawn
from tests.bus.support import bus_client, call, call_error, sql

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


def capacity(**overrides) -> HostCapacity:
    values = dict(
        host_id="hetzner-cpx62", ram_gb=30, available_ram_gb=12, reserved_ram_gb=4, ram_per_agent_gb=2,
        max_concurrent_agents=None, active_agents=5, active_services=[], status="online",
        reported_at=NOW - timedelta(seconds=10),
    )
    return HostCapacity(**(values | overrides))


@pytest.mark.parametrize(
    "overrides, can, slots, reason",
    [
        ({}, True, 4, "4 more agent(s) fit"),
        ({"max_concurrent_agents": 7}, True, 2, "2 more agent(s) fit (capped by max_concurrent_agents 7)"),
        ({"max_concurrent_agents": 5}, False, 0, "5 agents already run, the maximum is 5"),
        ({"available_ram_gb": 5.9}, False, 0, "5.9 GB free minus 4 GB reserved is less than 2 GB per agent"),
        ({"available_ram_gb": 6}, True, 1, "1 more agent(s) fit"),
        ({"status": "degraded"}, False, 0, "host hetzner-cpx62 is degraded"),
        ({"status": "maintenance"}, False, 0, "host hetzner-cpx62 is maintenance"),
        ({"reported_at": NOW - timedelta(seconds=301)}, False, 0, "the capacity report of hetzner-cpx62 is 301 s old"),
    ],
)
def test_spawn_decision(overrides, can, slots, reason):
    decision = decide_spawn(capacity(**overrides), NOW, stale_after_s=300)
    assert (decision.can_spawn, decision.slots) == (can, slots)
    assert decision.reason.startswith(reason), decision.reason


async def test_reported_capacity_answers_can_spawn_until_the_report_is_stale(suite_settings, era):
    async with bus_client(suite_settings, mode=era, toolsets="ops", capacity_stale_after_s=120) as client:
        report = await call(client, "report_host_capacity", host_id="mac-studio", ram_gb=32, available_ram_gb=20,
                            ram_per_agent_gb=2, active_agents=3, max_concurrent_agents=25,
                            active_services=["bus-mcp"], )
        fresh = await call(client, "can_spawn", host_id="mac-studio")
        await sql(suite_settings, "UPDATE host_capacity SET reported_at = now() - interval '3 minutes'")
        stale = await call(client, "can_spawn", host_id="mac-studio")
        hosts = await call(client, "list_hosts")
    assert report["slots"] == 10 and report["can_spawn"] is True
    assert fresh["can_spawn"] is True and fresh["slots"] == 10
    assert stale["can_spawn"] is False and "must report_host_capacity again" in stale["reason"]
    assert [h["host_id"] for h in hosts["items"]] == ["mac-studio"]


async def test_a_new_report_replaces_the_previous_one(suite_settings):
    async with bus_client(suite_settings, toolsets="ops") as client:
        await call(client, "report_host_capacity", host_id="h1", ram_gb=30, available_ram_gb=20, ram_per_agent_gb=2,
                   active_agents=0)
        await call(client, "report_host_capacity", host_id="h1", ram_gb=30, available_ram_gb=1, ram_per_agent_gb=2,
                   active_agents=9)
        decision = await call(client, "can_spawn", host_id="h1")
    assert decision["can_spawn"] is False
    assert len(await sql(suite_settings, "SELECT host_id FROM host_capacity")) == 1


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("can_spawn", {"host_id": "nowhere"}, "[not_found] host nowhere has never reported its capacity"),
        ("report_host_capacity", {"host_id": "h", "ram_gb": 8, "available_ram_gb": 9, "ram_per_agent_gb": 2,
                                  "active_agents": 0}, "[invalid_argument] available_ram_gb 9 exceeds ram_gb 8"),
        ("report_host_capacity", {"host_id": "h", "ram_gb": 8, "available_ram_gb": 4, "ram_per_agent_gb": 2,
                                  "active_agents": 0, "reserved_ram_gb": 9}, "[invalid_argument] reserved_ram_gb 9 exceeds"),
        ("report_host_capacity", {"host_id": "h", "ram_gb": 8, "available_ram_gb": 4, "ram_per_agent_gb": 0,
                                  "active_agents": 0}, "[invalid_argument] report_host_capacity: ram_per_agent_gb"),
        ("report_host_capacity", {"host_id": "h", "ram_gb": 8, "available_ram_gb": 4, "ram_per_agent_gb": 2,
                                  "active_agents": -1}, "[invalid_argument] report_host_capacity: active_agents"),
        ("report_host_capacity", {"host_id": "h", "ram_gb": 8, "available_ram_gb": 4, "ram_per_agent_gb": 2,
                                  "active_agents": 0, "status": "busy"}, "[invalid_argument] report_host_capacity: status"),
        ("report_host_capacity", {"host_id": "h/1", "ram_gb": 8, "available_ram_gb": 4, "ram_per_agent_gb": 2,
                                  "active_agents": 0}, "[invalid_argument] report_host_capacity: host_id"),
    ],
)
async def test_bad_capacity_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings, toolsets="ops") as client:
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT host_id FROM host_capacity") == []
