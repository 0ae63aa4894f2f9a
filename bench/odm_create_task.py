"""ODM `create_task` via MCP over streamable HTTP vs a raw asyncpg INSERT of the same row (p50/p99; goal <= 4x).

The measurements are interleaved call by call (raw INSERT, the service function in-process, MCP
`create_task`, MCP `health`) so that all see the same machine load; `health` shows what the MCP
transport alone costs on this machine. MCP is measured with the SDK's `mcp.Client` in both protocol
eras and with a minimal 2026-07-28 client (tests/support/lean.py), which shows the server's share when
the client's own CPU cost is kept small.
"""

from __future__ import annotations

import argparse
import time

import anyio
import asyncpg
from mcp import Client

from bench._common import Figure, bench_database, print_report, server_process, summarize
from odm.domain.commands import TaskCreate
from odm.services import OdmServices
from odm.services import tasks as task_service
from odm.settings import OdmSettings
from servers.runtime.database import Target, open_pool
from tests.support.lean import LeanClient

WARM_UP = 20
ROW = {"title": "task", "objective": "make the thing work", "acceptance_criteria": ["it works"], "priority": "normal"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench odm_create_task", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="tasks created per measurement (default 500)")
    args = parser.parse_args(argv)
    anyio.run(_run, args.calls)
    return 0


async def _run(calls: int) -> None:
    with bench_database() as db:
        dsn = await db.create("odm")
        env = {"XIOPRO_HOME": str(db.home), "XIOPRO_ODM_DSN": dsn, "XIOPRO_LOG_LEVEL": "WARNING"}
        figures: list[Figure] = []
        async with server_process("servers.cli.odm_mcp", env) as url:
            pool = await open_pool(Target("odm", dsn, embedded=db.embedded), max_size=2)  # odm-mcp's kind of pool
            raw = await asyncpg.connect(dsn)
            try:
                services = OdmServices(pool, OdmSettings(), primary_user_id="user-1")
                for era in ("legacy", "2026-07-28", "lean"):
                    async with (LeanClient(url) if era == "lean" else Client(url, mode=era)) as client:
                        samples = await _interleaved(client, services, raw, calls)
                    base = samples["raw"]
                    label = "2026-07-28, minimal client" if era == "lean" else era
                    figures += summarize(f"MCP/HTTP create_task ({label})", samples["mcp"], base, p50_goal="<= 4x")
                    figures += summarize(f"MCP/HTTP health ({label})", samples["health"], base)
                figures += summarize("service create_task in-process (no MCP)", samples["service"], base)
                figures += summarize("raw asyncpg INSERT of the same row", base)
            finally:
                await raw.close()
                await pool.close()
        where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
        print_report(f"odm create_task: {calls} sequential calls per layer, interleaved, PostgreSQL = {where}", figures,
                     ["ratio = layer / raw INSERT (same columns and values, autocommit) in the same run",
                      "create_task here (no dependencies, no idempotency key) = one statement: lock+number the "
                      "ticket's next task and insert it, placed by its gates and its ticket's state"])
        await db.drop(dsn)


async def _interleaved(client: Client | LeanClient, services: OdmServices, raw: asyncpg.Connection, calls: int) -> dict[str, list]:
    project = await client.call_tool("create_project", {"name": "bench"})
    project_id = project.structured_content["id"]
    tickets = [(await client.call_tool("create_ticket", {"project_id": project_id, "title": t})).structured_content["id"]
               for t in ("mcp", "service", "raw")]
    seq = await raw.fetchval("SELECT seq FROM tickets WHERE id = $1", tickets[2])
    insert = await raw.prepare(
        """INSERT INTO tasks (id, ticket_id, project_id, ticket_seq, sequence, title, objective, description,
               requires_human, requires_approval, acceptance_criteria, priority, risk_level, execution_mode,
               plan_cost, cost_cap, plan_duration_minutes, status, state, created_by, updated_by, idempotency_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, false, false, $8, 'normal', 'normal', 'headless',
               NULL, NULL, NULL, 'ready', 'ready', NULL, NULL, NULL) RETURNING *""")
    samples: dict[str, list[float]] = {"raw": [], "service": [], "mcp": [], "health": []}

    async def timed(name: str, index: int, work) -> None:
        started = time.perf_counter()
        await work
        if index >= WARM_UP:
            samples[name].append(time.perf_counter() - started)

    for i in range(WARM_UP + calls):
        await timed("raw", i, insert.fetchrow(f"{tickets[2]}.{i + 1:02d}", tickets[2], project_id, seq, i + 1,
                                             ROW["title"], ROW["objective"], ROW["acceptance_criteria"]))
        await timed("service", i, task_service.create_task(services, TaskCreate(ticket_id=tickets[1], **ROW)))
        started = time.perf_counter()
        result = await client.call_tool("create_task", {"ticket_id": tickets[0], **ROW})
        if i >= WARM_UP:
            samples["mcp"].append(time.perf_counter() - started)
        if result.is_error:
            raise RuntimeError(str(result.structured_content or result))
        await timed("health", i, client.call_tool("health", {}))
    return samples
