"""The scan: read every source, create a todo per new condition, mark done the ones whose condition cleared.

One process leads each cycle (it holds the lease ``bus.scanner``); the partial unique index on open
todos keeps the queue free of duplicates even when two scans overlap. A source that could not be
read in a scan dismisses nothing in that scan.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Literal

import anyio
from pydantic import BaseModel

from bus.domain import uris
from bus.domain.todos import LINKED_TYPES, PRIORITY_RANK
from bus.errors import LeaseHeld
from bus.odm_client import OdmSession, OdmUnavailable, open_odm
from bus.scanner.sources import Condition, Source, SourceUnavailable, SourceUnsupported
from bus.settings import BusSettings
from bus.store.changes import announce
from bus.store.db import Database
from bus.store.todos import TodoStore

__all__ = ["SCAN_LEASE", "ScanReport", "Scanner", "SourceStatus"]

log = logging.getLogger("xiopro.bus.scanner")

SCAN_LEASE = "bus.scanner"


class SourceStatus(BaseModel):
    name: str
    linked_type: str
    status: Literal["ok", "unavailable", "unsupported"]
    reason: str | None = None
    conditions: int = 0
    created: int = 0
    dismissed: int = 0


class ScanReport(BaseModel):
    started_at: datetime
    duration_ms: float
    ran: bool  # false: another process leads this cycle
    leader: str | None
    created: int = 0
    dismissed: int = 0
    sources: list[SourceStatus] = []


def instance_holder() -> str:
    """A lease holder name unique to this process (letters, digits, _ . @ -)."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:30] or "host"
    return f"scanner@{host}-{os.getpid()}-{secrets.token_hex(3)}"


class _Inputs:
    """What sources use in one scan; the ODM session is opened on first use and shared."""

    def __init__(self, db: Database, odm_url: str | None, timeout_s: float, stack: AsyncExitStack) -> None:
        self.db = db
        self._odm_url = odm_url
        self._timeout_s = timeout_s
        self._stack = stack
        self._session: OdmSession | None = None
        self._failure: OdmUnavailable | None = None

    async def odm(self) -> OdmSession:
        if self._session is None and self._failure is None:
            if self._odm_url is None:
                self._failure = OdmUnavailable("no ODM URL is configured (XIOPRO_ODM_URL)")
            else:
                try:
                    self._session = await self._stack.enter_async_context(open_odm(self._odm_url, self._timeout_s))
                except OdmUnavailable as exc:
                    self._failure = exc
        if self._failure is not None:
            raise OdmUnavailable(str(self._failure))
        assert self._session is not None
        return self._session


