"""Test databases: one throwaway database per test (or per module), on the embedded cluster or XIOPRO_TEST_DSN."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg

__all__ = ["TestPostgres", "external_dsn"]


def external_dsn() -> str | None:
    """The external server the run targets (``XIOPRO_TEST_DSN``), or None for the embedded default."""
    value = os.environ.get("XIOPRO_TEST_DSN", "").strip()
    return value or None


class TestPostgres:
    """Creates and drops uniquely named databases on one PostgreSQL server."""

    __test__ = False  # not a test class

    def __init__(self, admin_dsn: str, *, embedded: bool) -> None:
        self.admin_dsn = admin_dsn
        self.embedded = embedded
        self._created: list[str] = []

    def dsn(self, name: str) -> str:
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path=f"/{name}"))

    async def create(self, prefix: str = "t") -> str:
        """A new empty database; returns its DSN."""
        name = f"xiopro_{prefix}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self._created.append(name)
        return self.dsn(name)

    def new_name(self, prefix: str = "t") -> str:
        """A database name nobody uses yet (not created; the code under test creates it)."""
        name = f"xiopro_{prefix}_{uuid.uuid4().hex[:10]}"
        self._created.append(name)
        return name

    async def drop(self, dsn_or_name: str) -> None:
        name = urlsplit(dsn_or_name).path.strip("/") if "://" in dsn_or_name else dsn_or_name
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def drop_all(self) -> None:
        while self._created:
            await self.drop(self._created.pop())
