"""``xeroctl report``: the execution report (§14A) of the ODM, printed as markdown, json or html."""

from __future__ import annotations

import json
from datetime import datetime

import anyio
import click
from pydantic import ValidationError

from odm.domain.report import FORMATS, TIMEFRAMES, ReportQuery
from odm.services import OdmServices, report
from odm.settings import OdmSettings
from servers.kernel.errors import StartupError, SuiteError, format_validation_error
from servers.runtime.database import database_target, open_pool, prepare_database
from servers.runtime.logs import configure_logging
from servers.runtime.settings import load, load_settings

__all__ = ["report_command"]


def _when(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("give an ISO 8601 time with a zone, e.g. 2026-12-03T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise click.BadParameter("needs a time zone, e.g. 2026-12-03T00:00:00Z")
    return parsed


@click.command("report")
@click.option("--timeframe", type=click.Choice(TIMEFRAMES), default="daily", show_default=True,
              help="the window: the last 5 min / 1 h / 8 h / 24 h, the current sprint, or --from/--to")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True)
@click.option("--from", "start", callback=_when, help="start (custom; session: the session's start)")
@click.option("--to", "end", callback=_when, help="end (custom)")
@click.option("--agent", "agent_id", help="only this agent's work")
@click.option("--ticket", "ticket_id", help="only this ticket (and its sub-tickets)")
def report_command(timeframe: str, fmt: str, start: datetime | None, end: datetime | None, agent_id: str | None,
                   ticket_id: str | None) -> int:
    """Print the execution report: completed work, decisions, overrides, escalations, open items, ticket progress,
    agent utilisation, cost and time (e.g. xeroctl report --format html > report.html)."""
    try:
        query = ReportQuery.model_validate({"timeframe": timeframe, "from_": start, "to": end, "format": fmt,
                                            "agent_id": agent_id, "ticket_id": ticket_id})
    except ValidationError as exc:
        raise StartupError("invalid_argument", format_validation_error(exc), exit_status=2) from None
    settings = load_settings()
    configure_logging("WARNING")

    async def main() -> str:
        async with database_target(settings, "odm") as target:
            await prepare_database(target)
            pool = await open_pool(target, max_size=2)
            try:
                out = await report.execution_report(OdmServices(pool, load(OdmSettings), primary_user_id=""), query)
            except SuiteError as exc:
                raise StartupError(exc.code, str(exc)) from None
            finally:
                await pool.close()
        return out.text if out.text is not None else json.dumps(out.report, indent=2)

    click.echo(anyio.run(main))
    return 0
