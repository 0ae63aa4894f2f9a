"""Argument completion for odm-mcp's resource templates and prompts: ticket, task and project ids,
lifecycle kinds and task states."""

from __future__ import annotations

from typing import Any

from odm.domain.lifecycles import LIFECYCLES
from odm.services import reads
from servers.app.completions import Completer, CompletionKey, choose

__all__ = ["TABLE"]


def _ids(kind: str) -> Completer:
    async def completer(runtime: Any, prefix: str, _others: dict[str, str]) -> list[str]:
        return await reads.ids_starting(runtime.services, kind, prefix)

    return completer


FEED = "odm://feeds/tasks{?status_state,claimed_by,in_progress_over_s,cursor,limit}"
TABLE: dict[CompletionKey, Completer] = {
    ("resource", "odm://tickets/{id}", "id"): _ids("ticket"),
    ("resource", "odm://tasks/{id}", "id"): _ids("task"),
    ("resource", "odm://ready{?project_id}", "project_id"): _ids("project"),
    ("resource", "odm://lifecycles/{kind}", "kind"): choose(sorted(LIFECYCLES)),
    ("resource", FEED, "status_state"): choose(sorted(LIFECYCLES["task"].pairs)),
    ("resource", FEED, "limit"): choose(["20", "200", "1000"]),
    ("prompt", "plan_ticket", "ticket_id"): _ids("ticket"),
    ("prompt", "triage_ideas", "limit"): choose(["10", "20", "50", "200"]),
}

