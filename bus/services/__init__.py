"""Bus services: one function per use case, each under the Bus unit of work (``_work``); what the MCP
tools, xeroctl and the scanner call, always as ``use_case(services, ...)`` with the ``BusServices``."""

from __future__ import annotations

from bus.services._work import BusServices

__all__ = ["BusServices"]
