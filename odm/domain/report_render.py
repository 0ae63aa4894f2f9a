"""The execution report as markdown and as one self-contained html page: a table per section with its totals,
every value escaped, nothing cut off (long text wraps)."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

from odm.domain.report import SECTIONS

__all__ = ["COLUMNS", "TOTALS", "cell", "render_html", "render_markdown"]

# the columns each section shows (key, heading); the json report has every field of every row
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "completed_work": (("id", "Task"), ("title", "Title"), ("ticket_id", "Ticket"), ("agent", "Agent"),
                       ("completed_at", "Completed"), ("actual_cost", "Cost"), ("actual_duration_minutes", "Minutes")),
    "decisions": (("id", "Decision"), ("escalation_request_id", "Escalation"), ("task_id", "Task"),
                  ("decision_type", "Type"), ("selected_option", "Option"), ("message", "Message"),
                  ("created_by", "By"), ("created_at", "At")),
    "interventions": (("id", "Override"), ("scope_type", "Scope"), ("scope_ref", "Object"), ("override_type", "Type"),
                      ("prior_state_ref", "From"), ("applied_change_ref", "To"), ("reason", "Reason"),
                      ("issued_by", "By"), ("created_at", "At")),
    "escalations": (("id", "Escalation"), ("task_id", "Task"), ("urgency", "Urgency"), ("trigger_type", "Trigger"),
                    ("summary", "Summary"), ("status_state", "Status"), ("created_at", "Opened"),
                    ("resolved_at", "Resolved")),
    "open_items": (("id", "Task"), ("title", "Title"), ("ticket_id", "Ticket"), ("status_state", "Status"),
                   ("blocked", "Blocked"), ("claimed_by", "Agent"), ("priority", "Priority")),
    "ticket_progress": (("id", "Ticket"), ("title", "Title"), ("status_state", "Status"), ("done", "Done"),
                        ("in_progress", "In progress"), ("blocked", "Blocked"), ("todo", "To do"),
                        ("actual_cost", "Cost")),
    "agent_utilisation": (("agent", "Agent"), ("activities", "Activities"), ("active_minutes", "Active min"),
                          ("idle_minutes", "Idle min"), ("utilisation_pct", "Busy %"), ("tasks_completed", "Completed"),
                          ("tasks_held", "Holding"), ("cost", "Cost")),
    "cost_by_agent": (("agent", "Agent"), ("activities", "Activities"), ("cost", "Cost"),
                      ("estimated_cost", "Estimated"), ("cost_unknown", "Unknown cost"), ("minutes", "Minutes"),
                      ("tokens", "Tokens")),
    "cost_by_task": (("task_id", "Task"), ("title", "Title"), ("activities", "Activities"), ("cost", "Cost"),
                     ("estimated_cost", "Estimated"), ("cost_unknown", "Unknown cost"), ("minutes", "Minutes"),
                     ("tokens", "Tokens")),
    "cost_by_ticket": (("ticket_id", "Ticket"), ("title", "Title"), ("activities", "Activities"), ("cost", "Cost"),
                       ("estimated_cost", "Estimated"), ("cost_unknown", "Unknown cost"), ("minutes", "Minutes"),
                       ("tokens", "Tokens")),
}
# the columns whose column sum is the section's total
TOTALS: dict[str, tuple[str, ...]] = {
    "completed_work": ("actual_cost", "actual_duration_minutes"),
    "ticket_progress": ("done", "in_progress", "blocked", "todo", "actual_cost"),
    "agent_utilisation": ("activities", "active_minutes", "tasks_completed", "tasks_held", "cost"),
    "cost_by_agent": ("activities", "cost", "estimated_cost", "cost_unknown", "minutes", "tokens"),
    "cost_by_task": ("activities", "cost", "estimated_cost", "cost_unknown", "minutes", "tokens"),
    "cost_by_ticket": ("activities", "cost", "estimated_cost", "cost_unknown", "minutes", "tokens"),
}
_SUMMARY = (("tasks_completed", "Tasks completed"), ("decisions", "Decisions"), ("interventions", "Overrides"),
            ("escalations_open", "Open escalations"), ("open_items", "Open items"), ("blocked", "Blocked"),
            ("activities", "Activities"), ("cost", "Cost (USD)"), ("minutes", "Time (min)"))


def cell(value: Any) -> str:
    """A value as display text (money and minutes to at most 4 decimals, booleans as yes/no, null as blank)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float | Decimal):
        whole, _, part = f"{Decimal(str(value)):.4f}".partition(".")
        return f"{whole}.{part.rstrip('0').ljust(2, '0')}"  # 2 to 4 decimals: 1.50, 0.0034
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T" and value[4:5] == "-":
        return value[:16].replace("T", " ")  # an ISO timestamp: minutes are enough (UTC)
    return str(value)


