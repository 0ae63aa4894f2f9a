"""`xeroctl up` as a newcomer runs it: ready with three answering servers, refusing a second copy or a
taken port in one line, and leaving no process behind on Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import psutil
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import ERAS, script_env
from tests.support.pg import external_dsn
from tests.support.suite import Suite, suite_processes, wait_gone


def _external_env(prefix: str) -> dict[str, str]:
    """In the external-PostgreSQL run, the suite uses fresh databases there (xeroctl up creates them)."""
    dsn = external_dsn()
    if dsn is None:
        return {}
    base = dsn.rsplit("/", 1)[0]
    return {"XIOPRO_BUS_DSN": f"{base}/xiopro_{prefix}_bus", "XIOPRO_ODM_DSN": f"{base}/xiopro_{prefix}_odm"}


def _drop_external(env: dict[str, str]) -> None:
    dsn = external_dsn()
    if dsn is None:
        return
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for key in ("XIOPRO_BUS_DSN", "XIOPRO_ODM_DSN"):
                await conn.execute(f'DROP DATABASE IF EXISTS "{env[key].rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await conn.close()

    anyio.run(drop)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """One running suite for the read-only checks of this module (embedded, or external DSNs)."""
    extra = _external_env(f"e2e_{psutil.Process().pid}")
    running = Suite(tmp_path_factory.mktemp("suite-home"), extra_env=extra).start_ready()
    try:
        yield running
    finally:
        running.stop()
        _drop_external(extra)


async def test_all_three_endpoints_answer_health_in_both_eras(suite):
    for server, name in (("bus", "xiopro-bus"), ("odm", "xiopro-odm"), ("xem", "xiopro-xem")):
        for era in ERAS:
            async with suite.client(server, era) as client:
                result = await client.call_tool("health", {})
            assert not result.is_error, result.content
            assert result.structured_content["server"] == name
            assert result.structured_content["embedded"] is (external_dsn() is None)


async def test_router_endpoint_accepts_connections_and_its_key_is_printed(suite):
    stream = await anyio.connect_tcp("127.0.0.1", suite.ports["router"])
    await stream.aclose()
    key_lines = [line for line in suite.lines if "router CURVE public key:" in line]
    assert len(key_lines) == 1 and len(key_lines[0].split(":", 1)[1].strip()) == 40


def test_printed_mcp_json_has_an_http_and_a_stdio_variant(suite):
    text = "\n".join(suite.lines)
    blocks, depth, current = [], 0, []
    for line in suite.lines:  # the two pretty-printed JSON objects
        if line == "{" and depth == 0:
            current, depth = [line], 1
            continue
        if depth:
            current.append(line)
            depth += line.count("{") - line.count("}")
            if depth == 0:
                blocks.append(json.loads("\n".join(current)))
    assert len(blocks) == 2, text
    http, stdio = (b["mcpServers"] for b in blocks)
    assert http["xiopro-odm"] == {"type": "http", "url": suite.url("odm"),
                                  "headers": {"Authorization": f"Bearer {suite.key}"}}
    assert stdio["xiopro-odm"]["type"] == "stdio" and Path(stdio["xiopro-odm"]["command"]).name == "odm-mcp"
    assert stdio["xiopro-bus"]["env"]["XIOPRO_HOME"] == str(suite.home)
    assert "hunter2" not in text and "postgres@" not in text.split("Claude Code")[1]


async def test_the_admin_key_is_private_and_a_request_without_it_is_401(suite):
    assert (suite.home / "admin.key").stat().st_mode & 0o777 == 0o600
    async with httpx2.AsyncClient() as http:
        answer = await http.post(suite.url("bus"), json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                 headers={"Accept": "application/json, text/event-stream"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")


def test_second_up_on_the_same_home_is_refused_in_one_line(suite):
    other = Suite(suite.home, extra_env=suite.extra_env)
    proc = subprocess.run(other.argv(), env=other.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("xeroctl: [conflict] xeroctl up is already running"), proc.stderr


def test_taken_port_is_one_line_naming_the_port_and_its_flag(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = Suite(tmp_path)
        busy.ports["odm"] = holder.getsockname()[1]
        proc = subprocess.run(busy.argv(), env=busy.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"xeroctl: [conflict] port {busy.ports['odm']} on 127.0.0.1 is already in use; "
                     "pass --odm-port to use another"], proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stop_signal_leaves_no_server_or_postgres_process_behind(sig, tmp_path):
    extra = _external_env(f"stop_{sig}_{psutil.Process().pid}")
    running = Suite(tmp_path, extra_env=extra).start_ready()
    try:
        started = suite_processes(running.proc.pid, tmp_path)
        assert len([p for p in started if "servers." in " ".join(p.cmdline())]) == 4
        assert running.stop(sig) == 0
        assert "suite stopped" in running.lines[-1]
        assert wait_gone(started) == [] and suite_processes(running.proc.pid, tmp_path) == []
    finally:
        running.stop(signal.SIGKILL)
        _drop_external(extra)


def test_a_crashed_server_stops_the_suite_with_its_log_tail(tmp_path):
    running = Suite(tmp_path).start_ready()
    try:
        children = suite_processes(running.proc.pid, tmp_path)
        odm = next(p for p in children if "servers.cli.odm_mcp" in " ".join(p.cmdline()))
        odm.kill()
        running.wait_for("odm-mcp exited")
        assert running.stop(sig=None) == 1, "the suite stops on its own, with a failure status"
        assert suite_processes(running.proc.pid, tmp_path) == []
    finally:
        running.stop(signal.SIGKILL)


async def test_stdio_odm_mcp_started_by_a_client_uses_the_running_embedded_cluster(tmp_path):
    running = Suite(tmp_path).start_ready()  # always embedded: this is about sharing the embedded cluster
    try:
        postmasters = {p.pid for p in suite_processes(running.proc.pid, tmp_path) if p.name() == "postgres"
                       and "-D" in p.cmdline()}
        assert len(postmasters) == 1
        env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_LOG_LEVEL="WARNING")
        params = StdioServerParameters(command="odm-mcp", args=[], env=env)
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("health", {})
            assert not result.is_error and result.structured_content["embedded"] is True
            users = json.loads((tmp_path / "pgdata.users.json").read_text())
            assert len(users) == 6, "xeroctl up, its three MCP servers, the XEM router and the stdio server share one cluster"
            assert {p.pid for p in psutil.process_iter(["name", "cmdline"]) if p.info["name"] == "postgres"
                    and "-D" in (p.info["cmdline"] or []) and str(tmp_path) in " ".join(p.info["cmdline"])} == postmasters
        assert len(json.loads((tmp_path / "pgdata.users.json").read_text())) == 5
        assert running.proc.poll() is None, "the suite keeps running after the stdio server leaves"
        async with running.client("odm") as client:
            assert not (await client.call_tool("health", {})).is_error
    finally:
        assert running.stop() == 0


async def test_three_stdio_servers_started_at_once_share_one_fresh_cluster_and_stop_it_when_done(tmp_path):
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_LOG_LEVEL="WARNING")
    seen: dict[str, dict] = {}

    async def use(script: str, ready: anyio.Event, done: anyio.Event) -> None:
        async with Client(StdioServerParameters(command=script, args=[], env=env), mode="legacy") as client:
            seen[script] = (await client.call_tool("health", {})).structured_content
            ready.set()
            await done.wait()  # hold the server until all three are up

    done = anyio.Event()
    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            readies = []
            for script in ("bus-mcp", "odm-mcp", "xem-mcp"):
                readies.append(anyio.Event())
                tg.start_soon(use, script, readies[-1], done)
            for ready in readies:
                await ready.wait()
            users = json.loads((tmp_path / "pgdata.users.json").read_text())
            assert len(users) == 3
            postgres = suite_processes(0, tmp_path)
            assert len([p for p in postgres if "-D" in p.cmdline()]) == 1
            done.set()
    assert {h["database"] for h in seen.values()} == {"bus", "odm"}
    # The stdio client may return before its server has finished shutting down: wait (bounded) for exits.
    assert wait_gone(postgres) == [] and suite_processes(0, tmp_path) == [], (
        "the last stdio server to leave stops the cluster"
    )


async def test_an_agent_tool_runs_through_the_suite_and_a_destructive_one_waits_for_xeroctl(suite, tmp_path):
    """The acceptance walk of the XEM bridge on one `xeroctl up`: a real xem-agent, an MCP client over HTTP."""
    import sys

    from tests.support.wait import wait_for
    from tests.xem.support import TOOL_SCRIPT, _toml

    def xeroctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["xeroctl", *args], env=suite.env, capture_output=True, text=True, timeout=60)

    join = xeroctl("agents", "join-keys", "--create", "--role", "xem", "--ttl", "600")
    assert join.returncode == 0, join.stderr
    # workspaces fail closed: the README's three commands open ws (models in the catalog, the record, the binding)
    for args in (("models", "set", "llm-plan", "llm-exec", "llm-check", "--available"),
                 ("workspaces", "create", "ws", "--kind", "operational"),
                 ("workspaces", "bind", "ws", "--planner", "llm-plan", "--executor", "llm-exec", "--verifier", "llm-check")):
        done = xeroctl(*args)
        assert done.returncode == 0, done.stderr
    key_line = next(line for line in suite.lines if "router CURVE public key:" in line)
    (tmp_path / "ws").mkdir()
    (tmp_path / "tool.py").write_text(TOOL_SCRIPT)
    tool = str(tmp_path / "tool.py")
    config = tmp_path / "agent.toml"
    config.write_text(_toml({
        "name": "xem-up", "router": f"tcp://127.0.0.1:{suite.ports['router']}",
        "router_public_key": key_line.split(":", 1)[1].strip(), "state_dir": str(tmp_path / "state"),
        "join_key": join.stdout.strip(), "workspaces": [{"name": "ws", "root": str(tmp_path / "ws")}],
        "tools": [{"name": "echo", "workspace": "ws", "description": "print the arguments", "risk": "read",
                   "argv": [sys.executable, tool, "echo", "{msg}"], "params": {"msg": {"type": "string"}}},
                  {"name": "wipe", "workspace": "ws", "description": "append to wipes.txt", "risk": "destructive",
                   "argv": [sys.executable, tool, "wipe", "{target}"], "params": {"target": {"type": "string"}}}],
    }))
    agent = subprocess.Popen(["xem-agent", "--config", str(config)], env=suite.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with suite.client("xem") as client:
            async def listed() -> bool:
                return "ws__echo" in {t.name for t in (await client.list_tools()).tools}

            await wait_for(listed, what="ws__echo in tools/list after the agent enrolled", within=60, every=0.2)
            ran = await client.call_tool("ws__echo", {"msg": "up"})
            assert ran.structured_content["state"] == "succeeded" and json.loads(ran.structured_content["result"]["stdout"]) == ["up"]
            gated = await client.call_tool("ws__wipe", {"target": "t1", "idempotency_key": "up-1"})
            text = gated.content[0].text
            assert gated.is_error and text.startswith("[approval_required] "), text
            approval = text.split()[2]
            assert xeroctl("approvals", "approve", approval).returncode == 0

            async def finished() -> bool:
                answer = await client.call_tool("ws__wipe", {"target": "t1", "idempotency_key": "up-1"})
                return not answer.is_error and answer.structured_content["state"] == "succeeded"

            await wait_for(finished, what="the approved wipe to succeed", within=60, every=0.2)
            assert (tmp_path / "ws" / "wipes.txt").read_text() == "t1\n"
        async with suite.client("odm") as odm:  # a call with a task_id is a tool_call activity on that task, once
            async def made(tool: str, **arguments: object) -> dict:
                answer = await odm.call_tool(tool, arguments)
                assert not answer.is_error, answer.content
                return answer.structured_content

            project = await made("create_project", name="ops")
            ticket = await made("create_ticket", project_id=project["id"], title="tidy")
            task = await made("create_task", ticket_id=ticket["id"], title="echo", objective="o")
            await made("next_task", agent_id="042")
            async with suite.client("xem") as client:
                ran = await client.call_tool("ws__echo", {"msg": "tracked", "task_id": task["id"]})
                assert ran.structured_content["state"] == "succeeded", ran.content

            async def recorded() -> list:
                return (await made("list_activities", task_id=task["id"]))["items"]

            [activity] = await wait_for(recorded, what="the tool_call activity in the ODM", within=60, every=0.2)
            assert activity["activity_type"] == "tool_call" and activity["result_status"] == "success"
    finally:
        agent.terminate()
        agent.wait(20)
