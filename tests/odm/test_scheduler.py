"""The scheduler through odm-mcp: each due occurrence goes to exactly one of two concurrent orchestrators, missed
occurrences coalesce into one, and every mode (immediate, delayed, periodic, event_driven, idle_window) is due when
§15 says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio

from servers import odm
from tests.conftest import connect_client
from tests.support.odm import call, data_fingerprint, fails

TOOLSETS = "execution,knowledge"
ANCHOR = datetime(2026, 12, 31, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def _task(client) -> str:
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
    return (await call(client, "create_task", ticket_id=ticket["id"], title="nightly", objective="o"))["id"]


async def test_each_periodic_occurrence_goes_to_exactly_one_of_two_concurrent_orchestrators(odm_settings):
    rounds, schedules = 20, 6
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as one, \
            connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as two:
        task = await _task(one)
        made = [await call(one, "schedule", mode="periodic", task_id=task, cron_expr="* * * * *", run_at=iso(ANCHOR))
                for _ in range(schedules)]
        handed: dict[str, list[tuple[str, str]]] = {"one": [], "two": []}
        for i in range(rounds):
            now = iso(ANCHOR + timedelta(minutes=i, seconds=30))

            async def ask(name: str, client, now: str = now) -> None:
                page = await call(client, "due_schedules", now=now, orchestrator=name, limit=200)
                handed[name] += [(o["schedule_id"], o["due_at"]) for o in page["items"]]

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(ask, "one", one)
                    tg.start_soon(ask, "two", two)
        listed = await call(one, "list_schedules", task_id=task)
    every = handed["one"] + handed["two"]
    expected = {(s["id"], iso(ANCHOR + timedelta(minutes=i))) for s in made for i in range(rounds)}
    assert len(every) == len(set(every)) == rounds * schedules  # nothing handed twice, nothing lost
    assert {(sid, datetime.fromisoformat(at).astimezone(UTC).isoformat().replace("+00:00", "Z")) for sid, at in every} == expected
    assert {s["handed_count"] for s in listed["items"]} == {rounds}


async def test_missed_periodic_occurrences_coalesce_into_the_latest_one(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as client:
        task = await _task(client)
        made = await call(client, "schedule", mode="periodic", task_id=task, cron_expr="*/10 * * * *", run_at=iso(ANCHOR))
        late = await call(client, "due_schedules", now=iso(ANCHOR + timedelta(minutes=35)))
        again = await call(client, "due_schedules", now=iso(ANCHOR + timedelta(minutes=39)))
        listed = await call(client, "list_schedules", task_id=task)
    assert made["next_due_at"].startswith("2026-12-31T00:00:00")
    [occurrence] = late["items"]
    assert occurrence["due_at"].startswith("2026-12-31T00:30:00") and occurrence["missed"] == 3
    assert occurrence["late_sec"] == 300 and again["items"] == []
    assert listed["items"][0]["next_due_at"].startswith("2026-12-31T00:40:00") and listed["items"][0]["missed_count"] == 3


async def test_one_shot_event_and_idle_schedules_are_due_when_their_mode_says(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as client:
        task = await _task(client)
        research = await call(client, "create_research_task", name="dream", objective="reflect", output_type="synthesis")
        now = await call(client, "schedule", mode="immediate", task_id=task)
        later = await call(client, "schedule", mode="delayed", task_id=task, run_at=iso(ANCHOR), max_delay_sec=60)
        event = await call(client, "schedule", mode="event_driven", task_id=task, dependency_event="deploy.done")
        idle = await call(client, "schedule", mode="idle_window", research_task_id=research["id"])
        first = await call(client, "due_schedules")
        busy_then_idle = [await call(client, "due_schedules", idle=flag) for flag in (False, True)]
        fired = await call(client, "fire_event", event="deploy.done")
        after_event = await call(client, "due_schedules")
        at_run = await call(client, "due_schedules", now=iso(ANCHOR + timedelta(minutes=5)))
        statuses = {s["id"]: s["status"] for s in (await call(client, "list_schedules"))["items"]}
    assert [o["schedule_id"] for o in first["items"]] == [now["id"]]
    assert busy_then_idle[0]["items"] == [] and [o["schedule_id"] for o in busy_then_idle[1]["items"]] == [idle["id"]]
    assert [s["id"] for s in fired["items"]] == [event["id"]] and [o["schedule_id"] for o in after_event["items"]] == [event["id"]]
    [delayed] = at_run["items"]
    assert delayed["schedule_id"] == later["id"] and delayed["over_max_delay"] is True and delayed["late_sec"] == 300
    assert statuses == {now["id"]: "finished", later["id"]: "finished", event["id"]: "active", idle["id"]: "finished"}


async def test_a_cancelled_schedule_is_never_handed_out(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as client:
        task = await _task(client)
        made = await call(client, "schedule", mode="immediate", task_id=task, idempotency_key="k1")
        same = await call(client, "schedule", mode="immediate", task_id=task, idempotency_key="k1")
        cancelled = await call(client, "cancel_schedule", schedule_id=made["id"], reason="not needed")
        due = await call(client, "due_schedules")
    assert same["id"] == made["id"] and cancelled["status"] == "cancelled" and due["items"] == []


async def test_an_invalid_cron_expression_or_unknown_task_names_the_field_and_writes_nothing(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets=TOOLSETS) as client:
        task = await _task(client)
        before = await data_fingerprint(odm_settings.odm_dsn)
        cron = await fails(client, "schedule", mode="periodic", task_id=task, cron_expr="*/5 25 * * *")
        words = await fails(client, "schedule", mode="periodic", task_id=task, cron_expr="every day")
        unknown = await fails(client, "schedule", mode="immediate", task_id="1001.99")
        zone = await fails(client, "schedule", mode="periodic", task_id=task, cron_expr="0 9 * * *", timezone="Mars/Base")
        assert await data_fingerprint(odm_settings.odm_dsn) == before
    assert cron.startswith("[invalid_argument]") and "cron_expr" in cron and "'*/5 25 * * *'" in cron
    assert words.startswith("[invalid_argument]") and "cron_expr" in words
    assert unknown.startswith("[not_found]") and "1001.99" in unknown
    assert zone.startswith("[invalid_argument]") and "timezone" in zone
