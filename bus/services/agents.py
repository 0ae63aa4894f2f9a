"""Use cases of the agent registry: register, heartbeat (renewing or releasing ODM claims), read."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from pydantic import BaseModel, Field

from bus.domain import uris
from bus.domain.agents import Agent, AgentStatus, ReportedStatus, liveness
from bus.errors import NotFound, Unavailable
from bus.services._work import BusServices, Work, read_only, transactional
from bus.settings import BusSettings

__all__ = ["HeartbeatAnswer", "Liveness", "get", "heartbeat", "list_agents", "register"]

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
    odm_runtime_health: str | None = Field(default=None, description="health of the agent's ODM runtime, if it has one")


def _status(settings: BusSettings, reported: ReportedStatus, last_heartbeat_at: datetime, now: datetime) -> AgentStatus:
    return liveness(
        reported, last_heartbeat_at, now, stale_after_s=settings.stale_after_s, offline_after_s=settings.offline_after_s
    )


def _agent(settings: BusSettings, row: asyncpg.Record, now: datetime) -> Agent:
    return Agent(
        id=row["id"],
        role=row["role"],
        registration_name=row["registration_name"],
        host_id=row["host_id"],
        capabilities=list(row["capabilities"]),
        status=_status(settings, row["reported_status"], row["last_heartbeat_at"], now),
        in_flight=list(row["in_flight"]),
        note=row["note"],
        registered_at=row["registered_at"],
        last_heartbeat_at=row["last_heartbeat_at"],
        status_since=row["status_since"],
    )


@transactional
async def register(
    work: Work, agent_id: str, role: str, registration_name: str | None, host_id: str | None, capabilities: Sequence[str]
) -> Liveness:
    """Register (or re-register) an agent; a registration counts as an ``online`` heartbeat."""
    row = await work.agents.register(agent_id, role, registration_name, host_id, capabilities)
    await work.changes.announce([uris.AGENTS, uris.agent(agent_id)])
    unread = await work.messages.unread_count(agent_id)
    before = None
    if row["prev_reported_status"] is not None:
        before = _status(work.settings, row["prev_reported_status"], row["prev_heartbeat_at"], row["now"])
    return Liveness(
        agent_id=agent_id,
        status="online",
        previous_status=before,
        heartbeat_within_s=work.settings.stale_after_s,
        unread_messages=unread,
    )


async def heartbeat(
    services: BusServices, agent_id: str, status: ReportedStatus, in_flight: Sequence[str], note: str | None
) -> HeartbeatAnswer:
    """Record the heartbeat; then, through the ODM API (``heartbeat_runtime``), stamp the agent's ODM runtime and
    renew its claims (online with work in flight), or release them (offline). An unreachable ODM never fails the
    heartbeat.

    Raises: NotFound when the agent never registered.
    """
    before, after, unread = await _record_heartbeat(services, agent_id, status, in_flight, note)
    answer = HeartbeatAnswer(agent_id=agent_id, status=after, previous_status=before,
                             heartbeat_within_s=services.settings.stale_after_s, unread_messages=unread)
    if not services.odm.configured:
        return answer
    if status == "offline":  # signing off: its work goes back to ready now
        answer.odm_claims_released, answer.odm_note = await _odm_claims(
            services, agent_id, "release_claims", "your claims return to ready when their leases end")
        return answer
    renew = status == "online" and bool(in_flight)
    try:
        async with services.odm.session() as odm:
            beat = await odm.call_tool("heartbeat_runtime", agent_id=agent_id, renew_claims=renew)
    except Unavailable as exc:
        log.warning("heartbeat of %s: the ODM's runtime heartbeat failed: %s", agent_id, exc)
        answer.odm_note = f"{exc}; " + ("call the ODM's next_task to renew the claim you hold" if renew
                                        else "the ODM did not record this heartbeat on your runtime")
        return answer
    if renew:
        answer.odm_claims_renewed = [str(t) for t in beat.get("task_ids", [])]
    answer.odm_runtime_health = beat.get("health_state")
    return answer


@transactional
async def _record_heartbeat(
    work: Work, agent_id: str, status: ReportedStatus, in_flight: Sequence[str], note: str | None
) -> tuple[AgentStatus, AgentStatus, int]:
    """The agent's status before and after the heartbeat, and its unacknowledged messages."""
    row = await work.agents.heartbeat(agent_id, status, in_flight, note)
    if row is None:
        raise NotFound(f"agent {agent_id} is not registered; call register_agent first, then heartbeat")
    now = row["now"]
    before = _status(work.settings, row["prev_reported_status"], row["prev_heartbeat_at"], now)
    after = _status(work.settings, row["reported_status"], row["last_heartbeat_at"], now)
    if before != after:
        await work.changes.announce([uris.AGENTS, uris.agent(agent_id)])
    return before, after, await work.messages.unread_count(agent_id)


async def _odm_claims(services: BusServices, agent_id: str, tool: str, otherwise: str) -> tuple[list[str] | None, str | None]:
    """Renew or release the agent's ODM claims through the ODM API (the DESIGN's "lease renewed by the
    agent's Bus heartbeat", "a dead agent's claims are released"): the task ids, or None and why not."""
    try:
        async with services.odm.session() as odm:
            answer = await odm.call_tool(tool, agent_id=agent_id)
    except Unavailable as exc:
        log.warning("heartbeat of %s: ODM %s failed: %s", agent_id, tool, exc)
        return None, f"{exc}; {otherwise}"
    return [str(t) for t in answer.get("task_ids", [])], None


@read_only
async def get(work: Work, agent_id: str) -> Agent:
    """Raises: NotFound."""
    row = await work.agents.get(agent_id)
    now = await work.agents.now()
    if row is None:
        raise NotFound(f"agent {agent_id} is not registered; read bus://agents for the registered agents")
    return _agent(work.settings, row, now)


@read_only
async def list_agents(work: Work, *, role: str | None = None, after_id: str | None = None, limit: int = 200) -> list[Agent]:
    """Registered agents by id, after ``after_id``, with their liveness as of the database's now."""
    rows = await work.agents.page(role=role, after_id=after_id, limit=limit)
    now = await work.agents.now()
    return [_agent(work.settings, r, now) for r in rows]
