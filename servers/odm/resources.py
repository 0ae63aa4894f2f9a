"""odm-mcp resources: tickets, tasks, ready work, lifecycles, escalations, the task and escalation feeds.

Resources cost an agent no tool-definition context and are served whatever the toolsets. The
task feed is the contract the Bus reads (see the README): JSON ``{"items": [...], "next_cursor"}``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError

from odm.domain.lifecycles import LIFECYCLES, describe_follows
from odm.domain.report import ReportQuery
from odm.services import budgets, escalation_reads, knowledge, reads, report, tickets
from odm.services import tasks as task_service
from servers.kernel.errors import describe_exception
from servers.odm import execution_reads
from servers.odm._context import services, with_keyword_argument

__all__ = ["register"]

JSON = "application/json"


async def _answer(uri: str, work: Awaitable[Any]) -> str:
    """Await ``work`` and return it as JSON; failures become ``[code] message`` resource errors."""
    try:
        value = await work
    except Exception as exc:
        raise ResourceError(describe_exception(exc, action=f"resource {uri}")) from None
    if hasattr(value, "model_dump_json"):
        return value.model_dump_json()
    return json.dumps(value, default=str)


def register(server: MCPServer) -> None:
    """Serve the resources of odm-mcp on ``server``."""
    execution_reads.register(server, _answer)

    @server.resource("odm://tickets/{id}", name="ticket", title="Ticket", mime_type=JSON,
                     description="A ticket with its tasks (compact), sub-tickets, plan and evolution lineage.")
    async def ticket(id: str, ctx: Context) -> str:
        return await _answer(f"odm://tickets/{id}", tickets.get_ticket(services(ctx), id))

    @server.resource("odm://tasks/{id}", name="task", title="Task", mime_type=JSON,
                     description="A task in full: spec, dependencies (depends_on/blocks), claim, spec_stale flag.")
    async def task(id: str, ctx: Context) -> str:
        return await _answer(f"odm://tasks/{id}", task_service.get_task(services(ctx), id))

    @server.resource("odm://ready{?project_id}", name="ready", title="Ready tasks", mime_type=JSON,
                     description="Tasks next_task would hand out, in that order (compact, at most 200).")
    async def ready(ctx: Context, project_id: str | None = None) -> str:
        return await _answer("odm://ready", reads.ready_tasks(services(ctx), project_id or None))

    @server.resource("odm://research/{id}", name="research_task", title="Research task", mime_type=JSON,
                     description="A research task with its latest output (by reference), knowledge objects and schedules.")
    async def research(id: str, ctx: Context) -> str:
        return await _answer(f"odm://research/{id}", knowledge.get_research_task(services(ctx), id))

    @server.resource("odm://knowledge/{id}", name="knowledge_object", title="Knowledge object", mime_type=JSON,
                     description="A knowledge object: content_ref, sha256 and size (or a small inline body), version.")
    async def knowledge_object(id: str, ctx: Context) -> str:
        return await _answer(f"odm://knowledge/{id}", knowledge.get_knowledge_object(services(ctx), id))

    @server.resource("odm://lifecycles/{kind}", name="lifecycle", title="Lifecycle", mime_type=JSON,
                     description="Allowed (status, state) pairs and transitions of project, sprint, ticket, task, "
                                 "discussion_thread, idea, escalation, research_task, knowledge_object, runtime or session; "
                                 "reserved moves name the tool that makes them; "
                                 "automatic: the moves the ODM makes itself (parents following their children, blocked "
                                 "dependents).")
    async def lifecycle(kind: str) -> str:
        if kind not in LIFECYCLES:
            raise ResourceError(f"[not_found] no lifecycle for {kind!r}; kinds: {', '.join(LIFECYCLES)}")
        return json.dumps(LIFECYCLES[kind].describe() | {"automatic": describe_follows(kind)})

    @server.resource("odm://feeds/tasks{?status_state,claimed_by,in_progress_over_s,cursor,limit}",
                     name="task_feed", title="Task feed", mime_type=JSON,
                     description="Tasks filtered by status_state (comma list), claimed_by, in_progress_over_s "
                                 "(execute.active and started longer ago); limit default 200, max 1000; cursor.")
    async def task_feed(ctx: Context, status_state: str | None = None, claimed_by: str | None = None,
                        in_progress_over_s: str | None = None, cursor: str | None = None,
                        limit: str | None = None) -> str:
        return await _answer("odm://feeds/tasks", reads.task_feed(
            services(ctx), status_state=status_state, claimed_by=claimed_by, in_progress_over_s=in_progress_over_s,
            cursor=cursor, limit=limit))

    @server.resource("odm://feeds/budgets{?cursor,limit}", name="budget_feed", title="Budget feed", mime_type=JSON,
                     description="Tasks, tickets, sprints and projects whose budget_status is warning, exceeded or "
                                 "blocked: id (scope:id), planned_cost, actual_cost, budget_status; limit max 1000.")
    async def budget_feed(ctx: Context, cursor: str | None = None, limit: str | None = None) -> str:
        return await _answer("odm://feeds/budgets", budgets.budget_feed(services(ctx), cursor=cursor, limit=limit))

    @server.resource("odm://escalations{?status}", name="escalations", title="Escalations", mime_type=JSON,
                     description="Escalation requests, oldest first (at most 200); status: open (default all), closed, "
                                 "or an escalation status, state or status.state.")
    async def escalation_list(ctx: Context, status: str | None = None) -> str:
        return await _answer("odm://escalations", escalation_reads.list_escalations(services(ctx), status or None))

    @server.resource("odm://escalations/{id}", name="escalation", title="Escalation", mime_type=JSON,
                     description="An escalation request with its questions, options, allowed decisions and decisions.")
    async def escalation(id: str, ctx: Context) -> str:
        return await _answer(f"odm://escalations/{id}", escalation_reads.get_escalation(services(ctx), id))

    @server.resource("odm://feeds/escalations{?status,task_id,agent_id,cursor,limit}", name="escalation_feed",
                     title="Escalation feed", mime_type=JSON,
                     description="Escalations for the Bus: status=pending (still waiting for a human), task_id, agent_id "
                                 "(opened by it or on a task it holds); limit default 200, max 1000; cursor.")
    async def escalation_feed(ctx: Context, status: str | None = None, task_id: str | None = None,
                              agent_id: str | None = None, cursor: str | None = None, limit: str | None = None) -> str:
        return await _answer("odm://feeds/escalations", escalation_reads.escalation_feed(
            services(ctx), status=status, task_id=task_id, agent_id=agent_id, cursor=cursor, limit=limit))

    async def execution_summary(ctx: Context, timeframe: str | None = None, to: str | None = None,
                                agent_id: str | None = None, ticket_id: str | None = None, **window: str) -> str:
        async def build() -> dict[str, Any]:
            query = ReportQuery.model_validate({"timeframe": timeframe or "daily", "from_": window.get("from") or None,
                                                "to": to or None, "agent_id": agent_id or None,
                                                "ticket_id": ticket_id or None})
            out = await report.execution_report(services(ctx), query)
            return out.report or {}

        return await _answer("odm://reports/execution-summary", build())

    server.resource("odm://reports/execution-summary{?timeframe,from,to,agent_id,ticket_id}",
                    name="execution_summary", title="Execution report", mime_type=JSON,
                    description="The execution report (§14A) as JSON: timeframe realtime, hourly, session, daily "
                                "(default), sprint or custom (from, to); agent_id, ticket_id filters.")(
        with_keyword_argument(execution_summary, "from", str | None, after="timeframe"))
