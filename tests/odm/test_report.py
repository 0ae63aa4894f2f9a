"""The execution report (§14A) through an MCP client: every timeframe and format, its sections from real
work (activities, decisions, overrides, escalations), the resource, and malformed ranges refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import asyncpg
import pytest

from odm.domain.report import SECTIONS, TIMEFRAMES
from odm.store.report import ReportStore
from servers import odm
from tests.conftest import connect_client, script_env
from tests.support.odm import call, data_fingerprint, fails


async def _scenario(client) -> dict[str, str]:
    """Ticket 1001 with three tasks: one completed with two activities (one of unknown cost), one escalated and
    decided, one forced to cancelled by an override; ticket 1002 untouched."""
    project = await call(client, "create_project", name="P")
    sprint = await call(client, "create_sprint", project_id=project["id"], name="S",
                        start_date=(datetime.now(UTC) - timedelta(days=3)).isoformat(),
                        end_date=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    ticket = await call(client, "create_ticket", project_id=project["id"], title="Login <page> & more")
    await call(client, "update_ticket", id=ticket["id"], sprint_id=sprint["id"])
    other = await call(client, "create_ticket", project_id=project["id"], title="Other")
    done = await call(client, "create_task", ticket_id=ticket["id"], title="Design <b>form</b>", objective="o")
    asked = await call(client, "create_task", ticket_id=ticket["id"], title="Pick a provider", objective="o")
    dropped = await call(client, "create_task", ticket_id=ticket["id"], title="Drop me", objective="o")
    await call(client, "create_task", ticket_id=other["id"], title="Later", objective="o")
    claim = await call(client, "next_task", agent_id="101")
    await call(client, "record_activity", task_id=done["id"], agent_runtime_id="101", actual_cost=0.25,
               duration_ms=60000, prompt_tokens=100, completion_tokens=50)
    await call(client, "record_activity", task_id=done["id"], agent_runtime_id="101", duration_ms=30000)
    await call(client, "transition", kind="task", id=done["id"], status="complete", state="completed",
               claim_token=claim["claim_token"])
    await call(client, "next_task", agent_id="102")
    await call(client, "record_activity", task_id=asked["id"], agent_runtime_id="102", actual_cost=1.5,
               duration_ms=120000)
    esc = await call(client, "escalate", task_id=asked["id"], summary="Google or GitHub?", options=["google", "github"])
    await call(client, "decide", escalation_id=esc["id"], decision_type="answer", selected_option="github",
               created_by="founder")
    await call(client, "transition", kind="task", id=dropped["id"], status="complete", state="cancelled",
               override=True, reason="not needed")
    return {"ticket": ticket["id"], "done": done["id"], "asked": asked["id"], "dropped": dropped["id"], "esc": esc["id"]}


async def test_the_daily_report_shows_what_happened_and_what_is_open(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        ids = await _scenario(client)
        report = (await call(client, "execution_report"))["report"]
        resource = json.loads((await client.read_resource("odm://reports/execution-summary")).contents[0].text)
    sections, summary = report["sections"], report["summary"]
    assert [t["id"] for t in sections["completed_work"]] == [ids["done"]]
    assert [(d["escalation_request_id"], d["decision_type"]) for d in sections["decisions"]] == [(ids["esc"], "answer")]
    assert [(o["scope_ref"], o["applied_change_ref"]) for o in sections["interventions"]] == [
        (ids["dropped"], "complete.cancelled")]
    assert [(e["id"], e["status_state"]) for e in sections["escalations"]] == [(ids["esc"], "complete.completed")]
    assert {t["id"] for t in sections["open_items"]} == {ids["asked"], "1002.01"}
    progress = {t["id"]: (t["done"], t["in_progress"], t["blocked"], t["todo"]) for t in sections["ticket_progress"]}
    assert progress == {ids["ticket"]: (1, 1, 0, 0), "1002": (0, 0, 0, 1)}
    by_agent = {a["agent"]: (a["activities"], a["cost"], a["cost_unknown"], a["minutes"]) for a in sections["cost_by_agent"]}
    assert by_agent == {"101": (2, 0.25, 1, 1.5), "102": (1, 1.5, 0, 2.0)}
    assert [(t["ticket_id"], t["cost"], t["activities"]) for t in sections["cost_by_ticket"]] == [(ids["ticket"], 1.75, 3)]
    assert {t["task_id"] for t in sections["cost_by_task"]} == {ids["done"], ids["asked"]}
    utilisation = {a["agent"]: (a["tasks_completed"], a["tasks_held"]) for a in sections["agent_utilisation"]}
    assert utilisation == {"101": (1, 0), "102": (0, 1)}
    assert (summary["cost"], summary["cost_incomplete"], summary["activities"], summary["minutes"]) == (1.75, True, 3, 3.5)
    assert (summary["tasks_completed"], summary["decisions"], summary["interventions"]) == (1, 1, 1)
    assert resource["summary"] == summary and resource["timeframe"] == "daily"


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
async def test_every_timeframe_renders_in_every_format(odm_settings, timeframe, fmt):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        ids = await _scenario(client)
        window = {}
        if timeframe == "custom":
            now = datetime.now(UTC) + timedelta(seconds=5)
            window = {"from": (now - timedelta(days=2)).isoformat(), "to": now.isoformat()}
        out = await call(client, "execution_report", timeframe=timeframe, format=fmt, **window)
    assert out["format"] == fmt
    if fmt == "json":
        assert out["report"]["timeframe"] == timeframe and set(out["report"]["sections"]) == {k for k, _ in SECTIONS}
        return
    text = out["text"]
    for _, heading in SECTIONS:
        assert heading in text
    assert ids["done"] in text and "Login" in text  # the scenario happened seconds ago: even realtime sees it
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<tfoot>" in text
        assert "Design &lt;b&gt;form&lt;/b&gt;" in text and "<b>form</b>" not in text  # escaped
        assert "Login &lt;page&gt; &amp; more" in text
    else:
        assert "| Task | Title |" in text and "**Total**" in text


async def test_filters_narrow_the_report_to_a_ticket_or_an_agent(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        ids = await _scenario(client)
        mine = (await call(client, "execution_report", agent_id="102"))["report"]
        other = (await call(client, "execution_report", ticket_id="1002"))["report"]
    assert [a["agent"] for a in mine["sections"]["cost_by_agent"]] == ["102"]
    assert mine["sections"]["completed_work"] == [] and [e["id"] for e in mine["sections"]["escalations"]] == [ids["esc"]]
    assert other["sections"]["cost_by_ticket"] == [] and [t["id"] for t in other["sections"]["open_items"]] == ["1002.01"]


async def test_malformed_ranges_are_refused_naming_the_field_and_write_nothing(odm_settings):
    now = datetime.now(UTC)
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        await _scenario(client)
        before = await data_fingerprint(odm_settings.odm_dsn)
        errors = [
            await fails(client, "execution_report", timeframe="custom", to=now.isoformat()),
            await fails(client, "execution_report", timeframe="custom", **{"from": now.isoformat()}),
            await fails(client, "execution_report", timeframe="custom", to=(now - timedelta(days=1)).isoformat(),
                        **{"from": now.isoformat()}),
            await fails(client, "execution_report", timeframe="daily", to=now.isoformat()),
            await fails(client, "execution_report", timeframe="custom", to=now.isoformat(),
                        **{"from": "2020-01-01T00:00:00Z"}),
            await fails(client, "execution_report", **{"from": "last tuesday"}),
            await fails(client, "execution_report", timeframe="weekly"),
            await fails(client, "execution_report", format="pdf"),
            await fails(client, "execution_report", ticket_id="1999"),
        ]
        after = await data_fingerprint(odm_settings.odm_dsn)
    assert errors[0].startswith("[invalid_argument] from is required for timeframe custom")
    assert errors[1].startswith("[invalid_argument] to is required for timeframe custom")
    assert errors[2].startswith("[invalid_argument] from (") and "must be before to" in errors[2]
    assert errors[3].startswith("[invalid_argument] from/to apply only to timeframe custom")
    assert errors[4].startswith("[invalid_argument] from and to are") and "at most 400 days" in errors[4]
    assert errors[5].startswith("[invalid_argument] execution_report: from:")
    assert errors[6].startswith("[invalid_argument] execution_report: timeframe:")
    assert errors[7].startswith("[invalid_argument] execution_report: format:")
    assert errors[8].startswith("[not_found] no ticket 1999")
    assert before == after


async def test_xeroctl_report_prints_the_html_page_and_refuses_a_bad_range(odm_settings, tmp_path):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        ids = await _scenario(client)
    env = script_env(XIOPRO_ODM_DSN=odm_settings.odm_dsn, XIOPRO_HOME=str(tmp_path))
    page = await anyio.run_process(["xeroctl", "report", "--timeframe", "daily", "--format", "html"], env=env, check=False)
    bad = await anyio.run_process(["xeroctl", "report", "--timeframe", "custom", "--to", "2026-01-01T00:00:00Z"], env=env,
                                  check=False)
    assert page.returncode == 0, page.stderr
    html = page.stdout.decode()
    assert html.startswith("<!DOCTYPE html>") and ids["esc"] in html and "Cost and time by ticket" in html
    assert bad.returncode != 0 and b"[invalid_argument] from is required for timeframe custom" in bad.stderr


async def test_morning_brief_prompt_carries_the_daily_report_and_the_open_escalations(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        ids = await _scenario(client)
        task = await call(client, "create_task", ticket_id=ids["ticket"], title="Ship it", objective="o")
        await call(client, "next_task", agent_id="103")
        waiting = await call(client, "escalate", task_id=task["id"], summary="Ship on Friday?", urgency="high",
                             trigger_type="requires_approval")
        prompt = await client.get_prompt("morning_brief", {})
    text = prompt.messages[0].content.text
    assert f"{waiting['id']} on task {task['id']} [high, requires_approval]" in text and "Ship on Friday?" in text
    assert f"{ids['done']} (ticket {ids['ticket']}, 101)" in text and "cost 1.75 USD (incomplete" in text
    assert f"{task['id']} [approval.waiting] Ship it" in text and "operator" in text  # the primary user


async def test_escalate_to_human_prompt_shows_the_task_and_how_to_ask(odm_settings):
    async with connect_client(odm.SPEC, odm_settings, toolsets="planning") as client:
        ids = await _scenario(client)
        prompt = await client.get_prompt("escalate_to_human", {"task_id": ids["asked"], "reason": "two providers"})
        missing = await client.get_prompt("escalate_to_human", {"task_id": "1999.01"})
    text = prompt.messages[0].content.text
    assert f"Task {ids['asked']}: Pick a provider (execute.active" in text and "two providers" in text
    assert "recommended_option" in text and "`escalate`" in text and "answer (esc-1)" not in text
    assert "could not be read: [not_found] no task 1999.01" in missing.messages[0].content.text


class _Explain:
    """A connection whose fetch answers the plan of the statement instead of its rows."""

    def __init__(self, conn) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *args):
        return await self.conn.fetch("EXPLAIN " + sql, *args)


async def test_the_reports_activity_read_scans_only_the_partitions_of_its_window(odm_settings):
    conn = await asyncpg.connect(odm_settings.odm_dsn)
    try:
        await conn.execute("SELECT odm_activity_partition(now() - interval '90 days')")
        partitions = {r["c"] for r in await conn.fetch(
            "SELECT c.relname AS c FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'activities'::regclass")}
        now = datetime.now(UTC)
        plan = "\n".join(r[0] for r in await ReportStore(_Explain(conn)).activity_totals(
            now - timedelta(hours=24), now, None, None))
    finally:
        await conn.close()
    scanned = {p for p in partitions if p in plan}
    assert len(partitions) >= 3 and scanned and len(scanned) <= 2, plan
    assert f"activities_{(now - timedelta(days=90)):%Y_%m}" not in scanned
