"""Shared benchmark helpers: a PostgreSQL to measure on, servers as real processes, and the report format.

Set ``XIOPRO_BENCH_DSN`` (an admin DSN, e.g. postgresql://postgres@127.0.0.1:5432/postgres) to
measure on an external server; otherwise a throwaway embedded cluster is used.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import anyio
import asyncpg

from servers.embedded import EmbeddedCluster

__all__ = [
    "BenchDatabase", "Figure", "bench_database", "free_port", "percentile", "print_report",
    "server_process", "summarize",
]


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None  # same unit; the ratio printed is value / baseline
    goal: str = ""


def summarize(name: str, samples_s: Sequence[float], baseline_s: Sequence[float] | None = None) -> list[Figure]:
    """p50 and p99 figures in milliseconds, each with its baseline percentile when given."""
    out = []
    for q in (50, 99):
        base = percentile(baseline_s, q) * 1000 if baseline_s else None
        out.append(Figure(f"{name} p{q}", percentile(samples_s, q) * 1000, "ms", base))
    return out


def print_report(title: str, figures: Sequence[Figure], notes: Sequence[str] = ()) -> None:
    print(f"\n== {title} ==")
    width = max(len(f.name) for f in figures)
    for f in figures:
        line = f"  {f.name:<{width}}  {f.value:10.3f} {f.unit:<6}"
        if f.baseline is not None:
            ratio = f.value / f.baseline if f.baseline else float("inf")
            line += f"  baseline {f.baseline:10.3f} {f.unit:<6} ratio {ratio:6.2f}x"
        if f.goal:
            line += f"  (goal {f.goal})"
        print(line)
    for note in notes:
        print(f"  note: {note}")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class BenchDatabase:
    admin_dsn: str
    home: Path
    embedded: bool

    def dsn(self, name: str) -> str:
        return urlunsplit(urlsplit(self.admin_dsn)._replace(path=f"/{name}"))

    async def create(self, prefix: str) -> str:
        name = f"xiopro_bench_{prefix}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.dsn(name)

    async def drop(self, dsn: str) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(dsn).path.strip("/")}" WITH (FORCE)')
        finally:
            await conn.close()


@contextmanager
def bench_database() -> Iterator[BenchDatabase]:
    """An admin DSN to create databases on: XIOPRO_BENCH_DSN, or a throwaway embedded cluster."""
    with tempfile.TemporaryDirectory(prefix="xiopro-bench-") as tmp:
        home = Path(tmp)
        external = os.environ.get("XIOPRO_BENCH_DSN", "").strip()
        if external:
            yield BenchDatabase(external, home, embedded=False)
            return
        cluster = EmbeddedCluster(home)
        cluster.acquire()
        try:
            yield BenchDatabase(cluster.dsn("postgres"), home, embedded=True)
        finally:
            cluster.release()


@asynccontextmanager
async def server_process(module: str, env: dict[str, str], *args: str, ready_timeout: float = 60) -> AsyncIterator[str]:
    """Run ``python -m <module> --http 127.0.0.1:<port>`` and yield its MCP URL once ``health`` answers."""
    from mcp import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("XIOPRO_")} | env
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", module, "--http", f"127.0.0.1:{port}", *args],
                            env=full_env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        with anyio.fail_after(ready_timeout):
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{module} exited: {log.read().decode(errors='replace')[-2000:]}")
                try:
                    async with Client(url, mode="legacy") as client:
                        if not (await client.call_tool("health", {})).is_error:
                            break
                except Exception:  # noqa: BLE001 - not up yet
                    await anyio.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

