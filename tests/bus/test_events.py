"""The event log: append-only, read by topic and id range, pushed to topic subscribers."""

from __future__ import annotations

import anyio
import asyncpg
import pytest

from tests.bus.support import bus_client, bus_server, call, call_error, sql, subscribed


async def test_events_are_read_back_by_topic_and_id_range_in_order(suite_settings, era):
    async with bus_client(suite_settings, mode=era, toolsets="events") as client:
        ids = []
        for n in range(6):
            topic = "deploy.finished" if n % 2 else "build.done"
            ids.append((await call(client, "publish_event", topic=topic, payload={"n": n}, source="005"))["id"])
        builds = await call(client, "read_events", topic="build.done")
        window = await call(client, "read_events", after_id=ids[1], up_to_id=ids[4])
        page = await call(client, "read_events", limit=4)
        rest = await call(client, "read_events", after_id=int(page["next_cursor"]))
    assert ids == sorted(ids)
    assert [e["payload"]["n"] for e in builds["items"]] == [0, 2, 4]
    assert [e["id"] for e in window["items"]] == ids[2:5]
    assert [e["id"] for e in page["items"] + rest["items"]] == ids and rest["next_cursor"] is None
    assert builds["items"][0]["source"] == "005"


async def test_min_severity_keeps_that_level_and_above(suite_settings):
    async with bus_client(suite_settings, toolsets="events") as client:
        for severity in ("debug", "info", "warning", "error", "critical"):
            await call(client, "publish_event", topic="host.memory", payload={}, severity=severity)
        loud = await call(client, "read_events", min_severity="warning")
    assert [e["severity"] for e in loud["items"]] == ["warning", "error", "critical"]


async def test_topic_subscribers_are_pushed_each_new_event(suite_settings, era):
    async with bus_server(suite_settings) as server:
        async with subscribed(server, era, "bus://events/deploy.finished") as (client, pushes):
            await call(client, "publish_event", topic="build.done", payload={})
            await call(client, "publish_event", topic="deploy.finished", payload={"env": "prod"})
            with anyio.fail_after(10):
                assert await pushes.receive() == "bus://events/deploy.finished"
            latest = (await client.read_resource("bus://events/deploy.finished")).contents[0].text
    assert '"env": "prod"' in latest


async def test_the_log_refuses_updates_and_deletes(suite_settings):
    async with bus_client(suite_settings) as client:
        await call(client, "publish_event", topic="a", payload={"x": 1})
    for statement in ("UPDATE events SET topic = 'b'", "DELETE FROM events"):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await sql(suite_settings, statement)


@pytest.mark.parametrize(
    "tool, arguments, expected",
    [
        ("publish_event", {"topic": "Deploy Done", "payload": {}}, "[invalid_argument] publish_event: topic"),
        ("publish_event", {"topic": "a", "payload": [1, 2]}, "[invalid_argument] publish_event: payload"),
        ("publish_event", {"topic": "a", "payload": {"blob": "x" * 70000}},
         "[invalid_argument] payload is 70011 bytes as JSON, over the 65536 limit"),
        ("publish_event", {"topic": "a", "payload": {}, "severity": "fatal"}, "[invalid_argument] publish_event: severity"),
        ("publish_event", {"topic": "a"}, "[invalid_argument] publish_event: payload: is required"),
        ("read_events", {"after_id": -1}, "[invalid_argument] read_events: after_id"),
        ("read_events", {"limit": 0}, "[invalid_argument] read_events: limit"),
    ],
)
async def test_bad_event_input_is_refused_and_changes_nothing(suite_settings, tool, arguments, expected):
    async with bus_client(suite_settings, toolsets="events") as client:
        text = await call_error(client, tool, **arguments)
    assert text.startswith(expected), text
    assert await sql(suite_settings, "SELECT id FROM events") == []
