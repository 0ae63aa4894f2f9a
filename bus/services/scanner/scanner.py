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
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from uuid import UUID

import anyio
import asyncpg

from bus.domain import uris
from bus.domain.scans import Condition, ScanReport, SourceStatus
from bus.domain.todos import LINKED_TYPES, PRIORITY_RANK
from bus.errors import FeedUnsupported, LeaseHeldBy, Unavailable
from bus.services import events, leases
from bus.services._work import BusServices, Work, read_only, transactional
from bus.services.scanner.sources import PartialRead, Source
from servers.kernel.odm_client import OdmSession

__all__ = ["SCAN_LEASE", "Scanner", "instance_holder", "run", "scan_once"]

log = logging.getLogger("xiopro.bus.scanner")

SCAN_LEASE = "bus.scanner"


def instance_holder() -> str:
    """A lease holder name unique to this process (letters, digits, _ . @ -)."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:30] or "host"
    return f"scanner@{host}-{os.getpid()}-{secrets.token_hex(3)}"


class Scanner:
    """The attention scan of one process: its sources, its lease holder name, what its last scan found."""

    def __init__(self, sources: Sequence[Source], *, holder: str | None = None) -> None:
        owners = [s.linked_type for s in sources]
        if len(set(owners)) != len(owners) or not set(owners) <= set(LINKED_TYPES):
            raise ValueError(f"each linked_type needs exactly one source of {LINKED_TYPES}, got {owners}")
        self.sources = list(sources)
        self.holder = holder or instance_holder()
        self.last_report: ScanReport | None = None
        self.unavailable: frozenset[str] = frozenset()  # sources unavailable in the last scan


class _Inputs:
    """What sources use in one scan; the ODM session is opened on first use and shared."""

    def __init__(self, services: BusServices, stack: AsyncExitStack) -> None:
        self.services = services
        self._stack = stack
        self._session: OdmSession | None = None
        self._failure: Unavailable | None = None

    async def odm(self) -> OdmSession:
        if self._session is None and self._failure is None:
            try:
                self._session = await self._stack.enter_async_context(self.services.odm.session())
            except Unavailable as exc:
                self._failure = exc
        if self._failure is not None:
            raise Unavailable(str(self._failure))
        assert self._session is not None
        return self._session


async def run(services: BusServices) -> None:
    """Scan every ``scan_interval_s`` until cancelled; give the lead up on the way out."""
    try:
        while True:
            try:
                await scan_once(services)
            except Exception:  # a failed cycle must not end the loop; the next one retries
                log.exception("attention scan failed")
            await anyio.sleep(services.settings.scan_interval_s)
    finally:
        with anyio.move_on_after(5, shield=True):
            await _release(services)


async def _release(services: BusServices) -> None:
    holder = services.scanner.holder
    try:
        lease = await leases.get(services, SCAN_LEASE)
        if lease.held and lease.holder == holder:
            await leases.release(services, SCAN_LEASE, holder, lease.token)
    except Exception:  # best effort: the lease expires anyway
        log.debug("could not release the scan lease", exc_info=True)


async def scan_once(services: BusServices, *, force: bool = False) -> ScanReport:
    """One cycle. Unless ``force``, only the lease holder scans (the others report who leads)."""
    scanner = services.scanner
    started, clock = datetime.now(UTC), time.perf_counter()
    if not force:
        try:
            await leases.acquire(services, SCAN_LEASE, scanner.holder, services.settings.scan_lease_ttl_s)
        except LeaseHeldBy as held:
            return ScanReport(started_at=started, duration_ms=0.0, ran=False, leader=held.holder)
    statuses = []
    async with AsyncExitStack() as stack:
        inputs = _Inputs(services, stack)
        for source in scanner.sources:
            statuses.append(await _scan_source(services, source, inputs))
    report = ScanReport(
        started_at=started,
        duration_ms=(time.perf_counter() - clock) * 1000,
        ran=True,
        leader=None if force else scanner.holder,
        created=sum(s.created for s in statuses),
        dismissed=sum(s.dismissed for s in statuses),
        sources=statuses,
    )
    scanner.last_report = report
    await _publish(services, report)
    return report


async def _scan_source(services: BusServices, source: Source, inputs: _Inputs) -> SourceStatus:
    status = SourceStatus(name=source.name, linked_type=source.linked_type, status="ok")
    kept: Callable[[str], bool] = lambda _linked_id: False  # noqa: E731
    try:
        found = await source.read(inputs)
    except PartialRead as part:  # what was read counts; the todos of the unread part stay
        found, kept = part.conditions, part.unread
        status = status.model_copy(update={"status": "unavailable", "reason": part.reason})
    except FeedUnsupported as exc:
        return status.model_copy(update={"status": "unsupported", "reason": str(exc)})
    except Unavailable as exc:
        return status.model_copy(update={"status": "unavailable", "reason": str(exc)})
    except Exception as exc:  # a broken source is unavailable, never a reason to dismiss
        log.exception("source %s failed", source.name)
        return status.model_copy(update={"status": "unavailable", "reason": f"internal error ({type(exc).__name__})"})
    conditions = _valid(source, found)
    current = {c.linked_id for c in found}  # a malformed condition still exists: never dismiss it
    still_open = await _open_system_links(services, source.linked_type)
    cleared = {r["linked_id"]: r["id"] for r in still_open if r["linked_id"] not in current and not kept(r["linked_id"])}
    reasons = await source.cleared_reasons(inputs, list(cleared)) if cleared else {}
    created, closed = await _apply(
        services,
        conditions,
        list(cleared.values()),
        [reasons.get(linked_id) or f"{source.linked_type} {linked_id} no longer needs attention" for linked_id in cleared],
    )
    return status.model_copy(update={"conditions": len(conditions), "created": created, "dismissed": closed})


@read_only
async def _open_system_links(work: Work, linked_type: str) -> list[asyncpg.Record]:
    return await work.todos.open_system_links(linked_type)


@transactional
async def _apply(work: Work, conditions: list[Condition], cleared: list[UUID], reasons: list[str]) -> tuple[int, int]:
    """Create the todos of new conditions, close the cleared ones (with their reasons): how many of each."""
    created = await work.todos.create_for_conditions(
        [(c.title, c.description, c.priority, c.environment, c.linked_type, c.linked_id, c.linked_url, c.since)
         for c in conditions],
        work.settings.primary_user,
    )
    closed = await work.todos.close_cleared(cleared, reasons)
    if created or closed:
        await work.changes.announce([uris.TODOS, *(uris.todo(str(r["id"])) for r in closed)])
    return len(created), len(closed)


async def _publish(services: BusServices, report: ScanReport) -> None:
    scanner = services.scanner
    unavailable = frozenset(s.name for s in report.sources if s.status == "unavailable")
    changed = unavailable != scanner.unavailable
    scanner.unavailable = unavailable
    if not (report.created or report.dismissed or changed):
        return
    try:
        await events.publish(
            services,
            "bus.scan",
            {
                "created": report.created,
                "dismissed": report.dismissed,
                "unavailable": {s.name: s.reason for s in report.sources if s.status == "unavailable"},
            },
            severity="warning" if unavailable else "info",
            source=scanner.holder,
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
