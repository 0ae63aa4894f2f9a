"""XEM fixtures: a migrated bus database with a pool, XIOPRO_HOME for keys, short intervals, and workspace ``ws``
open (three available models bound: workspaces fail closed); ``mesh`` runs a real router and agents on it
(stopped after the test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from servers.runtime.database import Target, prepare_database
from tests.xem.support import Mesh, open_workspace
from xem.services import XemServices


@dataclass
class Bus:
    dsn: str
    pool: asyncpg.Pool
    home: Path

    @property
    def xem(self) -> XemServices:
        """The XEM services on this database (what the router and xeroctl call use cases with)."""
        return XemServices(self.pool)


@pytest.fixture
async def bus(pg, tmp_path) -> AsyncIterator[Bus]:
    dsn = await pg.create("xem")
    await prepare_database(Target("bus", dsn, embedded=pg.embedded))
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    await open_workspace(XemServices(pool), "ws")
    try:
        yield Bus(dsn, pool, tmp_path / "home")
    finally:
        await pool.close()


@pytest.fixture
async def mesh(bus, tmp_path) -> AsyncIterator[Mesh]:
    mesh = Mesh(tmp_path, bus.dsn, bus.home)
    try:
        yield mesh
    finally:
        mesh.stop()
