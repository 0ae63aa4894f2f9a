"""``xeroctl keys``: scoped API keys for the servers' streamable HTTP (create, list, revoke, rotate).

A key is printed once, on stdout alone, when it is created or rotated; the database keeps only its hash.
Every command is a management action and is written to the bus database's audit log (never the key).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import anyio
import asyncpg
import click
from pydantic import TypeAdapter, ValidationError

from servers.kernel.errors import StartupError, SuiteError
from servers.runtime.database import Target, database_target, open_pool, prepare_database
from servers.runtime.keys import KEY_SCOPES, AuditLog, KeyRecord, KeyStore, hash_key, parse_key
from servers.runtime.logs import configure_logging
from servers.runtime.settings import load_settings

__all__ = ["ADMIN_KEY_NAME", "ensure_admin_key", "keys"]

_T = TypeVar("_T")
ADMIN_KEY_NAME = "local-admin"  # the key xeroctl up creates on first run and keeps in $XIOPRO_HOME/admin.key
_WHEN = TypeAdapter(datetime)
_SPAN = TypeAdapter(timedelta)


def _actor() -> str:
    return f"local user {getpass.getuser()} (xeroctl)"


def _run(action: Callable[[asyncpg.Connection], Awaitable[_T]]) -> _T:
    settings = load_settings()
    configure_logging("WARNING")

    async def main() -> _T:
        async with database_target(settings, "bus") as target:
            await prepare_database(target)
            pool = await open_pool(target, max_size=1)
            try:
                async with pool.acquire() as conn, conn.transaction():
                    return await action(conn)
            except SuiteError as exc:
                raise StartupError(exc.code, str(exc)) from None
            finally:
                await pool.close()

    return anyio.run(main)


def _expiry(value: str | None) -> datetime | None:
    """--expires: an ISO 8601 duration (P30D, PT12H), a number of seconds, or an ISO 8601 time."""
    if value is None:
        return None
    try:
        return datetime.now(UTC) + _SPAN.validate_python(int(value) if value.isdigit() else value)
    except (ValidationError, ValueError):
        pass
    try:
        when = _WHEN.validate_python(value)
    except ValidationError:
        raise click.BadParameter("use an ISO 8601 duration (P30D, PT12H), seconds, or an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _scopes(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


async def _audit(conn: asyncpg.Connection, action: str, record: KeyRecord) -> None:
    await AuditLog(conn).write(server="xeroctl", actor=_actor(), action=action, target=f"key {record.id} ({record.name})",
                               outcome="ok", detail={"scopes": list(record.scopes)})


@click.group()
def keys() -> None:
    """Scoped API keys for HTTP (Authorization: Bearer <key>): create, list, revoke, rotate."""


@keys.command()
@click.option("--name", required=True, help="who or what uses the key (one usable key per name)")
@click.option("--scope", "scope", default="", metavar="A,B",
              help=f"comma-separated scopes: {', '.join(KEY_SCOPES)}; none = read only")
@click.option("--expires", default=None, metavar="WHEN", help="P30D, PT12H, seconds, or an ISO 8601 time (default: never)")
def create(name: str, scope: str, expires: str | None) -> int:
    """Create a key and print it (once, alone on stdout)."""
    until = _expiry(expires)

    async def action(conn: asyncpg.Connection) -> tuple[KeyRecord, str]:
        record, key = await KeyStore(conn).create(name, _scopes(scope), created_by=_actor(), expires_at=until)
        await _audit(conn, "keys create", record)
        return record, key

    record, key = _run(action)
    click.echo(key)
    click.echo(f"key {record.id} ({record.name}), scopes: {', '.join(record.scopes) or 'read only'}, "
               f"expires: {record.expires_at.isoformat() if record.expires_at else 'never'}; it is shown only now", err=True)
    return 0


@keys.command("list")
@click.option("--all", "show_all", is_flag=True, help="also revoked and expired keys")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per key")
def list_keys(show_all: bool, as_json: bool) -> int:
    """Keys (never their secret): id, name, scopes, state, expiry, last use."""

    async def action(conn: asyncpg.Connection) -> list[KeyRecord]:
        return await KeyStore(conn).records(include_inactive=show_all)

    records = _run(action)
    for r in records:
        if as_json:
            click.echo(json.dumps({"id": r.id, "name": r.name, "scopes": list(r.scopes), "state": r.state,
                                   "created_at": r.created_at.isoformat(),
                                   "expires_at": r.expires_at.isoformat() if r.expires_at else None}))
        else:
            expiry = r.expires_at.strftime("%Y-%m-%d %H:%M") if r.expires_at else "never"
            click.echo(f"{r.id}  {r.name:<24} {','.join(r.scopes) or 'read':<32} {r.state:<8} expires {expiry}")
    if not records and not as_json:
        click.echo("no keys (create one with `xeroctl keys create --name NAME --scope execution`)")
    return 0


@keys.command()
@click.argument("ref")
def revoke(ref: str) -> int:
    """Revoke the key REF (its id or name) now; servers refuse it on its next request."""

    async def action(conn: asyncpg.Connection) -> KeyRecord:
        record = await KeyStore(conn).revoke(ref)
        await _audit(conn, "keys revoke", record)
        return record

    record = _run(action)
    click.echo(f"revoked key {record.id} ({record.name})")
    return 0


@keys.command()
@click.argument("ref")
@click.option("--grace", default="0", metavar="SPAN", help="the old key keeps working this long (PT1H, seconds); default 0")
def rotate(ref: str, grace: str) -> int:
    """Replace the key REF by a new one with the same name and scopes; print the new key."""
    try:
        grace_s = _SPAN.validate_python(int(grace) if grace.isdigit() else grace).total_seconds()
    except (ValidationError, ValueError):
        raise click.BadParameter("use an ISO 8601 duration (PT1H) or seconds", param_hint="--grace") from None

    async def action(conn: asyncpg.Connection) -> tuple[KeyRecord, str]:
        record, key = await KeyStore(conn).rotate(ref, created_by=_actor(), grace_s=grace_s)
        await _audit(conn, "keys rotate", record)
        return record, key

    record, key = _run(action)
    click.echo(key)
    click.echo(f"key {record.id} ({record.name}) replaces the old one" +
               (f", which keeps working for {grace_s:.0f}s" if grace_s > 0 else ", which no longer works"), err=True)
    return 0


async def ensure_admin_key(target: Target, home: Path) -> str:
    """The local admin key of ``xeroctl up``: read from ``$XIOPRO_HOME/admin.key`` (mode 0600) while it is still
    usable, else created (or rotated, when the file was lost) and written there."""
    path = home / "admin.key"
    pool = await open_pool(target, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            store = KeyStore(conn)
            if path.exists():
                key = path.read_text().strip()
                key_id = parse_key(key)
                usable = {r["id"]: bytes(r["secret_hash"]) for r in await store.usable()}
                if key_id is not None and usable.get(key_id) == hash_key(key):
                    return key
            try:
                existing = await store.find(ADMIN_KEY_NAME)
            except SuiteError:
                existing = None
            if existing is not None and existing.state in ("active", "rotated"):
                record, key = await store.rotate(existing.id, created_by="xeroctl up")
                action = "keys rotate"
            else:
                record, key = await store.create(ADMIN_KEY_NAME, KEY_SCOPES, created_by="xeroctl up")
                action = "keys create"
            await AuditLog(conn).write(server="xeroctl", actor=_actor(), action=action,
                                       target=f"key {record.id} ({record.name})", outcome="ok",
                                       detail={"scopes": list(record.scopes), "file": str(path)})
    finally:
        await pool.close()
    _write_private(path, key + "\n")
    return key


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (atomic replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.unlink(missing_ok=True)
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(scratch, path)
