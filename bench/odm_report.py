"""ODM daily execution report over many activities (goal <= 1 s p50) vs a raw asyncpg aggregate of the same window.

``--activities`` rows (default 200,000; ``--activities 1000000`` for the 1M figure) are copied into
``activities`` over ``--days`` days (default 30) of 200 tasks on 20 tickets and 20 agents, with some
escalations, decisions and completed tasks. Measured in one run, interleaved: the report service in-process
(json, and html), and the raw baseline: one ``GROUP BY agent`` over the same 24 h window of ``activities``
(what the cheapest hand-written report of cost by agent would run).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import anyio
import asyncpg

from bench._common import Figure, bench_database, print_report, summarize
from odm.domain.commands import NextTask, ProjectCreate, TaskCreate, TicketCreate
from odm.domain.escalations import Decide, Escalate
from odm.domain.report import ReportQuery
from odm.services import OdmServices, claims, escalations, projects, report, tasks, tickets
from odm.settings import OdmSettings
from odm.store.activities import ACTIVITY_COLUMNS
from servers.runtime.database import Target, open_pool, prepare_database

TICKETS, TASKS_PER_TICKET, AGENTS = 20, 10, 20
RAW = """SELECT agent_runtime_id, count(*), sum(actual_cost), sum(duration_ms) FROM activities
         WHERE created_at >= $1 AND created_at < $2 GROUP BY 1"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench odm_report", description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=200000, help="activities in the table (default 200,000)")
    parser.add_argument("--days", type=int, default=30, help="days the activities are spread over (default 30)")
    parser.add_argument("--calls", type=int, default=15, help="reports per measurement (default 15)")
    args = parser.parse_args(argv)
    anyio.run(_run, args)
    return 0


async def _seed(services: OdmServices) -> list[str]:
    project = await projects.create_project(services, ProjectCreate(name="bench"))
    ids: list[str] = []
    for t in range(TICKETS):
        ticket = await tickets.create_ticket(services, TicketCreate(project_id=project.id, title=f"ticket {t}"))
        for n in range(TASKS_PER_TICKET):
            ids.append((await tasks.create_task(services, TaskCreate(ticket_id=ticket.id, title=f"task {t}.{n}",
                                                                    objective="o"))).id)
    for agent in range(AGENTS):  # each agent holds a task; a few ask a human, some of those are answered
        claimed = await claims.next_task(services, NextTask(agent_id=f"agent-{agent:02d}", lease_seconds=86400))
        if claimed.task is not None and agent % 4 == 0:
            esc = await escalations.escalate(services, Escalate(task_id=claimed.task.id, summary=f"question {agent}"))
            if agent % 8 == 0:
                await escalations.decide(services, Decide(escalation_id=esc.id, decision_type="answer", message="ok",
                                                          created_by="founder"))
    return ids


async def _fill(raw: asyncpg.Connection, task_ids: list[str], total: int, days: int) -> None:
    now = datetime.now(UTC)
    for back in range(0, days + 31, 28):
        await raw.execute("SELECT odm_activity_partition($1::timestamptz)", now - timedelta(days=back))
    rng = random.Random(7)
    chunk = 50000
    for start in range(0, total, chunk):
        batch = []
        for n in range(start, min(total, start + chunk)):
            at = now - timedelta(seconds=rng.random() * days * 86400)
            cost = None if n % 50 == 0 else Decimal(rng.randint(1, 5000)) / Decimal(100000)
            values = {c: None for c in ACTIVITY_COLUMNS} | {
                "id": f"act-bench-{n}", "task_id": task_ids[n % len(task_ids)], "sequence": n,
                "agent_runtime_id": f"agent-{n % AGENTS:02d}", "activity_type": "prompt", "started_at": at,
                "ended_at": at, "duration_ms": rng.randint(100, 60000), "artifact_refs": [], "prompt_tokens": 1000,
                "completion_tokens": 200, "actual_cost": cost, "result_status": "success", "retryable": False,
                "created_at": at, "updated_at": at}
            batch.append(tuple(values[c] for c in ACTIVITY_COLUMNS))
        await raw.copy_records_to_table("activities", columns=list(ACTIVITY_COLUMNS), records=batch)
    await raw.execute("ANALYZE")


async def _run(args: argparse.Namespace) -> None:
    with bench_database() as db:
        dsn = await db.create("odm")
        target = Target("odm", dsn, embedded=db.embedded)
        await prepare_database(target)
        pool = await open_pool(target, max_size=2)
        raw = await asyncpg.connect(dsn)
        try:
            services = OdmServices(pool, OdmSettings(), primary_user_id="user-1")
            await raw.execute("INSERT INTO users (name, role, is_primary) VALUES ('operator', 'founder', true)")
            task_ids = await _seed(services)
            started = time.perf_counter()
            await _fill(raw, task_ids, args.activities, args.days)
            filled = time.perf_counter() - started
            in_window = await raw.fetchval("SELECT count(*) FROM activities WHERE created_at >= now() - interval '24 hours'")
            samples: dict[str, list[float]] = {"raw": [], "json": [], "html": []}
            for _ in range(2):  # warm up caches and plans
                await report.execution_report(services, ReportQuery())
            for _ in range(args.calls):
                end = datetime.now(UTC)
                t0 = time.perf_counter()
                await raw.fetch(RAW, end - timedelta(hours=24), end)
                t1 = time.perf_counter()
                await report.execution_report(services, ReportQuery())
                t2 = time.perf_counter()
                await report.execution_report(services, ReportQuery(format="html"))
                t3 = time.perf_counter()
                samples["raw"].append(t1 - t0)
                samples["json"].append(t2 - t1)
                samples["html"].append(t3 - t2)
            end = datetime.now(UTC)  # the plan of a daily window with literal bounds: which partitions it scans
            plan = await raw.fetch(f"EXPLAIN SELECT count(*) FROM activities WHERE created_at >= '{end - timedelta(hours=24)}' "
                                   f"AND created_at < '{end}'")
        finally:
            await raw.close()
            await pool.close()
        scanned = sorted({line[0].split(" on ")[1].split()[0] for line in plan if " on activities_" in line[0]})
        where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
        figures = [Figure("activities in the table", args.activities, "rows"),
                   Figure("activities in the daily window", in_window, "rows")]
        figures += summarize("daily execution_report, json (service in-process)", samples["json"], samples["raw"],
                             p50_goal="<= 1000 ms")
        figures += summarize("daily execution_report, html (service in-process)", samples["html"], samples["raw"])
        figures += summarize("raw asyncpg GROUP BY agent over the same window", samples["raw"])
        print_report(f"odm daily report: {args.activities} activities over {args.days} days, PostgreSQL = {where}",
                     figures, [f"filled by COPY in {filled:.1f} s; the report reads activities with a created_at range, "
                               f"so only these partitions are scanned: {', '.join(scanned) or '(index only)'}",
                               "ratio = report / raw aggregate in the same run (the report also reads tasks, tickets, "
                               "escalations, decisions and overrides, and groups by agent, task and ticket)"])
        await db.drop(dsn)
