"""ODM activities: batch ingest rows/s vs raw COPY, a project's actual cost with many activities, one record_activity vs raw INSERT.

Three measurements in one run, each against a raw asyncpg baseline on the same table:

* batch ingest: ``record_activities`` (the service in-process, and over MCP/HTTP) writes each activity with its
  cost and time ledger entries and the rolled-up totals; the baseline is ``copy_records_to_table`` of the same
  rows into ``activities`` alone (goal: >= 25% of raw rows/s);
* a project's actual cost with ``--activities`` rows in the table (default 200,000; ``--activities 1000000`` for
  the 1M figure): the maintained total read by the service, and by ``get_project`` over MCP; the baseline is
  summing the project's activities (what a scan would cost); goal <= 5 ms p50;
* one ``record_activity`` (service in-process and MCP/HTTP) vs one raw INSERT into ``activities`` (goal <= 4x).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import anyio
import asyncpg
from mcp import Client

from bench._common import Figure, bench_database, print_report, server_process, summarize
from odm.domain.accounting import ActivityRecord
from odm.services import OdmServices, activities, budgets
from odm.settings import OdmSettings
from odm.store.activities import ACTIVITY_COLUMNS
from servers.runtime.database import Target, open_pool

WARM_UP = 20


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench odm_activities", description=__doc__.splitlines()[0])
    parser.add_argument("--batch-rows", type=int, default=20000, help="activities ingested per batch measurement")
    parser.add_argument("--batch-size", type=int, default=1000, help="activities per record_activities call")
    parser.add_argument("--activities", type=int, default=200000, help="activities in the table for the cost read")
    parser.add_argument("--calls", type=int, default=300, help="single record_activity calls per layer")
    args = parser.parse_args(argv)
    anyio.run(_run, args)
    return 0


async def _call(client: Client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool}: {result.content[0].text}")
    return result.structured_content


async def _seed(client: Client, tasks: int) -> tuple[str, list[str]]:
    project = await _call(client, "create_project", name="bench")
    ticket = await _call(client, "create_ticket", project_id=project["id"], title="bench")
    ids = []
    for n in range(tasks):
        await _call(client, "create_task", ticket_id=ticket["id"], title=f"t{n}", objective="o")
        ids.append((await _call(client, "next_task", agent_id=f"bench-{n}", lease_seconds=86400))["task"]["id"])
    return project["id"], ids


def _raw_row(key: str, task_id: str, n: int, now: datetime) -> tuple:
    values = {c: None for c in ACTIVITY_COLUMNS} | {
        "id": key, "task_id": task_id, "sequence": n, "agent_runtime_id": "raw", "activity_type": "prompt",
        "started_at": now, "artifact_refs": [], "prompt_tokens": 1000, "completion_tokens": 200,
        "actual_cost": Decimal("0.0123"), "result_status": "success", "retryable": False, "created_at": now,
        "updated_at": now}
    return tuple(values[c] for c in ACTIVITY_COLUMNS)


def _item(task_id: str) -> dict:
    return {"task_id": task_id, "agent_runtime_id": "bench", "prompt_tokens": 1000, "completion_tokens": 200,
            "actual_cost": 0.0123, "duration_ms": 1500}


async def _batch(client: Client, services: OdmServices, raw: asyncpg.Connection, tasks: list[str], rows: int,
                 size: int) -> list[Figure]:
    now = datetime.now(UTC)
    records = [_raw_row(f"raw-{i}", tasks[0], i, now) for i in range(rows)]
    started = time.perf_counter()
    for i in range(0, rows, size):
        await raw.copy_records_to_table("activities", columns=list(ACTIVITY_COLUMNS), records=records[i:i + size])
    raw_rate = rows / (time.perf_counter() - started)
    items = [ActivityRecord(**_item(tasks[i % len(tasks)])) for i in range(size)]
    started = time.perf_counter()
    for _ in range(0, rows, size):
        await activities.record_activities(services, items)
    service_rate = rows / (time.perf_counter() - started)
    payload = [_item(tasks[i % len(tasks)]) for i in range(size)]
    started = time.perf_counter()
    for _ in range(0, rows, size):
        await _call(client, "record_activities", items=payload)
    mcp_rate = rows / (time.perf_counter() - started)
    return [Figure(f"service record_activities ({size}/call)", service_rate, "rows/s", raw_rate, goal=">= 0.25x"),
            Figure(f"MCP/HTTP record_activities ({size}/call)", mcp_rate, "rows/s", raw_rate, goal=">= 0.25x"),
            Figure(f"raw copy_records_to_table ({size}/call)", raw_rate, "rows/s")]


async def _fill(raw: asyncpg.Connection, tasks: list[str], total: int) -> None:
    """``total`` activities spread over the tasks and the last 60 days (raw COPY, like imported history)."""
    have = await raw.fetchval("SELECT count(*) FROM activities")
    now = datetime.now(UTC)
    await raw.execute("SELECT odm_activity_partition(now() - interval '28 days')")
    chunk = 50000
    for start in range(have, total, chunk):
        batch = []
        for i in range(start, min(total, start + chunk)):
            at = now - timedelta(minutes=i % (60 * 24 * 28))
            row = list(_raw_row(f"fill-{i}", tasks[i % len(tasks)], i, at))
            batch.append(tuple(row))
        await raw.copy_records_to_table("activities", columns=list(ACTIVITY_COLUMNS), records=batch)
    added = Decimal("0.0123") * max(0, total - have)  # history imported: its cost joins the maintained totals
    await raw.execute("UPDATE projects SET actual_cost = actual_cost + $1", added)
    await raw.execute("ANALYZE activities")


async def _cost_read(client: Client, services: OdmServices, raw: asyncpg.Connection, project: str, calls: int,
                     total: int) -> list[Figure]:
    scan = await raw.prepare("SELECT sum(a.actual_cost) FROM activities a JOIN tasks t ON t.id = a.task_id "
                             "WHERE t.project_id = $1 AND a.created_at >= now() - interval '400 days'")
    samples: dict[str, list[float]] = {"service": [], "mcp": [], "scan": []}
    for i in range(WARM_UP + calls):
        for name, work in (("service", lambda: budgets.get_budget(services, "project", project)),
                           ("mcp", lambda: _call(client, "get_project", id=project))):
            started = time.perf_counter()
            await work()
            if i >= WARM_UP:
                samples[name].append(time.perf_counter() - started)
        if i < WARM_UP + min(calls, 20):  # the scan is slow: a few samples say enough
            started = time.perf_counter()
            await scan.fetchval(project)
            if i >= WARM_UP:
                samples["scan"].append(time.perf_counter() - started)
    return (summarize(f"service project actual cost ({total:,} activities)", samples["service"], samples["scan"],
                      p50_goal="<= 5 ms")
            + summarize("MCP/HTTP get_project (with actual cost)", samples["mcp"], samples["scan"])
            + summarize("raw sum over the project's activities (scan)", samples["scan"]))


async def _single(client: Client, services: OdmServices, raw: asyncpg.Connection, task: str, calls: int) -> list[Figure]:
    insert = await raw.prepare(
        f"INSERT INTO activities ({', '.join(ACTIVITY_COLUMNS)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(ACTIVITY_COLUMNS) + 1))})")
    samples: dict[str, list[float]] = {"raw": [], "service": [], "mcp": [], "health": []}
    item = _item(task)
    for i in range(WARM_UP + calls):
        now = datetime.now(UTC)
        for name, work in (("raw", lambda i=i, now=now: insert.fetch(*_raw_row(f"one-{i}", task, i, now))),
                           ("service", lambda: activities.record_activity(services, ActivityRecord(**item))),
                           ("mcp", lambda: _call(client, "record_activity", **item)),
                           ("health", lambda: _call(client, "health"))):
            started = time.perf_counter()
            await work()
            if i >= WARM_UP:
                samples[name].append(time.perf_counter() - started)
    return (summarize("service record_activity in-process", samples["service"], samples["raw"], p50_goal="<= 4x")
            + summarize("MCP/HTTP record_activity", samples["mcp"], samples["raw"], p50_goal="<= 4x")
            + summarize("MCP/HTTP health (the transport alone)", samples["health"], samples["raw"])
            + summarize("raw asyncpg INSERT into activities", samples["raw"]))


async def _run(args: argparse.Namespace) -> None:
    with bench_database() as db:
        dsn = await db.create("odm")
        env = {"XIOPRO_HOME": str(db.home), "XIOPRO_ODM_DSN": dsn, "XIOPRO_LOG_LEVEL": "WARNING"}
        async with server_process("servers.cli.odm_mcp", env, "--toolsets", "default,planning,accounting") as url:
            pool = await open_pool(Target("odm", dsn, embedded=db.embedded), max_size=2)
            raw = await asyncpg.connect(dsn)
            try:
                services = OdmServices(pool, OdmSettings(), primary_user_id="user-1")
                async with Client(url, mode="legacy") as client:
                    project, tasks = await _seed(client, 4)
                    figures = await _batch(client, services, raw, tasks, args.batch_rows, args.batch_size)
                    figures += await _single(client, services, raw, tasks[0], args.calls)
                    await _fill(raw, tasks, args.activities)
                    figures += await _cost_read(client, services, raw, project, args.calls, args.activities)
            finally:
                await raw.close()
                await pool.close()
        where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
        print_report(f"odm activities, PostgreSQL = {where}", figures, [
            "batch: each activity also writes its cost ledger and time ledger entry and adds to task/ticket/project "
            "totals, in one transaction per call; raw COPY writes the activity rows only",
            "cost read: the project's maintained total (no activity is read); the scan baseline sums its activities",
            "single: record_activity = one statement (task totals + activity + ledgers + ticket/project totals) in a "
            "transaction; raw = one INSERT of the activity row, autocommit"])
        await db.drop(dsn)
