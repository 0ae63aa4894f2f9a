"""Alembic migrations of the odm database (``resources/odm``: env.py and versions/)."""

from __future__ import annotations

import ast
import logging
import threading
from functools import cached_property
from typing import TYPE_CHECKING

import anyio
import asyncpg

from resources import resource_path
from servers.runtime.migrations._base import MigrationStatus, check_not_ahead

if TYPE_CHECKING:
    from alembic.config import Config

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
        from alembic.config import Config  # Alembic loads only when a migration runs (~0.4 s of every start)

        cfg = Config()
        cfg.set_main_option("script_location", str(resource_path(self.database)))
        cfg.attributes["dsn"] = dsn
        return cfg

    @cached_property
    def _order(self) -> tuple[str, ...]:
        """Revisions from base to head (the ODM history is linear), read from the revision files' ``revision`` and
        ``down_revision`` assignments without importing Alembic (a check at every start must be cheap)."""
        parents: dict[str, str | None] = {}
        for path in sorted(resource_path(self.database, "versions").glob("*.py")):
            found: dict[str, str | None] = {}
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    value = node.value.value if isinstance(node.value, ast.Constant) else ...
                    if node.targets[0].id in ("revision", "down_revision") and (value is None or isinstance(value, str)):
                        found[node.targets[0].id] = value
            if "revision" in found:
                parents[str(found["revision"])] = found.get("down_revision")
        children = {parent: rev for rev, parent in parents.items()}
        if len(children) != len(parents):
            raise RuntimeError(f"the {self.database} revisions do not form one line: {parents}")
        order, rev = [], children.get(None)
        while rev is not None:
            order.append(rev)
            rev = children.get(rev)
        if len(order) != len(parents):
            raise RuntimeError(f"the {self.database} revisions do not form one line from the base: {parents}")
        return tuple(order)

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
                from alembic.util.exc import CommandError

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
        from alembic import command

        with _in_process:
            command.upgrade(self.config(dsn), "head")
