"""Faults under load: a bus-mcp and an odm-mcp on their own embedded cluster, 16 clients writing to them,
and a fault in the middle (PostgreSQL restarted, a server SIGKILLed and started again). Then the count:
tried, succeeded, failed cleanly, lost (acknowledged but not stored: must be 0) and duplicated (stored
twice: must be 0), and the load held while the fault lasted. Used by ``tests/faults`` and ``bench/faults.py``.

A client writes alternately an ODM task (``create_task`` with an idempotency key, retried with the same key
after a clean failure) and a Bus message. A clean failure is ``[unavailable]``/``[conflict]`` or a refused
connection while a server is down; anything else (``[internal]``, another code, a protocol error) is unclean.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import asyncpg

from servers.runtime.embedded import EmbeddedCluster
from tests.conftest import script_env
from tests.support.lean import LeanClient
from tests.support.net import free_port
from tests.support.wait import wait_for

__all__ = ["FaultReport", "FaultStand", "run_fault"]

CLIENTS = 16
_CLEAN = ("[unavailable]", "[conflict]")


@dataclass
class FaultReport:
    fault: str
    tried: int = 0
    succeeded: int = 0
    failed_cleanly: int = 0
    lost: int = 0
    duplicated: int = 0
    unclean: list[str] = field(default_factory=list)
    during_fault_per_s: float = 0.0
    after_fault_ok: int = 0
    _ok_times: list[float] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.fault:<22} load held {self.during_fault_per_s:7.1f} calls/s during the fault; tried {self.tried}, "
                f"succeeded {self.succeeded}, failed cleanly {self.failed_cleanly}, lost {self.lost}, "
                f"duplicated {self.duplicated}, unclean {len(self.unclean)}")


class FaultStand:
    """The two servers on one embedded cluster in ``home``, on fixed ports so that a restart keeps the URL."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.cluster = EmbeddedCluster(home)
        self.ports = {"bus": free_port(), "odm": free_port()}
        self.env = script_env(XIOPRO_HOME=str(home), XIOPRO_LOG_LEVEL="WARNING", XIOPRO_BUS_SCAN_ENABLED="false",
                              XIOPRO_ODM_URL=f"http://127.0.0.1:{self.ports['odm']}/mcp")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, server: str) -> str:
        return f"http://127.0.0.1:{self.ports[server]}/mcp"

    async def start(self, server: str) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / f"{server}.log").open("ab") as log:
            self.procs[server] = subprocess.Popen(
                [sys.executable, "-m", f"servers.cli.{server}_mcp", "--http", f"127.0.0.1:{self.ports[server]}"],
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)

        async def healthy() -> bool:
            if self.procs[server].poll() is not None:
                raise AssertionError(f"{server}-mcp exited: {(self.home / f'{server}.log').read_text()[-2000:]}")
            try:
                async with LeanClient(self.url(server)) as client:
                    return not (await client.call_tool("health", {})).is_error
            except (OSError, RuntimeError):
                return False

        await wait_for(healthy, what=f"{server}-mcp to answer health", within=120, every=0.1)

    def kill(self, server: str) -> None:
        self.procs[server].send_signal(signal.SIGKILL)
        self.procs[server].wait(30)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def dsn(self, database: str) -> str:
        return self.cluster.dsn(database)


