"""Ordered ``NNNN_name.sql`` migrations with a version table (the bus database, schema xem included)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cached_property

import asyncpg

from resources import resource_path
from servers.runtime.migrations._base import MigrationStatus, check_not_ahead

__all__ = ["SqlMigrator"]

log = logging.getLogger("xiopro.migrations")

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_TABLE = "schema_migrations"
_LOCK_KEY = 0x5849_0001  # advisory lock: one migrator at a time per database

_CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS public.{_TABLE} (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class _File:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


class SqlMigrator:
    """Applies ``resources/<database>/migrations/*.sql`` in order, each in its own transaction."""

    def __init__(self, database: str) -> None:
        self.database = database

    @cached_property
    def files(self) -> tuple[_File, ...]:
        found = []
        for path in sorted(resource_path(self.database, "migrations").glob("*.sql")):
            match = _FILE.match(path.name)
            if match is None:
                raise RuntimeError(f"migration file {path.name} is not named NNNN_name.sql")
            found.append(_File(match[1], match[2], path.read_text()))
        if not found:
            raise RuntimeError(f"no migrations shipped for {self.database}")
        return tuple(found)

    async def status(self, conn: asyncpg.Connection) -> MigrationStatus:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{_TABLE}")
        applied = set()
        if exists:
            applied = {r["version"] for r in await conn.fetch(f"SELECT version FROM public.{_TABLE}")}
        known = {f.version for f in self.files}
        current = max(applied) if applied else None
        return MigrationStatus(
            database=self.database,
            current=current,
            latest=self.files[-1].version,
            pending=tuple(f.version for f in self.files if f.version not in applied),
            unknown=bool(applied - known),
        )

    async def upgrade(self, dsn: str) -> MigrationStatus:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
            try:
                await conn.execute(_CREATE_TABLE)
                status = await self.status(conn)
                check_not_ahead(status)
                await self._warn_on_edited(conn)
                for migration in self.files:
                    if migration.version in status.pending:
                        await self._apply(conn, migration)
                return await self.status(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        finally:
            await conn.close()

    async def _apply(self, conn: asyncpg.Connection, migration: _File) -> None:
        log.info("applying %s migration %s_%s", self.database, migration.version, migration.name)
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO public.{_TABLE} (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )

    async def _warn_on_edited(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch(f"SELECT version, checksum FROM public.{_TABLE}")
        shipped = {f.version: f.checksum for f in self.files}
        for row in rows:
            if shipped.get(row["version"], row["checksum"]) != row["checksum"]:
                log.warning(
                    "%s migration %s was edited after it was applied; edit a new migration instead",
                    self.database,
                    row["version"],
                )
