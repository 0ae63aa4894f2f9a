"""Scoped API keys on streamable HTTP, through a real server, a real MCP client and raw HTTP requests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import asyncpg
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from servers import bus, odm
from servers.runtime.database import Target, prepare_database
from servers.runtime.keys import KeyStore
from tests.conftest import script_env
from tests.support.http import serve_http
from tests.support.net import free_port
from tests.support.wait import wait_for

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@asynccontextmanager
async def client_with(url: str, key: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx2.AsyncClient(headers=headers) as http, \
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
        yield client


async def new_key(dsn: str, name: str, *scopes: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            _, key = await KeyStore(conn).create(name, scopes, created_by="test")
        return key
    finally:
        await conn.close()


@pytest.fixture
def keyed(suite_settings):
    return suite_settings.model_copy(update={"http_auth": "keys"})


async def test_a_request_without_a_key_or_with_a_bad_one_is_401_with_www_authenticate_and_is_audited(keyed):
    async with serve_http(bus.SPEC, keyed) as url:
        async with httpx2.AsyncClient() as http:
            missing = await http.post(url, json=INIT, headers=ACCEPT)
            forged = await http.post(url, json=INIT, headers=ACCEPT | {"Authorization": "Bearer xio_0123456789ab_" + "x" * 43})
        async def both_audited() -> list[asyncpg.Record] | None:
            found = await _audit(keyed.bus_dsn)
            return found if len([r for r in found if r["outcome"] == "refused 401"]) == 2 else None

        rows = await wait_for(both_audited, what="both refusals in the audit log", within=10)
    assert (missing.status_code, forged.status_code) == (401, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer") and 'error="invalid_token"' in missing.headers["www-authenticate"]
    refused = [r for r in rows if r["outcome"] == "refused 401"]
    # each record is written after its answer went out: the two may land in either order
    assert sorted((json.loads(r["detail"])["reason"], r["actor"]) for r in refused) == [
        ("no Authorization: Bearer header", "anonymous from 127.0.0.1"), ("unknown or revoked", "key 0123456789ab from 127.0.0.1")]
    assert all("x" * 43 not in (r["actor"] + r["detail"]) for r in rows), "the audit never holds a key"


async def test_a_read_only_key_lists_no_write_tool_and_a_write_call_is_forbidden(keyed):
    await prepare_database(Target("bus", keyed.bus_dsn, embedded=False))  # where odm-mcp reads the keys
    async with serve_http(odm.SPEC, keyed, toolsets="all") as url:
        reader = await new_key(keyed.bus_dsn, "reader")
        worker = await new_key(keyed.bus_dsn, "worker", "execution")
        async with client_with(url, reader) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            refused = await client.call_tool("create_project", {"name": "P"})
            allowed = await client.call_tool("search", {"query": "x"})
        async with client_with(url, worker) as client:
            worker_tools = {t.name for t in (await client.list_tools()).tools}
            created = await client.call_tool("create_project", {"name": "P"})
            override = await client.call_tool("transition", {"kind": "project", "id": created.structured_content["id"],
                                                              "status": "archive", "state": "archived", "override": True,
                                                              "reason": "test"})
    assert listed and all(t.annotations.read_only_hint for t in listed.values()), sorted(listed)
    assert refused.is_error and refused.content[0].text.startswith(
        "[forbidden] create_project needs an API key with scope execution; key ")
    assert not allowed.is_error
    assert {"create_project", "transition"} <= worker_tools and "create_user" not in worker_tools  # management only
    assert not created.is_error
    assert override.is_error and "needs an API key with scope management" in override.content[0].text


async def test_management_calls_are_audited_with_who_and_what_but_no_values(suite_settings):
    from tests.conftest import connect_client

    async with connect_client(odm.SPEC, suite_settings, toolsets="all") as client:  # in process: the local user
        done = await client.call_tool("create_user", {"name": "dana", "role": "operator"})
    assert not done.is_error
    conn = await asyncpg.connect(suite_settings.odm_dsn)
    try:
        rows = await conn.fetch("SELECT actor, action, outcome, detail FROM audit_log")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("DELETE FROM audit_log")
    finally:
        await conn.close()
    assert [(r["action"], r["outcome"]) for r in rows] == [("tools/call create_user", "ok")]
    assert rows[0]["actor"].startswith("local user ") and "dana" not in rows[0]["detail"]


async def test_a_revoked_key_is_refused_on_its_next_request(keyed, tmp_path):
    async with serve_http(bus.SPEC, keyed) as url:
        key = await new_key(keyed.bus_dsn, "short-lived", "execution")
        async with httpx2.AsyncClient() as http:
            before = await http.post(url, json=INIT, headers=ACCEPT | {"Authorization": f"Bearer {key}"})
            env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_DSN=keyed.bus_dsn)
            done = await anyio.to_thread.run_sync(lambda: subprocess.run(  # the server keeps running meanwhile
                [sys.executable, "-m", "servers.cli.xeroctl", "keys", "revoke", "short-lived"],
                env=env, capture_output=True, text=True, timeout=120))
            after = await http.post(url, json=INIT, headers=ACCEPT | {"Authorization": f"Bearer {key}"})
    assert before.status_code == 200 and done.returncode == 0, done.stderr
    assert after.status_code == 401


async def test_a_foreign_origin_is_refused_on_loopback(keyed):
    async with serve_http(bus.SPEC, keyed) as url:
        key = await new_key(keyed.bus_dsn, "browser", "execution")
        async with httpx2.AsyncClient() as http:
            answer = await http.post(url, json=INIT, headers=ACCEPT | {"Authorization": f"Bearer {key}",
                                                                      "Origin": "http://attacker.example"})
    assert answer.status_code == 403


@pytest.mark.parametrize("auth, says", [("none", "XIOPRO_HTTP_AUTH=none is for loopback only"),
                                        ("keys", "no API key exists")])
def test_serving_a_non_loopback_address_without_keys_is_refused_in_one_line(suite_settings, tmp_path, auth, says):
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_DSN=suite_settings.bus_dsn, XIOPRO_HTTP_AUTH=auth)
    done = subprocess.run([sys.executable, "-m", "servers.cli.bus_mcp", "--http", f"0.0.0.0:{free_port()}"],
                          env=env, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and lines[-1].startswith("bus-mcp: [forbidden] refusing to serve HTTP on 0.0.0.0"), done.stderr
    assert says in lines[-1]


async def _audit(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT actor, action, outcome, detail::text AS detail FROM audit_log ORDER BY id")
    finally:
        await conn.close()