def _total(rows: list[dict[str, Any]], key: str) -> Any:
    values = [r.get(key) for r in rows if isinstance(r.get(key), int | float | Decimal) and not isinstance(r.get(key), bool)]
    if not values:
        return None
    if all(isinstance(v, int) for v in values):
        return sum(values)
    return sum((Decimal(str(v)) for v in values), Decimal(0))


def _title(report: dict[str, Any]) -> str:
    where = "".join(f", {k} {v}" for k, v in report.get("filters", {}).items() if v)
    return f"Execution report ({report['timeframe']}{where}): {cell(report['from'])} to {cell(report['to'])} UTC"


def render_markdown(report: dict[str, Any]) -> str:
    """The report as GitHub-flavoured markdown."""
    out = [f"# {_title(report)}", "", f"Generated {cell(report['generated_at'])} UTC.", ""]
    summary = report.get("summary", {})
    out += ["| " + " | ".join(h for _, h in _SUMMARY) + " |", "|" + "---|" * len(_SUMMARY),
            "| " + " | ".join(_md(cell(summary.get(k))) for k, _ in _SUMMARY) + " |", ""]
    if summary.get("cost_incomplete"):
        out += ["Cost is incomplete: some activities have no known cost (unknown is not zero).", ""]
    for key, heading in SECTIONS:
        rows: list[dict[str, Any]] = report["sections"].get(key, [])
        columns = COLUMNS[key]
        out += [f"## {heading} ({len(rows)})", ""]
        if not rows:
            out += ["None.", ""]
            continue
        out.append("| " + " | ".join(h for _, h in columns) + " |")
        out.append("|" + "---|" * len(columns))
        out += ["| " + " | ".join(_md(cell(r.get(k))) for k, _ in columns) + " |" for r in rows]
        if key in TOTALS:
            out.append("| **Total** | " + " | ".join(_md(cell(_total(rows, k))) if k in TOTALS[key] else ""
                                                    for k, _ in columns[1:]) + " |")
        more = report.get("truncated", {}).get(key)
        out += [f"\n{more} more not shown (narrow the timeframe or filter by ticket or agent)." if more else "", ""]
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;font-size:13px;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:20px}.card span{color:#57606a;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px;table-layout:auto}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere;white-space:normal}
th{background:#f6f8fa;white-space:nowrap;overflow-wrap:normal}td.k{white-space:nowrap;overflow-wrap:normal}
tfoot td{font-weight:bold;background:#f6f8fa}td.n{text-align:right;white-space:nowrap}
tbody tr:nth-child(even){background:#fbfcfd}.none{color:#57606a;font-style:italic}.warn{color:#9a6700}
"""


def render_html(report: dict[str, Any]) -> str:
    """The report as one html page (inline css, no scripts); every text is escaped."""
    e = html.escape
    summary = report.get("summary", {})
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{e(_title(report))}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(_title(report))}</h1>", f'<div class="meta">Generated {e(cell(report["generated_at"]))} UTC</div>',
             '<div class="cards">']
    parts += [f'<div class="card"><b>{e(cell(summary.get(k)) or "0")}</b><span>{e(h)}</span></div>' for k, h in _SUMMARY]
    parts.append("</div>")
    if summary.get("cost_incomplete"):
        parts.append('<p class="warn">Cost is incomplete: some activities have no known cost (unknown is not zero).</p>')
    for key, heading in SECTIONS:
        rows: list[dict[str, Any]] = report["sections"].get(key, [])
        columns = COLUMNS[key]
        parts.append(f"<h2>{e(heading)} ({len(rows)})</h2>")
        if not rows:
            parts.append('<p class="none">None.</p>')
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for _, h in columns) + "</tr></thead><tbody>")
        for row in rows:
            parts.append("<tr>" + "".join(_td(row.get(k)) for k, _ in columns) + "</tr>")
        parts.append("</tbody>")
        if key in TOTALS:
            cells = ["<td>Total</td>"] + [_td(_total(rows, k)) if k in TOTALS[key] else "<td></td>" for k, _ in columns[1:]]
            parts.append("<tfoot><tr>" + "".join(cells) + "</tr></tfoot>")
        parts.append("</table>")
        more = report.get("truncated", {}).get(key)
        if more:
            parts.append(f'<p class="warn">{more} more not shown (narrow the timeframe or filter by ticket or agent).</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _td(value: Any) -> str:
    text = cell(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f'<td class="n">{html.escape(text)}</td>'
    keep = " " not in text and len(text) <= 24 or (len(text) == 16 and text[4:5] == "-")  # ids, pairs, times
    return f'<td class="k">{html.escape(text)}</td>' if keep else f"<td>{html.escape(text)}</td>"
