"""odm-mcp prompts from ``prompts/``: plan_ticket (with the ticket and its tasks), triage_ideas (the ideas due),
escalate_to_human (with the task), spawn_agent (with the template) and
morning_brief (with the daily execution report and the open escalations)."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

from odm.domain.report import ReportQuery
from odm.domain.report_render import cell
from odm.services import escalation_reads, ideas, report, runtimes, templates, tickets
from odm.services import tasks as task_service
from servers.app.prompts import install_prompt
from servers.kernel.errors import describe_exception
from servers.odm._context import services

__all__ = ["register"]


def register(server: MCPServer) -> None:
    """Serve the prompts of odm-mcp on ``server``."""
    install_prompt(server, "plan_ticket", _plan_ticket_values)
    install_prompt(server, "triage_ideas", _triage_values)
    install_prompt(server, "escalate_to_human", _escalate_values)
    install_prompt(server, "morning_brief", _brief_values)
    install_prompt(server, "spawn_agent", _spawn_values)


async def _spawn_values(ctx: Context, args: dict[str, str]) -> dict[str, str]:
    key = args.get("template", "")
    try:
        t = await templates.get_template(services(ctx), key)
        running = await runtimes.list_runtimes(services(ctx), limit=200)
    except Exception as exc:
        text = f"(template {key} could not be read: {describe_exception(exc, action='prompt spawn_agent')})"
        return {"template_summary": text, "running": "unknown", "parent_hint": ""}
    policy, cost = t.spawn_policy, t.cost_profile
    binding = ", ".join(f"{k} {v}" for k, v in (("provider", t.default_provider), ("model", t.default_model),
                                                ("auth", t.default_auth_method), ("account", t.default_auth_account))
                        if v) or "none (give provider and model)"
    limits = (f"parent required: {'yes' if policy.parent_required else 'no'}; max_children per runtime: "
              f"{policy.max_children if policy.max_children is not None else 'unlimited'}; max_parallel_runs: "
              f"{policy.max_parallel_runs if policy.max_parallel_runs is not None else 'unlimited'}")
    summary = (f"Template {t.agent_id} v{t.version} ({t.id}): {t.name}{' - the master' if t.is_master else ''}\n"
               f"Roles: {', '.join(t.roles)}\n{t.description or '(no description)'}\n"
               f"Responsibilities: {'; '.join(t.responsibilities) or 'none listed'}\n"
               f"Allowed tools: {', '.join(t.allowed_tools) or 'any'}; skills: {', '.join(t.required_skills) or 'none'}\n"
               f"Execution modes: {', '.join(t.execution_modes) or 'unspecified'}\nDefault binding: {binding}\n"
               f"Spawn policy: {limits}\nCost profile: priority {cost.priority}, max per run "
               f"{cost.max_cost_per_run if cost.max_cost_per_run is not None else 'unset'}, tier "
               f"{cost.preferred_cost_tier or 'unset'}")
    mine = [f"{r.id} [{r.status_state}, {r.health_state}]" for r in running.items if r.agent_template_id == t.id]
    hint = ("It needs a parent: give parent_runtime_id, the runtime that spawns it (usually yours)."
            if policy.parent_required else "A parent is optional: give parent_runtime_id when you spawn it as a child.")
    return {"template_summary": summary, "running": ", ".join(mine) or "none", "parent_hint": hint}


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


async def _escalate_values(ctx: Context, args: dict[str, str]) -> dict[str, str]:
    key = args.get("task_id", "")
    reason = args.get("reason") or "(not given: say it in the summary)"
    try:
        task = await task_service.get_task(services(ctx), key)
        page = await escalation_reads.list_escalations(services(ctx), "open")
    except Exception as exc:
        return {"task_summary": f"(task {key} could not be read: {describe_exception(exc, action='prompt escalate_to_human')})",
                "reason": reason, "open_escalations": "unknown"}
    criteria = "; ".join(task.acceptance_criteria) or "none listed"
    constraints = "; ".join(task.constraints) or "none"
    summary = (f"Task {task.id}: {task.title} ({task.status_state}, priority {task.priority}, held by "
               f"{task.claimed_by or 'nobody'})\nObjective: {task.objective}\nAcceptance criteria: {criteria}\n"
               f"Constraints from earlier decisions: {constraints}")
    mine = [f"{e['id']} ({e['status_state']}): {e['summary']}" for e in page["items"] if e["task_id"] == task.id]
    return {"task_summary": summary, "reason": reason,
            "open_escalations": "; ".join(mine) or "none (a task may have one open escalation at a time)"}


def _lines(rows: list[dict[str, Any]], fmt: str, empty: str, limit: int = 30) -> str:
    shown = [f"- {fmt.format(**{k: cell(v) for k, v in r.items()})}" for r in rows[:limit]]
    if len(rows) > limit:
        shown.append(f"- ... and {len(rows) - limit} more")
    return "\n".join(shown) or f"- {empty}"


async def _brief_values(ctx: Context, args: dict[str, str]) -> dict[str, str]:
    odm = services(ctx)
    try:
        out = await report.execution_report(odm, ReportQuery(timeframe="daily", ticket_id=args.get("ticket_id") or None))
    except Exception as exc:
        text = f"(the report could not be built: {describe_exception(exc, action='prompt morning_brief')})"
        return dict.fromkeys(("audience", "window", "summary", "escalations", "blocked", "completed", "cost"), text)
    data = out.report
    sections, s = data["sections"], data["summary"]
    summary = (f"{s['tasks_completed']} task(s) completed, {s['decisions']} human decision(s), {s['interventions']} "
               f"override(s), {s['escalations_open']} open escalation(s), {s['open_items']} open task(s) of which "
               f"{s['blocked']} blocked; {s['activities']} activities, cost {cell(s['cost'])} USD"
               f"{' (incomplete: some costs unknown)' if s['cost_incomplete'] else ''}, {cell(s['minutes'])} min")
    waiting = [e for e in sections["escalations"] if e["open"]]
    return {
        "audience": odm.settings.primary_user,
        "window": f"{cell(data['from'])} to {cell(data['to'])}",
        "summary": summary,
        "escalations": _lines(waiting, "{id} on task {task_id} [{urgency}, {trigger_type}] since {created_at}: {summary}",
                              "none waiting"),
        "blocked": _lines([t for t in sections["open_items"] if t["blocked"]], "{id} [{status_state}] {title}", "none"),
        "completed": _lines(sections["completed_work"], "{id} (ticket {ticket_id}, {agent}) {title}", "nothing completed"),
        "cost": _lines(sections["cost_by_agent"], "{agent}: {cost} USD over {activities} activities, {minutes} min",
                       "no activities recorded"),
    }
