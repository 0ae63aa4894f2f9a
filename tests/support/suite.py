"""``xeroctl up`` as a real process: started on free ports in its own XIOPRO_HOME, read until ready."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import psutil
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import script_env
from tests.support.net import free_port

__all__ = ["Suite", "suite_processes", "wait_gone"]


@dataclass
class Suite:
    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _drained: bool = False

    def __post_init__(self) -> None:
        if not self.ports:
            self.ports = {name: free_port() for name in ("bus", "odm", "xem", "router")}

    @property
    def env(self) -> dict[str, str]:
        # the real default: HTTP with API keys (xeroctl up creates its admin key on first run)
        return script_env(XIOPRO_HOME=str(self.home), XIOPRO_HTTP_AUTH="keys", **self.extra_env)

    @property
    def key(self) -> str:
        """The admin key ``xeroctl up`` created in $XIOPRO_HOME/admin.key."""
        return (self.home / "admin.key").read_text().strip()

    def client(self, server: str, mode: str = "legacy") -> AbstractAsyncContextManager[Client]:
        """An MCP client of ``server`` presenting the admin key."""

        @asynccontextmanager
        async def open_client() -> AsyncIterator[Client]:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {self.key}"}) as http, \
                    Client(streamable_http_client(self.url(server), http_client=http), mode=mode) as client:
                yield client

        return open_client()

    def url(self, server: str) -> str:
        return f"http://127.0.0.1:{self.ports[server]}/mcp"

    def argv(self) -> list[str]:
        return ["xeroctl", "up", "--bus-port", str(self.ports["bus"]), "--odm-port", str(self.ports["odm"]),
                "--xem-port", str(self.ports["xem"]), "--router-port", str(self.ports["router"])]

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv(), env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float = 120) -> str:
        """The first output line containing ``prefix``; AssertionError with the output so far if the process
        ends or the time runs out first."""
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} within {timeout}s:\n" + "\n".join(self.lines)) from None
            if line is None:
                self._drained = True
                raise AssertionError(f"xeroctl up ended before {prefix!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if prefix in line:
                return line

    def start_ready(self) -> Suite:
        self.start()
        self.wait_for("ready in ")
        return self

    def stop(self, sig: int | None = signal.SIGINT, timeout: float = 60) -> int:
        """Signal the suite (if still running; ``sig=None`` only waits), wait for it and collect its output."""
        if self.proc is None:
            return 0
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        status = self.proc.wait(timeout=timeout)
        while not self._drained:
            line = self._queue.get(timeout=timeout)
            if line is None:
                self._drained = True
            else:
                self.lines.append(line)
        return status


def suite_processes(root_pid: int, home: Path) -> list[psutil.Process]:
    """Live processes of a suite: descendants of ``root_pid`` and postgres serving ``home/pgdata``."""
    found: dict[int, psutil.Process] = {}
    try:
        for child in psutil.Process(root_pid).children(recursive=True):
            found[child.pid] = child
    except psutil.NoSuchProcess:
        pass
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(home / "pgdata") in " ".join(proc.info["cmdline"] or []):
            found[proc.pid] = proc
    return [proc for proc in found.values() if _running(proc)]


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(procs: list[psutil.Process], timeout: float = 60) -> list[psutil.Process]:
    """Wait (bounded) for processes to exit; returns those still running. A zombie counts as gone: where
    PID 1 does not reap, an exited postmaster (not our child) stays a zombie for a while."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in procs if _running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        psutil.wait_procs(alive, timeout=0.2)
