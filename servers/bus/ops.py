"""Bus tools for orchestrators and operators (toolset ops): my_work and scan_now."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from bus.domain.names import AgentId
from bus.domain.scans import ScanReport
from bus.services import scanner, work
from bus.services.work import MyWork
from servers.app import ToolGroup
from servers.app.logs import tool_log
from servers.bus._context import services

__all__ = ["my_work", "scan_now"]

tools = ToolGroup()


@tools.tool("ops", title="My work", read_only=True, destructive=False, idempotent=True, open_world=True)
async def my_work(ctx: Context, agent_id: AgentId) -> MyWork:
    """Your ODM tasks claimed by you (read through the ODM server), unread messages and leases you hold.

    If the ODM cannot be reached the Bus parts still come back, with odm_available false and the reason.
    Errors: [not_found] (register first).
    """
    return await work.my_work(services(ctx), agent_id)


@tools.tool("ops", title="Scan now", read_only=False, destructive=False, idempotent=True, open_world=True)
async def scan_now(ctx: Context, force: bool = False) -> ScanReport:
    """Run an attention-queue scan now (it also runs every XIOPRO_BUS_SCAN_INTERVAL_S) and report each source.

    Without force only the scan leader scans (ran=false names it); force scans here regardless (safe:
    the database keeps one open todo per object). Sources that cannot be read are reported, never dismissed.
    """
    await tool_log(ctx, "info", "attention scan starting" + (" (forced)" if force else ""))
    report = await scanner.scan_once(services(ctx), force=force)
    await tool_log(ctx, "info", f"attention scan done in {report.duration_ms:.0f} ms" if report.ran
                   else f"scan skipped: {report.leader} leads the scans (pass force=true)")
    return report
