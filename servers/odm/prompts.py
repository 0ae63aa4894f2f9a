"""odm-mcp prompts from ``prompts/``: plan_ticket (with the ticket and its tasks) and triage_ideas (the ideas due)."""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

from odm.services import ideas, tickets
from servers.app.prompts import install_prompt
from servers.kernel.errors import describe_exception
from servers.odm._context import services

__all__ = ["register"]


def register(server: MCPServer) -> None:
    """Serve the prompts of odm-mcp on ``server``."""
    install_prompt(server, "plan_ticket", _plan_ticket_values)
    install_prompt(server, "triage_ideas", _triage_values)


async def _plan_ticket_values(ctx: Context, args: dict[str, str]) -> dict[str, str]:
    key = args.get("ticket_id", "")
    try:
        detail = await tickets.get_ticket(services(ctx), key)
    except Exception as exc:
        return {"ticket_summary": f"(ticket {key} could not be read: {describe_exception(exc, action='prompt plan_ticket')})",
                "ticket_plan": "unknown"}
    existing = "\n".join(f"- {t.id} [{t.status_state}] {t.title}" for t in detail.tasks) or "- (no tasks yet)"
    plan = ", ".join(f"{name} {value:g}" for name, value in (("cost", detail.plan_cost), ("minutes", detail.plan_duration))
                     if value is not None) or "no plan set"
    summary = (f"Ticket {detail.id}: {detail.title} ({detail.status_state}, priority {detail.priority})\n\n"
               f"{detail.description or '(no description)'}\n\nExisting tasks:\n{existing}")
    return {"ticket_summary": summary, "ticket_plan": plan}


async def _triage_values(ctx: Context, args: dict[str, str]) -> dict[str, str]:
    try:
        limit = max(1, min(200, int(args.get("limit") or 20)))
    except ValueError:
        limit = 20
    page = await ideas.list_ideas(services(ctx), due_for_review=True, limit=limit)
    lines = [f"- {i.id} [{i.status}] {i.title} (priority {i.priority or 'unset'}, review {i.review_cycle or 'unset'})"
             for i in page.items]
    return {"due_ideas": "\n".join(lines) or "- (none due)", "due_count": str(len(page.items))}
