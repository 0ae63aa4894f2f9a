"""``xeroctl approvals`` and ``xeroctl invocations``: decide approval requests, set approval policies, list
invocations and resolve ambiguous mutations (the operator side of the XEM bridge)."""

from __future__ import annotations

import json
import uuid

import click

from servers.cli.xeroctl.agents import _run
from servers.kernel.errors import StartupError
from xem import services
from xem.domain.approvals import ApprovalPolicy
from xem.domain.manifest import RISKS

__all__ = ["approvals", "invocations"]

_OPERATOR = "operator"


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise StartupError("invalid_argument", f"{value!r} is not an id; see `xeroctl approvals list`", exit_status=2) from None


@click.group()
def approvals() -> None:
    """Approval requests of gated tool calls, and the policies that gate them."""


@approvals.command("list")
@click.option("--state", type=click.Choice(["pending", "approved", "rejected", "timeout", "escalated", "all"]),
              default="pending", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_approvals(state: str, as_json: bool) -> None:
    """Approval requests (pending ones by default): id, tool, risk, arguments, who is asked, due time."""
    rows = _run(lambda xem, _s: services.list_approvals(xem, state=None if state == "all" else state))
    for r in rows:
        item = {"id": str(r["id"]), "state": r["state"], "tool": f"{r['workspace']}__{r['tool']}", "risk": r["risk"],
                "invocation": str(r["invocation_id"]), "assignee": r["assignee"], "due_at": r["due_at"].isoformat(),
                "arguments": json.loads(r["arguments"])}
        click.echo(json.dumps(item) if as_json else
                   f"{item['id']}  {r['state']:<9} {item['tool']} ({r['risk']})  due {item['due_at']}  "
                   f"asked: {r['assignee'] or 'any operator'}  args {json.dumps(item['arguments'])[:80]}")


def _decide(approval_id: str, decision: str, reason: str | None) -> None:
    view = _run(lambda xem, _s: services.decide_approval(xem, _id(approval_id), decision, by=_OPERATOR,  # type: ignore[arg-type]
                                                         reason=reason, via="xeroctl"))
    click.echo(f"approval {approval_id} {decision}; invocation {view.id} is {view.state}")


@approvals.command("approve")
@click.argument("approval_id")
@click.option("--reason", default=None, help="recorded with the decision")
def approve(approval_id: str, reason: str | None) -> None:
    """Approve a pending request: the invocation is dispatched to an online agent."""
    _decide(approval_id, "approved", reason)


@approvals.command("reject")
@click.argument("approval_id")
@click.option("--reason", required=True, help="why (the caller sees it)")
def reject(approval_id: str, reason: str) -> None:
    """Reject a pending request: the invocation ends rejected and never reaches an agent."""
    _decide(approval_id, "rejected", reason)


@approvals.group("policy")
def policy() -> None:
    """Approval policies per workspace and risk level (read, write, destructive, irreversible)."""


@policy.command("show")
@click.argument("workspace")
def show(workspace: str) -> None:
    """The policy of each risk level in WORKSPACE (stored, or the defaults)."""
    for p in _run(lambda xem, _s: services.show_policies(xem, workspace)):
        click.echo(f"{p.risk:<12} required={str(p.required).lower():<5} sla_s={p.sla_s:<6} inline={str(p.inline).lower():<5} "
                   f"escalation={','.join(p.escalation) or '-'}{'  (default)' if p.default else ''}")


@policy.command("set")
@click.argument("workspace")
@click.option("--risk", type=click.Choice(RISKS), required=True)
@click.option("--required/--not-required", default=None, help="whether calls wait for an approval")
@click.option("--sla", "sla_s", type=click.IntRange(1, 30 * 86_400), default=None, help="seconds before escalation/timeout")
@click.option("--escalation", default=None, help="comma-separated approvers asked next, in order ('' for none)")
@click.option("--inline/--no-inline", default=None, help="whether an elicitation-capable client may approve its own call")
def set_policy(workspace: str, risk: str, required: bool | None, sla_s: int | None, escalation: str | None,
               inline: bool | None) -> None:
    """Set WORKSPACE's policy for one risk level (options not given keep their current value)."""
    async def action(xem: services.XemServices, _s: object) -> ApprovalPolicy:
        current = {str(p.risk): p for p in await services.show_policies(xem, workspace)}[risk]
        changes: dict[str, object] = {k: v for k, v in {"required": required, "sla_s": sla_s, "inline": inline}.items() if v is not None}
        if escalation is not None:
            changes["escalation"] = tuple(e.strip() for e in escalation.split(",") if e.strip())
        try:
            new = ApprovalPolicy(**{**current.model_dump(), **changes, "default": False})
        except ValueError as exc:
            raise StartupError("invalid_argument", f"bad policy: {exc}", exit_status=2) from None
        return await services.set_policy(xem, new, by=_OPERATOR)

    p = _run(action)
    click.echo(f"{workspace} {p.risk}: required={str(p.required).lower()} sla_s={p.sla_s} inline={str(p.inline).lower()} "
               f"escalation={','.join(p.escalation) or '-'}")


@click.group()
def invocations() -> None:
    """Invocations of exec tools; resolve the ambiguous ones."""


@invocations.command("list")
@click.option("--state", default=None, help="only this state, e.g. ambiguous")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_invocations(state: str | None, limit: int, as_json: bool) -> None:
    """Invocations, oldest first: id, tool, risk, state, agent."""
    for r in _run(lambda xem, _s: services.list_invocations(xem, state=state, limit=limit)):
        item = {"id": str(r["id"]), "tool": f"{r['workspace']}__{r['tool']}", "risk": r["risk"], "state": r["state"],
                "agent": r["agent_name"], "created_at": r["created_at"].isoformat(), "resolved": r["resolved"]}
        click.echo(json.dumps(item) if as_json else
                   f"{item['id']}  {r['state']:<16} {item['tool']} ({r['risk']})  agent {r['agent_name'] or '-'}  "
                   f"{item['created_at']}{'  (resolved by an operator)' if r['resolved'] else ''}")


@invocations.command("resolve")
@click.argument("invocation_id")
@click.option("--outcome", type=click.Choice(["succeeded", "failed"]), required=True, help="what the mutation really did")
@click.option("--note", required=True, help="how you know (kept with the invocation)")
def resolve(invocation_id: str, outcome: str, note: str) -> None:
    """Settle an ambiguous mutation after checking its target (a late result from the agent is still recorded)."""
    view = _run(lambda xem, _s: services.resolve_ambiguous(xem, _id(invocation_id), outcome, note, _OPERATOR))  # type: ignore[arg-type]
    click.echo(f"invocation {view.id} resolved {view.state}")


@invocations.command("forks")
@click.option("--workspace", default=None, help="only this workspace")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def forks(workspace: str | None, limit: int, as_json: bool) -> None:
    """Fork points, newest first: left before each destructive or irreversible call (the caller's branch_ref, the
    redacted arguments, the time), with how the call ended; roll a conversation back to one after a failed run."""
    for r in _run(lambda xem, _s: services.list_forks(xem, workspace=workspace, limit=limit)):
        item = {"id": str(r["id"]), "invocation": str(r["invocation_id"]), "tool": f"{r['workspace']}__{r['tool']}",
                "risk": r["risk"], "state": r["state"], "branch_ref": r["branch_ref"], "caller": r["caller"],
                "at": r["created_at"].isoformat(), "arguments": json.loads(r["arguments"])}
        click.echo(json.dumps(item) if as_json else
                   f"{item['id']}  {item['at']}  {item['tool']} ({r['risk']})  {r['state']:<16} invocation "
                   f"{item['invocation']}  branch {r['branch_ref'] or '-'}  args {json.dumps(item['arguments'])[:80]}")
