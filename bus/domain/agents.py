"""Agents in the registry and their liveness: online → stale → offline from missed heartbeats, or error."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["Agent", "AgentStatus", "ReportedStatus", "liveness"]

AgentStatus = Literal["online", "stale", "offline", "error"]
ReportedStatus = Literal["online", "error", "offline"]


def liveness(
    reported: ReportedStatus, last_heartbeat_at: datetime, now: datetime, *, stale_after_s: float, offline_after_s: float
) -> AgentStatus:
    """The status an agent has now.

    ``error`` and ``offline`` said by the agent itself stand until it heartbeats ``online`` again (an
    agent that fails and then goes silent still needs attention); otherwise the age of its last
    heartbeat decides.
    """
    if reported != "online":
        return reported
    age = (now - last_heartbeat_at).total_seconds()
    if age >= offline_after_s:
        return "offline"
    if age >= stale_after_s:
        return "stale"
    return "online"


class Agent(BaseModel):
    id: str = Field(description="agent id (the ODM agent id by convention)")
    role: str
    registration_name: str | None = None
    host_id: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    status: AgentStatus = Field(description="online | stale | offline | error, as of now")
    in_flight: list[str] = Field(default_factory=list, description="work the agent said it has in flight")
    note: str | None = None
    registered_at: datetime
    last_heartbeat_at: datetime
    status_since: datetime = Field(description="when the agent last reported its status (error/offline/online)")
