"""One attention-scan cycle with 100k tasks on a real odm-mcp (read over its MCP API) vs the same reads as raw SQL."""

from __future__ import annotations

import argparse
import time

import anyio
import asyncpg
from mcp import Client

from bench._common import Figure, bench_database, print_report, server_process
from tests.bus.fake_odm import fake_odm


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bus_scan", description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks on the ODM side (default 100000)")
    parser.add_argument("--stale", type=int, default=1_000, help="of which in progress for 30 h (default 1000)")
    parser.add_argument("--waiting", type=int, default=1_000, help="of which waiting for approval (default 1000)")
    parser.add_argument("--escalations", type=int, default=10_000,
                        help="pending escalations on the stand-in ODM feed (the real ODM has none yet; default 10000)")
    args = parser.parse_args(argv)
    anyio.run(_run, args.tasks, args.stale, args.waiting, args.escalations)
    return 0


async def _run(tasks: int, stale: int, waiting: int, escalations: int) -> None:
    with bench_database() as db:
        odm_dsn, bus_dsn = await db.create("odm"), await db.create("bus")
        try:
            base = {"XIOPRO_HOME": str(db.home), "XIOPRO_LOG_LEVEL": "WARNING"}
            async with server_process("servers.cli.odm_mcp", base | {"XIOPRO_ODM_DSN": odm_dsn}) as odm_url:
                seeded = time.perf_counter()
                await _seed(odm_url, odm_dsn, tasks, stale, waiting)
                seed_s = time.perf_counter() - seeded
                bus_env = base | {"XIOPRO_BUS_DSN": bus_dsn, "XIOPRO_ODM_URL": odm_url, "XIOPRO_BUS_SCAN_ENABLED": "false"}
                async with server_process("servers.cli.bus_mcp", bus_env, "--toolsets", "ops") as bus_url:
                    first, first_wall = await _scan(bus_url)
                    steady, steady_wall = await _scan(bus_url)
                baseline = await _raw_scan(odm_dsn, bus_dsn)
            figures = [
                Figure("first scan (creates the todos), server time", first["duration_ms"], "ms", baseline, "<= 2000"),
                Figure("first scan, wall time of scan_now over MCP/HTTP", first_wall * 1000, "ms"),
                Figure("steady scan (nothing new), server time", steady["duration_ms"], "ms", baseline, "<= 2000"),
                Figure("steady scan, wall time of scan_now over MCP/HTTP", steady_wall * 1000, "ms"),
                Figure("raw SQL: the two task reads on odm + todo upsert on bus", baseline, "ms"),
            ]
            sources = {s["name"]: s for s in first["sources"]}
            notes = [
                f"{tasks} tasks seeded in the odm database ({seed_s:.1f} s, SQL); {stale} executing for 30 h, "
                f"{waiting} in approval.waiting; todos created: {first['created']} (stale tasks "
                f"{sources['odm.tasks.stale']['created']}, approvals {sources['odm.tasks.approval']['created']})",
                "odm.escalations and odm.budgets: "
                + ", ".join(f"{n} {sources[n]['status']}" for n in ("odm.escalations", "odm.budgets"))
                + " - the real ODM does not offer those feeds yet",
                "ratio = scan server time / raw SQL doing the same reads and writes directly, same run",
            ]
            if escalations:
                esc, esc_base = await _escalations_on_stand_in(db, escalations)
                figures.append(Figure(f"stand-in ODM: {escalations} pending escalations, first scan", esc["duration_ms"],
                                      "ms", None, "<= 2000"))
                notes.append(f"escalations measured against the test stand-in feed (tests/bus/fake_odm.py), not a real "
                             f"ODM: created {esc['created']} todos; indicative only ({esc_base})")
            where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
            print_report(f"bus scan: one cycle, odm-mcp and bus-mcp as processes, PostgreSQL = {where}", figures, notes)
        finally:
            await db.drop(odm_dsn)
            await db.drop(bus_dsn)


async def _call(client: Client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content}"
    return result.structured_content


