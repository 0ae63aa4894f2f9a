"""Bad input on the ops and remaining read tools gets a [code] error and changes nothing."""

from __future__ import annotations

import pytest

from tests.bus.support import bus_client, call_error, sql

TABLES = ("agent_registry", "leases", "messages", "events", "host_capacity", "alerts", "user_todos")


async def _counts(settings) -> dict[str, int]:
    return {t: (await sql(settings, f"SELECT count(*) FROM {t}"))[0][0] for t in TABLES}


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("list_agents", {"limit": 0}, "[invalid_argument] list_agents: limit"),
        ("list_agents", {"status": "sleepy"}, "[invalid_argument] list_agents: status"),
        ("list_agents", {"cursor": "no such/agent"}, "[invalid_argument] cursor is not one this tool returned"),
        ("get_lease", {"name": "nothing"}, "[not_found] no lease named nothing"),
        ("get_lease", {"name": "GO"}, "[invalid_argument] get_lease: name: must be lower-case letters"),
        ("list_hosts", {"limit": 500}, "[invalid_argument] list_hosts: limit"),
        ("can_spawn", {}, "[invalid_argument] can_spawn: host_id: is required"),
        ("my_work", {"agent_id": "bad id!"}, "[invalid_argument] my_work: agent_id"),
        ("my_work", {"agent_id": "404"}, "[not_found] agent 404 is not registered"),
        ("scan_now", {"force": "maybe"}, "[invalid_argument] scan_now: force"),
        ("scan_now", {"forse": True}, "[invalid_argument] scan_now: forse is not an argument of this tool"),
    ],
)
async def test_bad_ops_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings, toolsets="ops") as client:
        before = await _counts(suite_settings)
        text = await call_error(client, tool, **arguments)
        after = await _counts(suite_settings)
    assert text.startswith(expected), text
    assert before == after
