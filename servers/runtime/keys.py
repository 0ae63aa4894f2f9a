"""Scoped API keys: their format, the table in the bus database that holds their hashes, and the in-process
keyring every HTTP server checks bearer keys against.

A key reads ``xio_<id>_<secret>``: ``id`` (12 hex digits) names the row, ``secret`` is 32 random bytes.
Only the SHA-256 of the whole key is stored; the key itself is shown once, when created. The keyring
holds the usable keys in memory and reloads at once when a key changes (NOTIFY on
``servers.kernel.channels.API_KEYS``, sent in the writing transaction) and at least every
``refresh_s`` seconds, so a revoked key is refused on its next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import asyncpg

from servers.kernel import channels
from servers.kernel.errors import Conflict, InvalidArgument, NotFound

__all__ = ["KEY_SCOPES", "AuditLog", "KeyRecord", "KeyStore", "Keyring", "Principal", "hash_key", "new_key", "parse_key"]

log = logging.getLogger("xiopro.auth")

KEY_SCOPES = ("execution", "management", "research", "inference")
_KEY = re.compile(r"^xio_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_MISS_RELOAD_S = 0.5  # an unknown key reloads the keyring at most this often (a flood of bad keys costs nothing)
_COLUMNS = "id, name, scopes, created_at, created_by, expires_at, revoked_at, replaced_by, last_used_at"


def new_key() -> tuple[str, str]:
    """(id, key) of a fresh key."""
    key_id = secrets.token_hex(6)
    return key_id, f"xio_{key_id}_{secrets.token_urlsafe(32)}"


def parse_key(key: str) -> str | None:
    """The id of a well-formed key, or None."""
    match = _KEY.match(key)
    return match[1] if match else None


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a key (its id, name and scopes), or the local user (stdio: every scope)."""

    actor: str  # "key <id> (<name>)" or "local user <login>"
    scopes: frozenset[str]
    key_id: str | None = None

    def allows(self, scope: str) -> bool:
        return scope == "read" or scope in self.scopes


@dataclass(frozen=True)
class KeyRecord:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: str | None
    last_used_at: datetime | None

    @property
    def state(self) -> str:
        now = datetime.now(UTC)
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "rotated" if self.replaced_by else "active"


def _record(row: asyncpg.Record) -> KeyRecord:
    return KeyRecord(row["id"], row["name"], tuple(row["scopes"]), row["created_at"], row["created_by"],
                     row["expires_at"], row["revoked_at"], row["replaced_by"], row["last_used_at"])


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes, validated and in canonical order. Raises: InvalidArgument."""
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(wanted - set(KEY_SCOPES))
    if unknown:
        raise InvalidArgument(f"unknown scope {', '.join(unknown)}; scopes are {', '.join(KEY_SCOPES)} "
                              "(a key with none of them may still read)")
    return tuple(s for s in KEY_SCOPES if s in wanted)


class KeyStore:
    """The ``api_keys`` table of the bus database, on a caller's connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def _changed(self) -> None:
        await self.conn.execute("SELECT pg_notify($1, 'changed')", channels.API_KEYS)

    async def create(self, name: str, scopes: Iterable[str], *, created_by: str,
                     expires_at: datetime | None = None) -> tuple[KeyRecord, str]:
        """A new key (the record and the key, shown only now).

        Raises:
            InvalidArgument: an unknown scope or a blank name. Conflict: a usable key already has that name.
        """
        name = name.strip()
        if not name:
            raise InvalidArgument("--name must not be blank")
        key_id, key = new_key()
        try:
            row = await self.conn.fetchrow(
                f"INSERT INTO api_keys (id, name, scopes, secret_hash, created_by, expires_at) "
                f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
                key_id, name, list(check_scopes(scopes)), hash_key(key), created_by, expires_at,
            )
        except asyncpg.UniqueViolationError:
            raise Conflict(f"a usable key named {name} exists; rotate it (xeroctl keys rotate {name}) "
                           "or revoke it first") from None
        await self._changed()
        return _record(row), key

    async def find(self, ref: str) -> KeyRecord:
        """The usable key named ``ref`` or with id ``ref`` (else the latest of that name).

        Raises:
            NotFound: no such key.
        """
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1 OR name = $1 "
            "ORDER BY (id = $1) DESC, (revoked_at IS NULL AND replaced_by IS NULL) DESC, created_at DESC LIMIT 1", ref)
        if row is None:
            raise NotFound(f"no key named or with id {ref}; see xeroctl keys list")
        return _record(row)

    async def revoke(self, ref: str) -> KeyRecord:
        """Revoke a key at once (idempotent). Raises: NotFound."""
        found = await self.find(ref)
        row = await self.conn.fetchrow(
            f"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING {_COLUMNS}", found.id)
        await self._changed()
        return _record(row)

    async def rotate(self, ref: str, *, created_by: str, grace_s: float = 0) -> tuple[KeyRecord, str]:
        """A new key with the same name and scopes; the old one stops working after ``grace_s`` seconds.

        Raises:
            NotFound: no such key. Conflict: the key is revoked or expired (create a new one instead).
        """
        old = await self.find(ref)
        if old.state in ("revoked", "expired"):
            raise Conflict(f"key {old.id} ({old.name}) is {old.state}; create a new one with xeroctl keys create")
        key_id, key = new_key()
        until = datetime.now(UTC) + timedelta(seconds=grace_s)
        async with self.conn.transaction():  # both or neither (replaced_by is checked at commit)
            await self.conn.execute(
                "UPDATE api_keys SET replaced_by = $2, expires_at = least(coalesce(expires_at, $3), $3),"
                " revoked_at = CASE WHEN $4 THEN now() END WHERE id = $1",
                old.id, key_id, until, grace_s <= 0)
            row = await self.conn.fetchrow(
                f"INSERT INTO api_keys (id, name, scopes, secret_hash, created_by, expires_at) "
                f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
                key_id, old.name, list(old.scopes), hash_key(key), created_by, None)
            await self._changed()
        return _record(row), key

    async def records(self, *, include_inactive: bool = False) -> list[KeyRecord]:
        rows = await self.conn.fetch(f"SELECT {_COLUMNS} FROM api_keys ORDER BY name, created_at")
        records = [_record(r) for r in rows]
        return records if include_inactive else [r for r in records if r.state in ("active", "rotated")]

    async def usable(self) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT id, name, scopes, secret_hash, expires_at FROM api_keys "
            "WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())")

    async def count_usable(self) -> int:
        count: int = await self.conn.fetchval(
            "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())")
        return count


