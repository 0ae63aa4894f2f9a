"""Use cases of alerts: raise, acknowledge, resolve, list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from pydantic import BaseModel, Field

from bus.domain import uris
from bus.domain.alerts import Alert, check_transition
from bus.errors import InvalidTransition, NotFound
from bus.services._work import Work, read_only, transactional
from bus.store.alerts import AlertStore
from servers.kernel.cursors import decode_cursor, encode_cursor

__all__ = ["AlertList", "RaisedAlert", "acknowledge", "get", "list_alerts", "raise_alert", "resolve"]

_FILTERS = {
    "active": ["active"],
    "acknowledged": ["acknowledged"],
    "resolved": ["resolved"],
    "open": ["active", "acknowledged"],
    "all": ["active", "acknowledged", "resolved"],
}


class RaisedAlert(BaseModel):
    alert: Alert
    repeated: bool = Field(description="true if an unresolved alert with this dedup_key existed: one more occurrence")


class AlertList(BaseModel):
    items: list[Alert]
    next_cursor: str | None


def _alert(row: asyncpg.Record) -> Alert:
    return Alert(**{k: row[k] for k in Alert.model_fields})


@transactional
async def raise_alert(
    work: Work, severity: str, title: str, raised_by: str, *, detail: str | None = None, source: str | None = None,
    environment: str | None = None, dedup_key: str | None = None,
) -> RaisedAlert:
    """A new alert, or one more occurrence of the unresolved one with the same ``dedup_key``."""
    row = await work.alerts.raise_(severity, title, detail, source, environment, dedup_key, raised_by)
    await work.changes.announce([uris.ALERTS, uris.alert(row["id"])])
    return RaisedAlert(alert=_alert(row), repeated=row["repeated"])


@transactional
async def acknowledge(work: Work, alert_id: int, by: str) -> Alert:
    """Raises: NotFound, InvalidTransition (a resolved alert)."""
    return await _move(work, alert_id, "acknowledged", lambda s: s.acknowledge(alert_id, by))


@transactional
async def resolve(work: Work, alert_id: int, by: str, resolution: str | None) -> Alert:
    """Raises: NotFound."""
    return await _move(work, alert_id, "resolved", lambda s: s.resolve(alert_id, by, resolution))


async def _move(work: Work, alert_id: int, target: str, change: Callable[[AlertStore], Awaitable[asyncpg.Record]]) -> Alert:
    row = await work.alerts.get(alert_id, for_update=True)
    if row is None:
        raise NotFound(f"no alert {alert_id}; bus://alerts lists the open ones")
    try:
        if not check_transition(row["status"], target):
            return _alert(row)
    except ValueError as exc:
        raise InvalidTransition(f"alert {alert_id} {exc}") from None
    row = await change(work.alerts)
    await work.changes.announce([uris.ALERTS, uris.alert(alert_id)])
    return _alert(row)


@read_only
async def get(work: Work, alert_id: int) -> Alert:
    """Raises: NotFound."""
    row = await work.alerts.get(alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}; bus://alerts lists the open ones")
    return _alert(row)


@read_only
async def list_alerts(
    work: Work, *, status: str = "open", severity: str | None = None, limit: int = 20, cursor: str | None = None
) -> AlertList:
    """Newest first. Raises: InvalidArgument (a cursor from elsewhere)."""
    key = decode_cursor(cursor, int)
    rows = await work.alerts.page(_FILTERS[status], severity, key[0] if key else None, limit + 1)
    items = [_alert(r) for r in rows[:limit]]
    return AlertList(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)
