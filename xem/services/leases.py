"""Lease renewals, manifests and candidates from enrolled agents; marking silent agents offline.

Every function authorises the frame's CURVE key inside its own transaction: a key revoked a
moment ago is refused here even if the router's cached key ring has not caught up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from xem.domain.keys import fingerprint
from xem.domain.manifest import Manifest, manifest_hash
from xem.domain.protocol import Candidates, LeaseRenewal, ManifestFrame
from xem.errors import AgentStateError
from xem.services._work import Work, transactional
from xem.services.recovery import on_lost_agent, on_lost_dispatch
from xem.store import AgentKey

__all__ = ["LeaseOutcome", "authorize", "declare_workspaces", "mark_offline", "renew", "store_candidates", "store_manifest"]

log = logging.getLogger("xiopro.xem.leases")


@dataclass(frozen=True)
class LeaseOutcome:
    agent: str
    state: str
    manifest_refresh: bool
    approved_candidates: tuple[str, ...]


async def authorize(w: Work, curve_key: str, sender: str) -> AgentKey | None:
    """The active key speaking for ``sender``, or None (unknown, revoked, or speaking for another name)."""
    key: AgentKey | None = await w.agents.key(curve_key)
    if key is None or not key.active or key.agent_name != sender:
        return None
    return key


@transactional
async def renew(w: Work, curve_key: str, frame: LeaseRenewal) -> LeaseOutcome | None:
    """Record the renewal; None if the key may not speak (the frame is dropped)."""
    key = await authorize(w, curve_key, frame.sender)
    if key is None:
        return None
    agents = w.agents
    in_flight = {str(i) for i in frame.in_flight}
    await agents.renew(key.agent_name, sorted(in_flight))
    row = need_row(await agents.get(key.agent_name), key.agent_name)
    drift = row["manifest_hash"] != frame.manifest_hash
    if drift:
        await w.audit.event("manifest_drift", agent=key.agent_name, key=curve_key, stored=row["manifest_hash"],
                            reported=frame.manifest_hash, reported_version=frame.manifest_version,
                            stored_version=row["manifest_version"])
    await _reconcile(w, key.agent_name, in_flight)
    await w.registry.upsert(key.agent_name, row["state"], in_flight=sorted(in_flight))
    approved = await agents.approved_candidates(key.agent_name)
    return LeaseOutcome(key.agent_name, row["state"], drift, tuple(approved))


async def _reconcile(w: Work, agent: str, in_flight: set[str]) -> None:
    """A delivered dispatch the agent no longer reports, with no result, was lost on the agent's side:
    a read is queued again; a mutation becomes ambiguous (an operator decides)."""
    dispatches = w.dispatches
    for row in await dispatches.open_for(agent):
        if row["state"] != "delivered" or str(row["id"]) in in_flight:
            continue
        state = "queued" if row["risk"] == "read" else "ambiguous"
        await dispatches.set_state(row["id"], state)
        await w.audit.event("dispatch_lost", agent=agent, invocation=str(row["id"]), now=state)
        await on_lost_dispatch(w, agent, row["id"], row["risk"])


@transactional
async def store_manifest(w: Work, curve_key: str, frame: ManifestFrame) -> bool | None:
    """Make the frame's manifest current; None if the key may not speak.

    A hash that does not match the manifest's content is recorded as drift and the recomputed
    hash is stored (the content is what the router serves).
    """
    digest = manifest_hash(frame.manifest)
    key = await authorize(w, curve_key, frame.sender)
    if key is None:
        return None
    if digest != frame.manifest_hash:
        await w.audit.event("manifest_hash_mismatch", agent=key.agent_name, key=curve_key,
                            claimed=frame.manifest_hash, computed=digest)
    new = await w.agents.store_manifest(key.agent_name, frame.manifest.model_dump(mode="json"), digest,
                                        frame.manifest.manifest_version)
    await declare_workspaces(w, key.agent_name, frame.manifest)
    if new:
        await w.audit.event("manifest_refreshed", agent=key.agent_name, key=curve_key, hash=digest,
                            version=frame.manifest.manifest_version)
    return True


async def declare_workspaces(w: Work, agent: str, manifest: Manifest) -> None:
    """The workspaces ``manifest`` declares tools in get a record if they had none: operational, bound to ``agent``,
    with no models, so closed until an operator binds three available ones (the product fails closed)."""
    names = sorted({t.workspace for t in manifest.tools})
    if names:
        for name in await w.workspaces.declared(names, agent):
            await w.audit.event("workspace_declared", agent=agent, workspace=name)


@transactional
async def store_candidates(w: Work, curve_key: str, frame: Candidates) -> bool | None:
    key = await authorize(w, curve_key, frame.sender)
    if key is None:
        return None
    await w.agents.upsert_candidates(key.agent_name, [(c.id, c.kind, c.value) for c in frame.candidates])
    return True


@transactional
async def mark_offline(w: Work, offline_after_s: float) -> list[str]:
    """Agents whose last renewal is older than ``offline_after_s`` become offline (returned)."""
    names = await w.agents.mark_offline(offline_after_s)
    for name in names:
        await w.audit.event("offline", agent=name, after_s=offline_after_s)
        await w.registry.upsert(name, "offline", heartbeat=False)
        await on_lost_agent(w, name)
    if names:
        log.info("agents offline after %.1fs without renewal: %s", offline_after_s, ", ".join(names))
    return names


def need_row(row: asyncpg.Record | None, name: str) -> asyncpg.Record:
    """The agent's row: a key that speaks for an agent always has one (keys reference agents)."""
    if row is None:
        raise AgentStateError(f"no agent named {name}; see `xeroctl agents list`", code="not_found")
    return row


def describe_key(curve_key: str) -> str:
    return fingerprint(curve_key)
