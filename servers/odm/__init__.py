"""odm-mcp: the Operational Domain Model (projects, sprints, tickets, tasks, ideas, threads, claims, accounting,
research and knowledge, the scheduler; execution: templates, runtimes, sessions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from odm.bootstrap import open_services
from odm.services import OdmServices
from odm.settings import OdmSettings
from servers.app import Runtime, ServerSpec, SuiteServer, ToolRegistry
from servers.odm import (
    accounting,
    claims,
    completions,
    escalations,
    evolution,
    execution,
    ideas,
    knowledge,
    projects,
    prompts,
    registry,
    reports,
    resources,
    scheduler,
    search,
    tasks,
    tickets,
    transitions,
)
from servers.runtime.settings import load

__all__ = ["SPEC", "TOOLSETS", "tools"]

TOOLSETS = {
    "default": "plan and track work: projects, tickets, tasks, transitions, claims, escalations and decisions, "
               "activities, the execution report, evolution, search",
    "planning": "sprints, ideas, discussion threads, topics, users, hosts, rosters, imports, assignment, lists",
    "claims": "claim administration for the Bus or an operator: renew or release all claims of an agent",
    "accounting": "activities in batches, their completion and evaluations, activity lists, budgets and cost caps",
    "execution": "who works and where (agent templates, execution surfaces, runtimes, sessions, interventions) and the "
                 "scheduler (schedule tasks and research tasks, due_schedules for orchestrators, events, cancel)",
    "knowledge": "research tasks and their outputs, knowledge objects (content by reference)",
}
_GROUPS = (projects, tickets, tasks, transitions, claims, escalations, accounting, reports, evolution, search, ideas,
           registry, knowledge, scheduler, execution)
tools = ToolRegistry(TOOLSETS, [m.tools for m in _GROUPS])


def register(server: SuiteServer) -> None:
    resources.register(server)
    prompts.register(server)


@asynccontextmanager
async def odm_services(runtime: Runtime) -> AsyncIterator[OdmServices]:
    """Read the ODM settings, put the primary user in place and run the claim-expiry sweeper."""
    settings = load(OdmSettings)
    async with open_services(runtime.pool, settings) as services:
        yield services


SPEC = ServerSpec(
    program="odm-mcp",
    name="xiopro-odm",
    title="XIOPro ODM",
    database="odm",
    schema="public",
    instructions=(
        "The XIOPro Operational Domain Model: projects, tickets (1001, ...) and tasks (1001.01, ...) with "
        "explicit lifecycles (odm://lifecycles/{kind}). Agents call next_task to claim work and pass its "
        "claim_token back with update_task/transition. Errors start with [code]."
    ),
    tools=tools,
    default_port=8702,
    json_response=True,
    register=register,
    completions=completions.TABLE,
    services=odm_services,
)

