"""Finding, creating and migrating a database, and opening its pool; failures become one-line errors."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import anyio
import asyncpg

from servers.kernel.errors import StartupError
from servers.runtime.embedded import EmbeddedCluster
from servers.runtime.migrations import MigrationStatus, migrator_for
from servers.runtime.settings import SuiteSettings

__all__ = [
    "Target",
    "connect",
    "connect_admin",
    "database_target",
    "describe",
    "ensure_database",
    "open_pool",
    "prepare_database",
    "read_status",
]

log = logging.getLogger("xiopro.database")

_CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class Target:
    """Where one logical database ("bus" or "odm") lives."""

    database: str
    dsn: str
    embedded: bool

    @property
    def name(self) -> str:
        """The PostgreSQL database name (the DSN's path)."""
        return urlsplit(self.dsn).path.strip("/")

    @property
    def where(self) -> str:
        """Human-readable location without secrets: host:port or the socket directory."""
        parts = urlsplit(self.dsn)
        host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
        return f"{host}:{parts.port or 5432}" if not host.startswith("/") else f"socket {host}"

    @property
    def source(self) -> str:
        return "the embedded cluster" if self.embedded else f"XIOPRO_{self.database.upper()}_DSN"


@asynccontextmanager
async def database_target(settings: SuiteSettings, database: str) -> AsyncIterator[Target]:
    """The configured DSN, or the embedded cluster (started and held for the duration).

    Raises:
        StartupError: the embedded cluster cannot be started.
    """
    dsn = settings.dsn_for(database)
    if dsn is not None:
        yield Target(database, dsn, embedded=False)
        return
    cluster = EmbeddedCluster(settings.home)
    await anyio.to_thread.run_sync(cluster.acquire)
    try:
        yield Target(database, cluster.dsn(database), embedded=True)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(cluster.release)


async def connect(target: Target, *, dsn: str | None = None) -> asyncpg.Connection:
    """Open one connection, turning every way it can fail into a StartupError naming the fix.

    Raises:
        StartupError: unreachable server, refused login, missing database, or timeout.
    """
    url = dsn or target.dsn
    try:
        return await asyncpg.connect(url, timeout=_CONNECT_TIMEOUT_S)
    except asyncpg.InvalidCatalogNameError:
        raise
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        user = urlsplit(url).username or "?"
        raise StartupError(
            "unauthorized",
            f"PostgreSQL at {target.where} refused user {user} ({_first_line(exc)}); "
            f"fix the user or password in {target.source}",
        ) from None
    except TimeoutError:
        raise StartupError(
            "unavailable",
            f"timed out after {_CONNECT_TIMEOUT_S}s connecting to PostgreSQL at {target.where}; "
            f"check it is up or fix {target.source}",
        ) from None
    except socket.gaierror:
        raise StartupError(
            "unavailable", f"cannot resolve the host of {target.where}; fix {target.source}"
        ) from None
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError) as exc:
        reason = getattr(exc, "strerror", None) or _first_line(exc) or type(exc).__name__
        raise StartupError(
            "unavailable",
            f"cannot reach PostgreSQL at {target.where} ({reason.lower()}); start it or fix {target.source}",
        ) from None
    except asyncpg.PostgresError as exc:
        raise StartupError(
            "unavailable", f"PostgreSQL at {target.where} refused the connection: {_first_line(exc)}"
        ) from None


async def connect_admin(target: Target) -> asyncpg.Connection:
    """A connection to the server's maintenance database (``postgres``), to create or drop databases.

    Raises:
        StartupError: as ``connect``.
    """
    return await connect(target, dsn=urlunsplit(urlsplit(target.dsn)._replace(path="/postgres")))


async def ensure_database(target: Target) -> bool:
    """Create the target database if it does not exist. Returns True if it was created.

    Raises:
        StartupError: the server is unreachable, or the user may not create databases.
    """
    try:
        conn = await connect(target)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    admin = await connect_admin(target)
    try:
        await admin.execute(f'CREATE DATABASE "{target.name}"')
        log.info("created database %s at %s", target.name, target.where)
        return True
    except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
        return False  # created concurrently by another process (the race surfaces as either error)
    except asyncpg.InsufficientPrivilegeError:
        raise StartupError(
            "forbidden",
            f"database {target.name} does not exist at {target.where} and this user may not create it; "
            f"create it (CREATE DATABASE {target.name}) or fix {target.source}",
        ) from None
    finally:
        await admin.close()


async def prepare_database(target: Target) -> MigrationStatus:
    """Create the database if missing and bring its schema up to date.

    Raises:
        StartupError: unreachable, not permitted, or migrated by a newer release.
    """
    await ensure_database(target)
    return await migrator_for(target.database).upgrade(target.dsn)


async def read_status(target: Target) -> MigrationStatus | None:
    """The migration status without changing anything; None if the database does not exist.

    Raises:
        StartupError: unreachable or not permitted.
    """
    try:
        conn = await connect(target)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        return await migrator_for(target.database).status(conn)
    finally:
        await conn.close()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool ``reset`` that sends nothing: one round trip less per pooled use.

    asyncpg still rolls back a transaction left open and drops listeners when a connection comes
    back. Its default reset query (unlock advisory locks, CLOSE ALL, UNLISTEN *, RESET ALL) clears
    session state that pooled work never creates here: locks are transaction-scoped
    (``pg_advisory_xact_lock``), cursors live inside transactions, and SET, LISTEN and session
    advisory locks run only on dedicated connections (migrations, change listeners).
    """


async def open_pool(target: Target, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A connection pool on the target (connections are checked on first use)."""
    try:
        return await asyncpg.create_pool(target.dsn, min_size=min_size, max_size=max_size, timeout=_CONNECT_TIMEOUT_S,
                                         reset=_keep_session)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise StartupError(
            "unavailable", f"cannot open a pool on {target.where} ({_first_line(exc)}); fix {target.source}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def describe(target: Target) -> str:
    """One line naming the database and where it is, for progress output."""
    return f"{target.name} on {target.where}" + (" (embedded)" if target.embedded else "")
