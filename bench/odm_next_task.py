"""ODM `next_task` with 100k tasks (10k ready) and 16 concurrent claimers: p50 and claims/s (goals <= 5 ms, >= 500/s).

Four layers, measured in the same run on the same kind of data: MCP over streamable HTTP (16 clients
on one odm-mcp process: `mcp` through the SDK's mcp.Client, `mcp-lean` through the minimal client of
tests/support/lean.py, whose own CPU cost is small), the service function in-process (16 pooled connections, no MCP), and the raw
claim statement through asyncpg (the baseline). Each layer runs twice: *saturated* (16 claimers in a
closed loop: the most claims per second; latency there is queueing, concurrency / throughput) and
*paced* at the goal's rate (16 claimers together offering --rate claims/s; latency counted from the
scheduled send time, so a slow server cannot hide its backlog).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import anyio
import asyncpg
from mcp import Client

from bench._common import Figure, bench_database, percentile, print_report, server_process
from odm.domain.commands import NextTask
from odm.services import OdmServices
from odm.services import claims as claim_service
from odm.settings import OdmSettings
from odm.store.claims import ClaimStore
from servers.runtime.database import Target, open_pool, prepare_database
from tests.support.lean import LeanClient

TOTAL, READY, WORKERS = 100_000, 10_000, 16
LAYERS = ("mcp", "mcp-lean", "service", "raw")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench odm_next_task", description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=3200, help="claims per run (default 3200; two runs per layer)")
    parser.add_argument("--rate", type=float, default=500, help="offered claims/s of the paced run (default 500)")
    parser.add_argument("--layers", nargs="+", choices=LAYERS, default=list(LAYERS),
                        help="layers to measure (default all; raw is always measured: it is the baseline)")
    args = parser.parse_args(argv)
    anyio.run(_run, min(args.claims, READY // 2), args.rate, [*dict.fromkeys([*args.layers, "raw"])])
    return 0


async def _run(claims: int, rate: float, layers: list[str]) -> None:
    with bench_database() as db:
        figures: list[Figure] = []
        notes = []
        for layer in layers:
            dsn = await db.create("odm")
            await prepare_database(Target("odm", dsn, embedded=db.embedded))
            seeded = await _seed(dsn)
            runs = await _measure(layer, dsn, db, claims, rate)
            (busy, busy_s), (paced, _) = runs
            figures.append(Figure(f"{layer}: saturated claims/s", len(busy) / busy_s, "/s", goal=">= 500/s"))
            figures.append(Figure(f"{layer}: saturated p50", percentile(busy, 50) * 1000, "ms"))
            figures.append(Figure(f"{layer}: at {rate:g}/s p50", percentile(paced, 50) * 1000, "ms", goal="<= 5 ms"))
            figures.append(Figure(f"{layer}: at {rate:g}/s p99", percentile(paced, 99) * 1000, "ms"))
            notes.append(f"{layer} data: {seeded}")
            await db.drop(dsn)
        raw = {f.name.split(": ", 1)[1]: f.value for f in figures if f.name.startswith("raw:")}
        figures = [Figure(f.name, f.value, f.unit, raw[f.name.split(": ", 1)[1]], f.goal) if not f.name.startswith("raw:")
                   else f for f in figures]
        where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
        print_report(f"odm next_task: {WORKERS} concurrent claimers, {TOTAL} tasks of which {READY} ready, "
                     f"{claims} claims per run, PostgreSQL = {where}", figures,
                     ["ratio = layer / the raw claim statement (same run, same figure)", *notes])


async def _measure(layer: str, dsn: str, db, claims: int, rate: float) -> list[tuple[list[float], float]]:
    """[(latencies, seconds) saturated, (latencies, seconds) paced at ``rate``]."""
    per_worker = claims // WORKERS

    async def run(claim_once: Callable[[str, int], Awaitable[None]], tag: str, paced: bool) -> tuple[list[float], float]:
        latencies: list[float] = []
        start = time.perf_counter() + 0.05

        async def worker(n: int) -> None:
            for i in range(per_worker):
                due = start + (i * WORKERS + n) / rate if paced else time.perf_counter()
                if paced and (wait := due - time.perf_counter()) > 0:
                    await anyio.sleep(wait)
                await claim_once(f"{tag}{n}-{i}", n)
                latencies.append(time.perf_counter() - due)

        async with anyio.create_task_group() as tg:
            for n in range(WORKERS):
                tg.start_soon(worker, n)
        return latencies, time.perf_counter() - start

    if layer.startswith("mcp"):
        env = {"XIOPRO_HOME": str(db.home), "XIOPRO_ODM_DSN": dsn, "XIOPRO_LOG_LEVEL": "WARNING"}
        async with server_process("servers.cli.odm_mcp", env) as url, AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(LeanClient(url) if layer == "mcp-lean"
                                                       else Client(url, mode="2026-07-28")) for _ in range(WORKERS)]

            async def claim_once(agent: str, n: int) -> None:
                result = await clients[n].call_tool("next_task", {"agent_id": agent})
                if result.is_error or result.structured_content["task"] is None:
                    raise RuntimeError(f"no claim: {str(result)[:300]}")

            return [await run(claim_once, "s", False), await run(claim_once, "p", True)]
    # the servers' kind of pool (no reset statement on release) for both layers
    pool = await open_pool(Target("odm", dsn, embedded=db.embedded), min_size=WORKERS, max_size=WORKERS)
    try:
        if layer == "service":
            services = OdmServices(pool, OdmSettings(), primary_user_id="user-1")

            async def claim_once(agent: str, n: int) -> None:
                if (await claim_service.next_task(services, NextTask(agent_id=agent))).task is None:
                    raise RuntimeError("no claim")
        else:
            async def claim_once(agent: str, n: int) -> None:
                async with pool.acquire() as conn:
                    if not await ClaimStore(conn).claim_or_renew(agent, None, 300):
                        raise RuntimeError("no claim")

        return [await run(claim_once, "s", False), await run(claim_once, "p", True)]
    finally:
        await pool.close()


async def _seed(dsn: str) -> str:
    """100 tickets x 1000 tasks: 10k ready (half with a completed dependency), 10k waiting on dependencies,
    10k running under the claims of 1000 other agents (10 each), 70k complete."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("""
            INSERT INTO projects (name, status, state) VALUES ('bench', 'execute', 'active');
            INSERT INTO tickets (id, project_id, title, status, state)
                SELECT (1000 + n)::text, 'proj-1', 'ticket ' || n, 'execute', 'active' FROM generate_series(1, 100) n;
            UPDATE counters SET value = 1100 WHERE name = 'ticket';
            INSERT INTO tasks (id, ticket_id, project_id, ticket_seq, sequence, title, objective, status, state,
                               claimed_by, claim_token, claim_expires_at, started_at, priority)
                SELECT t.id || '.' || lpad(s::text, 4, '0'), t.id, 'proj-1', t.seq, s, 'task ' || s, 'work',
                       CASE WHEN s % 10 = 0 THEN 'ready' WHEN s % 10 = 1 THEN 'plan' WHEN s % 10 = 2 THEN 'execute'
                            ELSE 'complete' END,
                       CASE WHEN s % 10 = 0 THEN 'ready' WHEN s % 10 = 1 THEN 'queued' WHEN s % 10 = 2 THEN 'active'
                            ELSE 'completed' END,
                       CASE WHEN s % 10 = 2 THEN 'agent-' || ((t.seq * 1000 + s) / 10) % 1000 END,
                       CASE WHEN s % 10 = 2 THEN s END,
                       CASE WHEN s % 10 = 2 THEN now() + interval '1 day' END, CASE WHEN s % 10 = 2 THEN now() END,
                       (ARRAY['low', 'normal', 'normal', 'high'])[1 + s % 4]
                FROM tickets t, generate_series(1, 1000) s;
            INSERT INTO task_dependencies (task_id, depends_on_id)
                SELECT id, ticket_id || '.' || lpad((sequence - 7)::text, 4, '0') FROM tasks
                WHERE status_state = 'ready.ready' AND sequence % 20 = 0;
            INSERT INTO task_dependencies (task_id, depends_on_id)
                SELECT id, ticket_id || '.' || lpad((sequence + 9)::text, 4, '0') FROM tasks
                WHERE status_state = 'plan.queued' AND sequence < 990;
            ANALYZE;
        """)
        counts = await conn.fetch("SELECT status_state, count(*) AS n FROM tasks GROUP BY 1 ORDER BY 1")
        return ", ".join(f"{r['n']} {r['status_state']}" for r in counts)
    finally:
        await conn.close()
