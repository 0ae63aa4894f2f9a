"""``xeroctl db``: migration status and upgrade of the bus and odm databases; the embedded cluster."""

from __future__ import annotations

import anyio
import click

from servers.kernel.errors import StartupError
from servers.runtime.database import Target, database_target, describe, prepare_database, read_status
from servers.runtime.embedded import EmbeddedCluster
from servers.runtime.logs import configure_logging
from servers.runtime.migrations import MigrationStatus
from servers.runtime.settings import load_settings

__all__ = ["db"]

_DATABASES = ("bus", "odm")


@click.group()
def db() -> None:
    """Inspect and migrate the bus and odm databases."""


@db.command()
@click.option("--database", type=click.Choice(_DATABASES), help="only this database (default: both)")
def status(database: str | None) -> int:
    """Show each database's location, migration revision and pending migrations (changes nothing)."""
    results = anyio.run(_run, database, False)
    for target, state in results:
        _print(target, state)
    return 1 if any(state is None or state.unknown for _, state in results) else 0


@db.command()
@click.option("--database", type=click.Choice(_DATABASES), help="only this database (default: both)")
def upgrade(database: str | None) -> int:
    """Create the databases if missing and apply every pending migration."""
    for target, state in anyio.run(_run, database, True):
        _print(target, state)
    return 0


@db.command()
@click.option("--force", is_flag=True, help="stop even if running processes still use the cluster")
def stop(force: bool) -> int:
    """Stop the embedded PostgreSQL cluster (e.g. one left running after a crash)."""
    settings = load_settings()
    stopped = EmbeddedCluster(settings.home).stop(force=force)
    click.echo(f"embedded PostgreSQL in {settings.home / 'pgdata'} " + ("stopped" if stopped else "was not running"))
    return 0


async def _run(only: str | None, migrate: bool) -> list[tuple[Target, MigrationStatus | None]]:
    settings = load_settings()
    configure_logging("WARNING")
    results = []
    for name in _DATABASES:
        if only not in (None, name):
            continue
        async with database_target(settings, name) as target:
            results.append((target, await (prepare_database(target) if migrate else read_status(target))))
    return results


def _print(target: Target, state: MigrationStatus | None) -> None:
    if state is None:
        click.echo(f"{target.database}: {describe(target)}  missing (xeroctl db upgrade creates it)")
        return
    pending = f" (pending: {', '.join(state.pending)})" if state.pending and not state.unknown else ""
    click.echo(
        f"{target.database}: {describe(target)}  revision {state.current or 'none'}  "
        f"latest {state.latest}  {state.state}{pending}"
    )


@db.command()
@click.option("--database", type=click.Choice(_DATABASES), required=True, help="which database to describe")
def snapshot(database: str) -> int:
    """Print the schema the migrations produce, as SQL, for resources/<database>/schema.sql (maintainers).

    A scratch database is created on the configured server, migrated, dumped and dropped.
    """
    click.echo(anyio.run(_snapshot, database), nl=False)
    return 0


async def _snapshot(database: str) -> str:
    import subprocess
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from servers.runtime.database import connect_admin
    from servers.runtime.embedded import pg_binary

    settings = load_settings()
    configure_logging("WARNING")
    async with database_target(settings, database) as target:
        scratch_name = f"xiopro_snapshot_{uuid.uuid4().hex[:8]}"
        scratch = Target(database, urlunsplit(urlsplit(target.dsn)._replace(path=f"/{scratch_name}")), target.embedded)
        await prepare_database(scratch)
        try:
            argv = [str(pg_binary("pg_dump")), "--schema-only", "--no-owner", "--no-privileges", "--no-comments",
                    "--exclude-table=public.schema_migrations", "--exclude-table=public.alembic_version", scratch.dsn]
            proc = await anyio.to_thread.run_sync(lambda: subprocess.run(argv, capture_output=True, text=True))
            if proc.returncode != 0:
                detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                raise StartupError("unavailable", f"pg_dump failed: {detail}")
            dump = proc.stdout
        finally:
            admin = await connect_admin(target)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
            finally:
                await admin.close()
    keep = [
        line for line in dump.splitlines()
        if line.strip() and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config"))
        and "SET (pg_attver=" not in line  # per-column tags some server builds add; not part of our schema
    ]
    header = (f"-- {database} database schema snapshot: what the migrations produce. Generated by\n"
              f"-- `xeroctl db snapshot --database {database}`; a test keeps it in step with the migrations.\n")
    return header + "\n".join(keep) + "\n"
