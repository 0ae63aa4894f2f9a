"""Use cases of alerts: raise, acknowledge, resolve, list."""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel, Field

from bus.domain import uris
from bus.domain.alerts import Alert, check_transition
from bus.errors import InvalidArgument, InvalidTransition, NotFound
from bus.store.alerts import AlertStore
from bus.store.changes import announce
from bus.store.db import Database

__all__ = ["AlertList", "AlertService", "RaisedAlert"]

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


class AlertService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def raise_alert(
        self, severity: str, title: str, raised_by: str, *, detail: str | None = None, source: str | None = None,
        environment: str | None = None, dedup_key: str | None = None,
    ) -> RaisedAlert:
        async with self.db.transaction() as conn:
            row = await AlertStore(conn).raise_(severity, title, detail, source, environment, dedup_key, raised_by)
            await announce(conn, [uris.ALERTS, uris.alert(row["id"])])
        return RaisedAlert(alert=_alert(row), repeated=row["repeated"])

    async def acknowledge(self, alert_id: int, by: str) -> Alert:
        """Raises: NotFound, InvalidTransition (a resolved alert)."""
        return await self._move(alert_id, "acknowledged", lambda s: s.acknowledge(alert_id, by))

    async def resolve(self, alert_id: int, by: str, resolution: str | None) -> Alert:
        """Raises: NotFound."""
        return await self._move(alert_id, "resolved", lambda s: s.resolve(alert_id, by, resolution))

    async def _move(self, alert_id: int, target: str, change) -> Alert:
        async with self.db.transaction() as conn:
            store = AlertStore(conn)
            row = await store.get(alert_id, for_update=True)
            if row is None:
                raise NotFound(f"no alert {alert_id}; list_alerts shows the alerts")
            try:
                if not check_transition(row["status"], target):
                    return _alert(row)
            except ValueError as exc:
                raise InvalidTransition(f"alert {alert_id} {exc}") from None
            row = await change(store)
            await announce(conn, [uris.ALERTS, uris.alert(alert_id)])
        return _alert(row)

    async def get(self, alert_id: int) -> Alert:
        async with self.db.read() as conn:
            row = await AlertStore(conn).get(alert_id)
        if row is None:
            raise NotFound(f"no alert {alert_id}; list_alerts shows the alerts")
        return _alert(row)

    async def list(self, *, status: str = "open", severity: str | None = None, limit: int = 20, cursor: str | None = None) -> AlertList:
        before = None
        if cursor is not None:
            if not cursor.isdigit():
                raise InvalidArgument(f"cursor {cursor!r} is not one this tool returned; omit it to start over")
            before = int(cursor)
        async with self.db.read() as conn:
            rows = await AlertStore(conn).list(_FILTERS[status], severity, before, limit + 1)
        items = [_alert(r) for r in rows[:limit]]
        return AlertList(items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None)

    async def needing_attention(self) -> list[Alert]:
        async with self.db.read() as conn:
            return [_alert(r) for r in await AlertStore(conn).needing_attention()]
