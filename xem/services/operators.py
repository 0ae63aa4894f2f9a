"""Operator use cases behind ``xeroctl agents``: join keys, listing, recovery, candidate approval."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from xem.domain.joinkeys import JoinKeyClaims
from xem.domain.joinkeys import mint_join_key as _mint
from xem.domain.keys import fingerprint
from xem.errors import AgentStateError
from xem.keyfiles import join_secret
from xem.services._work import Work, read_only, single_statement, transactional

__all__ = ["AgentRow", "approve_candidate", "audit_drop", "join_keys", "list_agents", "list_candidates", "load_keyring",
           "mint_join_key", "recover"]


@dataclass(frozen=True)
class AgentRow:
    name: str
    role: str
    state: str
    fingerprints: tuple[str, ...]
    last_lease_at: datetime | None
    manifest_version: int | None
    in_flight: int
    tools: tuple[tuple[str, str, str], ...] = ()  # (workspace, tool, risk) as the manifest declares them


@single_statement
async def mint_join_key(w: Work, home: Path, role: str, ttl_s: int, *, max_ttl_s: int,
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
    await w.join_keys.record(claims.id, role, claims.expires_at)
    return token, claims


@read_only
async def list_agents(w: Work, *, limit: int = 200, after: str | None = None) -> list[AgentRow]:
    rows = await w.agents.page(limit, after)
    return [
        AgentRow(r["name"], r["role"], r["state"], tuple(r["fingerprints"]), r["last_lease_at"], r["manifest_version"],
                 len(json.loads(r["in_flight"])), tuple(tuple(json.loads(t)) for t in r["tools"]))
        for r in rows
    ]


@single_statement
async def load_keyring(w: Work) -> dict[str, tuple[str, str]]:
    """Every enrolled CURVE key (Z85) -> (agent, active|revoked): the router's ZAP allow-list."""
    keyring: dict[str, tuple[str, str]] = await w.agents.all_keys()
    return keyring


@transactional
async def recover(w: Work, name: str, *, keep_key: str | None = None, revoke_all: bool = False) -> list[str]:
    """End a conflict_pill (or retire keys): keep one key (Z85 or fingerprint) and revoke the others, or
    revoke them all. Returns the fingerprints revoked.

    Raises:
        AgentStateError: unknown agent or key (not_found), neither or both of keep_key/revoke_all (invalid_argument).
    """
    if (keep_key is None) == (not revoke_all):
        raise AgentStateError("give exactly one of --keep-key KEY or --revoke-all", code="invalid_argument")
    agents = w.agents
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
    audit = w.audit
    await audit.event("recovered", agent=name, kept=fingerprint(keep) if keep else None,
                      revoked=[fingerprint(k) for k in revoked])
    await audit.resolve_alerts("conflict_pill", name)
    await w.registry.upsert(name, state, heartbeat=False)
    await agents.notify_keys_changed(name)
    return [fingerprint(k) for k in revoked]


@read_only
async def join_keys(w: Work, limit: int = 50) -> list[asyncpg.Record]:
    """Recently minted join keys and who used them."""
    rows: list[asyncpg.Record] = await w.join_keys.recent(limit)
    return rows


@read_only
async def list_candidates(w: Work, name: str | None = None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await w.agents.candidates(name)
    return rows


@transactional
async def approve_candidate(w: Work, name: str, candidate: str) -> None:
    """Bind a discovered candidate; the agent learns it on its next lease renewal.

    Raises:
        AgentStateError: (not_found) no such agent or candidate.
    """
    if not await w.agents.approve_candidate(name, candidate):
        raise AgentStateError(f"agent {name} has no candidate {candidate}; see `xeroctl agents candidates list`",
                              code="not_found")
    await w.audit.event("candidate_approved", agent=name, candidate=candidate)


@single_statement
async def audit_drop(w: Work, agent: str | None, key: str, why: str) -> None:
    """Record that the router dropped a frame (rate-limited by the caller)."""
    await w.audit.event("frame_dropped", agent=agent, key=key, fingerprint=fingerprint(key), why=why)
