"""Every use of the ``mcp`` SDK's private API, in one place (``tests/servers/test_sdk_seam.py`` fails loudly
when an SDK release moves any of them; the SDK range in pyproject.toml is pinned to the minor release
these were checked against).

* ``add_request_handler``: MCPServer serves no ``resources/subscribe``/``unsubscribe`` (the
  initialize/session era's push); the low-level server it wraps has the public method.
* ``connection_of``: the per-connection object behind a session, the only key the SDK offers that
  lives as long as the client's connection (push subscriptions are dropped with it).
* ``advertise_tools_list_changed``: MCPServer builds its initialize-era capabilities with default
  ``NotificationOptions`` (``tools.listChanged`` false) and takes none from its caller; a server whose tool
  list changes at run time (xem-mcp) must say so, on the low-level server it wraps.
* ``drop_span_middleware``: the SDK installs an OpenTelemetry span per request unless removed from
  the (public) middleware chain; the class to remove lives in a private module.
"""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer

__all__ = ["add_request_handler", "advertise_tools_list_changed", "connection_of", "drop_span_middleware"]


def add_request_handler(server: MCPServer, method: str, params_type: type, handler: Any) -> None:
    """Serve a JSON-RPC method MCPServer does not (the low-level server's public registration)."""
    server._lowlevel_server.add_request_handler(method, params_type, handler)


def advertise_tools_list_changed(server: MCPServer, *, prompts: bool = False) -> None:
    """Declare ``tools.listChanged: true`` (and ``prompts.listChanged`` if ``prompts``) in the initialize/session era
    (2026-07-28 derives it from listen)."""
    from mcp.server.lowlevel.server import NotificationOptions

    lowlevel = server._lowlevel_server
    original = lowlevel.get_capabilities

    def get_capabilities(notification_options: Any = None, *args: Any, **kwargs: Any) -> Any:
        if notification_options is None:
            notification_options = NotificationOptions(tools_changed=True, prompts_changed=prompts)
        else:
            notification_options.tools_changed = True
            notification_options.prompts_changed = notification_options.prompts_changed or prompts
        return original(notification_options, *args, **kwargs)

    lowlevel.get_capabilities = get_capabilities  # type: ignore[method-assign]


def connection_of(session: Any) -> Any:
    """The connection a session belongs to (the session itself where the SDK has no such object)."""
    return getattr(session, "_connection", session)


def drop_span_middleware(server: MCPServer) -> None:
    """Leave out the SDK's span-per-request middleware (~5% of a tool call) while no tracer is set up."""
    try:
        from mcp.server._otel import OpenTelemetryMiddleware
    except ImportError:  # moved in a later SDK: keep what the SDK installs (the seam test says so)
        return
    chain = server.middleware
    chain[:] = [m for m in chain if not isinstance(m, OpenTelemetryMiddleware)]