class AuditLog:
    """The ``audit_log`` table of a server's own database (bus or odm): append-only, never a key."""

    def __init__(self, conn: asyncpg.Connection | asyncpg.Pool) -> None:
        self.conn = conn

    async def write(self, *, server: str, actor: str, action: str, outcome: str, target: str | None = None,
                    detail: dict[str, Any] | None = None) -> None:
        await self.conn.execute(
            "INSERT INTO audit_log (server, actor, action, target, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            server, actor, action, target, outcome, json.dumps(detail or {}, default=str))


@dataclass(frozen=True)
class _Usable:
    id: str
    name: str
    scopes: frozenset[str]
    secret_hash: bytes
    expires_at: datetime | None


class Keyring:
    """The usable keys of the bus database, in memory; ``verify`` answers a Principal or why not."""

    def __init__(self, pool: asyncpg.Pool, *, refresh_s: float = 30.0) -> None:
        self.pool = pool
        self.refresh_s = refresh_s
        self._keys: dict[str, _Usable] = {}
        self._changed = anyio.Event()
        self._missed_at = 0.0
        self.loaded = anyio.Event()

    async def reload(self) -> None:
        async with self.pool.acquire() as conn:
            rows = await KeyStore(conn).usable()
        self._keys = {r["id"]: _Usable(r["id"], r["name"], frozenset(r["scopes"]), bytes(r["secret_hash"]), r["expires_at"])
                      for r in rows}
        self.loaded.set()

    @property
    def empty(self) -> bool:
        return not self._keys

    async def verify(self, key: str) -> Principal | str:
        """The key's Principal, or the reason it is refused (malformed, unknown, revoked or expired).

        A well-formed key this keyring does not know yet (created a moment ago, its NOTIFY still on the
        way) makes it reload once, at most every ``_MISS_RELOAD_S`` seconds, before it is refused.
        """
        key_id = parse_key(key)
        if key_id is None:
            return "malformed"
        if key_id not in self._keys and time.monotonic() - self._missed_at >= _MISS_RELOAD_S:
            self._missed_at = time.monotonic()
            try:
                await self.reload()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("keyring reload on an unknown key failed (%s)", type(exc).__name__)
        usable = self._keys.get(key_id)
        if usable is None:
            return "unknown or revoked"
        if not hmac.compare_digest(usable.secret_hash, hash_key(key)):
            return "unknown or revoked"
        if usable.expires_at is not None and usable.expires_at <= datetime.now(UTC):
            return "expired"
        return Principal(actor=f"key {usable.id} ({usable.name})", scopes=usable.scopes, key_id=usable.id)

    async def run(self) -> None:
        """Keep the keyring current until cancelled: LISTEN for changes, reload on each, and every refresh_s."""
        while True:
            try:
                async with self.pool.acquire() as conn:
                    self._changed = anyio.Event()
                    await conn.add_listener(channels.API_KEYS, self._notice)
                    try:
                        await self.reload()  # after LISTEN: nothing committed from now on is missed
                        while True:
                            with anyio.move_on_after(self.refresh_s):
                                await self._changed.wait()
                            self._changed = anyio.Event()
                            await self.reload()
                    finally:
                        with anyio.CancelScope(shield=True):
                            if not conn.is_closed():
                                await conn.remove_listener(channels.API_KEYS, self._notice)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("keyring refresh failed (%s); keeping the keys loaded, retrying", type(exc).__name__)
                await anyio.sleep(min(self.refresh_s, 5))

    def _notice(self, *_: object) -> None:
        self._changed.set()
