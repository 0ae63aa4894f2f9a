"""The execution report (§14A): a derived view assembled on demand from tasks, tickets, escalations, human
decisions, override records and activities, in one read-only snapshot; json, markdown or html."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from odm.domain.report import ReportOut, ReportQuery, window
from odm.domain.report_render import render_html, render_markdown
from odm.services._work import Work, need, read_only

__all__ = ["LIST_LIMIT", "build_report", "execution_report"]

LIST_LIMIT = 500  # rows per list section (the report says how many more there were)
GROUP_LIMIT = 200  # rows per cost table (the largest first)


@read_only
async def execution_report(w: Work, query: ReportQuery) -> ReportOut:
    """The report for the query's timeframe, rendered in its format.

    Raises:
        InvalidArgument: a malformed or reversed time range, from/to where the timeframe takes none.
        NotFound: ticket_id names no ticket.
    """
    report = await build_report(w, query)
    if query.format == "markdown":
        return ReportOut(format="markdown", text=render_markdown(report))
    if query.format == "html":
        return ReportOut(format="html", text=render_html(report))
    return ReportOut(format="json", report=report)


async def build_report(w: Work, query: ReportQuery) -> dict[str, Any]:
    """The report as JSON-ready data (inside the caller's snapshot)."""
    if query.ticket_id:
        need(await w.tickets.get(query.ticket_id), "ticket", query.ticket_id)
    now = await w.now()
    sprint = await w.report.sprint_window(query.ticket_id) if query.timeframe == "sprint" else None
    start, end = window(query, now, sprint)
    ticket, agent = query.ticket_id, query.agent_id
    truncated: dict[str, int] = {}

    def rows(key: str, records: list[asyncpg.Record], limit: int) -> list[dict[str, Any]]:
        total = records[0]["total_rows"] if records else 0
        if total > limit:
            truncated[key] = total - limit
        return [_json({k: v for k, v in r.items() if k not in ("total_rows", "blocked_rows")}) for r in records[:limit]]

    completed = await w.report.completed(start, end, ticket, agent, LIST_LIMIT)
    open_records = await w.report.open_items(ticket, agent, LIST_LIMIT)
    escalation_records = await w.report.escalations(start, end, ticket, agent, LIST_LIMIT)
    sections: dict[str, list[dict[str, Any]]] = {
        "completed_work": rows("completed_work", completed, LIST_LIMIT),
        "decisions": rows("decisions", await w.report.decisions(start, end, ticket, agent, LIST_LIMIT), LIST_LIMIT),
        "interventions": rows("interventions", await w.report.interventions(start, end, ticket, LIST_LIMIT), LIST_LIMIT),
        "escalations": rows("escalations", escalation_records, LIST_LIMIT),
        "open_items": rows("open_items", open_records, LIST_LIMIT),
        "ticket_progress": rows("ticket_progress", await w.report.ticket_progress(start, end, ticket, GROUP_LIMIT),
                                GROUP_LIMIT),
    }
    totals = await w.report.activity_totals(start, end, ticket, agent)
    overall = next((r for r in totals if r["grouping"] == "all"), None)
    sections.update(await _cost_sections(w, totals, truncated))
    sections["agent_utilisation"] = _utilisation(sections["cost_by_agent"], sections["completed_work"],
                                                 await w.report.held_claims(), start, end, agent)
    summary = {
        "tasks_completed": completed[0]["total_rows"] if completed else 0,
        "decisions": len(sections["decisions"]) + truncated.get("decisions", 0),
        "interventions": len(sections["interventions"]) + truncated.get("interventions", 0),
        "escalations_open": sum(1 for e in sections["escalations"] if e["open"]),
        "open_items": open_records[0]["total_rows"] if open_records else 0,
        "blocked": open_records[0]["blocked_rows"] if open_records else 0,
        "activities": overall["activities"] if overall else 0,
        "cost": _money(overall["cost"]) if overall and overall["cost"] is not None else 0.0,
        "cost_incomplete": bool(overall and overall["cost_unknown"]),
        "minutes": round(int(overall["duration_ms"]) / 60000, 2) if overall else 0.0,
    }
    return {
        "timeframe": query.timeframe, "from": start.isoformat(), "to": end.isoformat(), "generated_at": now.isoformat(),
        "filters": {"agent_id": agent, "ticket_id": ticket}, "summary": summary, "sections": sections,
        "truncated": truncated,
    }


async def _cost_sections(w: Work, totals: list[asyncpg.Record], truncated: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    by = {g: [r for r in totals if r["grouping"] == g] for g in ("agent", "task", "ticket")}
    for records in by.values():
        records.sort(key=lambda r: (-(r["cost"] or 0), -int(r["duration_ms"]), str(r["agent"] or r["task_id"] or r["ticket_id"])))
    for name, key in (("task", "cost_by_task"), ("ticket", "cost_by_ticket")):
        if len(by[name]) > GROUP_LIMIT:
            truncated[key] = len(by[name]) - GROUP_LIMIT
            by[name] = by[name][:GROUP_LIMIT]
    titles = await w.report.titles([r["task_id"] for r in by["task"]], [r["ticket_id"] for r in by["ticket"]])

    def line(r: asyncpg.Record, **ident: Any) -> dict[str, Any]:
        return {**ident, "activities": r["activities"], "cost": _money(r["cost"]),
                "estimated_cost": _money(r["estimated_cost"]), "cost_unknown": r["cost_unknown"],
                "minutes": round(int(r["duration_ms"]) / 60000, 2), "tokens": int(r["tokens"])}

    return {
        "cost_by_agent": [line(r, agent=r["agent"]) for r in by["agent"]],
        "cost_by_task": [line(r, task_id=r["task_id"], ticket_id=r["ticket_id"], title=titles.get(r["task_id"]))
                         for r in by["task"]],
        "cost_by_ticket": [line(r, ticket_id=r["ticket_id"], title=titles.get(r["ticket_id"])) for r in by["ticket"]],
    }


def _utilisation(by_agent: list[dict[str, Any]], completed: list[dict[str, Any]], held: dict[str, int],
                 start: datetime, end: datetime, only: str | None) -> list[dict[str, Any]]:
    span = (end - start).total_seconds() / 60
    agents = {a["agent"] for a in by_agent} | {c["agent"] for c in completed if c["agent"]} | set(held)
    if only:
        agents &= {only}
    cost = {a["agent"]: a for a in by_agent}
    out = []
    for agent in sorted(agents):
        active = cost[agent]["minutes"] if agent in cost else 0.0
        out.append({"agent": agent, "activities": cost[agent]["activities"] if agent in cost else 0,
                    "active_minutes": active, "idle_minutes": round(max(span - active, 0.0), 2),
                    "utilisation_pct": round(min(active / span * 100, 100.0), 1) if span else None,
                    "tasks_completed": sum(1 for c in completed if c["agent"] == agent),
                    "tasks_held": held.get(agent, 0), "cost": cost[agent]["cost"] if agent in cost else None})
    return out


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 6))


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else _money(v) if isinstance(v, Decimal) else v)
            for k, v in row.items()}
