"""Condition sources read from the ODM API: stale tasks, pending approvals, escalations, budgets.

Tasks and approvals come from ``odm://feeds/tasks`` (the approval source also reads the pending XEM approval
requests from the bus database, ``bus.store.xem_approvals``), escalations from ``odm://feeds/escalations`` and
budgets from ``odm://feeds/budgets``. An ODM that does not offer a feed makes its source report itself
unsupported (and so dismiss nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bus.domain.scans import Condition
from bus.errors import Unavailable
from bus.services._work import Work, read_only
from bus.services.scanner.sources import PartialRead, ScanInputs, Source

__all__ = ["BudgetSource", "EscalationSource", "PendingApprovalSource", "StaleTaskSource", "odm_sources"]

_PRIORITY = {"critical": "critical", "urgent": "critical", "high": "high", "normal": "medium", "medium": "medium", "low": "low"}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _ident(item: dict[str, Any]) -> str | None:
    value = item.get("id")
    return str(value) if value not in (None, "") else None


class StaleTaskSource:
    """Tasks in progress longer than ``after_s`` (24 h by default), and tasks blocked by a dependency that will
    never complete (``plan.blocked``: cancelled or failed), with the ODM's reason."""

    name = "odm.tasks.stale"
    linked_type = "task"

    def __init__(self, after_s: float) -> None:
        self.after_s = after_s
        self._blocked: set[str] = set()  # blocked at the last read of this process
        self._released: set[str] = set()  # blocked at the read before, not any more: cleared as released

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        odm = await inputs.odm()
        items = await odm.feed("tasks", in_progress_over_s=int(self.after_s))
        hours = self.after_s / 3600
        conditions = []
        for item in items:
            task_id = _ident(item)
            if task_id is None:
                continue
            started = _when(item.get("started_at"))
            since_text = f" since {started:%Y-%m-%d %H:%M} UTC" if started else ""
            claimed = f"; claimed by {item['claimed_by']}" if item.get("claimed_by") else ""
            conditions.append(
                Condition(
                    linked_type="task",
                    linked_id=task_id,
                    title=f"Task {task_id} in progress{since_text} (over {hours:g} h): {item.get('title', '')}"[:300],
                    priority="high" if _PRIORITY.get(str(item.get("priority"))) in ("critical", "high") else "medium",
                    description=f"status {item.get('status_state', '?')}{claimed}",
                    linked_url=f"odm://tasks/{task_id}",
                    since=started,
                )
            )
        stale, blocked = {c.linked_id for c in conditions}, set()
        for item in await odm.feed("tasks", status_state="plan.blocked"):
            task_id = _ident(item)
            if task_id is None or task_id in stale:
                continue
            reason = item.get("blocked_reason") or "a dependency will not complete"
            blocked.add(task_id)
            conditions.append(
                Condition(
                    linked_type="task",
                    linked_id=task_id,
                    title=f"Task {task_id} is blocked: {item.get('title', '')}"[:300],
                    priority="high",
                    description=f"{reason} (ticket {item.get('ticket_id', '?')})"[:2000],
                    linked_url=f"odm://tasks/{task_id}",
                    since=_when(item.get("updated_at")),
                )
            )
        self._blocked, self._released = blocked, self._blocked - blocked
        return conditions

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        return {t: f"task {t} is no longer blocked (its dependency was removed or revived, or it was cancelled)"
                if t in self._released else f"task {t} is no longer in progress for over {self.after_s / 3600:g} h"
                for t in linked_ids}


@read_only
async def _xem_pending(work: Work) -> list[Any]:
    rows: list[Any] = await work.xem_approvals.pending()
    return rows


@read_only
async def _xem_states(work: Work, ids: list[uuid.UUID]) -> dict[str, Any]:
    states: dict[str, Any] = await work.xem_approvals.states(ids)
    return states


