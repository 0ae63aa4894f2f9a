"""ODM fixtures: a migrated template database per run, cloned per test (fast), and settings on the clone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from odm.services import OdmServices, registry
from odm.settings import OdmSettings
from servers.runtime.database import Target, open_pool, prepare_database
from servers.runtime.settings import SuiteSettings
from tests.support.pg import TestPostgres


@pytest.fixture(scope="session")
async def odm_template(pg_server: TestPostgres) -> AsyncIterator[str]:
    """A database migrated to head, used as CREATE DATABASE ... TEMPLATE for each test."""
    name = f"xiopro_odmtpl_{uuid.uuid4().hex[:10]}"
    await prepare_database(Target("odm", pg_server.dsn(name), embedded=pg_server.embedded))
    yield name
    conn = await asyncpg.connect(pg_server.admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def odm_settings(pg: TestPostgres, odm_template: str, tmp_path: Path) -> SuiteSettings:
    """Settings whose odm database is a fresh migrated clone (dropped after the test)."""
    name = pg.new_name("odm")
    conn = await asyncpg.connect(pg.admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{odm_template}"')
    finally:
        await conn.close()
    return SuiteSettings(home=tmp_path / "home", odm_dsn=pg.dsn(name), bus_dsn=pg.dsn(pg.new_name("bus")),
                         log_level="WARNING", http_auth="none")


@pytest.fixture
async def services(odm_settings: SuiteSettings) -> AsyncIterator[OdmServices]:
    """The ODM services on the test database (no server, no sweeper), for tests of the use cases themselves."""
    pool = await open_pool(Target("odm", odm_settings.odm_dsn, embedded=False), max_size=4)
    try:
        made = OdmServices(pool, OdmSettings(), primary_user_id="")
        made.primary_user_id = await registry.ensure_primary_user(made)
        yield made
    finally:
        await pool.close()