async def _seed(url: str, dsn: str, tasks: int, stale: int, waiting: int) -> None:
    async with Client(url, mode="legacy") as client:
        project = await _call(client, "create_project", name="bench")
        ticket = await _call(client, "create_ticket", project_id=project["id"], title="bench ticket")
    conn = await asyncpg.connect(dsn)
    try:
        seq = await conn.fetchval("SELECT seq FROM tickets WHERE id = $1", ticket["id"])
        await conn.execute(
            """
            INSERT INTO tasks (id, ticket_id, project_id, ticket_seq, sequence, title, objective, status, state,
                               started_at, claimed_by, claim_token, claimed_at, claim_expires_at, lease_seconds)
            SELECT $1 || '.' || lpad(n::text, 6, '0'), $1, $2, $3, n, 'bench task ' || n, 'measure the scan',
                   CASE WHEN n <= $5 THEN 'execute' WHEN n <= $5 + $6 THEN 'approval'
                        WHEN n % 2 = 0 THEN 'ready' ELSE 'complete' END,
                   CASE WHEN n <= $5 THEN 'active' WHEN n <= $5 + $6 THEN 'waiting'
                        WHEN n % 2 = 0 THEN 'ready' ELSE 'completed' END,
                   CASE WHEN n <= $5 THEN now() - interval '30 hours' END,
                   CASE WHEN n <= $5 THEN 'agent-' || (n % 16) END,
                   CASE WHEN n <= $5 THEN n END,
                   CASE WHEN n <= $5 THEN now() - interval '30 hours' END,
                   CASE WHEN n <= $5 THEN now() + interval '1 hour' END,
                   CASE WHEN n <= $5 THEN 3600 END
            FROM generate_series(1, $4) AS n
            """,
            ticket["id"], project["id"], seq, tasks, stale, waiting,
        )
        await conn.execute("ANALYZE tasks")
    finally:
        await conn.close()


async def _scan(url: str) -> tuple[dict, float]:
    async with Client(url, mode="2026-07-28") as client:
        started = time.perf_counter()
        report = await _call(client, "scan_now", force=True)
        return report, time.perf_counter() - started


async def _raw_scan(odm_dsn: str, bus_dsn: str) -> float:
    """What the scan does, without MCP, HTTP or the feed envelope: read both task sets, upsert the todos."""
    odm, bus = await asyncpg.connect(odm_dsn), await asyncpg.connect(bus_dsn)
    try:
        started = time.perf_counter()
        rows = await odm.fetch(
            "SELECT id, title, status_state, started_at FROM tasks WHERE status_state = 'execute.active' "
            "AND started_at <= now() - interval '24 hours' ORDER BY id")
        rows += await odm.fetch("SELECT id, title, status_state, started_at FROM tasks "
                                "WHERE status_state = 'approval.waiting' ORDER BY id")
        await bus.execute(
            """INSERT INTO user_todos (title, priority, linked_type, linked_id, assigned_to, created_by)
               SELECT t, 'medium', 'task', i, 'operator', 'system' FROM unnest($1::text[], $2::text[]) AS u(t, i)
               ON CONFLICT (linked_type, linked_id) WHERE status IN ('open', 'in_progress') AND linked_id IS NOT NULL
               DO NOTHING""",
            [r["title"] for r in rows], [r["id"] for r in rows],
        )
        return (time.perf_counter() - started) * 1000
    finally:
        await odm.close()
        await bus.close()


async def _escalations_on_stand_in(db, count: int) -> tuple[dict, str]:
    bus_dsn = await db.create("bus")
    try:
        async with fake_odm("escalations") as fake:
            fake.escalations.extend({"id": f"E-{n}", "status": "pending", "title": f"escalation {n}",
                                     "created_at": None} for n in range(count))
            env = {"XIOPRO_HOME": str(db.home), "XIOPRO_LOG_LEVEL": "WARNING", "XIOPRO_BUS_DSN": bus_dsn,
                   "XIOPRO_ODM_URL": fake.url, "XIOPRO_BUS_SCAN_ENABLED": "false"}
            async with server_process("servers.cli.bus_mcp", env, "--toolsets", "ops") as bus_url:
                report, wall = await _scan(bus_url)
        return report, f"wall {wall * 1000:.0f} ms over MCP/HTTP"
    finally:
        await db.drop(bus_dsn)
