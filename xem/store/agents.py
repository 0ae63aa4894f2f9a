"""Enrolled agents, their CURVE keys, stored manifests and discovered candidates."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from servers.kernel import channels

__all__ = ["AgentKey", "AgentStore"]


@dataclass(frozen=True)
class AgentKey:
    """A key as the router sees it: which agent it speaks for and whether it may still speak."""

    public_key: str
    agent_name: str
    status: str  # active | revoked
    agent_state: str  # online | offline | conflict_pill | revoked

    @property
    def active(self) -> bool:
        return self.status == "active"


class AgentStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def notify_keys_changed(self, name: str) -> None:
        """Tell every router (at commit) that ``name``'s keys changed: it reloads its key ring."""
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_KEYS, name)

    async def notify_tools_changed(self, name: str) -> None:
        """Tell every xem-mcp process (at commit) that ``name``'s servable tools may have changed."""
        await self.conn.execute("SELECT pg_notify($1, $2)", channels.XEM_TOOLS, name)

    async def serving(self) -> list[asyncpg.Record]:
        """Online agents (the only ones that receive dispatches) with their manifests, by name."""
        return await self.conn.fetch(
            "SELECT name, manifest, coalesce(manifest_hash, '') AS manifest_hash FROM xem.agents "
            "WHERE state = 'online' AND manifest IS NOT NULL ORDER BY name"
        )

    async def serving_hashes(self) -> list[tuple[str, str]]:
        """(name, manifest hash) of the agents ``serving`` returns, without the manifests."""
        rows = await self.conn.fetch(
            "SELECT name, coalesce(manifest_hash, '') FROM xem.agents WHERE state = 'online' AND manifest IS NOT NULL "
            "ORDER BY name"
        )
        return [(r[0], r[1]) for r in rows]

    async def declaring(self, workspace: str, tool: str) -> list[tuple[str, str]]:
        """(name, state) of every agent whose stored manifest declares ``workspace``/``tool``, in any state."""
        rows = await self.conn.fetch(
            "SELECT a.name, a.state FROM xem.agents a, jsonb_array_elements(coalesce(a.manifest->'tools', '[]'::jsonb)) t "
            "WHERE t->>'workspace' = $1 AND t->>'name' = $2 ORDER BY a.name", workspace, tool,
        )
        return [(r[0], r[1]) for r in rows]

    async def key(self, public_key: str, *, lock: bool = False) -> AgentKey | None:
        row = await self.conn.fetchrow(
            "SELECT k.public_key, k.agent_name, k.status, a.state FROM xem.agent_keys k "
            "JOIN xem.agents a ON a.name = k.agent_name WHERE k.public_key = $1" + (" FOR UPDATE OF a" if lock else ""),
            public_key,
        )
        return None if row is None else AgentKey(row[0], row[1], row[2], row[3])

    async def get(self, name: str, *, lock: bool = False) -> asyncpg.Record | None:
        return await self.conn.fetchrow("SELECT * FROM xem.agents WHERE name = $1" + (" FOR UPDATE" if lock else ""), name)

    async def active_keys(self, name: str) -> list[str]:
        rows = await self.conn.fetch("SELECT public_key FROM xem.agent_keys WHERE agent_name = $1 AND status = 'active'", name)
        return [r[0] for r in rows]

    async def keys_of(self, name: str) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT public_key, fingerprint, status, enrolled_at, revoked_at FROM xem.agent_keys "
            "WHERE agent_name = $1 ORDER BY enrolled_at", name,
        )

    async def all_keys(self) -> dict[str, tuple[str, str]]:
        """Every key ever enrolled: public key -> (agent name, active|revoked)."""
        rows = await self.conn.fetch("SELECT public_key, agent_name, status FROM xem.agent_keys")
        return {r[0]: (r[1], r[2]) for r in rows}

    async def create(self, name: str, role: str, state: str) -> None:
        await self.conn.execute(
            "INSERT INTO xem.agents (name, role, state) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, role = EXCLUDED.role, updated_at = now()",
            name, role, state,
        )
        await self.notify_tools_changed(name)

    async def add_key(self, public_key: str, name: str, fingerprint: str, join_key_id: uuid.UUID) -> None:
        await self.conn.execute(
            "INSERT INTO xem.agent_keys (public_key, agent_name, fingerprint, status, join_key_id) "
            "VALUES ($1, $2, $3, 'active', $4) "
            "ON CONFLICT (public_key) DO UPDATE SET agent_name = $2, status = 'active', revoked_at = NULL, join_key_id = $4",
            public_key, name, fingerprint, join_key_id,
        )

    async def revoke_keys(self, name: str, *, keep: str | None = None) -> list[str]:
        rows = await self.conn.fetch(
            "UPDATE xem.agent_keys SET status = 'revoked', revoked_at = now() "
            "WHERE agent_name = $1 AND status = 'active' AND public_key IS DISTINCT FROM $2 RETURNING public_key",
            name, keep,
        )
        return [r[0] for r in rows]

    async def set_state(self, name: str, state: str) -> None:
        await self.conn.execute("UPDATE xem.agents SET state = $2, updated_at = now() WHERE name = $1", name, state)
        await self.notify_tools_changed(name)

    async def renew(self, name: str, in_flight: list[str]) -> bool:
        """Record a lease renewal; a renewal brings an offline agent back online (nothing else). True if it did."""
        back = await self.conn.fetchval(
            "UPDATE xem.agents a SET last_lease_at = now(), in_flight = $2::jsonb, updated_at = now(), "
            "state = CASE WHEN a.state = 'offline' THEN 'online' ELSE a.state END "
            "FROM (SELECT state FROM xem.agents WHERE name = $1 FOR UPDATE) before "
            "WHERE a.name = $1 RETURNING before.state = 'offline'",
            name, json.dumps(in_flight),
        )
        if back:
            await self.notify_tools_changed(name)
        return bool(back)

    async def store_manifest(self, name: str, manifest: dict[str, Any], digest: str, version: int) -> bool:
        """Make ``manifest`` current; True if this hash was not recorded for the agent before."""
        await self.conn.execute(
            "UPDATE xem.agents SET manifest = $2::jsonb, manifest_hash = $3, manifest_version = $4, updated_at = now() "
            "WHERE name = $1", name, json.dumps(manifest), digest, version,
        )
        await self.notify_tools_changed(name)
        status = await self.conn.execute(
            "INSERT INTO xem.manifests (agent_name, manifest_hash, manifest_version, manifest) VALUES ($1, $2, $3, $4::jsonb) "
            "ON CONFLICT DO NOTHING", name, digest, version, json.dumps(manifest),
        )
        return status.endswith(" 1")

    async def mark_offline(self, older_than_s: float) -> list[str]:
        rows = await self.conn.fetch(
            "UPDATE xem.agents SET state = 'offline', updated_at = now() WHERE state = 'online' "
            "AND (last_lease_at IS NULL OR last_lease_at < now() - make_interval(secs => $1)) RETURNING name",
            older_than_s,
        )
        for r in rows:
            await self.notify_tools_changed(r[0])
        return [r[0] for r in rows]

    async def page(self, limit: int = 200, after: str | None = None) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT a.name, a.role, a.state, a.last_lease_at, a.manifest_version, a.manifest_hash, a.in_flight, a.enrolled_at, "
            "coalesce((SELECT array_agg(k.fingerprint ORDER BY k.enrolled_at) FROM xem.agent_keys k "
            "          WHERE k.agent_name = a.name AND k.status = 'active'), '{}') AS fingerprints, "
            "coalesce((SELECT array_agg(jsonb_build_array(t->>'workspace', t->>'name', t->>'risk') ORDER BY t->>'workspace', t->>'name') "
            "          FROM jsonb_array_elements(a.manifest->'tools') t), '{}') AS tools "
            "FROM xem.agents a WHERE ($2::text IS NULL OR a.name > $2) ORDER BY a.name LIMIT $1",
            limit, after,
        )

    async def upsert_candidates(self, name: str, candidates: list[tuple[str, str, str]]) -> None:
        await self.conn.executemany(
            "INSERT INTO xem.candidates (agent_name, candidate_id, kind, value) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (agent_name, candidate_id) DO UPDATE SET kind = EXCLUDED.kind, value = EXCLUDED.value "
            "WHERE xem.candidates.state = 'pending'",
            [(name, c, k, v) for c, k, v in candidates],
        )

    async def candidates(self, name: str | None = None) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT agent_name, candidate_id, kind, value, state, discovered_at, approved_at FROM xem.candidates "
            "WHERE ($1::text IS NULL OR agent_name = $1) ORDER BY agent_name, candidate_id", name,
        )

    async def approved_candidates(self, name: str) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT candidate_id FROM xem.candidates WHERE agent_name = $1 AND state = 'approved' ORDER BY candidate_id", name
        )
        return [r[0] for r in rows]

    async def approve_candidate(self, name: str, candidate: str) -> bool:
        status = await self.conn.execute(
            "UPDATE xem.candidates SET state = 'approved', approved_at = coalesce(approved_at, now()) "
            "WHERE agent_name = $1 AND candidate_id = $2", name, candidate,
        )
        return status.endswith(" 1")
