"""Shared benchmark helpers: a PostgreSQL to measure on, servers as real processes, and the report format.

Set ``XIOPRO_BENCH_DSN`` (an admin DSN, e.g. postgresql://postgres@127.0.0.1:5432/postgres) to
measure on an external server; otherwise a throwaway embedded cluster is used.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from servers.runtime.embedded import EmbeddedCluster
from tests.support.net import free_port, running_server
from tests.support.pg import TestPostgres

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


def summarize(name: str, samples_s: Sequence[float], baseline_s: Sequence[float] | None = None, *,
              p50_goal: str = "") -> list[Figure]:
    """p50 and p99 figures in milliseconds, each with its baseline percentile when given."""
    out = []
    for q in (50, 99):
        base = percentile(baseline_s, q) * 1000 if baseline_s else None
        out.append(Figure(f"{name} p{q}", percentile(samples_s, q) * 1000, "ms", base, goal=p50_goal if q == 50 else ""))
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


class BenchDatabase(TestPostgres):
    """Databases to measure on (``await db.create(prefix)`` -> DSN), and a scratch XIOPRO_HOME."""

    def __init__(self, admin_dsn: str, home: Path, *, embedded: bool) -> None:
        super().__init__(admin_dsn, embedded=embedded)
        self.home = home


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
async def server_process(module: str, env: dict[str, str], *args: str, ready_timeout: float = 60,
                         started: list | None = None) -> AsyncIterator[str]:
    """Run ``python -m <module> --http 127.0.0.1:<port>`` and yield its MCP URL once ``health`` answers
    (``started`` receives the process)."""
    # loopback without keys: the benchmarks measure the servers, key checks are measured by bench health
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("XIOPRO_")} | {"XIOPRO_HTTP_AUTH": "none"} | env
    async with running_server([sys.executable, "-m", module, *args], full_env, timeout=ready_timeout,
                              started=started) as url:
        yield url
