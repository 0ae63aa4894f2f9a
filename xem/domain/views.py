"""What the bridge answers about invocations and approvals (pydantic: the MCP tools return these as they are)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from xem.domain.invocations import InvocationState

__all__ = ["ApprovalView", "ForkPoint", "InvocationResult", "InvocationView", "KnownGood", "Learnings", "approval_view",
           "invocation_view"]


class InvocationResult(BaseModel):
    status: str
    exit_code: int | None
    stdout: str
    stderr: str
    truncated: bool
    duration_ms: int
    error: str | None = None


class ApprovalView(BaseModel):
    id: str
    state: Literal["pending", "approved", "rejected", "timeout", "escalated"]
    level: int
    assignee: str | None
    due_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    via: str | None = None


class ForkPoint(BaseModel):
    """Where the caller's conversation can roll back to: left before a destructive or irreversible call."""

    id: str
    branch_ref: str | None
    at: datetime


class KnownGood(BaseModel):
    params: dict[str, Any]
    successes: int
    failures: int
    last_success_at: datetime | None
    last_failed: bool  # its most recent run failed: ranked after the others


class Learnings(BaseModel):
    tool: str
    items: list[KnownGood]


class InvocationView(BaseModel):
    id: str
    tool: str
    workspace: str
    risk: Literal["read", "write", "destructive", "irreversible"]
    arguments: dict[str, Any]
    state: InvocationState
    agent: str | None
    idempotency_key: str | None = None
    task_id: str | None = None
    created_at: datetime
    dispatched_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: InvocationResult | None = None
    error: str | None = None
    approval: ApprovalView | None = None
    resolution: dict[str, Any] | None = None
    late_result: bool = False
    traceparent: str | None = None
    fork_point: ForkPoint | None = None
    template: str | None = None  # "name@version (scope owner)" of the chat template it ran under
    subplan: str | None = None  # the sub-plan it took an iteration of


def approval_view(row: Any) -> ApprovalView:
    return ApprovalView(id=str(row["id"]), state=row["state"], level=row["level"], assignee=row["assignee"],
                        due_at=row["due_at"], decided_at=row["decided_at"], decided_by=row["decided_by"],
                        reason=row["reason"], via=row["via"])


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


def invocation_view(row: Any, approval: Any | None = None, *, output_limit: int = 16_000) -> InvocationView:
    result = None
    if row["result"] is not None:
        raw = json.loads(row["result"])
        stdout, cut_out = _cut(raw.get("stdout") or "", output_limit)
        stderr, cut_err = _cut(raw.get("stderr") or "", output_limit)
        result = InvocationResult(status=raw.get("status", "?"), exit_code=raw.get("exit_code"), stdout=stdout, stderr=stderr,
                                  truncated=bool(raw.get("truncated")) or cut_out or cut_err,
                                  duration_ms=int(raw.get("duration_ms") or 0), error=raw.get("error"))
    trace = json.loads(row["trace_context"]) if row["trace_context"] else {}
    return InvocationView(
        id=str(row["id"]), tool=f"{row['workspace']}__{row['tool']}", workspace=row["workspace"], risk=row["risk"],
        arguments=json.loads(row["arguments_redacted"] or row["arguments"]),  # secrets stay with the agent
        state=row["state"], agent=row["agent_name"], idempotency_key=row["idempotency_key"], task_id=row["task_id"],
        created_at=row["created_at"], dispatched_at=row["dispatched_at"], started_at=row["started_at"],
        finished_at=row["finished_at"], result=result, error=row["error"],
        approval=approval_view(approval) if approval is not None else None,
        resolution=json.loads(row["resolution"]) if row["resolution"] else None, late_result=row["late_result"],
        traceparent=trace.get("traceparent"), template=_template_of(row),
        subplan=str(row["subplan_id"]) if _has(row, "subplan_id") and row["subplan_id"] else None,
    )


def _has(row: Any, key: str) -> bool:
    return key in row.keys()


def _template_of(row: Any) -> str | None:
    if not _has(row, "template_name") or not row["template_name"]:
        return None
    where = "platform" if row["template_scope"] == "platform" else f"{row['template_scope']} {row['template_owner']}"
    return f"{row['template_name']}@{row['template_version']} ({where})"
