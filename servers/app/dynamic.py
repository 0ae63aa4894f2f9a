"""Tools that change while a server runs (XEM's per-agent tools): a ``ToolSource`` a server reads on every
``tools/list`` and ``tools/call``, and ``ListChanged``, which tells connected clients the list changed in both
protocol eras.

* initialize/session era: ``notifications/tools/list_changed`` on every connection that has sent a request (seen
  by a middleware on the server's public chain, held weakly; one that cannot be notified is dropped);
* 2026-07-28: a ``ToolsListChanged`` event on the server's ``SubscriptionBus`` (``subscriptions/listen``).

A dynamic tool carries the API-key scope it needs, like a ``ToolDef``.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.subscriptions import SubscriptionBus
from mcp.shared.subscriptions import PromptsListChanged, ToolsListChanged
from mcp_types import Tool as MCPTool
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from servers.app import _sdk
from servers.app.registry import Scope

__all__ = ["DynamicTool", "ListChanged", "ToolSource"]

log = logging.getLogger("xiopro.app.dynamic")


@dataclass(frozen=True)
class DynamicTool:
    tool: MCPTool  # what tools/list shows (name, schemas, annotations)
    scope: Scope
    call: Callable[[dict[str, Any], Any], Awaitable[Any]]  # (arguments, Context) -> CallToolResult

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset((self.tool.input_schema or {}).get("properties", {}))


class ToolSource(Protocol):
    def current(self) -> Mapping[str, DynamicTool]:
        """The dynamic tools as they are now, by name (cheap: called on every list and call)."""
        ...


class ListChanged:
    """Tells every connected client of one server that its tool list changed."""

    def __init__(self, subscriptions: SubscriptionBus) -> None:
        self._subscriptions = subscriptions
        self._sessions: weakref.WeakSet[Any] = weakref.WeakSet()

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Server middleware: remember the sessions of the initialize/session era."""
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS and ctx.session is not None:
            # the session object is per request; the connection behind it lives as long as the client's
            self._sessions.add(_sdk.connection_of(ctx.session))
        return await call_next(ctx)

    async def notify(self) -> None:
        await self._send(ToolsListChanged(), "send_tool_list_changed")

    async def notify_prompts(self) -> None:
        """The prompt list changed (xem-mcp's chat templates): ``notifications/prompts/list_changed``."""
        await self._send(PromptsListChanged(), "send_prompt_list_changed")

    async def _send(self, event: Any, method: str) -> None:
        await self._subscriptions.publish(event)
        for session in list(self._sessions):
            try:
                await getattr(session, method)()
            except Exception as exc:  # a closed connection: forget it
                log.debug("dropping a session that cannot be notified (%s)", type(exc).__name__)
                self._sessions.discard(session)
