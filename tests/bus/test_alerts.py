"""Alerts: raise (deduplicated by key), acknowledge, resolve; the lifecycle refuses going back."""

from __future__ import annotations

import anyio
import pytest

from bus.domain.alerts import TRANSITIONS, check_transition
from tests.bus.support import bus_client, bus_server, call, call_error, sql, subscribed

STATUSES = ("active", "acknowledged", "resolved")


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_alert_lifecycle_table(current, target):
    if current == target:
        assert check_transition(current, target) is False
    elif target in TRANSITIONS[current]:
        assert check_transition(current, target) is True
    else:
        with pytest.raises(ValueError, match=f"cannot go from {current} to {target}"):
            check_transition(current, target)


async def test_alert_goes_active_acknowledged_resolved(suite_settings, era):
    async with bus_client(suite_settings, mode=era, toolsets="alerts") as client:
        raised = await call(client, "raise_alert", severity="critical", title="disk full on hetzner-1",
                            raised_by="005", source="hetzner-1", environment="hetzner")
        alert_id = raised["alert"]["id"]
        acked = await call(client, "acknowledge_alert", alert_id=alert_id, by="shai")
        resolved = await call(client, "resolve_alert", alert_id=alert_id, by="005", resolution="pruned images")
        again = await call(client, "resolve_alert", alert_id=alert_id, by="005")
        refused = await call_error(client, "acknowledge_alert", alert_id=alert_id, by="shai")
        listed = await call(client, "list_alerts", status="all")
    assert raised["repeated"] is False and raised["alert"]["status"] == "active"
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "shai"
    assert resolved["status"] == "resolved" and resolved["resolution"] == "pruned images"
    assert again["resolved_at"] == resolved["resolved_at"]
    assert refused.startswith(f"[invalid_transition] alert {alert_id} cannot go from resolved to acknowledged")
    assert [a["id"] for a in listed["items"]] == [alert_id]


async def test_raising_under_the_same_dedup_key_counts_occurrences_until_resolved(suite_settings):
    async with bus_client(suite_settings, toolsets="alerts") as client:
        first = await call(client, "raise_alert", severity="warning", title="memory pressure", raised_by="005",
                           dedup_key="mem:h1")
        second = await call(client, "raise_alert", severity="critical", title="memory pressure", raised_by="005",
                            dedup_key="mem:h1")
        await call(client, "resolve_alert", alert_id=first["alert"]["id"], by="005")
        third = await call(client, "raise_alert", severity="warning", title="memory pressure", raised_by="005",
                           dedup_key="mem:h1")
        open_alerts = await call(client, "list_alerts")
    assert second["repeated"] is True and second["alert"]["id"] == first["alert"]["id"]
    assert second["alert"]["occurrences"] == 2 and second["alert"]["severity"] == "critical"
    assert third["repeated"] is False and third["alert"]["id"] != first["alert"]["id"]
    assert [a["id"] for a in open_alerts["items"]] == [third["alert"]["id"]]


async def test_alert_changes_are_pushed_to_bus_alerts_subscribers(suite_settings, era):
    async with bus_server(suite_settings, toolsets="alerts") as server:
        async with subscribed(server, era, "bus://alerts") as (client, pushes):
            await call(client, "raise_alert", severity="info", title="deploy started", raised_by="000")
            with anyio.fail_after(10):
                assert await pushes.receive() == "bus://alerts"
            text = (await client.read_resource("bus://alerts")).contents[0].text
    assert '"title": "deploy started"' in text


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("acknowledge_alert", {"alert_id": 9, "by": "shai"}, "[not_found] no alert 9"),
        ("resolve_alert", {"alert_id": 9, "by": "shai"}, "[not_found] no alert 9"),
        ("raise_alert", {"severity": "fatal", "title": "x", "raised_by": "005"}, "[invalid_argument] raise_alert: severity"),
        ("raise_alert", {"severity": "info", "title": "", "raised_by": "005"}, "[invalid_argument] raise_alert: title"),
        ("raise_alert", {"severity": "info", "title": "x"}, "[invalid_argument] raise_alert: raised_by: is required"),
        ("list_alerts", {"status": "closed"}, "[invalid_argument] list_alerts: status"),
        ("list_alerts", {"cursor": "abc"}, "[invalid_argument] cursor is not one this tool returned"),
    ],
)
async def test_bad_alert_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings, toolsets="alerts") as client:
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT id FROM alerts") == []
