"""Bus messages/s end to end (send -> fetch -> ack) over streamable HTTP, N agents, vs raw asyncpg."""

from __future__ import annotations

import argparse
import time

import anyio
import asyncpg
from mcp import Client

from bench._common import Figure, bench_database, print_report, server_process
from tests.support.lean import LeanClient, process_cpu_seconds

ERAS = ("2026-07-28", "legacy", "lean")  # lean = 2026-07-28 through the minimal client of tests/support/lean.py


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bus_messages", description=__doc__)
    parser.add_argument("--agents", type=int, default=16, help="concurrent agents (default 16)")
    parser.add_argument("--messages", type=int, default=100, help="messages each agent sends (default 100)")
    parser.add_argument("--servers", type=int, default=1, help="bus-mcp processes sharing the database (default 1)")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 10],
                        help="messages an agent sends before it fetches and acks its inbox (default: 1 and 10)")
    parser.add_argument("--era", choices=[*ERAS, "all"], default="all",
                        help="protocol era / client: 2026-07-28 and legacy through mcp.Client, lean = 2026-07-28 "
                             "through a minimal client (tests/support/lean.py); default all")
    args = parser.parse_args(argv)
    anyio.run(_run, args.agents, args.messages, args.servers, ERAS if args.era == "all" else (args.era,), args.batch)
    return 0


async def _run(agents: int, per_agent: int, servers: int, eras: tuple[str, ...], batches: list[int]) -> None:
    with bench_database() as db:
        bus_dsn = await db.create("bus")
        try:
            env = {"XIOPRO_HOME": str(db.home), "XIOPRO_BUS_DSN": bus_dsn, "XIOPRO_LOG_LEVEL": "WARNING",
                   "XIOPRO_BUS_SCAN_ENABLED": "false"}
            figures: list[Figure] = []
            procs: list = []
            async with _servers(env, servers, procs) as urls:
                names = [f"{n:03d}" for n in range(agents)]
                async with Client(urls[0], mode="legacy") as admin:
                    for name in names:
                        await admin.call_tool("register_agent", {"agent_id": name, "role": "bench"})
                for batch in batches:
                    baseline = await _through_asyncpg(bus_dsn, names, per_agent, batch)
                    for era in eras:
                        cpu_before = sum(process_cpu_seconds(p.pid) for p in procs)
                        rate, calls, elapsed = await _through_mcp(urls, era, names, per_agent, batch)
                        cpu = (sum(process_cpu_seconds(p.pid) for p in procs) - cpu_before) / elapsed * 100
                        label = "2026-07-28 minimal client" if era == "lean" else era
                        figures.append(Figure(f"MCP/HTTP {label}, batch {batch}: messages/s", rate, "msg/s", baseline,
                                              goal=">= 1000"))
                        figures.append(Figure(f"MCP/HTTP {label}, batch {batch}: tool calls/s", calls, "call/s"))
                        figures.append(Figure(f"MCP/HTTP {label}, batch {batch}: bus-mcp CPU", cpu, "% core"))
                        figures.append(Figure(f"MCP/HTTP {label}, batch {batch}: bus-mcp CPU per call", cpu * 10 / calls,
                                              "ms"))
                    figures.append(Figure(f"raw asyncpg, batch {batch}: messages/s", baseline, "msg/s"))
            where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
            print_report(
                f"bus messages: {agents} agents x {per_agent} messages, {servers} bus-mcp process(es), PostgreSQL = {where}",
                figures,
                ["each agent loops: `batch` x send_message(to the next agent), then fetch_inbox and ack_message(all fetched)",
                 "(batch 1 = send -> fetch -> ack per message: three tool calls per message);",
                 "a message counts when its recipient has acknowledged it; ratio = MCP / raw asyncpg, same run",
                 "raw baseline: the same three steps as SQL on 16 asyncpg connections (no MCP, no HTTP, no pydantic)",
                 "bus-mcp CPU = CPU seconds of the server process(es) / wall time (100 = one core busy); on a "
                 "2-core machine clients, servers and PostgreSQL share the cores; CPU per call = what one tool call "
                 "costs the server (steadier than rates on a noisy machine)"],
            )
        finally:
            await db.drop(bus_dsn)


