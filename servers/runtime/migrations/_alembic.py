"""Alembic migrations of the odm database (``resources/odm``: env.py and versions/)."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

import anyio
import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from resources import resource_path
from servers.runtime.migrations._base import MigrationStatus, check_not_ahead

__all__ = ["AlembicMigrator"]

log = logging.getLogger("xiopro.migrations")

# alembic.context is a module-global proxy: two upgrades in one process must not overlap.
# Across processes, env.py's advisory lock serialises them.
_in_process = threading.Lock()


class AlembicMigrator:
    """Runs ``alembic upgrade head`` in a worker thread (env.py drives asyncpg through SQLAlchemy)."""

    def __init__(self, database: str) -> None:
        self.database = database

    def config(self, dsn: str | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(resource_path(self.database)))
        cfg.attributes["dsn"] = dsn
        return cfg

    @cached_property
    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    @cached_property
    def _order(self) -> tuple[str, ...]:
        """Revisions from base to head (the ODM history is linear)."""
        return tuple(reversed([rev.revision for rev in self.script.walk_revisions()]))

    async def status(self, conn: asyncpg.Connection) -> MigrationStatus:
        current = None
        if await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            current = await conn.fetchval("SELECT version_num FROM public.alembic_version LIMIT 1")
        unknown = current is not None and current not in self._order
        applied = 0 if current is None or unknown else self._order.index(current) + 1
        return MigrationStatus(
            database=self.database,
            current=current,
            latest=self._order[-1],
            pending=() if unknown else self._order[applied:],
            unknown=unknown,
        )

    async def upgrade(self, dsn: str) -> MigrationStatus:
        conn = await asyncpg.connect(dsn)
        try:
            before = await self.status(conn)
            check_not_ahead(before)
            if before.pending:
                log.info("applying %s migrations %s", self.database, ", ".join(before.pending))
                try:
                    await anyio.to_thread.run_sync(self._upgrade_in_thread, dsn)
                except CommandError as exc:  # e.g. a revision written concurrently by a newer release
                    log.error("alembic upgrade of %s failed: %s", self.database, exc)
                    check_not_ahead(await self.status(conn))
                    raise
            return await self.status(conn)
        finally:
            await conn.close()

    def _upgrade_in_thread(self, dsn: str) -> None:
        with _in_process:
            command.upgrade(self.config(dsn), "head")
