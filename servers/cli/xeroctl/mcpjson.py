"""Ready-to-paste ``.mcp.json`` for Claude Code: HTTP endpoints, or stdio console scripts."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from servers.runtime.settings import SuiteSettings, default_home

__all__ = ["render_mcp_json", "script_command"]

_SERVERS = {"bus-mcp": "xiopro-bus", "odm-mcp": "xiopro-odm", "xem-mcp": "xiopro-xem"}


def script_command(script: str) -> str:
    """Absolute path of a console script of this installation (works without an activated venv)."""
    beside = Path(sys.executable).parent / script
    if beside.exists():
        return str(beside)
    return shutil.which(script) or script


def render_mcp_json(urls: dict[str, str] | None, settings: SuiteSettings, *, key: str | None = None) -> str:
    """The HTTP variant when ``urls`` (script -> URL) is given (with ``key`` as its bearer header), else the
    stdio variant (the local user, every scope: no key).

    DSNs are never written out: they are referenced as ``${XIOPRO_*_DSN}`` for Claude Code to expand.
    """
    servers: dict[str, dict[str, object]] = {}
    for script, name in _SERVERS.items():
        if urls is not None:
            servers[name] = {"type": "http", "url": urls[script]}
            if key:
                servers[name]["headers"] = {"Authorization": f"Bearer {key}"}
            continue
        env: dict[str, str] = {}
        if settings.home != default_home():
            env["XIOPRO_HOME"] = str(settings.home)
        if settings.bus_dsn and script in ("bus-mcp", "xem-mcp"):
            env["XIOPRO_BUS_DSN"] = "${XIOPRO_BUS_DSN}"
        if settings.odm_dsn and script == "odm-mcp":
            env["XIOPRO_ODM_DSN"] = "${XIOPRO_ODM_DSN}"
        if script == "bus-mcp" and settings.odm_url:
            env["XIOPRO_ODM_URL"] = settings.odm_url
        entry: dict[str, object] = {"type": "stdio", "command": script_command(script), "args": []}
        if env:
            entry["env"] = env
        servers[name] = entry
    return json.dumps({"mcpServers": servers}, indent=2)
