"""The ODM link: a ``tool_call`` activity in ODM for every finished invocation that carries a ``task_id``, sent
through the ODM server's MCP API (never its database: ``servers.kernel.odm_client``, at ``XIOPRO_ODM_URL`` or an
odm-mcp child over stdio), once per invocation, retried until the ODM accepts it.

On by default (``XIOPRO_XEM_ODM_LINK=false`` turns it off). The call is ``record_activity`` with the invocation's
id as idempotency key, so a retry after a lost answer records nothing twice. tests/xem/test_odm_link.py runs it
against a real odm-mcp.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio

from servers.kernel.errors import Unavailable
from servers.kernel.odm_client import OdmGateway
from xem import services

__all__ = ["activity_of", "run_odm_link", "send_pending"]

log = logging.getLogger("xiopro.xem.odm_link")


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


async def send_pending(bridge: services.XemServices, odm: OdmGateway) -> int:
    """Send every pending activity once; returns how many the ODM accepted."""
    rows = await services.odm_pending(bridge)
    if not rows:
        return 0
    accepted = 0
    try:
        async with odm.session() as session:
            for row in rows:
                try:
                    await session.call_tool("record_activity", **activity_of(row))
                except Unavailable as exc:  # refused (its [code] kept for the operator) or lost: stays pending
                    await services.odm_attempted(bridge, row["id"], recorded=False, error=str(exc)[:500])
                    continue
                await services.odm_attempted(bridge, row["id"], recorded=True)
                accepted += 1
    except Unavailable as exc:  # unreachable, or not an MCP server: every row stays pending
        log.warning("ODM link: %s; retrying", exc)
    return accepted


async def run_odm_link(bridge: Any, odm: OdmGateway) -> None:
    """Until cancelled: send pending activities every ``odm_retry_s`` (a retry loop; results never wait on it)."""
    while True:
        try:
            await send_pending(bridge, odm)
        except Exception:
            log.exception("ODM link round failed")
        await anyio.sleep(bridge.settings.odm_retry_s)
