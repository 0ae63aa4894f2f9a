"""Activities through an MCP client on a real database: recorded with their ledger entries, rolled up to the cent
(incomplete where a cost is unknown), append-only in the database, partitioned by month and pruned by range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import anyio
import asyncpg
import pytest
from mcp import Client

from servers import odm
from tests.conftest import connect_client
from tests.support.http import serve_http
from tests.support.odm import call, data_fingerprint, fails


async def _sql(dsn: str, query: str, *args):
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _running(client, tasks: int = 1, *, sprint: bool = True) -> dict:
    """A project, a sprint, a ticket in it and ``tasks`` claimed tasks (agent a<n>)."""
    project = await call(client, "create_project", name="P")
    ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
    if sprint:
        s = await call(client, "create_sprint", project_id=project["id"], name="S", start_date="2026-01-01T00:00:00Z",
                       end_date="2027-12-31T00:00:00Z")
        await call(client, "update_ticket", id=ticket["id"], sprint_id=s["id"])
    ids, tokens = [], []
    for n in range(tasks):
        await call(client, "create_task", ticket_id=ticket["id"], title=f"t{n}", objective="o")
        claim = await call(client, "next_task", agent_id=f"a{n}")
        ids.append(claim["task"]["id"])
        tokens.append(claim["claim_token"])
    return {"project": project["id"], "ticket": ticket["id"], "tasks": ids, "tokens": tokens}


async def test_an_activity_writes_one_cost_and_one_time_ledger_entry_and_rolls_up_to_the_project(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,planning") as client:
        w = await _running(client)
        act = await call(client, "record_activity", task_id=w["tasks"][0], agent_runtime_id="a0", prompt_tokens=1200,
                         completion_tokens=300, cached_tokens=100, actual_cost=0.1, duration_ms=60000,
                         claim_token=w["tokens"][0])
        await call(client, "record_activity", task_id=w["tasks"][0], agent_runtime_id="a0", actual_cost=0.2)
        task = (await client.read_resource(f"odm://tasks/{w['tasks'][0]}")).contents[0].text
        project = await call(client, "get_project", id=w["project"])
    assert act["id"].startswith(f"act-{datetime.now(UTC):%Y%m}-") and act["sequence"] == 1
    stored = await _sql(odm_settings.odm_dsn, "SELECT prompt_tokens, completion_tokens, cached_tokens, model "
                        "FROM activities WHERE id = $1 AND created_at > now() - interval '1 hour'", act["id"])
    assert tuple(stored[0]) == (1200, 300, 100, None) and Decimal(act["task_actual_cost"]) == Decimal("0.1")
    assert Decimal(project["actual_cost"]) == Decimal("0.3") and project["cost_incomplete"] is False
    assert '"activity_count":2' in task and '"actual_cost":"0.3"' in task
    ledger = await _sql(odm_settings.odm_dsn, "SELECT charge_type, quantity, amount, ticket_id FROM cost_ledger ORDER BY id")
    times = await _sql(odm_settings.odm_dsn, "SELECT duration_ms FROM time_ledger")
    assert [(r["charge_type"], r["quantity"], r["amount"]) for r in ledger] == [
        ("tokens", 1500, Decimal("0.1")), ("fixed", 1, Decimal("0.2"))]
    assert [r["duration_ms"] for r in times] == [60000]  # the second one has no time yet


async def test_an_unknown_cost_stays_null_and_marks_every_sum_incomplete_instead_of_zero(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,planning") as client:
        w = await _running(client)
        act = await call(client, "record_activity", task_id=w["tasks"][0], agent_runtime_id="a0", prompt_tokens=10)
        await call(client, "record_activity", task_id=w["tasks"][0], agent_runtime_id="a0", actual_cost=1.25)
        ticket = (await client.read_resource(f"odm://tickets/{w['ticket']}")).contents[0].text
        project = await call(client, "get_project", id=w["project"])
    stored = await _sql(odm_settings.odm_dsn, "SELECT actual_cost, estimated_cost FROM activities WHERE id = $1 "
                        "AND created_at > now() - interval '1 hour'", act["id"])
    assert tuple(stored[0]) == (None, None) and act["cost_incomplete"] is True
    assert project["cost_incomplete"] is True and Decimal(project["actual_cost"]) == Decimal("1.25")
    assert '"cost_incomplete":true' in ticket
    rows = await _sql(odm_settings.odm_dsn, "SELECT amount FROM cost_ledger ORDER BY id")
    assert [r["amount"] for r in rows] == [None, Decimal("1.25")]


async def test_two_clients_recording_on_two_tasks_of_one_ticket_at_once_sum_exactly_to_the_cent(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,planning") as setup:
        w = await _running(setup, tasks=2)
    amounts = [Decimal("0.01") * (i % 7 + 1) for i in range(60)]

    async def recorder(url: str, n: int) -> None:
        async with Client(url, mode="legacy") as client:
            for amount in amounts[n::2]:
                await call(client, "record_activity", task_id=w["tasks"][n], agent_runtime_id=f"a{n}",
                           actual_cost=float(amount))

    async with serve_http(odm.SPEC, odm_settings) as url:  # one odm-mcp over HTTP, two clients at once
        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                tg.start_soon(recorder, url, 0)
                tg.start_soon(recorder, url, 1)
    rows = await _sql(odm_settings.odm_dsn, """
        SELECT (SELECT actual_cost FROM tickets) AS ticket, (SELECT actual_cost FROM sprints) AS sprint,
               (SELECT actual_cost FROM projects) AS project, (SELECT sum(actual_cost) FROM activities) AS activities,
               (SELECT sum(amount) FROM cost_ledger) AS ledger""")
    assert rows[0]["ticket"] == rows[0]["sprint"] == rows[0]["project"] == rows[0]["activities"] == rows[0]["ledger"] \
        == sum(amounts)


async def test_a_batch_is_all_or_nothing_and_names_each_bad_item_by_index_and_field(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,planning,accounting") as client:
        w = await _running(client)
        await call(client, "create_task", ticket_id=w["ticket"], title="idle", objective="o")
        before = await data_fingerprint(odm_settings.odm_dsn)
        good = {"task_id": w["tasks"][0], "agent_runtime_id": "a0", "actual_cost": 0.5}
        unknown = await fails(client, "record_activities", items=[good, {**good, "task_id": "1001.99"}])
        idle = await fails(client, "record_activities", items=[good, good, {**good, "task_id": "1001.02"}])
        negative = await fails(client, "record_activities", items=[good, {**good, "prompt_tokens": -1}])
        assert await data_fingerprint(odm_settings.odm_dsn) == before
        done = await call(client, "record_activities", items=[good] * 3 + [{**good, "actual_cost": None}])
        project = await call(client, "get_project", id=w["project"])
    assert unknown.startswith("[not_found]") and "items[1].task_id" in unknown
    assert idle.startswith("[invalid_argument]") and "items[2].task_id" in idle and "ready.ready" in idle
    assert negative.startswith("[invalid_argument]") and "items.1.prompt_tokens" in negative
    assert done["recorded"] == 4 and Decimal(project["actual_cost"]) == Decimal("1.5") and project["cost_incomplete"]
    seqs = await _sql(odm_settings.odm_dsn, "SELECT sequence FROM activities ORDER BY sequence")
    assert [r["sequence"] for r in seqs] == [1, 2, 3, 4]


@pytest.mark.parametrize("bad, field", [
    ({"prompt_tokens": -5}, "prompt_tokens"), ({"actual_cost": -0.01}, "actual_cost"),
    ({"estimated_cost": -1}, "estimated_cost"), ({"task_id": "1001.77"}, "1001.77"),
    ({"duration_ms": -1}, "duration_ms"), ({"cached_tokens": 1.5}, "cached_tokens"),
])
async def test_bad_activity_input_is_refused_naming_the_field_and_writes_nothing(odm_settings, bad, field):
    async with connect_client(odm.SPEC, odm_settings) as client:
        w = await _running(client, sprint=False)
        before = await data_fingerprint(odm_settings.odm_dsn)
        text = await fails(client, "record_activity", **{"task_id": w["tasks"][0], "agent_runtime_id": "a0", **bad})
    assert text.startswith(("[invalid_argument]", "[not_found]")) and field in text
    assert await data_fingerprint(odm_settings.odm_dsn) == before


async def test_a_task_not_in_progress_takes_no_activity(odm_settings):
    async with connect_client(odm.SPEC, odm_settings) as client:
        project = await call(client, "create_project", name="P")
        ticket = await call(client, "create_ticket", project_id=project["id"], title="T")
        task = await call(client, "create_task", ticket_id=ticket["id"], title="t", objective="o")
        text = await fails(client, "record_activity", task_id=task["id"], agent_runtime_id="a", actual_cost=1)
    assert text.startswith("[invalid_argument] task_id: task 1001.01 is ready.ready, not in progress")


async def test_activities_are_append_only_except_the_one_completion_of_an_open_activity(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,accounting") as client:
        w = await _running(client, sprint=False)
        act = await call(client, "record_activity", task_id=w["tasks"][0], agent_runtime_id="a0", actual_cost=1)
        done = await call(client, "complete_activity", activity_id=act["id"], result_status="partial")
        again = await fails(client, "complete_activity", activity_id=act["id"])
        evaluation = await call(client, "evaluate_activity", activity_id=act["id"], success=True, score=0.8,
                                findings=["fine"])
        task = (await client.read_resource(f"odm://tasks/{w['tasks'][0]}")).contents[0].text
    assert done["ended_at"] is not None and done["result_status"] == "partial" and done["duration_ms"] >= 0
    assert again.startswith("[conflict]") and evaluation["activity_id"] == act["id"]
    assert '"actual_duration_minutes"' in task
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        for statement in ("UPDATE activities SET actual_cost = 0", "DELETE FROM activities",
                          "UPDATE cost_ledger SET amount = 0", "DELETE FROM time_ledger",
                          "UPDATE activity_evaluations SET score = 0"):
            with pytest.raises(asyncpg.ObjectNotInPrerequisiteStateError, match="append-only"):
                await conn.execute(statement)
        times = await conn.fetchval("SELECT count(*) FROM time_ledger")
    finally:
        await conn.close()
    assert times == 1  # written when the activity was completed


async def test_partitions_exist_for_this_and_next_month_and_a_far_date_gets_its_own(odm_settings):
    next_year = datetime.now(UTC).replace(day=1) + timedelta(days=370)
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,accounting") as client:
        w = await _running(client, sprint=False)
        batch = await call(client, "record_activities", items=[{"task_id": w["tasks"][0], "agent_runtime_id": "a0",
                                                                "started_at": next_year.isoformat(), "model": "m"}])
        act = {"id": batch["activity_ids"][0]}
        listed = await call(client, "list_activities", task_id=w["tasks"][0], since=next_year.isoformat(),
                            until=(next_year + timedelta(days=1)).isoformat())
        backwards = await fails(client, "list_activities", since=next_year.isoformat(), until="2026-01-01T00:00:00Z")
        too_long = await fails(client, "list_activities", since="2020-01-01T00:00:00Z", until="2026-01-01T00:00:00Z")
    now = datetime.now(UTC)
    following = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    names = {r["relname"] for r in await _sql(odm_settings.odm_dsn, "SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                                              "ON c.oid = i.inhrelid WHERE i.inhparent = 'activities'::regclass")}
    assert {f"activities_{now:%Y_%m}", f"activities_{following:%Y_%m}", f"activities_{next_year:%Y_%m}"} <= names
    assert act["id"].startswith(f"act-{next_year:%Y%m}-") and [a["id"] for a in listed["items"]] == [act["id"]]
    assert backwards.startswith("[invalid_argument] until") or backwards.startswith("[invalid_argument]")
    assert "366 days" in too_long


async def test_a_time_ranged_query_reads_only_the_partitions_of_its_range(odm_settings):
    from odm.store.activities import ActivityStore

    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        now = datetime.now(UTC)
        await conn.execute("SELECT odm_activity_partition($1)", now + timedelta(days=100))
        store = ActivityStore(conn)
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        plan = await store.explain_page("1001.01", first, first + timedelta(days=3))
        partitions = await store.partitions()
    finally:
        await conn.close()
    assert len(partitions) >= 3
    assert f"activities_{now:%Y_%m}" in plan
    assert [p for p in partitions if p in plan] == [f"activities_{now:%Y_%m}"]


async def test_a_missing_partition_for_next_month_is_made_at_start_and_by_the_periodic_check(odm_settings, monkeypatch):
    from tests.support.wait import wait_for

    monkeypatch.setenv("XIOPRO_PARTITION_CHECK_INTERVAL_S", "0.05")
    now = datetime.now(UTC)
    following = f"activities_{(now.replace(day=1) + timedelta(days=32)):%Y_%m}"

    async def exists() -> bool:
        rows = await _sql(odm_settings.odm_dsn, "SELECT to_regclass($1) IS NOT NULL AS there", following)
        return rows[0]["there"]

    await _sql(odm_settings.odm_dsn, f"DROP TABLE {following}")
    assert not await exists()
    async with connect_client(odm.SPEC, odm_settings):
        assert await exists()  # made at start
        await _sql(odm_settings.odm_dsn, f"DROP TABLE {following}")
        await wait_for(exists, what=f"the periodic check to make {following} again", within=10)


async def test_an_activity_whose_month_partition_went_missing_is_filed_after_the_partition_is_made_again(odm_settings):
    current = f"activities_{datetime.now(UTC):%Y_%m}"
    async with connect_client(odm.SPEC, odm_settings, toolsets="default,accounting") as client:
        w = await _running(client, sprint=False)
        await _sql(odm_settings.odm_dsn, f"DROP TABLE {current}")  # an operator detached it, say
        one = await call(client, "record_activity", task_id=w["tasks"][0], agent_runtime_id="a0", actual_cost=1)
        await _sql(odm_settings.odm_dsn, f"DROP TABLE {current}")
        batch = await call(client, "record_activities", items=[{"task_id": w["tasks"][0], "agent_runtime_id": "a0"}])
    rows = await _sql(odm_settings.odm_dsn, "SELECT count(*) AS n FROM activities WHERE created_at > now() - interval '1 day'")
    assert one["id"] and batch["recorded"] == 1 and rows[0]["n"] == 1  # the first went with the partition dropped again
