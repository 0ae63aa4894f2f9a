"""Use cases of named leases: acquire (or renew), release, read."""

from __future__ import annotations

import asyncpg

from bus.domain import uris
from bus.domain.leases import Lease, LeaseGrant, LeaseRelease
from bus.errors import Conflict, LeaseHeldBy, NotFound
from bus.store.changes import announce
from bus.store.db import Database
from bus.store.leases import LeaseStore

__all__ = ["LeaseService"]


def _lease(row: asyncpg.Record) -> Lease:
    return Lease(
        name=row["name"],
        held=row["held"],
        holder=row["holder"],
        token=row["token"],
        acquired_at=row["acquired_at"],
        expires_at=row["expires_at"],
    )


class LeaseService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def acquire(self, name: str, holder: str, ttl_s: float) -> LeaseGrant:
        """Grant or renew.

        Raises:
            LeaseHeldBy: another holder has the lease (names the holder and the expiry).
        """
        async with self.db.transaction() as conn:
            store = LeaseStore(conn)
            row = await store.acquire(name, holder, ttl_s)
            if row is None:
                current = await store.get(name)
                raise LeaseHeldBy(name, current["holder"], current["expires_at"])
            if not row["renewed"]:
                await announce(conn, [uris.lease(name)])
        return LeaseGrant(
            name=name, holder=holder, token=row["token"], expires_at=row["expires_at"], renewed=row["renewed"]
        )

    async def release(self, name: str, holder: str, token: int) -> LeaseRelease:
        """End the grant; releasing a grant that already ended (expired or released) changes nothing.

        Raises:
            NotFound: no lease of that name was ever granted.
            LeaseHeldBy: someone else holds it now.
            Conflict: ``token``/``holder`` is not the lease's latest grant (a stale token).
        """
        async with self.db.transaction() as conn:
            store = LeaseStore(conn)
            row = await store.release(name, holder, token)
            if row is not None:
                if row["was_held"]:
                    await announce(conn, [uris.lease(name)])
                return LeaseRelease(name=name, holder=holder, token=token, released=row["was_held"])
            current = await store.get(name)
        if current is None:
            raise NotFound(f"no lease named {name} exists; acquire_lease creates it")
        if current["held"] and current["holder"] != holder:
            raise LeaseHeldBy(name, current["holder"], current["expires_at"])
        raise Conflict(
            f"token {token} of {holder} is not the current grant of lease {name} "
            f"(latest grant: token {current['token']} to {current['holder']}); "
            "a stale token cannot release; read bus://leases/" + name
        )

    async def get(self, name: str) -> Lease:
        """Raises: NotFound."""
        async with self.db.read() as conn:
            row = await LeaseStore(conn).get(name)
        if row is None:
            raise NotFound(f"no lease named {name} exists; acquire_lease creates it")
        return _lease(row)

    async def held_by(self, holder: str) -> list[Lease]:
        async with self.db.read() as conn:
            return [_lease(r) for r in await LeaseStore(conn).held_by(holder)]

