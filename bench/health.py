"""MCP `health` over streamable HTTP vs raw asyncpg SELECT 1 (p50/p99), and `xeroctl up` cold start."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import asyncpg
from mcp import Client

from bench._common import Figure, bench_database, free_port, print_report, server_process, summarize
from servers.runtime.embedded import EmbeddedCluster


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench health", description=__doc__)
    parser.add_argument("--calls", type=int, default=500, help="calls per measurement (default 500)")
    parser.add_argument("--skip-cold-start", action="store_true")
    args = parser.parse_args(argv)
    anyio.run(_health_calls, args.calls)
    if not args.skip_cold_start:
        _cold_start()
    return 0


async def _health_calls(calls: int) -> None:
    with bench_database() as db:
        odm_dsn = await db.create("odm")
        try:
            env = {"XIOPRO_HOME": str(db.home), "XIOPRO_ODM_DSN": odm_dsn, "XIOPRO_LOG_LEVEL": "WARNING"}
            async with server_process("servers.cli.odm_mcp", env) as url:
                figures = []
                for era in ("legacy", "2026-07-28"):
                    async with Client(url, mode=era) as client:
                        for _ in range(20):  # warm-up
                            await client.call_tool("health", {})
                        samples = []
                        for _ in range(calls):
                            started = time.perf_counter()
                            result = await client.call_tool("health", {})
                            samples.append(time.perf_counter() - started)
                            assert not result.is_error
                    baseline = await _select_one(odm_dsn, calls)
                    figures += summarize(f"health via MCP/HTTP ({era})", samples, baseline)
            figures += summarize("raw asyncpg SELECT 1", baseline)
            where = "embedded cluster (unix socket)" if db.embedded else "XIOPRO_BENCH_DSN"
            print_report(f"health: {calls} sequential calls, one client, PostgreSQL = {where}", figures,
                         ["ratio = MCP health p-value / raw SELECT 1 p-value measured in the same run"])
        finally:
            await db.drop(odm_dsn)


async def _select_one(dsn: str, calls: int) -> list[float]:
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(20):
            await conn.fetchval("SELECT 1")
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            await conn.fetchval("SELECT 1")
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        await conn.close()


def _cold_start() -> None:
    """Fresh XIOPRO_HOME (initdb included) to "ready", then again warm; baseline: the embedded cluster alone."""
    with tempfile.TemporaryDirectory(prefix="xiopro-bench-pg-") as tmp:
        started = time.perf_counter()
        cluster = EmbeddedCluster(Path(tmp))
        cluster.acquire()
        baseline = time.perf_counter() - started
        cluster.release()
    with tempfile.TemporaryDirectory(prefix="xiopro-bench-up-") as tmp:
        cold = _time_up(Path(tmp))
        warm = _time_up(Path(tmp))
    print_report(
        "xeroctl up: launch to 'ready' (all three MCP servers answer health)",
        [Figure("cold start (fresh home, initdb)", cold, "s", baseline),
         Figure("warm start (existing pgdata)", warm, "s")],
        ["baseline = initdb + start of the embedded PostgreSQL alone, measured in the same run"],
    )


def _time_up(home: Path) -> float:
    ports = [str(free_port()) for _ in range(4)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIOPRO_")} | {"XIOPRO_HOME": str(home)}
    argv = [sys.executable, "-m", "servers.cli.xeroctl", "up", "--bus-port", ports[0], "--odm-port", ports[1],
            "--xem-port", ports[2], "--router-port", ports[3]]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("ready in "):
                return time.perf_counter() - started
        raise RuntimeError(f"xeroctl up exited ({proc.wait()}) before it was ready")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
