"""The migrator interface and the status it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import asyncpg

from servers.kernel.errors import StartupError

__all__ = ["MigrationStatus", "Migrator", "check_not_ahead"]


@dataclass(frozen=True)
class MigrationStatus:
    database: str
    current: str | None  # None: nothing applied yet
    latest: str
    pending: tuple[str, ...]
    unknown: bool  # the database is at a revision this code does not ship (a newer release wrote it)

    @property
    def state(self) -> str:
        if self.unknown:
            return "ahead of this code"
        return "up to date" if not self.pending else f"{len(self.pending)} pending"


class Migrator(Protocol):
    database: str

    async def status(self, conn: asyncpg.Connection) -> MigrationStatus: ...

    async def upgrade(self, dsn: str) -> MigrationStatus: ...


def check_not_ahead(status: MigrationStatus) -> None:
    """Raises StartupError if the database was migrated by a newer release than this one."""
    if status.unknown:
        raise StartupError(
            "conflict",
            f"database {status.database} is at migration {status.current}, newer than this code knows "
            f"(latest {status.latest}); upgrade xiopro-mcp or point it at another database",
        )
