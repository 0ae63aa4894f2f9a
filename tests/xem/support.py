"""Real router and agent processes for the acceptance tests: short intervals, ipc endpoints, bounded waits."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from servers.kernel.errors import Conflict
from tests.conftest import script_env
from tests.support.wait import wait_for as shared_wait_for
from xem import services

TOOL_SCRIPT = '''
import json, os, sys, time
mode = sys.argv[1]
if mode == "echo":
    print(json.dumps(sys.argv[2:]))
elif mode == "gate":
    with open("pid", "w") as f:
        f.write(str(os.getpid()))
    with open(os.environ.get("PWD", ".") + "/runs.txt", "a") as f:
        f.write("run\\n")
    deadline = time.monotonic() + 60
    while not os.path.exists("release") and time.monotonic() < deadline:
        time.sleep(0.01)
    print("done")
elif mode == "tick":
    for i in range(int(sys.argv[2])):
        print(f"tick {i}", flush=True)
        time.sleep(0.15)
elif mode == "wipe":
    with open("wipes.txt", "a") as f:
        f.write(sys.argv[2] + "\\n")
    print("wiped " + sys.argv[2])
'''

FAST = {
    "XIOPRO_XEM_LEASE_RENEWAL_INTERVAL_MS": "150",
    "XIOPRO_XEM_KEYRING_REFRESH_MS": "300",
    "XIOPRO_XEM_DISPATCH_RESEND_MS": "300",
    "XIOPRO_XEM_FRAME_RESEND_MS": "300",
    "XIOPRO_XEM_RECONNECT_MIN_MS": "50",
    "XIOPRO_XEM_RECONNECT_MAX_MS": "400",
    "XIOPRO_XEM_DROP_AUDIT_INTERVAL_S": "0",
    "XIOPRO_LOG_LEVEL": "INFO",
}


def BRIDGE_TOOLS(tool: str) -> list[dict[str, Any]]:
    """The extra tools the bridge tests use: a long one with progress, a destructive one, a destructive gate."""
    return [
        {"name": "tick", "workspace": "ws", "description": "print n ticks, 0.15 s apart", "risk": "read", "timeout_s": 60,
         "argv": [sys.executable, tool, "tick", "{n}"], "params": {"n": {"type": "integer", "minimum": 1, "maximum": 400}}},
        {"name": "wipe", "workspace": "ws", "description": "append the target to wipes.txt", "risk": "destructive",
         "argv": [sys.executable, tool, "wipe", "{target}"], "params": {"target": {"type": "string", "max_length": 64}}},
        {"name": "drop", "workspace": "ws", "description": "wait for ./release (destructive)", "risk": "destructive",
         "timeout_s": 60, "argv": [sys.executable, tool, "gate"]},
    ]


MODELS = {"planner": "test-planner", "executor": "test-executor", "verifier": "test-verifier"}


async def open_workspace(xem: services.XemServices, name: str = "ws", *, kind: str = "operational") -> None:
    """Make workspace ``name`` open: three available catalog models bound to it (created ``kind`` if it has no
    record). Workspaces fail closed, so a test whose agent tools must be listed and run does this first (the ``bus``
    fixture does it for ``ws``); ``Mesh.open_workspace`` is the same through ``xeroctl``."""
    for model in MODELS.values():
        await services.set_model(xem, model, True, provider="test", reported_by="tests")
    try:
        await services.create_workspace(xem, name, kind, by="tests")
    except Conflict:
        pass  # an agent's manifest declared it already
    await services.bind_workspace(xem, name, dict(MODELS))


_LIVE: list[Mesh] = []  # meshes of the running test, whose logs a failed wait prints


async def wait_for(check: Callable[[], Any], *, what: str, timeout: float = 60) -> Any:
    """``tests.support.wait.wait_for`` that, when it times out, adds the tail of every router and agent log
    of the running test (a slow enrollment on a loaded machine then says why). The bound is generous: the
    2-core CI machine runs PostgreSQL, the router, the agents and pytest at once."""
    try:
        return await shared_wait_for(check, what=what, within=timeout)
    except AssertionError as exc:
        tails = "".join(f"\n--- {proc.log.name} (last 40 lines) ---\n" + "\n".join(proc.text().splitlines()[-40:])
                        for mesh in _LIVE for proc in mesh.procs)
        raise AssertionError(f"{exc}{tails}") from None


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    async def exit_status(self, timeout: float = 30) -> int:
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(self.popen.wait)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


class Mesh:
    """A router and its agents for one test, all stopped at the end."""

    def __init__(self, tmp: Path, bus_dsn: str, home: Path) -> None:
        self.tmp = tmp
        self.endpoint = f"ipc://{tmp}/router.ipc"
        self.env = script_env(XIOPRO_HOME=str(home), XIOPRO_BUS_DSN=bus_dsn, **FAST)
        self.procs: list[Proc] = []
        _LIVE.append(self)
        self.workspace = tmp / "ws"
        self.workspace.mkdir(exist_ok=True)
        (tmp / "tool.py").write_text(TOOL_SCRIPT)

    def start_router(self) -> Proc:
        proc = Proc([sys.executable, "-m", "servers.cli.xem_router", "--bind", self.endpoint], self.env, self.tmp / "router.log")
        self.procs.append(proc)
        return proc

    def xeroctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "xeroctl"), *args], env=self.env, capture_output=True,
                              text=True, timeout=60)

    def open_workspace(self, name: str = "ws") -> None:
        """``open_workspace`` through ``xeroctl``: the three commands an operator runs (models, create, bind)."""
        for args in (("models", "set", *MODELS.values(), "--available"),
                     ("workspaces", "create", name, "--kind", "operational"),
                     ("workspaces", "bind", name, *(f"--{role}={m}" for role, m in MODELS.items()))):
            done = self.xeroctl(*args)
            assert done.returncode == 0 or "exists" in done.stderr, done.stderr

    def join_key(self, role: str = "xem", ttl: int = 600) -> str:
        done = self.xeroctl("agents", "join-keys", "--create", "--role", role, "--ttl", str(ttl))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def router_key(self) -> str:
        return self.xeroctl("agents", "router-key").stdout.strip()

    def agent_config(self, label: str, name: str, join_key: str | None, *, bridge_tools: bool = False,
                     workspace: str = "ws", **extra: Any) -> Path:
        tool = str(self.tmp / "tool.py")
        config = {
            "name": name, "router": self.endpoint, "router_public_key": self.router_key(),
            "state_dir": str(self.tmp / f"state-{label}"), "workspaces": [{"name": "ws", "root": str(self.workspace)}],
            "tools": [
                {"name": "echo", "workspace": "ws", "description": "print the arguments", "risk": "read",
                 "argv": [sys.executable, tool, "echo", "{msg}", "{path}"],
                 "params": {"msg": {"type": "string"}, "path": {"type": "path", "required": False}}},
                {"name": "gate", "workspace": "ws", "description": "wait for ./release", "risk": "write",
                 "timeout_s": 60, "argv": [sys.executable, tool, "gate"]},
                *(BRIDGE_TOOLS(tool) if bridge_tools else []),
            ],
            **extra,
        }
        if workspace != "ws":  # the same tools, declared in another workspace
            config["workspaces"] = [{"name": workspace, "root": str(self.workspace)}]
            config["tools"] = [{**t, "workspace": workspace} for t in config["tools"]]
        if join_key is not None:
            config["join_key"] = join_key
        path = self.tmp / f"agent-{label}.toml"
        path.write_text(_toml(config))
        return path

    def start_agent(self, config: Path, label: str) -> Proc:
        proc = Proc([sys.executable, "-m", "servers.cli.xem_agent", "--config", str(config)], self.env, self.tmp / f"agent-{label}.log")
        self.procs.append(proc)
        return proc

    def outbox(self, label: str) -> list[tuple[str, str]]:
        """(frame id, kind) rows in an agent's dispatch queue, read without disturbing it."""
        path = self.tmp / f"state-{label}" / "queue.sqlite"
        if not path.exists():
            return []
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT frame_id, kind FROM outbox").fetchall()
        finally:
            conn.close()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        if self in _LIVE:
            _LIVE.remove(self)


def _toml(value: dict[str, Any]) -> str:
    """Just enough TOML for the test configs (strings, numbers, lists, tables, arrays of tables)."""
    lines: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, item in value.items():
        if isinstance(item, dict) or (isinstance(item, list) and item and isinstance(item[0], dict)):
            tables.append((key, item))
        else:
            lines.append(f"{key} = {json.dumps(item)}")
    for key, item in tables:
        for entry in item if isinstance(item, list) else [item]:
            lines.append(f"[[{key}]]" if isinstance(item, list) else f"[{key}]")
            for k, v in entry.items():
                lines.append(f"{k} = {_inline(v)}")
    return "\n".join(lines) + "\n"


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
