"""Operator use cases behind ``xeroctl agents``: join keys, listing, recovery, candidate approval."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from xem.errors import AgentStateError
from xem.joinkeys import JoinKeyClaims
from xem.joinkeys import mint_join_key as _mint
from xem.keys import fingerprint, join_secret
from xem.services import _registry
from xem.store import Agents, Audit, JoinKeys

__all__ = ["AgentRow", "approve_candidate", "list_agents", "list_candidates", "load_keyring", "mint_join_key", "recover"]


@dataclass(frozen=True)
class AgentRow:
    name: str
    role: str
    state: str
    fingerprints: tuple[str, ...]
    last_lease_at: datetime | None
    manifest_version: int | None
    in_flight: int


async def mint_join_key(pool: asyncpg.Pool, home: Path, role: str, ttl_s: int, *, max_ttl_s: int,
                        now: datetime | None = None) -> tuple[str, JoinKeyClaims]:
    """A new join key, recorded so that its single use can be enforced.

    Raises:
        AgentStateError: (invalid_argument) a TTL outside 1..max_ttl_s or an unknown role.
    """
    if not 0 < ttl_s <= max_ttl_s:
        raise AgentStateError(f"--ttl must be between 1 and {max_ttl_s} seconds", code="invalid_argument")
    try:
        token, claims = _mint(join_secret(home), role, ttl_s, now=now)
    except ValueError as exc:
        raise AgentStateError(str(exc), code="invalid_argument") from None
    async with pool.acquire() as conn:
        await JoinKeys(conn).record(claims.id, role, claims.expires_at)
    return token, claims


async def list_agents(pool: asyncpg.Pool, *, limit: int = 200, after: str | None = None) -> list[AgentRow]:
    async with pool.acquire() as conn:
        rows = await Agents(conn).list(limit, after)
    return [
        AgentRow(r["name"], r["role"], r["state"], tuple(r["fingerprints"]), r["last_lease_at"], r["manifest_version"],
                 len(json.loads(r["in_flight"])))
        for r in rows
    ]


async def load_keyring(pool: asyncpg.Pool) -> dict[str, tuple[str, str]]:
    """Every enrolled CURVE key (Z85) -> (agent, active|revoked): the router's ZAP allow-list."""
    async with pool.acquire() as conn:
        return await Agents(conn).all_keys()


async def recover(pool: asyncpg.Pool, name: str, *, keep_key: str | None = None, revoke_all: bool = False) -> list[str]:
    """End a conflict_pill (or retire keys): keep one key (Z85 or fingerprint) and revoke the others, or
    revoke them all. Returns the fingerprints revoked.

    Raises:
        AgentStateError: unknown agent or key (not_found), neither or both of keep_key/revoke_all (invalid_argument).
    """
    if (keep_key is None) == (not revoke_all):
        raise AgentStateError("give exactly one of --keep-key KEY or --revoke-all", code="invalid_argument")
    async with pool.acquire() as conn, conn.transaction():
        agents = Agents(conn)
        row = await agents.get(name, lock=True)
        if row is None:
            raise AgentStateError(f"no agent named {name}; see `xeroctl agents list`", code="not_found")
        keep = None
        if keep_key is not None:
            active = await agents.active_keys(name)
            keep = next((k for k in active if keep_key in (k, fingerprint(k))), None)
            if keep is None:
                listed = ", ".join(fingerprint(k) for k in active) or "none"
                raise AgentStateError(f"{keep_key} is not an active key of {name} (active: {listed})", code="not_found")
        revoked = await agents.revoke_keys(name, keep=keep)
        state = "revoked" if revoke_all else ("offline" if row["state"] in ("conflict_pill", "revoked") else row["state"])
        await agents.set_state(name, state)
        audit = Audit(conn)
        await audit.event("recovered", agent=name, kept=fingerprint(keep) if keep else None,
                          revoked=[fingerprint(k) for k in revoked])
        await audit.resolve_alerts("conflict_pill", name)
        await _registry.upsert(conn, name, state, heartbeat=False)
        await conn.execute("SELECT pg_notify('xem_keys', $1)", name)
    return [fingerprint(k) for k in revoked]


async def list_candidates(pool: asyncpg.Pool, name: str | None = None) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await Agents(conn).candidates(name)


async def approve_candidate(pool: asyncpg.Pool, name: str, candidate: str) -> None:
    """Bind a discovered candidate; the agent learns it on its next lease renewal.

    Raises:
        AgentStateError: (not_found) no such agent or candidate.
    """
    async with pool.acquire() as conn, conn.transaction():
        if not await Agents(conn).approve_candidate(name, candidate):
            raise AgentStateError(f"agent {name} has no candidate {candidate}; see `xeroctl agents candidates list`",
                                  code="not_found")
        await Audit(conn).event("candidate_approved", agent=name, candidate=candidate)


async def audit_drop(conn: asyncpg.Connection, agent: str | None, key: str, why: str) -> None:
    """Record that the router dropped a frame (rate-limited by the caller)."""
    await Audit(conn).event("frame_dropped", agent=agent, key=key, fingerprint=fingerprint(key), why=why)
