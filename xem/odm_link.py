"""The ODM link: a ``tool_call`` activity in ODM for every finished invocation that carries a ``task_id``, sent
through the ODM server's MCP API (never its database), once per invocation, retried until the ODM accepts it.

Behind ``XIOPRO_XEM_ODM_LINK`` (default off) until the ODM offers activities. The call is
``record_activity(task_id, kind="tool_call", idempotency_key=<invocation id>, status, duration_ms, tool, agent,
invocation_id, started_at, finished_at)``; the idempotency key makes a retry after a lost answer harmless.
tests/xem/test_odm_link.py holds the contract, against a stand-in ODM.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from xem import services

__all__ = ["activity_of", "run_odm_link", "send_pending"]

log = logging.getLogger("xiopro.xem.odm_link")
_TIMEOUT_S = 10.0


def activity_of(row: Any) -> dict[str, Any]:
    """The ``record_activity`` arguments for a finished invocation row."""
    result = json.loads(row["result"]) if row["result"] else {}
    started, finished = row["started_at"] or row["dispatched_at"] or row["created_at"], row["finished_at"]
    duration = result.get("duration_ms")
    if duration is None and finished is not None:
        duration = int((finished - started).total_seconds() * 1000)
    return {
        "task_id": row["task_id"], "kind": "tool_call", "idempotency_key": f"xem-invocation-{row['id']}",
        "status": row["state"], "duration_ms": int(duration or 0), "tool": f"{row['workspace']}__{row['tool']}",
        "agent": row["agent_name"], "invocation_id": str(row["id"]),
        "started_at": started.isoformat() if started else None, "finished_at": finished.isoformat() if finished else None,
    }


async def send_pending(bridge: services.XemServices, url: str) -> int:
    """Send every pending activity once; returns how many the ODM accepted."""
    rows = await services.odm_pending(bridge)
    if not rows:
        return 0
    accepted = 0
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(_TIMEOUT_S)) as http:
            transport = streamable_http_client(url, http_client=http, terminate_on_close=False)
            async with Client(transport, mode="auto", cache=None, read_timeout_seconds=_TIMEOUT_S) as client:
                for row in rows:
                    answer = await client.call_tool("record_activity", activity_of(row))
                    text = "".join(getattr(c, "text", "") for c in answer.content)
                    await services.odm_attempted(bridge, row["id"], recorded=not answer.is_error,
                                                 error=text[:500] if answer.is_error else None)
                    accepted += not answer.is_error
    except Exception as exc:  # unreachable, or not an MCP server: every row stays pending
        log.warning("ODM link: the ODM at %s did not take activities (%s); retrying", url.split("@")[-1], type(exc).__name__)
    return accepted


async def run_odm_link(bridge: Any, url: str) -> None:
    """Until cancelled: send pending activities every ``odm_retry_s`` (a retry loop; results never wait on it)."""
    while True:
        try:
            await send_pending(bridge, url)
        except Exception:
            log.exception("ODM link round failed")
        await anyio.sleep(bridge.settings.odm_retry_s)