async def _client_loop(stand: FaultStand, index: int, ticket: str, report: FaultReport, acked: dict[str, set[str]],
                       stop: anyio.Event) -> None:
    n = 0
    odm: LeanClient | None = None
    bus: LeanClient | None = None
    while not stop.is_set():
        n += 1
        for kind in ("odm", "bus"):
            key = f"c{index}-{n}"
            for _attempt in range(50):  # the same idempotency key until the ODM answers (bounded)
                report.tried += 1
                try:
                    if kind == "odm":
                        odm = odm or await LeanClient(stand.url("odm")).__aenter__()
                        result = await odm.call_tool("create_task", {"ticket_id": ticket, "title": key, "objective": "o",
                                                                     "idempotency_key": key})
                    else:
                        bus = bus or await LeanClient(stand.url("bus")).__aenter__()
                        result = await bus.call_tool("send_message", {"from_agent": f"a{index:02d}",
                                                                      "to": [f"a{(index + 1) % CLIENTS:02d}"],
                                                                      "subject": key, "body": "x"})
                except (OSError, EOFError, anyio.EndOfStream, RuntimeError, ValueError) as exc:
                    report.failed_cleanly += 1  # the server is down or went away mid-call
                    odm = None if kind == "odm" else odm
                    bus = None if kind == "bus" else bus
                    if "HTTP 5" in str(exc) or isinstance(exc, (OSError, EOFError, anyio.EndOfStream, ValueError)):
                        await anyio.sleep(0.05)
                        if kind == "odm":
                            continue
                        break
                    report.unclean.append(f"{kind} {key}: {exc}")
                    break
                if result.is_error:
                    if result.text.startswith(_CLEAN):
                        report.failed_cleanly += 1
                        await anyio.sleep(0.05)
                        if kind == "odm":
                            continue
                        break
                    report.unclean.append(f"{kind} {key}: {result.text[:300]}")
                    break
                report.succeeded += 1
                report._ok_times.append(time.monotonic())
                acked[kind].add(key if kind == "odm" else str(result.structured_content["message_id"]))
                break
    for client in (odm, bus):
        if client is not None:
            await client.__aexit__(None, None, None)


async def run_fault(home: Path, fault: str, *, before_s: float = 2.0, after_s: float = 3.0) -> FaultReport:
    """Load both servers, inject ``fault`` (postgres_restart, kill_bus, kill_odm), keep loading, then count."""
    report = FaultReport(fault)
    stand = FaultStand(home)
    acked: dict[str, set[str]] = {"odm": set(), "bus": set()}
    try:
        await stand.start("bus")
        await stand.start("odm")
        async with LeanClient(stand.url("odm")) as odm, LeanClient(stand.url("bus")) as bus:
            project = (await odm.call_tool("create_project", {"name": "faults"})).structured_content["id"]
            ticket = (await odm.call_tool("create_ticket", {"project_id": project, "title": "load"})).structured_content["id"]
            for i in range(CLIENTS):
                await bus.call_tool("register_agent", {"agent_id": f"a{i:02d}", "role": "load"})
        stop = anyio.Event()
        inject: dict[str, Callable[[], Awaitable[None]]] = {
            "postgres_restart": lambda: anyio.to_thread.run_sync(lambda: stand.cluster.restart(down_s=1.0)),
            "kill_bus": lambda: _kill_and_restart(stand, "bus"),
            "kill_odm": lambda: _kill_and_restart(stand, "odm"),
        }
        async with anyio.create_task_group() as tg:
            for i in range(CLIENTS):
                tg.start_soon(_client_loop, stand, i, ticket, report, acked, stop)
            await anyio.sleep(before_s)
            started = time.monotonic()
            await inject[fault]()
            ended = time.monotonic()
            await anyio.sleep(after_s)
            stop.set()
        window = max(ended - started, 1e-6)
        report.during_fault_per_s = sum(1 for t in report._ok_times if started <= t <= ended) / window
        report.after_fault_ok = sum(1 for t in report._ok_times if t > ended)
        await _count(stand, report, acked)
    finally:
        stand.stop()
    return report


async def _kill_and_restart(stand: FaultStand, server: str) -> None:
    await anyio.to_thread.run_sync(stand.kill, server)
    await stand.start(server)


async def _count(stand: FaultStand, report: FaultReport, acked: dict[str, set[str]]) -> None:
    odm = await asyncpg.connect(stand.dsn("odm"))
    bus = await asyncpg.connect(stand.dsn("bus"))
    try:
        stored = {r["title"]: r["n"] for r in await odm.fetch(
            "SELECT title, count(*) AS n FROM tasks WHERE title LIKE 'c%-%' GROUP BY title")}
        report.lost += sum(1 for key in acked["odm"] if key not in stored)
        report.duplicated += sum(n - 1 for n in stored.values() if n > 1)
        ids = [int(i) for i in acked["bus"]]
        found = await bus.fetchval("SELECT count(*) FROM messages WHERE id = ANY($1::bigint[])", ids)
        report.lost += len(ids) - found
        report.duplicated += await bus.fetchval(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM messages GROUP BY subject HAVING count(*) > 1) d")
    finally:
        await odm.close()
        await bus.close()
