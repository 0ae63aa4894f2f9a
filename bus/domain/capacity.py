"""Host capacity (spec 4.1B) and the spawn decision an orchestrator asks for before starting an agent."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["HostCapacity", "HostStatus", "SpawnDecision", "decide_spawn"]

HostStatus = Literal["online", "offline", "degraded", "maintenance"]


class HostCapacity(BaseModel):
    host_id: str
    ram_gb: float
    available_ram_gb: float = Field(description="RAM free now")
    reserved_ram_gb: float = Field(description="RAM that must stay free (headroom for services and the OS)")
    ram_per_agent_gb: float
    max_concurrent_agents: int | None
    active_agents: int
    active_services: list[str]
    status: HostStatus
    reported_at: datetime


class SpawnDecision(BaseModel):
    host_id: str
    can_spawn: bool
    slots: int
    reason: str
    report_age_s: float


def decide_spawn(cap: HostCapacity, now: datetime, *, stale_after_s: float) -> SpawnDecision:
    """Slots = what the free RAM above the reserve holds, capped by max_concurrent_agents."""
    age = max(0.0, (now - cap.reported_at).total_seconds())

    def no(reason: str) -> SpawnDecision:
        return SpawnDecision(host_id=cap.host_id, can_spawn=False, slots=0, reason=reason, report_age_s=age)

    if cap.status != "online":
        return no(f"host {cap.host_id} is {cap.status}; spawn elsewhere or wait until it reports online")
    if age > stale_after_s:
        return no(
            f"the capacity report of {cap.host_id} is {age:.0f} s old (limit {stale_after_s:.0f} s); "
            "the host must report_host_capacity again"
        )
    headroom = cap.available_ram_gb - cap.reserved_ram_gb
    by_ram = max(0, math.floor(headroom / cap.ram_per_agent_gb + 1e-9))
    slots = by_ram
    limit_text = ""
    if cap.max_concurrent_agents is not None:
        by_count = max(0, cap.max_concurrent_agents - cap.active_agents)
        if by_count < slots:
            slots, limit_text = by_count, f" (capped by max_concurrent_agents {cap.max_concurrent_agents})"
    if slots == 0:
        if by_ram == 0:
            return no(
                f"{cap.available_ram_gb:g} GB free minus {cap.reserved_ram_gb:g} GB reserved is less than "
                f"{cap.ram_per_agent_gb:g} GB per agent"
            )
        return no(f"{cap.active_agents} agents already run, the maximum is {cap.max_concurrent_agents}")
    return SpawnDecision(
        host_id=cap.host_id,
        can_spawn=True,
        slots=slots,
        reason=f"{slots} more agent(s) fit{limit_text}",
        report_age_s=age,
    )
