"""Bus tools of alerts (toolset alerts): raise_alert, acknowledge_alert, resolve_alert, list_alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from bus.domain.alerts import Alert, AlertSeverity
from bus.domain.names import AgentId, NotBlank
from bus.services import alerts
from bus.services.alerts import AlertList, RaisedAlert
from servers.app import ToolGroup
from servers.bus._context import services

__all__ = ["acknowledge_alert", "list_alerts", "raise_alert", "resolve_alert"]

tools = ToolGroup()

AlertId = Annotated[int, Field(ge=1)]
Short = Annotated[str, StringConstraints(max_length=128), NotBlank]
AlertTitle = Annotated[str, StringConstraints(max_length=200), NotBlank]


@tools.tool("alerts", title="Raise an alert", read_only=False, destructive=False, idempotent=False, open_world=False)
async def raise_alert(
    ctx: Context,
    severity: AlertSeverity,
    title: AlertTitle,
    raised_by: AgentId,
    detail: Annotated[str, StringConstraints(max_length=8000)] | None = None,
    source: Short | None = None,
    environment: Short | None = None,
    dedup_key: Short | None = None,
) -> RaisedAlert:
    """Raise an alert; critical and warning ones put a todo in the human attention queue.

    With a dedup_key, raising it again while unresolved counts an occurrence. Errors: [invalid_argument].
    """
    return await alerts.raise_alert(
        services(ctx), severity, title, raised_by, detail=detail, source=source, environment=environment, dedup_key=dedup_key
    )


@tools.tool("alerts", title="Acknowledge an alert", read_only=False, destructive=False, idempotent=True, open_world=False)
async def acknowledge_alert(ctx: Context, alert_id: AlertId, by: AgentId) -> Alert:
    """Say someone is on it; its attention-queue todo is marked done at the next scan.

    Errors: [not_found], [invalid_transition] (already resolved).
    """
    return await alerts.acknowledge(services(ctx), alert_id, by)


@tools.tool("alerts", title="Resolve an alert", read_only=False, destructive=False, idempotent=True, open_world=False)
async def resolve_alert(
    ctx: Context,
    alert_id: AlertId,
    by: AgentId,
    resolution: Annotated[str, StringConstraints(max_length=2000)] | None = None,
) -> Alert:
    """Close an alert (the condition is gone); resolving twice changes nothing.

    Errors: [not_found].
    """
    return await alerts.resolve(services(ctx), alert_id, by, resolution)


@tools.tool("alerts", title="List alerts", read_only=True, destructive=False, idempotent=True, open_world=False)
async def list_alerts(
    ctx: Context,
    status: Literal["active", "acknowledged", "resolved", "open", "all"] = "open",
    severity: AlertSeverity | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    cursor: Annotated[str, StringConstraints(max_length=32)] | None = None,
) -> AlertList:
    """Alerts newest first; "open" (default) means active or acknowledged.

    Errors: [invalid_argument].
    """
    return await alerts.list_alerts(services(ctx), status=status, severity=severity, limit=limit, cursor=cursor)
