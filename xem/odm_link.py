"""The ODM link: a ``tool_call`` activity in ODM for every finished invocation that carries a ``task_id``, sent
through the ODM server's MCP API (never its database: ``servers.kernel.odm_client``, at ``XIOPRO_ODM_URL`` or an
odm-mcp child over stdio), once per invocation, retried until the ODM accepts it.

On by default (``XIOPRO_XEM_ODM_LINK=false`` turns it off). The call is ``record_activities`` (toolset
``accounting``) with one item whose idempotency key is the invocation's id, so a retry after a lost answer records
nothing twice. tests/xem/test_odm_link.py runs it against a real odm-mcp.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio

from servers.kernel.errors import OdmAnswered, Unavailable
from servers.kernel.odm_client import OdmGateway
from xem import services

__all__ = ["activity_of", "run_odm_link", "send_pending"]

log = logging.getLogger("xiopro.xem.odm_link")


_STATUS = {"succeeded": "success", "failed": "failed", "timeout": "failed", "rejected": "cancelled",
           "cancelled": "cancelled"}
_FOR_GOOD = frozenset({"not_found", "invalid_argument", "idempotency_mismatch"})


def activity_of(row: Any) -> dict[str, Any]:
    """The ``record_activities`` item (§4.6 fields) for a finished invocation row."""
    result = json.loads(row["result"]) if row["result"] else {}
    started, finished = row["started_at"] or row["dispatched_at"] or row["created_at"], row["finished_at"]
    duration = result.get("duration_ms")
    if duration is None and finished is not None:
        duration = int((finished - started).total_seconds() * 1000)
    item: dict[str, Any] = {
        "task_id": row["task_id"], "agent_runtime_id": (row["caller"] or f"xem:{row['agent_name'] or 'bridge'}")[:100],
        "activity_type": "tool_call", "result_status": _STATUS.get(row["state"], "failed"),
        "started_at": started.isoformat(), "duration_ms": max(0, int(duration or 0)),
        "input_ref": f"xem://invocations/{row['id']}",
        "output_ref": f"{row['workspace']}__{row['tool']} on {row['agent_name'] or 'no agent'}: {row['state']}",
        "idempotency_key": f"xem-invocation-{row['id']}",
    }
    if finished is not None and finished >= started:
        item["ended_at"] = finished.isoformat()
    if row["state"] != "succeeded":
        item["error_code"] = row["state"]
        if row["error"]:
            item["error_message"] = str(row["error"])[:2000]
    return item


async def send_pending(bridge: services.XemServices, odm: OdmGateway) -> int:
    """Send every pending activity once (one call each, so one refusal holds no other back); returns how many the
    ODM accepted. A refusal for good ([not_found], [invalid_argument]: e.g. the task is no longer in progress)
    ends the row ``refused`` with the answer kept in ``odm_error``; anything else leaves it pending."""
    rows = await services.odm_pending(bridge)
    if not rows:
        return 0
    accepted = 0
    try:
        async with odm.session() as session:
            for row in rows:
                try:
                    await session.call_tool("record_activities", items=[activity_of(row)])
                except Unavailable as exc:
                    refused = isinstance(exc, OdmAnswered) and exc.answered in _FOR_GOOD
                    if refused:
                        log.warning("ODM link: the ODM refused the activity of invocation %s for good: %s", row["id"], exc)
                    await services.odm_attempted(bridge, row["id"], outcome="refused" if refused else "pending",
                                                 error=str(exc)[:500])
                    continue
                await services.odm_attempted(bridge, row["id"], outcome="recorded")
                accepted += 1
    except Unavailable as exc:  # unreachable, or not an MCP server: every row stays pending
        log.warning("ODM link: %s; retrying", exc)
    return accepted


async def run_odm_link(bridge: Any, odm: OdmGateway) -> None:
    """Until cancelled: send pending activities every ``odm_retry_s`` (a retry loop; results never wait on it).
    Over stdio the odm-mcp child starts with the first activity to send, so an xem-mcp whose calls carry no
    task_id never runs one."""
    async with anyio.create_task_group() as tg:
        child = False
        while True:
            try:
                if odm.over_stdio and not child and await services.odm_pending(bridge, 1):
                    tg.start_soon(odm.run_child)
                    child = True
                await send_pending(bridge, odm)
            except Exception:
                log.exception("ODM link round failed")
            await anyio.sleep(bridge.settings.odm_retry_s)
