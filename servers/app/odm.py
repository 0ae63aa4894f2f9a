"""How a server other than odm-mcp reaches the ODM: its URL and key from the suite settings, or an odm-mcp child
of its own over stdio on the same home and ODM database (``servers.kernel.odm_client``)."""

from __future__ import annotations

import os
from typing import TypedDict

from servers.app.spec import Runtime

__all__ = ["OdmArgs", "odm_child_env", "odm_gateway_args"]


class OdmArgs(TypedDict):
    odm_url: str
    odm_api_key: str | None
    odm_child_env: dict[str, str]

_PASSED = ("XIOPRO_PRIMARY_USER", "XIOPRO_PRIMARY_USER_EMAIL", "XIOPRO_PRIMARY_USER_ROLE", "XIOPRO_EVENT_LOOP")


def odm_child_env(runtime: Runtime) -> dict[str, str]:
    """The environment of an odm-mcp started over stdio: this server's home and ODM database, nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIOPRO_")}
    env.update({"XIOPRO_HOME": str(runtime.settings.home), "XIOPRO_LOG_LEVEL": runtime.settings.log_level})
    if runtime.settings.odm_dsn:
        env["XIOPRO_ODM_DSN"] = runtime.settings.odm_dsn
    env.update({name: os.environ[name] for name in _PASSED if name in os.environ})
    return env


def odm_gateway_args(runtime: Runtime) -> OdmArgs:
    """``odm_url``, ``odm_api_key`` and ``odm_child_env`` for an ``OdmGateway`` of this server."""
    key = runtime.settings.odm_api_key
    return OdmArgs(odm_url=runtime.settings.odm_mcp_url(), odm_api_key=key.get_secret_value() if key else None,
                   odm_child_env=odm_child_env(runtime))
