"""Logging to stderr only: under stdio, stdout is the MCP channel and must carry nothing else."""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging"]


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Library chatter that would drown the suite's own lines at INFO.
    for noisy in ("uvicorn.access", "mcp.server.streamable_http", "mcp.server.streamable_http_manager", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