def _xem_id(linked_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(linked_id)
    except ValueError:
        return None


class PendingApprovalSource:
    """Tasks waiting for a human approval (``approval.waiting``) and pending XEM approval requests (gated tool
    calls, read from the bus database). An ODM that cannot be read leaves the XEM approvals working: the read
    is partial and only the ODM tasks' todos are kept as they are."""

    name = "odm.tasks.approval"
    linked_type = "approval"

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        xem = [
            Condition(
                linked_type="approval",
                linked_id=str(r["id"]),
                title=f"Approve or reject {r['workspace']}__{r['tool']} ({r['risk']}): xeroctl approvals approve {r['id']}"[:300],
                priority="critical" if r["risk"] == "irreversible" else "high",
                description=f"XEM invocation {r['invocation_id']} waits for an approval (asked: "
                            f"{r['assignee'] or 'any operator'}, due {r['due_at']:%Y-%m-%d %H:%M} UTC); "
                            f"`xeroctl approvals reject {r['id']} --reason ...` to refuse it",
                environment="xem",
                since=r["created_at"],
            )
            for r in await _xem_pending(inputs.services)
        ]
        try:
            odm = await inputs.odm()
            items = await odm.feed("tasks", status_state="approval.waiting")
        except Unavailable as exc:  # FeedUnsupported included
            raise PartialRead(xem, str(exc), lambda linked_id: _xem_id(linked_id) is None) from None  # XEM read
        return xem + [
            Condition(
                linked_type="approval",
                linked_id=task_id,
                title=f"Task {task_id} waits for your approval: {item.get('title', '')}"[:300],
                priority="high",
                description=f"ticket {item.get('ticket_id', '?')}, priority {item.get('priority', '?')}",
                linked_url=f"odm://tasks/{task_id}",
                since=_when(item.get("updated_at")),
            )
            for item in items
            if (task_id := _ident(item)) is not None
        ]

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        ids = list(linked_ids)
        xem = [i for i in (_xem_id(t) for t in ids) if i is not None]
        states = await _xem_states(inputs.services, xem) if xem else {}
        reasons = {}
        for t in ids:
            row = states.get(t)
            if row is not None:
                reasons[t] = f"XEM approval {t} was {row['state']}" + (f" by {row['decided_by']}" if row["decided_by"] else "")
            elif _xem_id(t) is not None:
                reasons[t] = f"XEM approval {t} no longer exists"
            else:
                reasons[t] = f"task {t} no longer waits for approval (decided or withdrawn)"
        return reasons


class EscalationSource:
    """Pending escalations (``odm://feeds/escalations?status=pending``); a cleared one says how it was decided."""

    name = "odm.escalations"
    linked_type = "escalation"

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        odm = await inputs.odm()
        items = await odm.feed("escalations", status="pending")
        conditions = []
        for item in items:
            esc_id = _ident(item)
            if esc_id is None:
                continue
            about = f" on task {item['task_id']}" if item.get("task_id") else ""
            severity = str(item.get("severity") or item.get("priority") or "high")
            conditions.append(
                Condition(
                    linked_type="escalation",
                    linked_id=esc_id,
                    title=f"Escalation {esc_id}{about}: {item.get('title') or item.get('summary') or ''}"[:300],
                    priority=_PRIORITY.get(severity, "high"),
                    description=item.get("detail") or item.get("reason"),
                    linked_url=f"odm://escalations/{esc_id}",
                    since=_when(item.get("created_at")),
                )
            )
        return conditions

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        reasons = {}
        for esc_id in linked_ids:
            how = ""
            try:  # the decision, when the ODM can say it; the reason stands without it
                odm = await inputs.odm()
                detail = await odm.read_json(f"odm://escalations/{esc_id}")
                final = [d for d in detail.get("decisions", []) if d.get("decision_type") != "postpone"]
                if final:
                    how = f": {final[-1].get('decision_type')} by {final[-1].get('created_by')}"
                elif detail.get("state"):
                    how = f": {detail['state']}"
            except Exception:
                how = ""
            reasons[esc_id] = f"escalation {esc_id} is no longer pending (resolved{how})"
        return reasons


class BudgetSource:
    """Budgets at or over ``warn_ratio`` of plan (``odm://feeds/budgets``)."""

    name = "odm.budgets"
    linked_type = "budget"

    def __init__(self, warn_ratio: float) -> None:
        self.warn_ratio = warn_ratio

    def _ratio(self, item: dict[str, Any]) -> float | None:
        planned = item.get("planned_cost", item.get("budget"))
        actual = item.get("actual_cost", item.get("spent"))
        if isinstance(planned, int | float) and isinstance(actual, int | float) and planned > 0:
            return actual / planned
        return None

    async def read(self, inputs: ScanInputs) -> list[Condition]:
        odm = await inputs.odm()
        conditions = []
        for item in await odm.feed("budgets"):
            budget_id = _ident(item)
            ratio = self._ratio(item)
            status = str(item.get("budget_status", ""))
            near = status in ("warning", "near_limit", "exceeded", "over") or (ratio is not None and ratio >= self.warn_ratio)
            if budget_id is None or not near:
                continue
            scope = item.get("scope", "budget")
            share = f" at {ratio:.0%} of plan" if ratio is not None else f" ({status})"
            over = status in ("exceeded", "over") or (ratio is not None and ratio >= 1)
            conditions.append(
                Condition(
                    linked_type="budget",
                    linked_id=budget_id,
                    title=f"Budget of {scope} {item.get('scope_id', budget_id)}{share}"[:300],
                    priority="critical" if over else "high",
                    description=item.get("title") or item.get("name"),
                    linked_url=item.get("url"),
                    since=_when(item.get("warned_at")),
                )
            )
        return conditions

    async def cleared_reasons(self, inputs: ScanInputs, linked_ids: Iterable[str]) -> dict[str, str]:
        return {b: f"budget {b} is back under {self.warn_ratio:.0%} of plan" for b in linked_ids}


def odm_sources(*, stale_task_after_s: float, budget_warn_ratio: float) -> list[Source]:
    return [
        StaleTaskSource(stale_task_after_s),
        PendingApprovalSource(),
        EscalationSource(),
        BudgetSource(budget_warn_ratio),
    ]
