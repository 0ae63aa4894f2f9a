"""Push across processes: MCP resource-updated notices driven by PostgreSQL LISTEN/NOTIFY.

Both protocol eras are served from the same database change notices (``bus.store.changes`` and ``bus.store.listener``):

* 2026-07-28 ``subscriptions/listen``: ``PgSubscriptionBus`` is the server's ``SubscriptionBus``;
  the SDK's ListenHandler subscribes to it and filters by URI per stream. ``publish`` (what
  ``ctx.notify_resource_updated`` calls) sends a NOTIFY, so every process sees it.
* legacy ``resources/subscribe``: MCPServer has no handler for it, so ``install_legacy_subscribe``
  registers one (``servers.app._sdk.add_request_handler``); subscribed sessions are kept in
  ``services.push`` and get ``notifications/resources/updated`` on their standalone channel. The
  connection (``servers.app._sdk.connection_of``, the only per-connection key the SDK offers) drops
  its subscriptions when it closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated, ServerEvent
from mcp_types import INVALID_PARAMS, EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from bus.services import BusServices, push
from servers.app import Runtime
from servers.app._sdk import add_request_handler, connection_of

__all__ = ["PgSubscriptionBus", "install_legacy_subscribe"]

log = logging.getLogger("xiopro.bus.push")


class PgSubscriptionBus:
    """``SubscriptionBus`` whose events travel through the database, reaching every bus-mcp process."""

    def __init__(self, services: BusServices) -> None:
        self._services = services
        self._listeners: dict[object, Callable[[ServerEvent], None]] = {}
        services.changes.subscribe(self._on_change)

    async def publish(self, event: ServerEvent) -> None:
        if isinstance(event, ResourceUpdated):
            await push.announce(self._services, [event.uri])
        else:  # list-changed events concern this process's own tool/prompt/resource lists
            self._fan_out(event)

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        token = object()
        self._listeners[token] = listener

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe

    def _on_change(self, uri: str) -> None:
        self._fan_out(ResourceUpdated(uri=uri))

    def _fan_out(self, event: ServerEvent) -> None:
        for listener in list(self._listeners.values()):
            try:
                listener(event)
            except Exception:  # the SubscriptionBus contract: one bad listener must not starve the others
                log.exception("subscription listener raised; continuing")


def _check_uri(uri: str) -> str:
    if not uri.startswith("bus://"):
        raise MCPError(INVALID_PARAMS, f"only bus:// resources can be subscribed to here, not {uri!r}")
    return uri


def _services(ctx: ServerRequestContext) -> BusServices:
    return cast(Runtime, ctx.lifespan_context).services


def install_legacy_subscribe(server: MCPServer) -> None:
    """Serve ``resources/subscribe`` and ``resources/unsubscribe`` (protocol versions before 2026-07-28)."""

    async def subscribe(ctx: ServerRequestContext, params: SubscribeRequestParams) -> EmptyResult:
        uri = _check_uri(params.uri)
        subscribers = _services(ctx).push
        session = ctx.session
        connection = connection_of(session)
        subscribers.add(uri, connection, session.send_resource_updated)
        exit_stack = getattr(connection, "exit_stack", None)
        if exit_stack is not None and not connection.state.get("xiopro_bus_push"):
            connection.state["xiopro_bus_push"] = True
            exit_stack.callback(subscribers.remove_all, connection)
        return EmptyResult()

    async def unsubscribe(ctx: ServerRequestContext, params: UnsubscribeRequestParams) -> EmptyResult:
        uri = _check_uri(params.uri)
        _services(ctx).push.remove(uri, connection_of(ctx.session))
        return EmptyResult()

    add_request_handler(server, "resources/subscribe", SubscribeRequestParams, subscribe)
    add_request_handler(server, "resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
