"""Schema migrations of the two databases: bus by ordered SQL files, odm by Alembic.

Both runners answer the same two questions (``status``, ``upgrade``) so that the servers,
``xeroctl db`` and the tests treat the databases alike. A database whose revision the code
does not know (written by a newer release) is refused, never downgraded or overwritten.
"""

from __future__ import annotations

from functools import cache

from servers.runtime.migrations._alembic import AlembicMigrator
from servers.runtime.migrations._base import MigrationStatus, Migrator
from servers.runtime.migrations._sql import SqlMigrator

__all__ = ["AlembicMigrator", "MigrationStatus", "Migrator", "SqlMigrator", "migrator_for"]


@cache
def migrator_for(database: str) -> Migrator:
    """The migrator of ``database`` ("bus" or "odm"); one per process, so the Alembic script
    directory is read once, not on every ``health`` call."""
    if database == "bus":
        return SqlMigrator("bus")
    if database == "odm":
        return AlembicMigrator("odm")
    raise ValueError(f"unknown database {database!r}")
