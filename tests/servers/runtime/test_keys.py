"""API keys on a real bus database: hashed at rest, verified in constant time, expired, revoked, rotated;
and ``xeroctl keys`` as an operator uses it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from servers.kernel.errors import Conflict, InvalidArgument
from servers.runtime.database import Target, prepare_database
from servers.runtime.keys import Keyring, KeyStore
from tests.conftest import script_env


@pytest.fixture
async def bus_pool(pg):
    dsn = await pg.create("keys")
    await prepare_database(Target("bus", dsn, embedded=pg.embedded))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def _create(pool, name, scopes, **kwargs):
    async with pool.acquire() as conn:
        return await KeyStore(conn).create(name, scopes, created_by="test", **kwargs)


async def test_a_key_is_stored_only_as_its_hash_and_verifies_to_its_scopes(bus_pool):
    record, key = await _create(bus_pool, "ci", ["execution"])
    stored = await bus_pool.fetchrow("SELECT * FROM api_keys WHERE id = $1", record.id)
    assert key.encode() not in b"".join(str(v).encode() for v in stored.values())
    keyring = Keyring(bus_pool)
    principal = await keyring.verify(key)
    assert not isinstance(principal, str) and principal.scopes == {"execution"} and principal.allows("read")
    assert not principal.allows("management")
    assert await keyring.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) == "unknown or revoked"
    assert await keyring.verify("Bearer nonsense") == "malformed"


async def test_expired_and_revoked_keys_are_refused_and_unknown_scopes_and_twins_are_errors(bus_pool):
    _, expired = await _create(bus_pool, "old", [], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    record, revoked = await _create(bus_pool, "gone", ["management"])
    async with bus_pool.acquire() as conn:
        await KeyStore(conn).revoke(record.name)
        with pytest.raises(InvalidArgument, match="unknown scope root"):
            await KeyStore(conn).create("x", ["root"], created_by="test")
        await KeyStore(conn).create("twin", [], created_by="test")
        with pytest.raises(Conflict, match="a usable key named twin exists"):
            await KeyStore(conn).create("twin", [], created_by="test")
    keyring = Keyring(bus_pool)
    await keyring.reload()
    assert await keyring.verify(expired) == "unknown or revoked"  # not usable: not even loaded
    assert await keyring.verify(revoked) == "unknown or revoked"


async def test_rotation_keeps_name_and_scopes_and_the_old_key_stops_after_its_grace(bus_pool):
    record, old = await _create(bus_pool, "deployer", ["execution", "research"])
    async with bus_pool.acquire() as conn:
        graced, new = await KeyStore(conn).rotate("deployer", created_by="test", grace_s=3600)
    keyring = Keyring(bus_pool)
    await keyring.reload()
    assert graced.scopes == ("execution", "research") and graced.name == "deployer" and graced.id != record.id
    assert not isinstance(await keyring.verify(old), str) and not isinstance(await keyring.verify(new), str)
    async with bus_pool.acquire() as conn:
        _, newest = await KeyStore(conn).rotate("deployer", created_by="test")
    await keyring.reload()
    assert await keyring.verify(new) == "unknown or revoked" and not isinstance(await keyring.verify(newest), str)


async def test_xeroctl_keys_prints_a_key_once_lists_without_secrets_revokes_and_rotates(pg, tmp_path):
    dsn = await pg.create("keys")
    env = script_env(XIOPRO_HOME=str(tmp_path), XIOPRO_BUS_DSN=dsn)

    def xeroctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "servers.cli.xeroctl", "keys", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    created = xeroctl("create", "--name", "bot", "--scope", "execution,management", "--expires", "P30D")
    key = created.stdout.strip()
    assert created.returncode == 0 and key.startswith("xio_") and len(created.stdout.splitlines()) == 1
    listed = xeroctl("list")
    assert "bot" in listed.stdout and "execution,management" in listed.stdout and key not in listed.stdout
    bad = xeroctl("create", "--name", "x", "--scope", "root")
    assert bad.returncode != 0 and "[invalid_argument] unknown scope root" in bad.stderr
    rotated = xeroctl("rotate", "bot")
    assert rotated.returncode == 0 and rotated.stdout.strip() != key
    assert xeroctl("revoke", "bot").returncode == 0
    assert "bot" not in xeroctl("list").stdout and "revoked" in xeroctl("list", "--all").stdout
    audit = await _fetch(dsn, "SELECT action FROM audit_log ORDER BY id")
    assert audit == ["keys create", "keys rotate", "keys revoke"]


async def _fetch(dsn: str, sql: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()
