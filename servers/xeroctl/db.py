"""``xeroctl db``: migration status and upgrade of the bus and odm databases; the embedded cluster."""

from __future__ import annotations

import anyio
import click

from ..database import Target, database_target, describe, prepare_database, read_status
from ..embedded import EmbeddedCluster
from ..logs import configure_logging
from ..migrations import MigrationStatus
from ..settings import load_settings

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
