"""Use cases of the agent registry: register, heartbeat, read."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg
from pydantic import BaseModel, Field

from bus.domain import uris
from bus.domain.agents import Agent, AgentStatus, ReportedStatus, liveness
from bus.errors import NotFound
from bus.odm_client import OdmUnavailable, open_odm
from bus.settings import BusSettings
from bus.store.agents import AgentStore
from bus.store.changes import announce
from bus.store.db import Database
from bus.store.messages import MessageStore

__all__ = ["AgentService", "HeartbeatAnswer", "Liveness"]

log = logging.getLogger("xiopro.bus.agents")


class Liveness(BaseModel):
    # what register_agent and heartbeat answer (plain str: output schemas cost agents context too)
    agent_id: str
    status: str
    previous_status: str | None
    heartbeat_within_s: float
    unread_messages: int


class HeartbeatAnswer(Liveness):
    # the ODM side of a heartbeat (register_agent never touches the ODM, so its answer leaves these out)
    odm_claims_renewed: list[str] | None = Field(default=None, description="ODM claims renewed (in_flight given)")
    odm_claims_released: list[str] | None = Field(default=None, description="ODM claims released (status offline)")
    odm_note: str | None = Field(default=None, description="why ODM claims were not renewed/released")


class AgentService:
    def __init__(self, db: Database, settings: BusSettings, odm_url: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.odm_url = odm_url

    def to_agent(self, row: asyncpg.Record, now) -> Agent:
        return Agent(
            id=row["id"],
            role=row["role"],
            registration_name=row["registration_name"],
            host_id=row["host_id"],
            capabilities=list(row["capabilities"]),
            status=self.status_of(row["reported_status"], row["last_heartbeat_at"], now),
            in_flight=list(row["in_flight"]),
            note=row["note"],
            registered_at=row["registered_at"],
            last_heartbeat_at=row["last_heartbeat_at"],
            status_since=row["status_since"],
        )

    def status_of(self, reported: ReportedStatus, last_heartbeat_at, now) -> AgentStatus:
        return liveness(
            reported,
            last_heartbeat_at,
            now,
            stale_after_s=self.settings.stale_after_s,
            offline_after_s=self.settings.offline_after_s,
        )

    async def register(
        self, agent_id: str, role: str, registration_name: str | None, host_id: str | None, capabilities: Sequence[str]
    ) -> Liveness:
        async with self.db.transaction() as conn:
            row = await AgentStore(conn).register(agent_id, role, registration_name, host_id, capabilities)
            await announce(conn, [uris.AGENTS, uris.agent(agent_id)])
            unread = await MessageStore(conn).unread_count(agent_id)
        before = None
        if row["prev_reported_status"] is not None:
            before = self.status_of(row["prev_reported_status"], row["prev_heartbeat_at"], row["now"])
        return Liveness(
            agent_id=agent_id,
            status="online",
            previous_status=before,
            heartbeat_within_s=self.settings.stale_after_s,
            unread_messages=unread,
        )

    async def heartbeat(
        self, agent_id: str, status: ReportedStatus, in_flight: Sequence[str], note: str | None
    ) -> HeartbeatAnswer:
        """Raises: NotFound when the agent never registered."""
        async with self.db.transaction() as conn:
            row = await AgentStore(conn).heartbeat(agent_id, status, in_flight, note)
            if row is None:
                raise NotFound(f"agent {agent_id} is not registered; call register_agent first, then heartbeat")
            now = row["now"]
            before = self.status_of(row["prev_reported_status"], row["prev_heartbeat_at"], now)
            after = self.status_of(row["reported_status"], row["last_heartbeat_at"], now)
            if before != after:
                await announce(conn, [uris.AGENTS, uris.agent(agent_id)])
            unread = await MessageStore(conn).unread_count(agent_id)
        renewed = released = odm_note = None
        if self.odm_url is not None and status == "online" and in_flight:
            renewed, odm_note = await self._odm_claims(
                agent_id, "renew_claims", "call next_task to renew the claim you hold")
        elif self.odm_url is not None and status == "offline":  # signing off: its work goes back to ready now
            released, odm_note = await self._odm_claims(
                agent_id, "release_claims", "your claims return to ready when their leases end")
        return HeartbeatAnswer(
            agent_id=agent_id,
            status=after,
            previous_status=before,
            heartbeat_within_s=self.settings.stale_after_s,
            unread_messages=unread,
            odm_claims_renewed=renewed,
            odm_claims_released=released,
            odm_note=odm_note,
        )

    async def _odm_claims(self, agent_id: str, tool: str, otherwise: str) -> tuple[list[str] | None, str | None]:
        """Renew or release the agent's ODM claims through the ODM API (the DESIGN's "lease renewed by the
        agent's Bus heartbeat", "a dead agent's claims are released"): the task ids, or None and why not.
        An unreachable ODM never fails the heartbeat."""
        assert self.odm_url is not None
        try:
            async with open_odm(self.odm_url, self.settings.odm_timeout_s) as odm:
                answer = await odm.call_tool(tool, agent_id=agent_id)
        except OdmUnavailable as exc:
            log.warning("heartbeat of %s: ODM %s failed: %s", agent_id, tool, exc)
            return None, f"{exc}; {otherwise}"
        return [str(t) for t in answer.get("task_ids", [])], None

    async def get(self, agent_id: str) -> Agent:
        """Raises: NotFound."""
        async with self.db.read() as conn:
            store = AgentStore(conn)
            row = await store.get(agent_id)
            now = await store.now()
        if row is None:
            raise NotFound(f"agent {agent_id} is not registered; read bus://agents for the registered agents")
        return self.to_agent(row, now)

    async def list(self, *, role: str | None = None, after_id: str | None = None, limit: int = 200) -> list[Agent]:
        async with self.db.read() as conn:
            store = AgentStore(conn)
            rows = await store.list(role=role, after_id=after_id, limit=limit)
            now = await store.now()
        return [self.to_agent(r, now) for r in rows]

