"""The scanner and my_work against a real odm-mcp process over streamable HTTP (its own test database):
tasks in progress over 24 h and pending approvals become todos, a stopped ODM dismisses nothing,
and the todos are marked done once the ODM says the conditions cleared."""

from __future__ import annotations

import sys

from tests.bus.odm_side import OdmSide, seed_real
from tests.bus.support import bus_client, call, sql
from tests.conftest import script_env
from tests.support.net import running_server

ODM = [sys.executable, "-m", "servers.cli.odm_mcp"]


def _sources(report: dict) -> dict:
    return {s["name"]: s for s in report["sources"]}


async def _open_todos(settings) -> list[tuple[str, str]]:
    rows = await sql(settings, "SELECT linked_type, linked_id FROM user_todos WHERE status = 'open' ORDER BY 1, 2")
    return [(r["linked_type"], r["linked_id"]) for r in rows]


async def test_scanner_and_my_work_read_a_real_odm_server(suite_settings, tmp_path):
    env = script_env(XIOPRO_ODM_DSN=suite_settings.odm_dsn, XIOPRO_HOME=str(tmp_path), XIOPRO_LOG_LEVEL="WARNING")
    async with running_server(ODM, env) as url:
        await seed_real(url, suite_settings.odm_dsn)
        async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as client:
            await call(client, "register_agent", agent_id="002", role="coder")
            first = await call(client, "scan_now", force=True)
            work = await call(client, "my_work", agent_id="002")
    sources = _sources(first)
    assert (sources["odm.tasks.stale"]["created"], sources["odm.tasks.approval"]["created"]) == (1, 1)
    assert sources["odm.escalations"]["status"] == sources["odm.budgets"]["status"] == "ok"
    assert await _open_todos(suite_settings) == [("approval", "1001.03"), ("task", "1001.01")]
    assert [t["id"] for t in work["tasks"]] == ["1001.01"] and work["odm_available"] is True

    # the ODM process is gone: its conditions did not clear, they just cannot be read
    async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as client:
        down = await call(client, "scan_now", force=True)
    assert _sources(down)["odm.tasks.stale"]["status"] == "unavailable" and down["dismissed"] == 0
    assert await _open_todos(suite_settings) == [("approval", "1001.03"), ("task", "1001.01")]

    async with running_server(ODM, env) as url:  # back, on the same database (another port)
        side = OdmSide("real", url, odm_dsn=suite_settings.odm_dsn)
        await side.finish_task("1001.01")
        await side.finish_task("1001.03")
        async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as client:
            cleared = await call(client, "scan_now", force=True)
    assert cleared["dismissed"] == 2 and await _open_todos(suite_settings) == []
    reasons = await sql(suite_settings, "SELECT linked_id, description FROM user_todos ORDER BY linked_id")
    assert reasons[0]["description"].endswith("task 1001.01 is no longer in progress for over 24 h")
    assert reasons[1]["description"].endswith("task 1001.03 no longer waits for approval (decided or withdrawn)")
