"""PostgreSQL LISTEN/NOTIFY channel names, in one place (the bus database carries all of them).

Each constant says what the payload of one notice is. Stores send them (``pg_notify``); the processes
that listen (bus-mcp's push, xem-router, xem-mcp) subscribe by these names.
"""

from __future__ import annotations

__all__ = ["API_KEYS", "BUS_CHANGES", "CANCEL_PREFIX", "XEM_DISPATCH", "XEM_INVOCATIONS", "XEM_KEYS", "XEM_PROGRESS", "XEM_TEMPLATES",
           "XEM_TOOLS"]

API_KEYS = "xiopro_api_keys"  # payload: "changed" (a key was created, revoked or rotated)
BUS_CHANGES = "xiopro_bus_changes"  # payload: a bus:// resource URI whose content changed
XEM_KEYS = "xem_keys"  # payload: the name of an XEM agent whose keys changed
XEM_DISPATCH = "xem_dispatch"  # payload: the name of an XEM agent with a new dispatch, or CANCEL_PREFIX + the name
CANCEL_PREFIX = "cancel:"  # of an agent with an invocation to cancel (agent names have no colon)
XEM_INVOCATIONS = "xem_invocations"  # payload: "<invocation id>:<state>" of an invocation whose state changed
XEM_PROGRESS = "xem_progress"  # payload: the id of an invocation that received a progress frame
XEM_TOOLS = "xem_tools"  # payload: the name of an XEM agent whose servable tools may have changed (state, manifest)
XEM_TEMPLATES = "xem_templates"  # payload: the name of a chat template that got a new version
