"""xem-mcp tools of invocations: invoke (any exec tool by name), get_invocation, cancel_invocation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import BaseModel, StringConstraints

from servers.app import ToolGroup
from servers.kernel.errors import InvalidArgument
from servers.xem.calls import CallAnswer, answer_of, bridge_of, run_call, subplan_id
from xem import services
from xem.domain.manifest import NAME_PATTERN
from xem.domain.views import InvocationView

__all__ = ["cancel_invocation", "get_invocation", "invoke", "tools"]

tools = ToolGroup()


class Cancelled(BaseModel):
    id: str
    state: str
    next_step: str | None = None
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
InvocationId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(f"id {value[:64]!r} is not an invocation id (a UUID from an earlier call's answer)") from None


@tools.tool(title="Invoke an exec tool", read_only=False, destructive=True, idempotent=False, open_world=True,
            scope="execution")
async def invoke(
    ctx: Context,
    workspace: Name,
    tool: Name,
    arguments: dict[str, Any] | None = None,
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None,
    agent: Name | None = None,
    task_id: Annotated[str, StringConstraints(max_length=64)] | None = None,
    branch_ref: Annotated[str, StringConstraints(max_length=200)] | None = None,
    template: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}(@[1-9][0-9]{0,5})?$")] | None = None,
    subplan: Annotated[str, StringConstraints(max_length=64)] | None = None,
) -> CallToolResult:
    """Run an exec tool of an XEM agent (see list_exec_tools/describe_exec_tool) and answer its invocation (the
    structure get_invocation declares, plus replayed and next_step).

    Waits for the result up to a bound, then answers the state (get_invocation continues). Same idempotency_key and
    arguments: the original invocation, never a second run. template/subplan: checked first ([forbidden], [conflict]).
    A destructive call leaves a fork point (with branch_ref) to roll back to. Errors: [invalid_argument], [not_found],
    [approval_required], [approval_rejected], [idempotency_mismatch], [unavailable], [ambiguous].
    """
    # no outputSchema, like the per-agent tools it stands for: the answer is structured or a [code] error
    return await run_call(ctx, services.CallRequest(workspace, tool, arguments or {}, idempotency_key, agent, task_id,
                                                    branch_ref=branch_ref, template=template, subplan=subplan_id(subplan)))


@tools.tool(title="Get an invocation", read_only=True, destructive=False, idempotent=True, open_world=False)
async def get_invocation(ctx: Context, id: InvocationId) -> CallAnswer:
    """The state, timestamps, agent, result (exit code, stdout/stderr cut to a limit) and approval of an invocation.

    Use with the id of an earlier call that had not ended. Errors: [not_found], [invalid_argument].
    """
    bridge = bridge_of(ctx)
    view = await services.get_invocation(bridge, parse_id(id), output_limit=bridge.settings.output_limit_chars)
    return CallAnswer(**view.model_dump())


@tools.tool(title="Cancel an invocation", read_only=False, destructive=False, idempotent=False, open_world=True,
            scope="execution")
async def cancel_invocation(ctx: Context, id: InvocationId) -> Cancelled:
    """Cancel an invocation: at once if it has not reached the agent, else the agent kills the tool's process group.

    A read ends cancelled; a mutation already running ends ambiguous (an operator resolves it). Errors: [not_found],
    [invalid_transition] (it already ended).
    """
    view = await services.cancel_invocation(bridge_of(ctx), parse_id(id), by="mcp")
    return Cancelled(id=view.id, state=view.state, next_step=None if view.state == "cancelled" else
                     f"the agent was told to stop; get_invocation('{view.id}') shows how it ended")


def shaped(view: InvocationView) -> CallToolResult:
    return answer_of(view)
