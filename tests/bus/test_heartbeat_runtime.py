"""A Bus heartbeat from agent 101 stamps ODM runtime 101 through the ODM API (a real odm-mcp process, no query
across the databases): its health reads healthy, silence makes it degraded then failed by the documented
thresholds (90 s, 300 s), the next heartbeat heals it, my_work shows it; an ODM that is gone never fails the
heartbeat."""

from __future__ import annotations

import json

from mcp import Client

from tests.bus.support import bus_client, call
from tests.bus.test_heartbeat_odm import _odm, _sql
from tests.support.odm import call as odm_call


async def _runtime_101(url: str) -> None:
    async with Client(url, mode="legacy") as odm:
        await odm_call(odm, "create_agent_template", agent_id="002", name="Worker", roles=["worker"])
        await odm_call(odm, "spawn_runtime", agent_id="101", template="002")


async def _health(url: str) -> str:
    async with Client(url, mode="legacy") as odm:
        result = await odm.read_resource("odm://runtimes/101")
    return json.loads(result.contents[0].text)["health_state"]


async def test_a_bus_heartbeat_updates_the_runtimes_heartbeat_and_silence_degrades_then_fails_it(suite_settings,
                                                                                                 tmp_path):
    dsn = suite_settings.odm_dsn
    async with _odm(suite_settings, tmp_path, "--toolsets", "claims,execution") as url:
        await _runtime_101(url)
        await _sql(dsn, "UPDATE agent_runtimes SET last_heartbeat_at = now() - interval '1 hour'")
        async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as bus:
            await call(bus, "register_agent", agent_id="101", role="coder")
            beat = await call(bus, "heartbeat", agent_id="101")
            fresh = await _sql(dsn, "SELECT extract(epoch FROM now() - last_heartbeat_at) FROM agent_runtimes")
            healthy = await _health(url)
            await _sql(dsn, "UPDATE agent_runtimes SET last_heartbeat_at = now() - interval '100 seconds'")
            degraded = await _health(url)
            await _sql(dsn, "UPDATE agent_runtimes SET last_heartbeat_at = now() - interval '301 seconds'")
            failed = await _health(url)
            work = await call(bus, "my_work", agent_id="101")
            healed = await call(bus, "heartbeat", agent_id="101")
            other = await call(bus, "register_agent", agent_id="102", role="coder")
            no_runtime = await call(bus, "heartbeat", agent_id="102")
    assert beat["odm_runtime_health"] == "healthy" and beat["odm_note"] is None and beat["odm_claims_renewed"] is None
    assert float(fresh) < 30 and healthy == "healthy"
    assert (degraded, failed) == ("degraded", "failed")
    assert work["runtime"]["id"] == "101" and work["runtime"]["health_state"] == "failed"
    assert work["runtime"]["status_state"] == "ready.ready"
    assert healed["odm_runtime_health"] == "healthy"
    assert other["status"] == "online" and no_runtime["odm_runtime_health"] is None and no_runtime["odm_note"] is None


async def test_a_heartbeat_still_succeeds_when_the_odm_is_gone_and_the_runtime_keeps_its_last_heartbeat(suite_settings,
                                                                                                      tmp_path):
    async with _odm(suite_settings, tmp_path, "--toolsets", "claims,execution") as url:
        await _runtime_101(url)
        await _sql(suite_settings.odm_dsn, "UPDATE agent_runtimes SET last_heartbeat_at = now() - interval '1 hour'")
    async with bus_client(suite_settings.model_copy(update={"odm_url": url}), toolsets="ops") as bus:
        await call(bus, "register_agent", agent_id="101", role="coder")
        beat = await call(bus, "heartbeat", agent_id="101")
        work = await call(bus, "my_work", agent_id="101")
    silent = await _sql(suite_settings.odm_dsn, "SELECT extract(epoch FROM now() - last_heartbeat_at) FROM agent_runtimes")
    assert beat["status"] == "online" and beat["odm_runtime_health"] is None
    assert "unreachable" in beat["odm_note"] and beat["odm_note"].endswith("did not record this heartbeat on your runtime")
    assert work["odm_available"] is False and work["runtime"] is None
    assert float(silent) > 3000
