"""The console scripts: one clear line and a non-zero exit for every kind of bad start, never a traceback;
stdio and streamable HTTP both serve both protocol eras."""

from __future__ import annotations

import socket
import subprocess
import sys

import asyncpg
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from servers.cli.serve import bind_socket
from tests.conftest import ERAS, script_env
from tests.support.net import free_port, running_server

SCRIPTS = ("bus-mcp", "odm-mcp", "xem-mcp", "xem-router", "xem-agent", "xeroctl")
SERVERS = ("bus-mcp", "odm-mcp", "xem-mcp")


def run(argv: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_clear_line(proc: subprocess.CompletedProcess[str], program: str, *needles: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{program}: [") or lines[0].startswith(f"{program.split()[0]}: ["), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert proc.stdout == ""
    return lines[0]


@pytest.mark.parametrize("script", SCRIPTS)
def test_unknown_flag_is_one_line_naming_the_flag_and_exit_2(script, tmp_path):
    proc = run([script, "--no-such-flag"], script_env(XIOPRO_HOME=str(tmp_path)))
    assert_one_clear_line(proc, script, "--no-such-flag", "--help")
    assert proc.returncode == 2


@pytest.mark.parametrize("script", SERVERS)
def test_malformed_dsn_is_one_line_naming_the_variable(script, tmp_path):
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_DSN="mysql://root:hunter2@db/bus", XIOPRO_ODM_DSN="nonsense")
    line = assert_one_clear_line(run([script], env), script, "[invalid_argument]", "DSN")
    assert "hunter2" not in line


@pytest.mark.parametrize("script", SERVERS)
def test_unreachable_database_is_one_line_naming_host_and_variable(script, tmp_path):
    dead = f"127.0.0.1:{free_port()}"
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_DSN=f"postgresql://u:pw@{dead}/bus",
                     XIOPRO_ODM_DSN=f"postgresql://u:pw@{dead}/odm")
    line = assert_one_clear_line(run([script], env), script, "[unavailable]", dead, "_DSN")
    assert "pw@" not in line


@pytest.mark.parametrize("script, database", [("bus-mcp", "bus"), ("odm-mcp", "odm"), ("xem-mcp", "bus")])
async def test_database_migrated_by_a_newer_release_is_refused_in_one_line(script, database, pg, tmp_path):
    dsn = await pg.create(database)
    env = script_env(XIOPRO_HOME=str(tmp_path), **{f"XIOPRO_{database.upper()}_DSN": dsn})
    subprocess.run(["xeroctl", "db", "upgrade", "--database", database], env=env, check=True, capture_output=True)
    conn = await asyncpg.connect(dsn)
    try:
        if database == "bus":
            await conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES ('9999', 'f', 'x')")
        else:
            await conn.execute("UPDATE alembic_version SET version_num = 'deadbeef'")
    finally:
        await conn.close()
    assert_one_clear_line(run([script], env), script, "[conflict]", "newer than this code knows")


def test_unknown_toolset_is_one_line_listing_the_choices(tmp_path):
    proc = run(["odm-mcp", "--toolsets", "default,bogus"], script_env(XIOPRO_HOME=str(tmp_path)))
    assert_one_clear_line(proc, "odm-mcp", "unknown toolset bogus", "default")
    assert proc.returncode == 2


def test_taken_http_port_is_one_line_naming_port_and_flag(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = run(["bus-mcp", "--http", f"127.0.0.1:{port}"], script_env(XIOPRO_HOME=str(tmp_path)))
    assert_one_clear_line(proc, "bus-mcp", f"port {port}", "--http")


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1:0", "127.0.0.1:99999", "host:port"])
def test_bad_http_address_is_one_line(value, tmp_path):
    proc = run(["odm-mcp", "--http", value], script_env(XIOPRO_HOME=str(tmp_path)))
    assert_one_clear_line(proc, "odm-mcp", "--http", "HOST:PORT")


def test_listening_socket_disables_nagle_on_accepted_connections():
    sock = bind_socket("127.0.0.1", 0, flag="--http")
    try:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY only on IPPROTO_TCP sockets
    finally:
        sock.close()


@pytest.mark.parametrize("script", SERVERS)
async def test_stdio_server_answers_health_in_both_eras(script, suite_settings):
    env = script_env(XIOPRO_HOME=str(suite_settings.home), XIOPRO_BUS_DSN=suite_settings.bus_dsn,
                     XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_LOG_LEVEL="WARNING")
    for era in ERAS:
        params = StdioServerParameters(command=script, args=[], env=env)
        async with Client(params, mode=era) as client:
            result = await client.call_tool("health", {})
            assert not result.is_error, result.content
            assert result.structured_content["migration_revision"] is not None


@pytest.mark.parametrize("module", ["servers.cli.bus_mcp", "servers.cli.odm_mcp", "servers.cli.xem_mcp"])
async def test_http_server_answers_health_in_both_eras(module, suite_settings):
    env = script_env(XIOPRO_HOME=str(suite_settings.home), XIOPRO_BUS_DSN=suite_settings.bus_dsn,
                     XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_LOG_LEVEL="WARNING")
    async with running_server([sys.executable, "-m", module], env) as url:
        for era in ERAS:
            async with Client(url, mode=era) as client:
                result = await client.call_tool("health", {})
                assert not result.is_error, result.content


def test_version_flag_prints_the_version(tmp_path):
    proc = run(["odm-mcp", "--version"], script_env(XIOPRO_HOME=str(tmp_path)))
    assert proc.returncode == 0 and proc.stdout.startswith("odm-mcp ")


@pytest.mark.parametrize("script", SERVERS)
def test_stdio_server_writes_nothing_but_protocol_to_stdout(script, suite_settings):
    env = script_env(XIOPRO_HOME=str(suite_settings.home), XIOPRO_BUS_DSN=suite_settings.bus_dsn,
                     XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_LOG_LEVEL="DEBUG")
    proc = run([script], env)  # stdin is closed at once: the server starts, sees EOF and stops
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "ready on stdio" in proc.stderr and "stopped" in proc.stderr


def test_xeroctl_with_a_malformed_dsn_is_one_line(tmp_path):
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_ODM_DSN="postgresql://u:hunter2@h:bad/odm")
    for argv in (["xeroctl", "up"], ["xeroctl", "db", "status"]):
        line = assert_one_clear_line(run(argv, env), "xeroctl", "[invalid_argument]", "XIOPRO_ODM_DSN")
        assert "hunter2" not in line


def test_xeroctl_db_status_on_an_unreachable_database_is_one_line(tmp_path):
    dead = f"127.0.0.1:{free_port()}"
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_DSN=f"postgresql://u@{dead}/bus",
                     XIOPRO_ODM_DSN=f"postgresql://u@{dead}/odm")
    assert_one_clear_line(run(["xeroctl", "db", "status"], env), "xeroctl", "[unavailable]", dead)
