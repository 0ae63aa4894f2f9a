"""Bus-local condition sources: active critical/warning alerts, and agents that reported an error."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from bus.domain import uris
from bus.domain.scans import Condition
from bus.services._work import Work, read_only
from bus.services.scanner.sources import ScanInputs

__all__ = ["AgentErrorSource", "AlertSource"]

_ALERT_PRIORITY = {"critical": "critical", "warning": "high"}


@read_only
async def _alerts_needing_attention(work: Work) -> list[asyncpg.Record]:
    return await work.alerts.needing_attention()


@read_only
async def _alerts_cleared(work: Work, linked_ids: Iterable[str]) -> dict[str, str]:
    reasons = {}
    for linked_id in linked_ids:
        row = await work.alerts.get(int(linked_id)) if linked_id.isdigit() else None
        if row is None:
            reasons[linked_id] = f"alert {linked_id} no longer exists"
        elif row["status"] == "acknowledged":
            reasons[linked_id] = f"alert {linked_id} was acknowledged by {row['acknowledged_by']}"
        elif row["status"] == "resolved":
            reasons[linked_id] = f"alert {linked_id} was resolved by {row['resolved_by']}"
        else:
            reasons[linked_id] = f"alert {linked_id} is no longer critical or warning"
    return reasons


@read_only
async def _agents_in_error(work: Work) -> list[asyncpg.Record]:
    return await work.agents.in_error()


@read_only
async def _agents_cleared(work: Work, linked_ids: Iterable[str]) -> dict[str, str]:
    reasons = {}
    for agent_id in linked_ids:
        row = await work.agents.get(agent_id)
        if row is None:
            reasons[agent_id] = f"agent {agent_id} is no longer registered"
        else:
            reasons[agent_id] = f"agent {agent_id} recovered from error (reported {row['reported_status']})"
    return reasons


class AlertSource:
    name = "bus.alerts"
    linked_type = "alert"

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        return [
            Condition(
                linked_type="alert",
                linked_id=str(r["id"]),
                title=f"{r['severity'].capitalize()} alert: {r['title']}"[:300],
                priority=_ALERT_PRIORITY[r["severity"]],
                description=r["detail"],
                environment=r["environment"],
                linked_url=uris.alert(r["id"]),
                since=r["raised_at"],
            )
            for r in await _alerts_needing_attention(inputs.services)
        ]

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        return await _alerts_cleared(inputs.services, linked_ids)


class AgentErrorSource:
    name = "bus.agents"
    linked_type = "agent"

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        return [
            Condition(
                linked_type="agent",
                linked_id=r["id"],
                title=f"Agent {r['id']} ({r['role']}) is in error",
                priority="high",
                description=r["note"],
                environment="bus",
                linked_url=uris.agent(r["id"]),
                since=r["status_since"],
            )
            for r in await _agents_in_error(inputs.services)
        ]

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        return await _agents_cleared(inputs.services, linked_ids)