class _servers:
    def __init__(self, env: dict[str, str], count: int, started: list) -> None:
        self.env, self.count, self.started = env, count, started

    async def __aenter__(self) -> list[str]:
        from contextlib import AsyncExitStack

        self._stack = AsyncExitStack()
        return [await self._stack.enter_async_context(server_process("servers.cli.bus_mcp", self.env, started=self.started))
                for _ in range(self.count)]

    async def __aexit__(self, *exc) -> None:
        await self._stack.aclose()


async def _through_mcp(urls: list[str], era: str, names: list[str], per_agent: int, batch: int) -> tuple[float, float, float]:
    total = len(names) * per_agent
    acked = 0
    calls = 0
    done = anyio.Event()

    async def agent(index: int, name: str) -> None:
        nonlocal acked, calls
        peer = names[(index + 1) % len(names)]
        url = urls[index % len(urls)]
        async with (LeanClient(url) if era == "lean" else Client(url, mode=era)) as client:
            sent = 0
            while not done.is_set():
                for _ in range(min(batch, per_agent - sent)):
                    result = await client.call_tool("send_message", {"from_agent": name, "to": [peer], "subject": "s",
                                                                     "body": f"m{sent}"})
                    assert not result.is_error, result
                    sent += 1
                    calls += 1
                inbox = await client.call_tool("fetch_inbox", {"agent_id": name, "limit": 200})
                calls += 1
                ids = [m["id"] for m in inbox.structured_content["items"]]
                if ids:
                    result = await client.call_tool("ack_message", {"agent_id": name, "message_ids": ids})
                    assert not result.is_error, result
                    calls += 1
                    acked += len(ids)
                    if acked >= total:
                        done.set()
                elif sent >= per_agent:
                    await anyio.sleep(0.005)  # waiting for the last messages from the previous agent

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for index, name in enumerate(names):
            tg.start_soon(agent, index, name)
    elapsed = time.perf_counter() - started
    return total / elapsed, calls / elapsed, elapsed


async def _through_asyncpg(dsn: str, names: list[str], per_agent: int, batch: int) -> float:
    total = len(names) * per_agent
    acked = 0
    done = anyio.Event()
    pool = await asyncpg.create_pool(dsn, min_size=len(names), max_size=len(names))

    async def agent(index: int, name: str) -> None:
        nonlocal acked
        peer = names[(index + 1) % len(names)]
        sent = 0
        async with pool.acquire() as conn:
            while not done.is_set():
                for _ in range(min(batch, per_agent - sent)):
                    await conn.execute(
                        """WITH m AS (INSERT INTO messages (thread_id, from_agent, addressed_to, subject, body)
                                      VALUES (0, $1, ARRAY[$2], 's', $3) RETURNING id)
                           INSERT INTO message_deliveries (agent_id, message_id) SELECT $2, id FROM m""",
                        name, peer, f"m{sent}",
                    )
                    sent += 1
                rows = await conn.fetch(
                    "SELECT m.id, m.subject, m.body FROM message_deliveries d JOIN messages m ON m.id = d.message_id "
                    "WHERE d.agent_id = $1 AND d.acked_at IS NULL ORDER BY d.message_id LIMIT 200",
                    name,
                )
                if rows:
                    await conn.execute(
                        "UPDATE message_deliveries SET acked_at = now() WHERE agent_id = $1 AND message_id = ANY($2)",
                        name, [r["id"] for r in rows],
                    )
                    acked += len(rows)
                    if acked >= total:
                        done.set()
                elif sent >= per_agent:
                    await anyio.sleep(0.005)

    started = time.perf_counter()
    try:
        async with anyio.create_task_group() as tg:
            for index, name in enumerate(names):
                tg.start_soon(agent, index, name)
    finally:
        await pool.close()
    return total / (time.perf_counter() - started)
