"""XEM invocations end to end: no-op read calls through xem-mcp -> router -> agent vs the raw CURVE echo of the
same run; invocations/s with 4 callers and 2 agents; 50-way idempotent duplicates resolved."""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from typing import Any

import anyio
import asyncpg
import zmq.asyncio
from mcp import Client

from bench._common import Figure, bench_database, free_port, print_report, server_process, summarize
from bench.xem import _dealer, _process, _round_trips
from servers.runtime.database import Target, prepare_database
from tests.support.lean import LeanClient
from tests.support.wait import wait_for
from tests.xem.support import _toml
from xem import services
from xem.domain.keys import new_keypair
from xem.domain.protocol import Ping, encode
from xem.keyfiles import load_or_create_keypair, router_keys_dir


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench xem_invoke", description=__doc__)
    parser.add_argument("--calls", type=int, default=400, help="sequential calls measured (default 400)")
    parser.add_argument("--concurrent", type=int, default=800, help="calls for the 4-caller throughput (default 800)")
    parser.add_argument("--callers", type=int, default=4)
    args = parser.parse_args(argv)
    anyio.run(_bench, args)
    return 0


def _agent_config(tmp, name: str, endpoint: str, router_key: str, join_key: str) -> str:
    path = tmp / f"{name}.toml"
    (tmp / "ws").mkdir(exist_ok=True)
    path.write_text(_toml({
        "name": name, "router": endpoint, "router_public_key": router_key, "state_dir": str(tmp / f"state-{name}"),
        "join_key": join_key, "progress_interval_ms": 1000, "workspaces": [{"name": "ws", "root": str(tmp / "ws")}],
        "tools": [{"name": "noop", "workspace": "ws", "description": "does nothing", "risk": "read", "argv": ["true"]}],
    }))
    return str(path)


async def _bench(args: argparse.Namespace) -> None:
    with bench_database() as db:
        dsn = await db.create("xem")
        home = db.home / "home"
        try:
            await prepare_database(Target("bus", dsn, embedded=db.embedded))
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
            router_ep, echo_ep = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
            env = {"XIOPRO_HOME": str(home), "XIOPRO_BUS_DSN": dsn, "XIOPRO_LOG_LEVEL": "WARNING",
                   "BENCH_KEYS": str(db.home / "echo"), "XIOPRO_XEM_LEASE_RENEWAL_INTERVAL_MS": "1000"}
            router_key = load_or_create_keypair(router_keys_dir(home), "router")[0]
            echo_key = load_or_create_keypair(db.home / "echo", "echo")[0]
            xem = services.XemServices(pool)
            # workspaces fail closed: ws needs three available models bound before its tools run
            for model in ("bench-planner", "bench-executor", "bench-verifier"):
                await services.set_model(xem, model, True, reported_by="bench")
            await services.create_workspace(xem, "ws", "operational", by="bench")
            await services.bind_workspace(xem, "ws", {"planner": "bench-planner", "executor": "bench-executor",
                                                      "verifier": "bench-verifier"})
            configs = []
            for name in ("bench-a", "bench-b"):
                token, _ = await services.mint_join_key(xem, home, "xem", 600, max_ttl_s=3600)
                configs.append(_agent_config(db.home, name, router_ep, router_key.decode(), token))
            async with _process([sys.executable, "-m", "servers.cli.xem_router", "--bind", router_ep], env), \
                    _process([sys.executable, "-m", "bench", "xem", "--echo-server", echo_ep], env), \
                    _process([sys.executable, "-m", "servers.cli.xem_agent", "--config", configs[0]], env), \
                    _process([sys.executable, "-m", "servers.cli.xem_agent", "--config", configs[1]], env):
                await wait_for(lambda: pool.fetchval("SELECT count(*) = 2 FROM xem.agents WHERE state = 'online'"),
                               what="both agents online", within=60, every=0.1)
                async with server_process("servers.cli.xem_mcp", env) as url:
                    await _measure(args, url, pool, echo_key, echo_ep)
            await pool.close()
        finally:
            await db.drop(dsn)