class Scanner:
    def __init__(
        self,
        db: Database,
        settings: BusSettings,
        sources: Sequence[Source],
        *,
        leases,
        events,
        odm_url: str | None,
        holder: str | None = None,
    ) -> None:
        owners = [s.linked_type for s in sources]
        if len(set(owners)) != len(owners) or not set(owners) <= set(LINKED_TYPES):
            raise ValueError(f"each linked_type needs exactly one source of {LINKED_TYPES}, got {owners}")
        self.db = db
        self.settings = settings
        self.sources = list(sources)
        self.leases = leases
        self.events = events
        self.odm_url = odm_url
        self.holder = holder or instance_holder()
        self.last_report: ScanReport | None = None
        self._unavailable: frozenset[str] = frozenset()

    async def run(self) -> None:
        """Scan every ``scan_interval_s`` until cancelled; give the lead up on the way out."""
        try:
            while True:
                try:
                    await self.scan_once()
                except Exception:  # a failed cycle must not end the loop; the next one retries
                    log.exception("attention scan failed")
                await anyio.sleep(self.settings.scan_interval_s)
        finally:
            with anyio.move_on_after(5, shield=True):
                await self._release()

    async def _release(self) -> None:
        try:
            lease = await self.leases.get(SCAN_LEASE)
            if lease.held and lease.holder == self.holder:
                await self.leases.release(SCAN_LEASE, self.holder, lease.token)
        except Exception:  # best effort: the lease expires anyway
            log.debug("could not release the scan lease", exc_info=True)

    async def scan_once(self, *, force: bool = False) -> ScanReport:
        """One cycle. Unless ``force``, only the lease holder scans (the others report who leads)."""
        started, clock = datetime.now(UTC), time.perf_counter()
        if not force:
            try:
                await self.leases.acquire(SCAN_LEASE, self.holder, self.settings.scan_lease_ttl_s)
            except LeaseHeld as held:
                return ScanReport(started_at=started, duration_ms=0.0, ran=False, leader=held.holder)
        statuses = []
        async with AsyncExitStack() as stack:
            inputs = _Inputs(self.db, self.odm_url, self.settings.odm_timeout_s, stack)
            for source in self.sources:
                statuses.append(await self._scan_source(source, inputs))
        report = ScanReport(
            started_at=started,
            duration_ms=(time.perf_counter() - clock) * 1000,
            ran=True,
            leader=None if force else self.holder,
            created=sum(s.created for s in statuses),
            dismissed=sum(s.dismissed for s in statuses),
            sources=statuses,
        )
        self.last_report = report
        await self._publish(report)
        return report

    async def _scan_source(self, source: Source, inputs: _Inputs) -> SourceStatus:
        status = SourceStatus(name=source.name, linked_type=source.linked_type, status="ok")
        try:
            found = await source.read(inputs)
        except SourceUnsupported as exc:
            return status.model_copy(update={"status": "unsupported", "reason": str(exc)})
        except SourceUnavailable as exc:
            return status.model_copy(update={"status": "unavailable", "reason": str(exc)})
        except Exception as exc:  # a broken source is unavailable, never a reason to dismiss
            log.exception("source %s failed", source.name)
            return status.model_copy(update={"status": "unavailable", "reason": f"internal error ({type(exc).__name__})"})
        conditions = _valid(source, found)
        current = {c.linked_id for c in found}  # a malformed condition still exists: never dismiss it
        async with self.db.read() as conn:
            still_open = await TodoStore(conn).open_system_links(source.linked_type)
        cleared = {r["linked_id"]: r["id"] for r in still_open if r["linked_id"] not in current}
        reasons = await source.cleared_reasons(inputs, list(cleared)) if cleared else {}
        async with self.db.transaction() as conn:
            store = TodoStore(conn)
            created = await store.create_for_conditions(
                [(c.title, c.description, c.priority, c.environment, c.linked_type, c.linked_id, c.linked_url, c.since)
                 for c in conditions],
                self.settings.primary_user,
            )
            closed = await store.close_cleared(
                list(cleared.values()),
                [reasons.get(linked_id) or f"{source.linked_type} {linked_id} no longer needs attention" for linked_id in cleared],
            )
            if created or closed:
                await announce(conn, [uris.TODOS, *(uris.todo(str(r["id"])) for r in closed)])
        return status.model_copy(update={"conditions": len(conditions), "created": len(created), "dismissed": len(closed)})

    async def _publish(self, report: ScanReport) -> None:
        unavailable = frozenset(s.name for s in report.sources if s.status == "unavailable")
        changed = unavailable != self._unavailable
        self._unavailable = unavailable
        if not (report.created or report.dismissed or changed):
            return
        try:
            await self.events.publish(
                "bus.scan",
                {
                    "created": report.created,
                    "dismissed": report.dismissed,
                    "unavailable": {s.name: s.reason for s in report.sources if s.status == "unavailable"},
                },
                severity="warning" if unavailable else "info",
                source=self.holder,
            )
        except Exception:  # reporting must not fail the scan
            log.warning("could not publish the scan report", exc_info=True)


def _valid(source: Source, conditions: Sequence[Condition]) -> list[Condition]:
    """Conditions the queue can hold: this source's type, a known priority, one per object."""
    seen: dict[str, Condition] = {}
    for c in conditions:
        if c.linked_type != source.linked_type or c.priority not in PRIORITY_RANK or not c.linked_id or not c.title.strip():
            log.warning("source %s produced an unusable condition %r; skipped", source.name, c)
            continue
        seen.setdefault(c.linked_id, c)
    return list(seen.values())
