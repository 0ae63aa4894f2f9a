"""Migrations of both databases: idempotent, concurrent-safe, refusing a newer database, matching schema.sql."""

from __future__ import annotations

import subprocess

import anyio
import asyncpg
import pytest

from resources import resource_path
from servers.kernel.errors import StartupError
from servers.runtime.database import Target, prepare_database, read_status
from tests.conftest import script_env
from tests.support.catalog import schema_fingerprint

DATABASES = ("bus", "odm")


@pytest.mark.parametrize("database", DATABASES)
async def test_upgrade_creates_the_database_and_is_idempotent(pg, database):
    target = Target(database, pg.dsn(pg.new_name(database)), embedded=pg.embedded)
    assert await read_status(target) is None
    first = await prepare_database(target)
    second = await prepare_database(target)
    assert first == second
    assert first.current == first.latest and not first.pending and not first.unknown


@pytest.mark.parametrize("database", DATABASES)
async def test_concurrent_upgrades_from_separate_processes_apply_each_migration_once(pg, database, tmp_path):
    dsn = await pg.create(database)
    env = script_env(XIOPRO_HOME=str(tmp_path), **{f"XIOPRO_{database.upper()}_DSN": dsn})
    argv = ["xeroctl", "db", "upgrade", "--database", database]
    with anyio.fail_after(120):
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
        outputs = [await anyio.to_thread.run_sync(p.communicate) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    status = await read_status(Target(database, dsn, embedded=pg.embedded))
    assert status is not None and status.current == status.latest and not status.pending


@pytest.mark.parametrize(
    "database, forge",
    [
        ("bus", "INSERT INTO schema_migrations (version, name, checksum) VALUES ('9999', 'future', 'x')"),
        ("odm", "UPDATE alembic_version SET version_num = 'f00dfeed'"),
    ],
)
async def test_database_migrated_by_a_newer_release_is_refused(pg, database, forge):
    target = Target(database, await pg.create(database), embedded=pg.embedded)
    await prepare_database(target)
    conn = await asyncpg.connect(target.dsn)
    try:
        await conn.execute(forge)
    finally:
        await conn.close()
    with pytest.raises(StartupError) as caught:
        await prepare_database(target)
    assert caught.value.code == "conflict"
    assert "newer than this code knows" in str(caught.value)
    assert (await read_status(target)).unknown


@pytest.mark.parametrize("database", DATABASES)
async def test_schema_snapshot_matches_the_migrations(pg, database):
    migrated = Target(database, await pg.create(database), embedded=pg.embedded)
    await prepare_database(migrated)
    snapshot_dsn = await pg.create(f"{database}snap")
    conn = await asyncpg.connect(snapshot_dsn)
    try:
        snapshot = resource_path(database, "schema.sql").read_text()
        if any(line.strip() and not line.lstrip().startswith("--") for line in snapshot.splitlines()):
            await conn.execute(snapshot)
    finally:
        await conn.close()
    expected, actual = await schema_fingerprint(snapshot_dsn), await schema_fingerprint(migrated.dsn)
    for section in expected:
        assert actual[section] == expected[section], (
            f"resources/{database}/schema.sql is out of step with the migrations ({section}); "
            "regenerate the snapshot after adding a migration"
        )
