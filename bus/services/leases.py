"""Use cases of named leases: acquire (or renew), release, read."""

from __future__ import annotations

import asyncpg

from bus.domain import uris
from bus.domain.leases import Lease, LeaseGrant, LeaseRelease
from bus.errors import Conflict, LeaseHeldBy, NotFound
from bus.services._work import Work, read_only, transactional

__all__ = ["acquire", "get", "release"]


def _lease(row: asyncpg.Record) -> Lease:
    return Lease(
        name=row["name"],
        held=row["held"],
        holder=row["holder"],
        token=row["token"],
        acquired_at=row["acquired_at"],
        expires_at=row["expires_at"],
    )


@transactional
async def acquire(work: Work, name: str, holder: str, ttl_s: float) -> LeaseGrant:
    """Grant or renew.

    Raises:
        LeaseHeldBy: another holder has the lease (names the holder and the expiry).
    """
    row = await work.leases.acquire(name, holder, ttl_s)
    if row is None:
        current = await work.leases.get(name)
        assert current is not None, "a lease that refuses a grant exists"
        raise LeaseHeldBy(name, current["holder"], current["expires_at"])
    if not row["renewed"]:
        await work.changes.announce([uris.lease(name)])
    return LeaseGrant(name=name, holder=holder, token=row["token"], expires_at=row["expires_at"], renewed=row["renewed"])


@transactional
async def release(work: Work, name: str, holder: str, token: int) -> LeaseRelease:
    """End the grant; releasing a grant that already ended (expired or released) changes nothing.

    Raises:
        NotFound: no lease of that name was ever granted.
        LeaseHeldBy: someone else holds it now.
        Conflict: ``token``/``holder`` is not the lease's latest grant (a stale token).
    """
    row = await work.leases.release(name, holder, token)
    if row is not None:
        if row["was_held"]:
            await work.changes.announce([uris.lease(name)])
        return LeaseRelease(name=name, holder=holder, token=token, released=row["was_held"])
    current = await work.leases.get(name)  # nothing was written: the refusal rolls back nothing
    if current is None:
        raise NotFound(f"no lease named {name} exists; acquire_lease creates it")
    if current["held"] and current["holder"] != holder:
        raise LeaseHeldBy(name, current["holder"], current["expires_at"])
    raise Conflict(
        f"token {token} of {holder} is not the current grant of lease {name} "
        f"(latest grant: token {current['token']} to {current['holder']}); "
        "a stale token cannot release; read bus://leases/" + name
    )


@read_only
async def get(work: Work, name: str) -> Lease:
    """Raises: NotFound."""
    row = await work.leases.get(name)
    if row is None:
        raise NotFound(f"no lease named {name} exists; acquire_lease creates it")
    return _lease(row)