async def _measure(args: argparse.Namespace, url: str, pool: asyncpg.Pool, echo_key: bytes, echo_ep: str) -> None:
    ctx = zmq.asyncio.Context()
    echo = _dealer(ctx, echo_key, echo_ep, new_keypair())
    ping = lambda: encode(Ping(sender="bench"))  # noqa: E731
    async with Client(url, mode="legacy") as client, LeanClient(url) as lean:
        async def listed() -> bool:
            return "ws__noop" in {t.name for t in (await client.list_tools()).tools}

        await wait_for(listed, what="ws__noop listed", within=30, every=0.1)
        samples: dict[str, list[float]] = {"sdk": [], "lean": [], "raw": [], "health": [], "lean health": []}

        async def timed(into: str, call: Any, name: str) -> None:
            started = time.perf_counter()
            result = await call(name, {})
            samples[into].append(time.perf_counter() - started)
            if result.is_error or (name != "health" and result.structured_content["state"] != "succeeded"):
                raise RuntimeError(f"a bench call failed: {result}")

        for _ in range(5):  # warm-up: connections, prepared statements, the agents' first spawns
            await client.call_tool("ws__noop", {})
            await lean.call_tool("ws__noop", {})
        per_block = max(args.calls // 10, 1)
        for _ in range(10):  # interleaved: machine noise falls on all alike
            for _ in range(per_block):
                await timed("sdk", client.call_tool, "ws__noop")
            for _ in range(per_block):
                await timed("lean", lean.call_tool, "ws__noop")
            samples["raw"] += await _round_trips(echo, per_block, ping)
            for _ in range(per_block):
                await timed("health", client.call_tool, "health")
                await timed("lean health", lean.call_tool, "health")
    split = await pool.fetchrow(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.sent_at - i.created_at)) AS queue, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - d.sent_at)) AS deliver, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - d.delivered_at)) AS run "
        "FROM xem.invocations i JOIN xem.dispatches d USING (id)")
    raw = samples["raw"]
    print_report(f"xem invocation: {len(samples['lean'])} sequential no-op read calls per client, MCP over HTTP -> xem-mcp "
                 "-> router -> agent",
                 [*summarize("tool call, lean 2026-07-28 client (one POST per call)", samples["lean"], raw,
                             p50_goal="<= 3 ms and <= 10x raw"),
                  *summarize("tool call, SDK mcp.Client (legacy era)", samples["sdk"], raw),
                  *summarize("raw CURVE DEALER/ROUTER echo", raw),
                  *summarize("xem-mcp health, lean client (the MCP/HTTP floor, one SELECT)", samples["lean health"]),
                  *summarize("xem-mcp health, SDK client", samples["health"])],
                 ["ratio = invocation p-value / raw echo p-value, same run",
                  f"p50 split (database clock, transaction starts): call -> dispatch sent {split['queue'] * 1000:.2f} ms, "
                  f"sent -> agent ack stored {split['deliver'] * 1000:.2f} ms, ack -> result stored {split['run'] * 1000:.2f} ms"])

    per = args.concurrent // args.callers
    rates: list[Figure] = []
    for label, make in (("lean 2026-07-28 clients", lambda: LeanClient(url)), ("SDK mcp.Client", lambda: Client(url, mode="legacy"))):
        done = [0]

        async def caller(make: Any = make, done: list[int] = done) -> None:
            async with make() as c:
                for _ in range(per):
                    result = await c.call_tool("ws__noop", {})
                    done[0] += not result.is_error

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(args.callers):
                tg.start_soon(caller)
        rates.append(Figure(f"invocations per second, {label}", done[0] / (time.perf_counter() - started), "/s",
                            goal=">= 300/s"))
    agents = await pool.fetch("SELECT agent_name, count(*) FROM xem.invocations GROUP BY 1 ORDER BY 1")
    print_report(f"xem throughput: {args.callers} callers, 2 agents, {per * args.callers} calls per client kind", rates,
                 [f"spread over agents (all calls of the run): {', '.join(f'{r[0]}={r[1]}' for r in agents)}"])

    key = f"dup-{uuid.uuid4()}"
    answers: list[str] = []
    async with Client(url, mode="legacy") as c:
        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            async def dup() -> None:
                result = await c.call_tool("ws__noop", {"idempotency_key": key})
                answers.append(json.dumps(result.structured_content.get("result"), sort_keys=True))
            for _ in range(50):
                tg.start_soon(dup)
        elapsed = time.perf_counter() - started
    runs = await pool.fetchval("SELECT count(*) FROM xem.invocations WHERE idempotency_key = $1", key)
    print_report("xem idempotency: 50 concurrent calls with one idempotency_key",
                 [Figure("all 50 answered in", elapsed * 1000, "ms"), Figure("executions on the agents", runs, "", goal="1"),
                  Figure("distinct answers", len(set(answers)), "", goal="1")])
    echo.close()
    ctx.term()
