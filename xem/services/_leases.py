"""Lease renewals, manifests and candidates from enrolled agents; marking silent agents offline.

Every function authorises the frame's CURVE key inside its own transaction: a key revoked a
moment ago is refused here even if the router's cached key ring has not caught up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from xem.keys import fingerprint
from xem.manifest import manifest_hash
from xem.protocol import Candidates, LeaseRenewal, ManifestFrame
from xem.services import _registry
from xem.store import AgentKey, Agents, Audit, Dispatches

__all__ = ["LeaseOutcome", "authorize", "mark_offline", "renew", "store_candidates", "store_manifest"]

log = logging.getLogger("xiopro.xem.leases")


@dataclass(frozen=True)
class LeaseOutcome:
    agent: str
    state: str
    manifest_refresh: bool
    approved_candidates: tuple[str, ...]


async def authorize(conn: asyncpg.Connection, curve_key: str, sender: str) -> AgentKey | None:
    """The active key speaking for ``sender``, or None (unknown, revoked, or speaking for another name)."""
    key = await Agents(conn).key(curve_key)
    if key is None or not key.active or key.agent_name != sender:
        return None
    return key


async def renew(pool: asyncpg.Pool, curve_key: str, frame: LeaseRenewal) -> LeaseOutcome | None:
    """Record the renewal; None if the key may not speak (the frame is dropped)."""
    async with pool.acquire() as conn, conn.transaction():
        key = await authorize(conn, curve_key, frame.sender)
        if key is None:
            return None
        agents = Agents(conn)
        in_flight = {str(i) for i in frame.in_flight}
        await agents.renew(key.agent_name, sorted(in_flight))
        row = await agents.get(key.agent_name)
        drift = row["manifest_hash"] != frame.manifest_hash
        if drift:
            await Audit(conn).event("manifest_drift", agent=key.agent_name, key=curve_key, stored=row["manifest_hash"],
                                    reported=frame.manifest_hash, reported_version=frame.manifest_version,
                                    stored_version=row["manifest_version"])
        await _reconcile(conn, key.agent_name, in_flight)
        await _registry.upsert(conn, key.agent_name, row["state"], in_flight=sorted(in_flight))
        approved = await agents.approved_candidates(key.agent_name)
        return LeaseOutcome(key.agent_name, row["state"], drift, tuple(approved))


async def _reconcile(conn: asyncpg.Connection, agent: str, in_flight: set[str]) -> None:
    """A delivered dispatch the agent no longer reports, with no result, was lost on the agent's side:
    a read is queued again; a mutation becomes ambiguous (an operator decides)."""
    dispatches = Dispatches(conn)
    for row in await dispatches.open_for(agent):
        if row["state"] != "delivered" or str(row["id"]) in in_flight:
            continue
        state = "queued" if row["risk"] == "read" else "ambiguous"
        await dispatches.set_state(row["id"], state)
        await Audit(conn).event("dispatch_lost", agent=agent, invocation=str(row["id"]), now=state)


async def store_manifest(pool: asyncpg.Pool, curve_key: str, frame: ManifestFrame) -> bool | None:
    """Make the frame's manifest current; None if the key may not speak.

    A hash that does not match the manifest's content is recorded as drift and the recomputed
    hash is stored (the content is what the router serves).
    """
    digest = manifest_hash(frame.manifest)
    async with pool.acquire() as conn, conn.transaction():
        key = await authorize(conn, curve_key, frame.sender)
        if key is None:
            return None
        if digest != frame.manifest_hash:
            await Audit(conn).event("manifest_hash_mismatch", agent=key.agent_name, key=curve_key,
                                    claimed=frame.manifest_hash, computed=digest)
        new = await Agents(conn).store_manifest(key.agent_name, frame.manifest.model_dump(mode="json"), digest,
                                                frame.manifest.manifest_version)
        if new:
            await Audit(conn).event("manifest_refreshed", agent=key.agent_name, key=curve_key, hash=digest,
                                    version=frame.manifest.manifest_version)
        return True


async def store_candidates(pool: asyncpg.Pool, curve_key: str, frame: Candidates) -> bool | None:
    async with pool.acquire() as conn, conn.transaction():
        key = await authorize(conn, curve_key, frame.sender)
        if key is None:
            return None
        await Agents(conn).upsert_candidates(key.agent_name, [(c.id, c.kind, c.value) for c in frame.candidates])
        return True


async def mark_offline(pool: asyncpg.Pool, offline_after_s: float) -> list[str]:
    """Agents whose last renewal is older than ``offline_after_s`` become offline (returned)."""
    async with pool.acquire() as conn, conn.transaction():
        names = await Agents(conn).mark_offline(offline_after_s)
        for name in names:
            await Audit(conn).event("offline", agent=name, after_s=offline_after_s)
            await _registry.upsert(conn, name, "offline", heartbeat=False)
    if names:
        log.info("agents offline after %.1fs without renewal: %s", offline_after_s, ", ".join(names))
    return names


def describe_key(curve_key: str) -> str:
    return fingerprint(curve_key)
