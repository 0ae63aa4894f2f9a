"""ODM configuration: the primary user comes from XIOPRO_PRIMARY_USER (never hard-coded); bad values stop the server."""

from __future__ import annotations

import subprocess

import anyio

from servers import odm
from tests.conftest import connect_client, script_env
from tests.support.odm import call


async def test_the_primary_user_is_the_configured_one_and_only_one(odm_settings, monkeypatch):
    monkeypatch.setenv("XIOPRO_PRIMARY_USER", "Ada Lovelace")
    monkeypatch.setenv("XIOPRO_PRIMARY_USER_EMAIL", "ada@example.org")
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        first = (await call(client, "list_users"))["items"]
    monkeypatch.setenv("XIOPRO_PRIMARY_USER", "Grace Hopper")
    monkeypatch.delenv("XIOPRO_PRIMARY_USER_EMAIL")
    monkeypatch.setenv("XIOPRO_PRIMARY_USER_ROLE", "operator")
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        second = (await call(client, "list_users"))["items"]
    assert [(u["name"], u["email"], u["role"], u["is_primary"]) for u in first] == [
        ("Ada Lovelace", "ada@example.org", "founder", True)]
    assert [(u["name"], u["role"], u["is_primary"]) for u in second] == [
        ("Ada Lovelace", "founder", False), ("Grace Hopper", "operator", True)]


async def test_a_blank_primary_user_stops_the_server_with_one_line(odm_settings):
    env = script_env(XIOPRO_HOME=str(odm_settings.home), XIOPRO_ODM_DSN=odm_settings.odm_dsn, XIOPRO_PRIMARY_USER="  ")
    with anyio.fail_after(120):
        proc = await anyio.to_thread.run_sync(lambda: subprocess.run(
            ["odm-mcp"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=110))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "odm-mcp: [invalid_argument] XIOPRO_PRIMARY_USER must name a person or role, not be blank; fix the variable and start again")
